#include "rpc_wire.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fdpass.h"
#include "qube.h"

static bool
charset_ok(const char *s, size_t min, size_t max, const char *extra)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr(extra, c) != NULL))
			return false;
	}
	return true;
}

bool
rpc_service_valid(const char *s)
{
	return charset_ok(s, 1, RPC_SERVICE_MAX, "._-");
}

bool
rpc_arg_valid(const char *s)
{
	return charset_ok(s, 0, RPC_ARG_MAX, "._+-");
}

bool
rpc_target_valid(const char *s)
{
	if (s[0] == '\0' || !strcmp(s, "@default") || !strcmp(s, "@adminvm") ||
	    !strcmp(s, "dom0") || !strcmp(s, "@dispvm"))
		return true;
	if (!strncmp(s, "@dispvm:", 8))
		return qube_name_valid(s + 8);
	return qube_name_valid(s);
}

/* A fixed string field from a peer: it must end inside the field. */
static bool
field_terminated(const char *f, size_t size)
{
	return memchr(f, '\0', size) != NULL;
}

int
rpc_msg_parse(const void *untrusted_buf, size_t untrusted_len, struct rpc_msg *out, size_t *used)
{
	const unsigned char *b = untrusted_buf;
	struct rpc_hdr h;
	uint32_t type, len;

	if (untrusted_len < sizeof(h))
		return 0;
	memcpy(&h, b, sizeof(h));
	type = le32toh(h.type);
	len = le32toh(h.len);
	memset(out, 0, sizeof(*out));
	out->type = type;
	switch (type) {
	case RPC_HELLO:
		if (len != sizeof(struct rpc_hello))
			return -1;
		break;
	case RPC_CALL:
		if (len != sizeof(struct rpc_call))
			return -1;
		break;
	case RPC_CALL_RESULT:
		if (len != sizeof(struct rpc_call_result))
			return -1;
		break;
	case RPC_EXEC:
		if (len < sizeof(struct rpc_exec) || len > sizeof(struct rpc_exec) + RPC_CMDLINE_MAX)
			return -1;
		break;
	default:
		return -1;
	}
	if (untrusted_len - sizeof(h) < len)
		return 0;
	b += sizeof(h);
	switch (type) {
	case RPC_HELLO:
		memcpy(&out->u.hello, b, sizeof(out->u.hello));
		out->u.hello.version = le32toh(out->u.hello.version);
		out->u.hello.role = le32toh(out->u.hello.role);
		if (out->u.hello.version != RPC_VERSION ||
		    (out->u.hello.role != RPC_ROLE_AGENT && out->u.hello.role != RPC_ROLE_CALLER))
			return -1;
		break;
	case RPC_CALL: {
		struct rpc_call *c = &out->u.call;
		memcpy(c, b, sizeof(*c));
		c->request_id = le32toh(c->request_id);
		if (!field_terminated(c->service, sizeof(c->service)) ||
		    !field_terminated(c->arg, sizeof(c->arg)) ||
		    !field_terminated(c->target, sizeof(c->target)) ||
		    !rpc_service_valid(c->service) || !rpc_arg_valid(c->arg) ||
		    !rpc_target_valid(c->target))
			return -1;
		break;
	}
	case RPC_CALL_RESULT: {
		struct rpc_call_result *r = &out->u.result;
		memcpy(r, b, sizeof(*r));
		r->request_id = le32toh(r->request_id);
		r->status = le32toh(r->status);
		if (!field_terminated(r->target, sizeof(r->target)) ||
		    !field_terminated(r->message, sizeof(r->message)) || r->status > RPC_FAILED)
			return -1;
		break;
	}
	case RPC_EXEC: {
		struct rpc_exec *e = &out->u.exec;
		memcpy(e, b, sizeof(*e));
		e->flags = le32toh(e->flags);
		e->cmdline_len = le32toh(e->cmdline_len);
		if (!field_terminated(e->service, sizeof(e->service)) ||
		    !field_terminated(e->arg, sizeof(e->arg)) ||
		    !field_terminated(e->source, sizeof(e->source)) ||
		    !field_terminated(e->user, sizeof(e->user)) ||
		    e->cmdline_len != len - sizeof(*e) || (e->flags & ~RPC_EXEC_COMMAND) != 0)
			return -1;
		if (e->flags & RPC_EXEC_COMMAND) {
			const char *cmd = (const char *)b + sizeof(*e);
			if (e->cmdline_len == 0 || cmd[e->cmdline_len - 1] != '\0')
				return -1;
			out->cmdline = cmd;
		} else if (e->cmdline_len != 0 || !rpc_service_valid(e->service) ||
		    !rpc_arg_valid(e->arg))
			return -1;
		break;
	}
	}
	*used = sizeof(h) + len;
	return 1;
}

int
rpc_send(int sock, uint32_t type, const void *body, size_t body_len, const void *trailer,
    size_t trailer_len, int pass_fd, bool dontwait)
{
	struct rpc_hdr h = { htole32(type), htole32((uint32_t)(body_len + trailer_len)) };
	struct iovec iov[3] = {
		{ &h, sizeof(h) }, { (void *)body, body_len }, { (void *)trailer, trailer_len },
	};
	union fdpass_one room;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = trailer_len ? 3 : 2 };
	size_t total = sizeof(h) + body_len + trailer_len, sent = 0;

	if (pass_fd >= 0)
		fdpass_attach(&msg, &room, pass_fd);
	while (sent < total) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL | (dontwait ? MSG_DONTWAIT : 0));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (sent == 0 && (size_t)n < total && dontwait) {
			/* A peer that does not read must not make us block. */
			errno = EAGAIN;
			return -1;
		}
		sent += (size_t)n;
		/* Advance the iovecs past what was sent; the fd went with the first part. */
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		while (n > 0 && msg.msg_iovlen > 0) {
			if ((size_t)n >= msg.msg_iov->iov_len) {
				n -= (ssize_t)msg.msg_iov->iov_len;
				msg.msg_iov++;
				msg.msg_iovlen--;
			} else {
				msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + n;
				msg.msg_iov->iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return 0;
}

/* Reads exactly len bytes, collecting an attached fd if one comes. */
static int
recv_full(int sock, void *buf, size_t len, int *fd_out)
{
	size_t got = 0;

	while (got < len) {
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int) * 4)];
		} cm;
		struct iovec iov = { (char *)buf + got, len - got };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			.msg_controllen = sizeof(cm.buf) };
		ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return got == 0 ? 0 : -1;
		{
			int fd = fdpass_take(&msg, fd_out != NULL && *fd_out < 0);
			if (fd >= 0)
				*fd_out = fd;
		}
		got += (size_t)n;
	}
	return 1;
}

int
rpc_recv(int sock, void *buf, size_t buflen, struct rpc_msg *out, int *fd_out)
{
	struct rpc_hdr h;
	size_t used;
	int r;

	*fd_out = -1;
	if ((r = recv_full(sock, &h, sizeof(h), fd_out)) <= 0)
		return r;
	if (le32toh(h.len) > buflen - sizeof(h))
		goto bad;
	memcpy(buf, &h, sizeof(h));
	if (le32toh(h.len) > 0 && recv_full(sock, (char *)buf + sizeof(h), le32toh(h.len), fd_out) != 1)
		goto bad;
	if (rpc_msg_parse(buf, sizeof(h) + le32toh(h.len), out, &used) != 1)
		goto bad;
	return 1;
bad:
	if (*fd_out >= 0) {
		close(*fd_out);
		*fd_out = -1;
	}
	errno = EPROTO;
	return -1;
}

int
rpc_data_send(int fd, uint32_t type, const void *data, size_t len)
{
	struct rpc_data_hdr h = { htole32(type), htole32((uint32_t)len) };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, len } };
	size_t total = sizeof(h) + len;
	struct iovec *v = iov;
	int cnt = 2;

	while (total > 0) {
		ssize_t n = writev(fd, v, cnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		total -= (size_t)n;
		while (n > 0) {
			if ((size_t)n >= v->iov_len) {
				n -= (ssize_t)v->iov_len;
				v++;
				cnt--;
			} else {
				v->iov_base = (char *)v->iov_base + n;
				v->iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return 0;
}

int
rpc_data_hdr_check(const void *untrusted_hdr, uint32_t *type, uint32_t *len)
{
	struct rpc_data_hdr h;

	memcpy(&h, untrusted_hdr, sizeof(h));
	*type = le32toh(h.type);
	*len = le32toh(h.len);
	if (*type < RPC_DATA_STDIN || *type > RPC_DATA_EXIT || *len > RPC_DATA_MAX)
		return -1;
	if (*type == RPC_DATA_EXIT && *len != 4)
		return -1;
	return 0;
}
