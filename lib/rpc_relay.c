#include "rpc_relay.h"

#include "fdio.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rpc_wire.h"

static int
read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)n;
	}
	return 1;
}

/* Bytes waiting in a pipe (or socket), 0 if unknown. */
static size_t
queued(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? (size_t)n : 0;
}

static bool
is_pipe(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

struct out_fds {
	int fd[3];
};

static int
put_fd(void *arg, int stream, const char *buf, size_t len)
{
	struct out_fds *o = arg;

	fd_write_all(o->fd[stream], buf, len); /* a reader gone is no reason to stop */
	return 0;
}

int
rpc_relay_caller(int sock, int in_fd, int out_fd, int err_fd, char *err, size_t errlen)
{
	struct out_fds fds = { { -1, out_fd, err_fd } };
	struct rpc_relay_out out = { put_fd, &fds };

	return rpc_relay_caller_to(sock, in_fd, &out, err, errlen);
}

/* The caller never blocks on the socket: it always drains the service's
 * output while its own input waits in a pending frame (no deadlock when both
 * directions are full). Input from a pipe (bulkhead-copy's stream) is not
 * read at all: the frame's header says how much the pipe holds and splice()
 * moves those bytes to the socket without a copy through this process. */
int
rpc_relay_caller_to(int sock, int in_fd, const struct rpc_relay_out *out, char *err,
    size_t errlen)
{
	size_t frame_max = sizeof(struct rpc_data_hdr) + RPC_DATA_MAX;
	char *wbuf = malloc(frame_max), *rbuf = malloc(frame_max);
	size_t wlen = 0, woff = 0, rlen = 0, splice_left = 0;
	bool in_open = in_fd >= 0, in_pipe = in_open && is_pipe(in_fd);
	int code = -1, flags = fcntl(sock, F_GETFL);

	if (wbuf == NULL || rbuf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	fcntl(sock, F_SETFL, flags | O_NONBLOCK);
	if (in_pipe)
		(void)fcntl(in_fd, F_SETPIPE_SZ, 1 << 20); /* fewer, bigger frames */
	for (;;) {
		bool sending = wlen > 0 || splice_left > 0;
		struct pollfd p[2] = { { sock, POLLIN, 0 }, { in_open && !sending ? in_fd : -1, POLLIN, 0 } };
		if (sending)
			p[0].events |= POLLOUT;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			size_t avail = in_pipe ? queued(in_fd) : 0;
			struct rpc_data_hdr h;
			ssize_t n = 0;
			if (avail > 0) {
				splice_left = avail < RPC_DATA_MAX ? avail : RPC_DATA_MAX;
				n = (ssize_t)splice_left;
			} else {
				n = read(in_fd, wbuf + sizeof(struct rpc_data_hdr), RPC_DATA_MAX);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0) {
					in_open = false; /* EOF (or error): tell the service */
					n = 0;
				}
			}
			h.type = htole32(RPC_DATA_STDIN);
			h.len = htole32((uint32_t)n);
			memcpy(wbuf, &h, sizeof(h));
			wlen = sizeof(h) + (splice_left > 0 ? 0 : (size_t)n);
			woff = 0;
		}
		if (wlen > 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP) || p[1].revents)) {
			ssize_t n = send(sock, wbuf + woff, wlen, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				woff += (size_t)n;
				wlen -= (size_t)n;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				wlen = splice_left = 0; /* the service stopped reading: its output still counts */
				in_open = false;
			}
		}
		if (wlen == 0 && splice_left > 0 &&
		    (p[0].revents & (POLLOUT | POLLERR | POLLHUP) || p[1].revents)) {
			ssize_t n = splice(in_fd, NULL, sock, NULL, splice_left,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				splice_left -= (size_t)n;
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				/* The pipe cannot lose what it said it held: the socket broke. */
				splice_left = 0;
				in_open = false;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(sock, rbuf + rlen, frame_max - rlen);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				snprintf(err, errlen, "%s", n == 0 ? "the service ended without an exit code" :
				    strerror(errno));
				break;
			}
			rlen += (size_t)n;
			/* Every complete frame in rbuf. */
			for (;;) {
				uint32_t type, len;
				if (rlen < sizeof(struct rpc_data_hdr))
					break;
				if (rpc_data_hdr_check(rbuf, &type, &len) < 0 || type == RPC_DATA_STDIN) {
					snprintf(err, errlen, "malformed data from the service");
					goto out;
				}
				if (rlen < sizeof(struct rpc_data_hdr) + len)
					break;
				if (type == RPC_DATA_EXIT) {
					uint32_t v;
					memcpy(&v, rbuf + sizeof(struct rpc_data_hdr), 4);
					code = (int)(le32toh(v) & 0xff);
					goto out;
				}
				if (len > 0 && out->put(out->arg, type == RPC_DATA_STDOUT ? 1 : 2,
				    rbuf + sizeof(struct rpc_data_hdr), len) < 0) {
					snprintf(err, errlen, "the output was not taken");
					goto out;
				}
				rlen -= sizeof(struct rpc_data_hdr) + len;
				memmove(rbuf, rbuf + sizeof(struct rpc_data_hdr) + len, rlen);
			}
		}
	}
out:
	free(wbuf);
	free(rbuf);
	return code;
}

/* Moves up to *left bytes of the current STDIN frame from sock to the
 * child's stdin pipe with splice() (no copy through this process), or throws
 * them away once the child closed its stdin. false: the stream broke. */
static bool
pass_input(int sock, int *child_in, size_t *left, char *buf, bool *pipe_full)
{
	ssize_t n;

	if (*child_in < 0) {
		n = read(sock, buf, *left < RPC_DATA_MAX ? *left : RPC_DATA_MAX);
		if (n <= 0)
			return n < 0 && errno == EINTR;
		*left -= (size_t)n;
		return true;
	}
	n = splice(sock, NULL, *child_in, NULL, *left, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		*left -= (size_t)n;
		*pipe_full = false;
		return true;
	}
	if (n == 0)
		return false; /* the caller went away mid-frame */
	if (errno == EAGAIN) {
		/* Either side may be why; data waiting in the socket means the pipe. */
		*pipe_full = queued(sock) > 0;
		return true;
	}
	if (errno == EINTR)
		return true;
	if (errno == EPIPE) {
		close(*child_in); /* the child closed its stdin: drain the rest */
		*child_in = -1;
		return true;
	}
	return false;
}

/* A command writing small pieces (4 KiB is common) would cost a frame, and
 * every wake-up down the line, per piece: while a pipe holds little, wait a
 * moment for more, a few times at most, so a stream goes out in frames of
 * up to COALESCE_BYTES and interactive output is late by a few ms at worst. */
#define COALESCE_BYTES (64 * 1024)
#define COALESCE_WAIT_US 1000
#define COALESCE_TRIES 4

/* One frame of what the child wrote to fd: spliced from the pipe to the
 * socket when the pipe says how much it holds, read and sent otherwise.
 * Returns 0 at EOF; *sent < 0 when the socket broke. */
static int
send_output(int sock, uint32_t type, int fd, char *buf, ssize_t *sent)
{
	size_t avail = queued(fd), more;
	ssize_t n;

	*sent = 0;
	for (int i = 0; avail > 0 && avail < COALESCE_BYTES && i < COALESCE_TRIES; i++) {
		usleep(COALESCE_WAIT_US);
		if ((more = queued(fd)) == avail)
			break; /* nothing more yet: send what there is */
		avail = more;
	}
	if (avail > 0) {
		struct rpc_data_hdr h = { htole32(type), 0 };
		size_t left = avail < RPC_DATA_MAX ? avail : RPC_DATA_MAX;

		*sent = (ssize_t)left;
		h.len = htole32((uint32_t)left);
		if (fd_write_all(sock, &h, sizeof(h)) < 0) {
			*sent = -1;
			return 1;
		}
		while (left > 0) {
			n = splice(fd, NULL, sock, NULL, left, SPLICE_F_MOVE);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				*sent = -1;
				return 1;
			}
			left -= (size_t)n;
		}
		return 1;
	}
	do
		n = read(fd, buf, RPC_DATA_MAX);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 1; /* nothing after all */
	if (n <= 0)
		return 0;
	if (rpc_data_send(sock, type, buf, (size_t)n) < 0)
		*sent = -1;
	return 1;
}

int
rpc_relay_service(int sock, pid_t child, int child_in, int child_out, int child_err)
{
	/* Input is moved only when the child's stdin has room: we never block
	 * on its stdin while its stdout is full (no deadlock with "cat"). */
	char *buf = malloc(RPC_DATA_MAX);
	struct pollfd p[4] = { { sock, POLLIN, 0 }, { child_out, POLLIN, 0 },
		{ child_err, POLLIN, 0 }, { child_in, 0, 0 } };
	size_t in_left = 0;
	bool pipe_full = false;
	int status = 0, open_outputs = 2;
	uint32_t code;

	if (buf == NULL)
		goto out;
	signal(SIGPIPE, SIG_IGN);
	fcntl(child_in, F_SETFL, O_NONBLOCK);
	fcntl(child_out, F_SETFL, O_NONBLOCK);
	fcntl(child_err, F_SETFL, O_NONBLOCK);
	while (open_outputs > 0) {
		bool wait_pipe = in_left > 0 && pipe_full && child_in >= 0;

		p[0].events = wait_pipe ? 0 : POLLIN;
		p[3].fd = wait_pipe ? child_in : -1;
		p[3].events = POLLOUT;
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 1; i <= 2; i++) {
			ssize_t n;
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (send_output(sock, i == 1 ? RPC_DATA_STDOUT : RPC_DATA_STDERR, p[i].fd, buf,
			    &n) == 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_outputs--;
				continue;
			}
			if (n < 0) {
				/* The caller is gone: nobody reads the rest. */
				kill(child, SIGKILL);
				goto out;
			}
		}
		if (in_left > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR) || p[3].revents)) {
			if (!pass_input(sock, &child_in, &in_left, buf, &pipe_full)) {
				kill(child, SIGKILL);
				in_left = 0;
				p[0].fd = -1;
			}
		} else if (p[0].fd >= 0 && in_left == 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			char untrusted_hdr[sizeof(struct rpc_data_hdr)];
			uint32_t type, len;
			int r = read_full(sock, untrusted_hdr, sizeof(untrusted_hdr));
			if (r == 1 && rpc_data_hdr_check(untrusted_hdr, &type, &len) < 0)
				r = -1;
			if (r <= 0 || type != RPC_DATA_STDIN || len == 0) {
				/* EOF of the caller's input, or garbage: no more input. */
				if (child_in >= 0)
					close(child_in);
				child_in = -1;
				p[0].fd = -1;
				if (r < 0)
					kill(child, SIGKILL);
			} else {
				in_left = len;
			}
		}
	}
out:
	if (child_in >= 0)
		close(child_in);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	code = htole32(WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status) :
	    128 + (uint32_t)WTERMSIG(status));
	rpc_data_send(sock, RPC_DATA_EXIT, &code, 4);
	free(buf);
	return 0;
}
