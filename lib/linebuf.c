#include "linebuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

ssize_t
linebuf_fill(struct linebuf *lb, int fd)
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
	do
		n = read(fd, lb->buf + lb->len, lb->cap - lb->len - 1);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		lb->len += (size_t)n;
	return n;
}

int
linebuf_next(struct linebuf *lb, char **line)
{
	char *s, *nl;
	size_t avail = lb->len - lb->start;

	s = lb->buf + lb->start;
	nl = avail ? memchr(s, '\n', avail) : NULL;
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
