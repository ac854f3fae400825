/* A netvm's firewall socket: bulkhead-firewall connects (one at a time;
 * a new connection replaces the old), domd writes the configuration to it
 * directly, and its one-line answers are parsed here (netcfg_parse_answer)
 * and passed on as struct guard_fw_answer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guard.h"
#include "netcfg.h"

static struct {
	struct guard_watch w; /* first */
	int fd;
	uint32_t id;
	char untrusted_in[NETCFG_ANSWER_MAX + 2];
	size_t len;
} fw = { .fd = -1 };

static struct guard_watch listener;

static void
fw_end(enum guard_end why, bool tell)
{
	struct guard_msg m = { .type = GUARD_FW_CLOSED, .conn = fw.id, .value = why };

	if (fw.fd < 0)
		return;
	guard_watch_del(fw.fd);
	close(fw.fd);
	fw.fd = -1;
	fw.len = 0;
	if (tell)
		guard_tell_domd(&m, -1);
}

static void
answer(const char *untrusted_line, size_t len)
{
	struct guard_msg m = { .type = GUARD_FW_ANSWER, .conn = fw.id };
	char msg[NETCFG_ANSWER_MAX + 1];
	int nrules = 0, r = netcfg_parse_answer(untrusted_line, len, &nrules, msg, sizeof(msg));

	if (r < 0) {
		fw_end(GUARD_END_MALFORMED, true);
		return;
	}
	m.fw.applied = r;
	m.fw.nrules = r == 1 ? nrules : 0;
	snprintf(m.fw.msg, sizeof(m.fw.msg), "%.*s", (int)sizeof(m.fw.msg) - 1, r == 1 ? "" : msg);
	guard_tell_domd(&m, -1);
}

static void
fw_io(struct guard_watch *w)
{
	ssize_t n;
	char *nl;

	if (fw.fd < 0)
		return;
	n = read(fw.fd, fw.untrusted_in + fw.len, sizeof(fw.untrusted_in) - fw.len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		fw_end(GUARD_END_EOF, true);
		return;
	}
	fw.len += (size_t)n;
	while (fw.fd >= 0 && (nl = memchr(fw.untrusted_in, '\n', fw.len)) != NULL) {
		size_t len = (size_t)(nl - fw.untrusted_in);
		answer(fw.untrusted_in, len);
		if (fw.fd < 0)
			return;
		memmove(fw.untrusted_in, nl + 1, fw.len - len - 1);
		fw.len -= len + 1;
	}
	if (fw.len == sizeof(fw.untrusted_in))
		fw_end(GUARD_END_TOO_LONG, true);
}

static void
fw_accept(struct guard_watch *w)
{
	struct guard_msg m = { .type = GUARD_FW_CONNECTED };
	int fd = accept4(GUARD_FIREWALL_FD, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	fw_end(GUARD_END_EOF, true); /* the newest connection is the daemon */
	fw.fd = fd;
	fw.id = guard_conn_id();
	fw.len = 0;
	fw.w.fn = fw_io;
	guard_watch_add(fd, &fw.w);
	m.conn = fw.id;
	guard_tell_domd(&m, fd);
}

void
firewall_init(void)
{
	listener.fn = fw_accept;
	guard_watch_add(GUARD_FIREWALL_FD, &listener);
}

bool
firewall_close(uint32_t id)
{
	if (fw.fd < 0 || fw.id != id)
		return false;
	fw_end(GUARD_END_EOF, false);
	return true;
}
