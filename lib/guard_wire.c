#include "guard_wire.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin_rpc.h"
#include "fdpass.h"
#include "rpc_wire.h"

int
guard_send(int sock, const struct guard_msg *m, int fd, bool block)
{
	struct iovec iov = { (void *)m, sizeof(*m) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	union fdpass_one room;
	ssize_t n;

	if (fd >= 0)
		fdpass_attach(&msg, &room, fd);
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | (block ? 0 : MSG_DONTWAIT));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	return n == (ssize_t)sizeof(*m) ? 0 : (errno = EMSGSIZE, -1);
}

ssize_t
guard_recv(int sock, void *buf, size_t buflen, int *fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct iovec iov = { buf, buflen };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
		.msg_controllen = sizeof(cm.buf) };
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		*fd = fdpass_take(&msg, 1);
	/* A datagram cut short by buflen is not one domd accepts. */
	if (n >= 0 && (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		n = (ssize_t)buflen + 1;
	return n;
}

static int
terminated(const char *f, size_t size)
{
	return memchr(f, '\0', size) != NULL;
}

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

int
guard_msg_check(const void *untrusted_buf, size_t untrusted_len, struct guard_msg *out)
{
	struct guard_msg m;

	if (untrusted_len != sizeof(m))
		return -1;
	memcpy(&m, untrusted_buf, sizeof(m));
	if (m.conn == 0)
		return -1;
	switch (m.type) {
	case GUARD_AGENT:
		break;
	case GUARD_CALL:
		if (!terminated(m.call.service, sizeof(m.call.service)) ||
		    !terminated(m.call.arg, sizeof(m.call.arg)) ||
		    !terminated(m.call.target, sizeof(m.call.target)) ||
		    !rpc_service_valid(m.call.service) || !rpc_arg_valid(m.call.arg) ||
		    !rpc_target_valid(m.call.target) || m.value > 1 ||
		    (m.value == 1 && (strcmp(m.call.service, VHCI_ATTACH_SERVICE) ||
		    !vhci_arg_valid(&m.vhci))))
			return -1;
		break;
	case GUARD_CLOSED:
		if (m.value > GUARD_END_MALFORMED)
			return -1;
		break;
	case GUARD_FW_CLOSED:
		if (m.value > GUARD_END_TOO_LONG)
			return -1;
		break;
	case GUARD_FW_ANSWER:
		if ((m.fw.applied != 0 && m.fw.applied != 1) || m.fw.nrules < 0 ||
		    !terminated(m.fw.msg, sizeof(m.fw.msg)) || !printable(m.fw.msg))
			return -1;
		break;
	case GUARD_ADMIN_ARGS:
		if (admin_rpc_args_check(&m.admin) < 0)
			return -1;
		break;
	case GUARD_REFUSED:
	case GUARD_ADMIN_GONE:
	case GUARD_FW_CONNECTED:
	case GUARD_READY:
	case GUARD_READY_BAD:
		break;
	default:
		return -1;
	}
	*out = m;
	return 0;
}
