#include "linebuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xalloc.h"

void
linebuf_init(struct linebuf *lb, size_t max)
{
	memset(lb, 0, sizeof(*lb));
	lb->max = max;
}

void
linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	memset(lb, 0, sizeof(*lb));
}

static ssize_t
fill(struct linebuf *lb, int fd, int *fds, int *nfds, int maxfds)
{
	ssize_t n;

	if (lb->start > 0) {
		memmove(lb->buf, lb->buf + lb->start, lb->len - lb->start);
		lb->len -= lb->start;
		lb->start = 0;
	}
	if (lb->cap - lb->len < 4096) {
		/* The bound keeps a peer from growing us past max + one read. */
		size_t ncap = lb->cap ? lb->cap * 2 : 8192;
		if (ncap > lb->max + 65536)
			ncap = lb->max + 65536;
		if (ncap <= lb->len) {
			errno = EMSGSIZE;
			return -1;
		}
		lb->buf = xrealloc(lb->buf, ncap);
		lb->cap = ncap;
	}
	do {
		if (fds == NULL)
			n = read(fd, lb->buf + lb->len, lb->cap - lb->len - 1);
		else {
			char cbuf[CMSG_SPACE(sizeof(int) * 8)];
			struct iovec iov = { lb->buf + lb->len, lb->cap - lb->len - 1 };
			struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				.msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
			n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); n >= 0 && c;
			    c = CMSG_NXTHDR(&msg, c)) {
				if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
					continue;
				for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
					int pfd;
					memcpy(&pfd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
					if (*nfds < maxfds)
						fds[(*nfds)++] = pfd;
					else
						close(pfd);
				}
			}
		}
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		lb->len += (size_t)n;
	return n;
}

ssize_t
linebuf_fill(struct linebuf *lb, int fd)
{
	return fill(lb, fd, NULL, NULL, 0);
}

ssize_t
linebuf_fill_fds(struct linebuf *lb, int sock, int *fds, int *nfds, int maxfds)
{
	return fill(lb, sock, fds, nfds, maxfds);
}

int
linebuf_next(struct linebuf *lb, char **line)
{
	char *s, *nl;
	size_t avail = lb->len - lb->start;

	if (avail == 0)
		return 0; /* also before the first fill, while buf is NULL */
	s = lb->buf + lb->start;
	nl = memchr(s, '\n', avail);
	if (nl == NULL)
		return avail > lb->max ? -1 : 0;
	if ((size_t)(nl - s) > lb->max)
		return -1;
	*nl = '\0';
	lb->start += (size_t)(nl - s) + 1;
	*line = s;
	return 1;
}

size_t
linebuf_pending(const struct linebuf *lb)
{
	return lb->len - lb->start;
}
