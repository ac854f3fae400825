/*
 * admin-junk MODE: a hostile caller of the admin API from inside a qube.
 * Calls bulkhead.admin.vm.list to dom0 on /dev/bulkhead/control.sock, as
 * bulkhead-rpc would, then breaks the data channel's framing as MODE says:
 *   wrong-way   a STDOUT frame instead of its stdin
 *   bad-type    a frame header of an unknown type
 *   huge        a stdin frame that says 200000 bytes, then junk
 *   after-eof   its arguments' end, then junk frames
 * and prints what came back: the reply line (or "no reply") and the exit
 * code frame (or "no exit"). Static, so that it runs in the busybox
 * template; it speaks the wire of lib/rpc_proto.h by hand on purpose.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../lib/rpc_proto.h"

static void
frame(int fd, uint32_t type, const void *data, uint32_t len)
{
	struct rpc_data_hdr h = { type, len };

	if (write(fd, &h, sizeof(h)) != sizeof(h) || (len > 0 && data != NULL &&
	    write(fd, data, len) != (ssize_t)len))
		perror("admin-junk: write");
}

static int
call(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct { struct rpc_hdr h; struct rpc_hello b; } hello = {
		{ RPC_HELLO, sizeof(struct rpc_hello) }, { RPC_VERSION, RPC_ROLE_CALLER } };
	struct { struct rpc_hdr h; struct rpc_call b; } c;
	struct { struct rpc_hdr h; struct rpc_call_result b; } r;
	union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } cm;
	struct iovec iov = { &r, sizeof(r) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
		.msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *cmh;
	int s = socket(AF_UNIX, SOCK_STREAM, 0), fd = -1;

	strcpy(sun.sun_path, "/dev/bulkhead/control.sock");
	memset(&c, 0, sizeof(c));
	c.h = (struct rpc_hdr){ RPC_CALL, sizeof(struct rpc_call) };
	strcpy(c.b.service, "bulkhead.admin.vm.list");
	strcpy(c.b.target, "dom0");
	c.b.request_id = 1;
	if (s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    write(s, &hello, sizeof(hello)) != sizeof(hello) || write(s, &c, sizeof(c)) != sizeof(c) ||
	    recvmsg(s, &msg, 0) != sizeof(r)) {
		perror("admin-junk: call");
		exit(1);
	}
	if (r.b.status != RPC_ALLOWED) {
		printf("refused: %s\n", r.b.message);
		exit(1);
	}
	for (cmh = CMSG_FIRSTHDR(&msg); cmh != NULL; cmh = CMSG_NXTHDR(&msg, cmh))
		if (cmh->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cmh), sizeof(int));
	if (fd < 0) {
		fprintf(stderr, "admin-junk: no data channel\n");
		exit(1);
	}
	return fd; /* s stays open: the call's life */
}

int
main(int argc, char **argv)
{
	static char junk[65536], out[1 << 20];
	size_t got = 0;
	int fd, exit_seen = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: admin-junk wrong-way|bad-type|huge|after-eof\n");
		return 2;
	}
	memset(junk, 'J', sizeof(junk));
	fd = call();
	if (!strcmp(argv[1], "wrong-way"))
		frame(fd, RPC_DATA_STDOUT, "{}", 2);
	else if (!strcmp(argv[1], "bad-type"))
		frame(fd, 99, "{}", 2);
	else if (!strcmp(argv[1], "huge")) {
		frame(fd, RPC_DATA_STDIN, NULL, 200000);
		for (int i = 0; i < 3; i++)
			if (write(fd, junk, sizeof(junk)) < 0)
				break;
	} else if (!strcmp(argv[1], "after-eof")) {
		frame(fd, RPC_DATA_STDIN, NULL, 0);
		for (int i = 0; i < 16; i++)
			frame(fd, i % 5, junk, 4096);
	} else {
		fprintf(stderr, "admin-junk: unknown mode %s\n", argv[1]);
		return 2;
	}
	/* What comes back, frame by frame, for up to 10 s. */
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, 10000) <= 0)
			break;
		n = read(fd, out + got, sizeof(out) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	for (size_t off = 0; off + sizeof(struct rpc_data_hdr) <= got;) {
		struct rpc_data_hdr h;
		memcpy(&h, out + off, sizeof(h));
		off += sizeof(h);
		if (off + h.len > got)
			break;
		if (h.type == RPC_DATA_STDOUT && h.len > 0)
			printf("reply: %.*s", (int)h.len, out + off);
		if (h.type == RPC_DATA_EXIT && h.len == 4)
			memcpy(&exit_seen, out + off, 4);
		off += h.len;
	}
	printf(exit_seen >= 0 ? "exit %d\n" : "no exit\n", exit_seen);
	return 0;
}
