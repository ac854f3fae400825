/* The importer on the ns backend: the qube shares the host's kernel and may
 * not write its vhci-hcd, so domd plugs the port and the importer gets the
 * kernel's end of the USB/IP link as the answer to one call to dom0,
 * bulkhead.VhciAttach+BUSID+DEVID+SPEED, on the qube's control socket. */
#include "import_domd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../agent/rpc_paths.h"
#include "log.h"
#include "rpc_wire.h"

static int
connect_control(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", RPC_CONTROL_SOCK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warn("cannot reach domd (%s)", RPC_CONTROL_SOCK);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int
import_domd_link(const char *busid, uint32_t devid, int speed)
{
	static char buf[sizeof(struct rpc_hdr) + sizeof(struct rpc_exec) + RPC_CMDLINE_MAX];
	struct rpc_hello hello = { RPC_VERSION, RPC_ROLE_CALLER };
	struct rpc_call call;
	struct rpc_msg m;
	struct stat st;
	int fd, link = -1;

	memset(&call, 0, sizeof(call));
	snprintf(call.service, sizeof(call.service), "bulkhead.VhciAttach");
	snprintf(call.target, sizeof(call.target), "dom0");
	if (snprintf(call.arg, sizeof(call.arg), "%s+%" PRIu32 "+%d", busid, devid, speed) >=
	    (int)sizeof(call.arg) || !rpc_arg_valid(call.arg)) {
		log_warnx("invalid bus id '%.32s'", busid);
		return -1;
	}
	call.request_id = 1;
	if ((fd = connect_control()) < 0)
		return -1;
	if (rpc_send(fd, RPC_HELLO, &hello, sizeof(hello), NULL, 0, -1, false) < 0 ||
	    rpc_send(fd, RPC_CALL, &call, sizeof(call), NULL, 0, -1, false) < 0 ||
	    rpc_recv(fd, buf, sizeof(buf), &m, &link) != 1 || m.type != RPC_CALL_RESULT) {
		log_warnx("%s: no answer from domd", call.service);
		goto fail;
	}
	if (m.u.result.status != RPC_ALLOWED) {
		log_warnx("domd did not plug a vhci-hcd port: %s", m.u.result.message[0] ?
		    m.u.result.message : "refused");
		goto fail;
	}
	if (link < 0 || fstat(link, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		log_warnx("domd's answer carried no socket");
		goto fail;
	}
	close(fd);
	return link;
fail:
	if (link >= 0)
		close(link);
	close(fd);
	return -1;
}
