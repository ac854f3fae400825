/*
 * Small pieces shared by the benchmark helpers in tests/bench: a
 * monotonic clock, an admin-socket client that reads whole reply lines,
 * and the median / p90 of a sample. Header-only so that each helper is
 * one gcc command: gcc -D_GNU_SOURCE tests/bench/X.c -ljson-c.
 */
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bench_util.h"

/* ---- admin socket client: one JSON object per line each way ---- */

struct conn {
	int fd;
	char *buf;
	size_t len, cap, consumed;	/* consumed: the line handed out last */
	size_t scanned;			/* bytes known to hold no '\n' */
};

static void
conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect %s: %s", path, strerror(errno));
	c->cap = 65536;
	c->buf = malloc(c->cap);
	if (c->buf == NULL)
		die("out of memory");
	c->len = c->consumed = c->scanned = 0;
}

static void
conn_send(struct conn *c, const char *line)
{
	size_t n = strlen(line), off = 0;

	while (off < n) {
		ssize_t w = write(c->fd, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			die("write to domd: %s", strerror(errno));
		off += (size_t)w;
	}
}

/* Next line (without '\n'), valid until the next call; dies on EOF or
 * after timeout_ms without a whole line. */
static char *
conn_line(struct conn *c, int timeout_ms)
{
	double deadline = now_ms() + timeout_ms;

	if (c->consumed) {
		memmove(c->buf, c->buf + c->consumed, c->len - c->consumed);
		c->len -= c->consumed;
		c->consumed = c->scanned = 0;
	}
	for (;;) {
		char *nl = memchr(c->buf + c->scanned, '\n', c->len - c->scanned);
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		double left;
		ssize_t r;

		if (nl != NULL) {
			*nl = '\0';
			c->consumed = (size_t)(nl - c->buf) + 1;
			return c->buf;
		}
		c->scanned = c->len;
		left = deadline - now_ms();
		if (left <= 0)
			die("no reply from domd within %d ms", timeout_ms);
		if (poll(&pfd, 1, (int)left + 1) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (c->len + 4096 > c->cap) {
			c->cap *= 2;
			c->buf = realloc(c->buf, c->cap);
			if (c->buf == NULL)
				die("out of memory");
		}
		r = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			die("read from domd: %s", strerror(errno));
		if (r == 0)
			die("domd closed the connection");
		c->len += (size_t)r;
	}
}

/* Parses a reply; dies unless it is {"ok":true,...}. Returns the parsed
 * object (caller puts it) and sets *result to its "result". */
static json_object *
reply_ok(const char *line, const char *what, json_object **result)
{
	json_object *o = json_tokener_parse(line), *ok, *err;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		die("%s: reply is not a JSON object: %.200s", what, line);
	if (!json_object_object_get_ex(o, "ok", &ok) || !json_object_get_boolean(ok)) {
		if (json_object_object_get_ex(o, "error", &err))
			die("%s: domd said %s", what, json_object_to_json_string(err));
		die("%s: unexpected reply %.200s", what, line);
	}
	if (result != NULL && !json_object_object_get_ex(o, "result", result))
		*result = NULL;
	return o;
}

static const char *
json_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/* ---- statistics ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	double median, p90, min, max;
};

/* Sorts v in place. p90 is the nearest-rank 90th percentile. */
static struct stats
stats_of(double *v, int n)
{
	struct stats s;
	int r = (9 * n + 9) / 10;	/* ceil(0.9 n) */

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.p90 = v[(r < 1 ? 1 : r) - 1];
	s.min = v[0];
	s.max = v[n - 1];
	return s;
}

#endif
