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
#include <sys/socket.h>
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

/* Reads one frame; its payload goes to buf (RPC_DATA_MAX bytes). 1, 0 on
 * EOF before a frame, -1 on a broken or malformed stream. */
static int
read_frame(int sock, uint32_t *type, uint32_t *len, char *buf)
{
	char untrusted_hdr[sizeof(struct rpc_data_hdr)];
	int r = read_full(sock, untrusted_hdr, sizeof(untrusted_hdr));

	if (r <= 0)
		return r;
	if (rpc_data_hdr_check(untrusted_hdr, type, len) < 0)
		return -1;
	if (*len > 0 && read_full(sock, buf, *len) != 1)
		return -1;
	return 1;
}

/* The caller never blocks on the socket: it always drains the service's
 * output while its own input waits in a pending frame (no deadlock when both
 * directions are full). */
int
rpc_relay_caller(int sock, int in_fd, int out_fd, int err_fd, char *err, size_t errlen)
{
	size_t frame_max = sizeof(struct rpc_data_hdr) + RPC_DATA_MAX;
	char *wbuf = malloc(frame_max), *rbuf = malloc(frame_max);
	size_t wlen = 0, woff = 0, rlen = 0;
	bool in_open = in_fd >= 0;
	int code = -1, flags = fcntl(sock, F_GETFL);

	if (wbuf == NULL || rbuf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	fcntl(sock, F_SETFL, flags | O_NONBLOCK);
	for (;;) {
		struct pollfd p[2] = { { sock, POLLIN, 0 }, { in_open && wlen == 0 ? in_fd : -1, POLLIN, 0 } };
		if (wlen > 0)
			p[0].events |= POLLOUT;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(in_fd, wbuf + sizeof(struct rpc_data_hdr), RPC_DATA_MAX);
			struct rpc_data_hdr h;
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				in_open = false; /* EOF (or error): tell the service */
				n = 0;
			}
			h.type = htole32(RPC_DATA_STDIN);
			h.len = htole32((uint32_t)n);
			memcpy(wbuf, &h, sizeof(h));
			wlen = sizeof(h) + (size_t)n;
			woff = 0;
		}
		if (wlen > 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP) || p[1].revents)) {
			ssize_t n = send(sock, wbuf + woff, wlen, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				woff += (size_t)n;
				wlen -= (size_t)n;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				wlen = 0; /* the service stopped reading: its output still counts */
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
				if (len > 0)
					fd_write_all(type == RPC_DATA_STDOUT ? out_fd : err_fd,
					    rbuf + sizeof(struct rpc_data_hdr), len);
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

/* A command writing small pieces (4 KiB is common) would cost a frame, and
 * every wake-up down the line, per piece: a short read waits a moment for
 * more, a few times at most, so a stream goes out in frames of up to
 * COALESCE_BYTES and interactive output is late by a few ms at worst. */
#define COALESCE_BYTES (64 * 1024)
#define COALESCE_WAIT_US 1000
#define COALESCE_TRIES 4

static ssize_t
read_coalesced(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size), m;

	for (int i = 0; n > 0 && (size_t)n < COALESCE_BYTES && i < COALESCE_TRIES; i++) {
		usleep(COALESCE_WAIT_US);
		m = read(fd, buf + n, size - (size_t)n);
		if (m <= 0)
			break; /* nothing more yet (EAGAIN), or the end: next round */
		n += m;
	}
	return n;
}

int
rpc_relay_service(int sock, pid_t child, int child_in, int child_out, int child_err)
{
	/* Input waits in pend while the child is busy writing: we never block
	 * on its stdin while its stdout is full (no deadlock with "cat"). */
	char *buf = malloc(RPC_DATA_MAX), *pend = malloc(RPC_DATA_MAX);
	struct pollfd p[4] = { { sock, POLLIN, 0 }, { child_out, POLLIN, 0 },
		{ child_err, POLLIN, 0 }, { child_in, 0, 0 } };
	size_t pend_len = 0, pend_off = 0;
	int status = 0, open_outputs = 2;
	uint32_t code;

	if (buf == NULL || pend == NULL)
		goto out;
	signal(SIGPIPE, SIG_IGN);
	fcntl(child_in, F_SETFL, O_NONBLOCK);
	fcntl(child_out, F_SETFL, O_NONBLOCK);
	fcntl(child_err, F_SETFL, O_NONBLOCK);
	while (open_outputs > 0) {
		p[0].events = pend_len == 0 ? POLLIN : 0;
		p[3].fd = child_in;
		p[3].events = pend_len > 0 ? POLLOUT : 0;
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 1; i <= 2; i++) {
			ssize_t n;
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read_coalesced(p[i].fd, buf, RPC_DATA_MAX);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_outputs--;
				continue;
			}
			if (rpc_data_send(sock, i == 1 ? RPC_DATA_STDOUT : RPC_DATA_STDERR, buf,
			    (size_t)n) < 0) {
				/* The caller is gone: nobody reads the rest. */
				kill(child, SIGKILL);
				goto out;
			}
		}
		if (child_in >= 0 && pend_len > 0 && (p[3].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(child_in, pend + pend_off, pend_len);
			if (n > 0) {
				pend_off += (size_t)n;
				pend_len -= (size_t)n;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				close(child_in); /* the child closed its stdin */
				child_in = -1;
				pend_len = 0;
			}
		}
		if (p[0].fd >= 0 && pend_len == 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			uint32_t type, len;
			int r = read_frame(sock, &type, &len, pend);
			if (r <= 0 || type != RPC_DATA_STDIN || len == 0) {
				/* EOF of the caller's input, or garbage: no more input. */
				if (child_in >= 0)
					close(child_in);
				child_in = -1;
				p[0].fd = -1;
				if (r < 0)
					kill(child, SIGKILL);
			} else if (child_in >= 0) {
				pend_len = len;
				pend_off = 0;
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
	free(pend);
	return 0;
}
