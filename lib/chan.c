#include "chan.h"
#include "fdio.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <libxenvchan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct chan {
	enum chan_kind kind;
	int fd;                      /* unix */
	struct libxenvchan *vchan;   /* vchan */
	int listening;
};

static struct chan *
chan_new(enum chan_kind kind)
{
	struct chan *c = calloc(1, sizeof(*c));

	if (c != NULL) {
		c->kind = kind;
		c->fd = -1;
	}
	return c;
}

static int
unix_addr(const char *port, struct sockaddr_un *sun, char *err, size_t errlen)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(port) >= sizeof(sun->sun_path)) {
		snprintf(err, errlen, "channel path too long: %s", port);
		return -1;
	}
	strcpy(sun->sun_path, port);
	return 0;
}

struct chan *
chan_listen(enum chan_kind kind, int domid, const char *port, char *err, size_t errlen)
{
	/* 64 KiB each way: large enough for a full data frame. */
	return chan_listen_sized(kind, domid, port, 65536, err, errlen);
}

struct chan *
chan_listen_sized(enum chan_kind kind, int domid, const char *port, size_t ring, char *err,
    size_t errlen)
{
	struct chan *c = chan_new(kind);
	struct sockaddr_un sun;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (kind == CHAN_VCHAN) {
		c->vchan = libxenvchan_server_init(NULL, domid, port, ring, ring);
		if (c->vchan == NULL) {
			snprintf(err, errlen, "cannot set up a vchan to domain %d at %s: %s "
			    "(is this a Xen domain with gntdev and evtchn?)", domid, port,
			    strerror(errno));
			free(c);
			return NULL;
		}
		/* libxenvchan starts non-blocking (a read may return 0); the
		 * channel API promises blocking byte streams on both transports. */
		c->vchan->blocking = 1;
		return c;
	}
	if (unix_addr(port, &sun, err, errlen) < 0)
		goto fail;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(port);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(c->fd, 16) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", port, strerror(errno));
		goto fail;
	}
	c->listening = 1;
	return c;
fail:
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return NULL;
}

struct chan *
chan_accept(struct chan *l, char *err, size_t errlen)
{
	struct chan *c;
	int fd;

	if (l->kind != CHAN_UNIX || !l->listening) {
		snprintf(err, errlen, "not a listening unix channel");
		return NULL;
	}
	fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "accept: %s", strerror(errno));
		return NULL;
	}
	if ((c = chan_new(CHAN_UNIX)) == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = fd;
	return c;
}

struct chan *
chan_connect(enum chan_kind kind, int domid, const char *port, char *err, size_t errlen)
{
	struct chan *c = chan_new(kind);
	struct sockaddr_un sun;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (kind == CHAN_VCHAN) {
		c->vchan = libxenvchan_client_init(NULL, domid, port);
		if (c->vchan == NULL) {
			snprintf(err, errlen, "cannot connect a vchan to domain %d at %s: %s",
			    domid, port, strerror(errno));
			free(c);
			return NULL;
		}
		c->vchan->blocking = 1;
		return c;
	}
	if (unix_addr(port, &sun, err, errlen) < 0)
		goto fail;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", port, strerror(errno));
		goto fail;
	}
	return c;
fail:
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return NULL;
}

ssize_t
chan_read(struct chan *c, void *buf, size_t len)
{
	ssize_t n;

	if (c->kind == CHAN_UNIX) {
		do
			n = read(c->fd, buf, len);
		while (n < 0 && errno == EINTR);
		return n;
	}
	/* libxenvchan_read blocks until some data or the peer closed. */
	n = libxenvchan_read(c->vchan, buf, len);
	if (n < 0 && !libxenvchan_is_open(c->vchan))
		return 0;
	return n;
}

ssize_t
chan_write(struct chan *c, const void *buf, size_t len)
{
	ssize_t n;

	if (c->kind == CHAN_UNIX) {
		do
			n = write(c->fd, buf, len);
		while (n < 0 && errno == EINTR);
		return n;
	}
	return libxenvchan_write(c->vchan, buf, len);
}

int
chan_pollfd(const struct chan *c)
{
	return c->kind == CHAN_UNIX ? c->fd : libxenvchan_fd_for_select(c->vchan);
}

void
chan_close(struct chan *c)
{
	if (c == NULL)
		return;
	if (c->kind == CHAN_UNIX && c->fd >= 0)
		close(c->fd);
	if (c->kind == CHAN_VCHAN && c->vchan != NULL)
		libxenvchan_close(c->vchan);
	free(c);
}

void
chan_event(struct chan *c)
{
	if (c->kind == CHAN_VCHAN)
		libxenvchan_wait(c->vchan);
}

ssize_t
chan_read_ready(struct chan *c, void *buf, size_t len)
{
	ssize_t n;

	if (c->kind == CHAN_UNIX) {
		n = recv(c->fd, buf, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return n > 0 ? n : -1;
	}
	if (libxenvchan_data_ready(c->vchan) == 0) {
		if (libxenvchan_is_open(c->vchan))
			return 0;
		/* Closed, but maybe just after its last write (an EXIT frame):
		 * that is read first. The peer's index is written before it
		 * marks the ring closed. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (libxenvchan_data_ready(c->vchan) == 0)
			return -1;
	}
	c->vchan->blocking = 0;
	n = libxenvchan_read(c->vchan, buf, len);
	c->vchan->blocking = 1;
	return n;
}

int
chan_peer_seen(const struct chan *c)
{
	/* libxenvchan marks a server's ring "2" until the client maps it. */
	return c->kind != CHAN_VCHAN || libxenvchan_is_open(c->vchan) != 2;
}

int
chan_splice(struct chan *c, int fd, int wait_s)
{
	static char buf[256 * 1024];
	int waited_ms = 0;
	bool fd_reads = true;

	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { chan_pollfd(c), POLLIN, 0 } };
		ssize_t n;

		/* Drain c first: a blocking chan_write may have eaten its event.
		 * A local end that stopped reading (a call's service that ended
		 * before its input's EOF came) may still have sent its last
		 * words (the exit code): those go on, what comes for it is
		 * dropped. */
		while ((n = chan_read_ready(c, buf, sizeof(buf))) > 0)
			if (fd_reads && fd_write_all(fd, buf, (size_t)n) < 0) {
				if (errno != EPIPE && errno != ECONNRESET)
					return -1;
				fd_reads = false;
			}
		if (n < 0)
			return 0;
		if (poll(p, 2, chan_peer_seen(c) ? -1 : 500) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!chan_peer_seen(c) && (waited_ms += 500) >= wait_s * 1000 &&
		    p[0].revents == 0 && p[1].revents == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (p[1].revents)
			chan_event(c);
		if (p[0].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n == 0 ? 0 : -1;
			if (chan_write(c, buf, (size_t)n) != n)
				return -1;
		}
	}
}
