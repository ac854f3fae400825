/* A qube's output on its way to our terminal or into a buffer
 * (run_output.h). */
#include "run_output.h"

#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "xalloc.h"

#define FILTER_CHUNK 4096 /* input bytes filtered at a time */

/* Whether the operator's locale (LC_ALL, LC_CTYPE, LANG) is UTF-8, asked
 * without switching ours: the checks of qube data use <ctype.h> in the C
 * locale. When it cannot be told, the stricter 8-bit filter. */
static bool
locale_utf8(void)
{
	locale_t loc = newlocale(LC_CTYPE_MASK, "", (locale_t)0);
	bool utf8;

	if (loc == (locale_t)0)
		return false;
	utf8 = strcmp(nl_langinfo_l(CODESET, loc), "UTF-8") == 0;
	freelocale(loc);
	return utf8;
}

static int
put(void *arg, int stream, const char *buf, size_t len)
{
	struct run_output *o = arg;
	char out[TERMFILTER_OUT_MAX(FILTER_CHUNK)];

	if (o->fd[stream] < 0) {
		if (len > o->max - o->len) {
			o->overflow = true;
			return -1;
		}
		memcpy(o->buf + o->len, buf, len);
		o->len += len;
		o->buf[o->len] = '\0';
		return 0;
	}
	/* Write errors are ignored: a reader gone is no reason to stop. */
	if (!o->filter[stream]) {
		fd_write_all(o->fd[stream], buf, len);
		return 0;
	}
	for (size_t off = 0; off < len; off += FILTER_CHUNK) {
		size_t n = len - off < FILTER_CHUNK ? len - off : FILTER_CHUNK;

		fd_write_all(o->fd[stream], out, termfilter_feed(&o->tf[stream], buf + off, n, out));
	}
	return 0;
}

void
run_output_fds(struct run_output *o, int out_fd, int err_fd, enum run_filter filter)
{
	bool utf8;

	memset(o, 0, sizeof(*o));
	o->relay.put = put;
	o->relay.arg = o;
	o->fd[0] = -1;
	o->fd[1] = out_fd;
	o->fd[2] = err_fd;
	for (int i = 1; i <= 2; i++)
		o->filter[i] = filter == RUN_FILTER_ON ||
		    (filter == RUN_FILTER_AUTO && o->fd[i] >= 0 && isatty(o->fd[i]));
	utf8 = (o->filter[1] || o->filter[2]) && locale_utf8();
	termfilter_init(&o->tf[1], utf8);
	termfilter_init(&o->tf[2], utf8);
}

void
run_output_capture(struct run_output *o, size_t max)
{
	run_output_fds(o, -1, 2, RUN_FILTER_AUTO);
	o->max = max;
	o->buf = xmalloc(max + 1);
	o->buf[0] = '\0';
}

void
run_output_end(struct run_output *o)
{
	char c;

	for (int i = 1; i <= 2; i++)
		if (o->filter[i] && termfilter_end(&o->tf[i], &c) > 0)
			fd_write_all(o->fd[i], &c, 1);
}

void
run_output_free(struct run_output *o)
{
	free(o->buf);
	o->buf = NULL;
}
