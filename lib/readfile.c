#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

int
read_text_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Reads a whole regular file of at most max bytes (+1 to tell it is larger)
 * into a NUL-terminated buffer. NULL with why filled. */
char *
read_file_alloc(const char *path, size_t max, size_t *lenp, char *why, size_t whylen)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int fd;

	/* O_NONBLOCK: a FIFO must not hang us; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, whylen, "cannot read: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto fail;
	}
	data = xmalloc(max + 2);
	for (;;) {
		ssize_t r = read(fd, data + len, max + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, whylen, "cannot read: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max)
			break;
	}
	close(fd);
	data[len] = '\0';
	*lenp = len;
	return data;
fail:
	if (fd >= 0)
		close(fd);
	free(data);
	return NULL;
}
