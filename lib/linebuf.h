/* Reassembles '\n'-terminated lines from a byte stream with a size bound. */
#ifndef BULKHEAD_LINEBUF_H
#define BULKHEAD_LINEBUF_H

#include <stddef.h>
#include <sys/types.h>

#define LINEBUF_MAX_DEFAULT (1024 * 1024)

struct linebuf {
	char *buf;
	size_t len;   /* bytes held */
	size_t start; /* start of the unconsumed part */
	size_t cap;
	size_t max;   /* longest acceptable line, without the '\n' */
};

void linebuf_init(struct linebuf *lb, size_t max);
void linebuf_free(struct linebuf *lb);
/* One read(2) into the buffer: >0 bytes read, 0 on EOF, -1 on error (errno). */
ssize_t linebuf_fill(struct linebuf *lb, int fd);
/* The same from a Unix socket, also taking descriptors passed with the
 * bytes: up to *nfds are stored in fds (the count is updated), the rest
 * are closed. */
ssize_t linebuf_fill_fds(struct linebuf *lb, int sock, int *fds, int *nfds, int maxfds);
/* Pops the next complete line, NUL-terminated without its '\n'; the pointer is
 * valid until the next call. 1: a line, 0: none yet, -1: a line exceeds max. */
int linebuf_next(struct linebuf *lb, char **line);
/* Bytes held that do not yet form a line. */
size_t linebuf_pending(const struct linebuf *lb);

#endif
