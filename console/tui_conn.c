/* The console's connections to domd. Requests are sent at once; replies are
 * read when poll() says so and handed to the callback given with the request
 * (replies on one connection come in request order). A connection is freed
 * only between turns of the main loop (tui_conns_reap), so a callback may
 * close or use any connection, its own included. */
#include "tui.h"
#include "remote.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "tui_conn.h"
#include "xalloc.h"

struct pending {
	int64_t id;
	tui_reply_fn fn;
	void *arg;
};

struct tui_conn {
	struct client *c;
	char purpose[32];
	struct pending *q;   /* q[head..n) are waiting */
	size_t head, n, cap;
	int close_when_idle;
	int dead;            /* closed: freed by tui_conns_reap */
	struct tui_conn *next;
};

const char *
tui_socket_path(struct tui *t)
{
	return remote_admin_path(t->opts.socket_path);
}

struct tui_conn *
tui_conn_open(struct tui *t, const char *purpose, int close_when_idle)
{
	struct tui_conn *c;
	struct client *cl;
	const char *path = tui_socket_path(t);

	if ((cl = client_open(path)) == NULL) {
		model_error(&t->m, "cannot connect to %s: %s%s", path, strerror(errno),
		    errno == ENOENT || errno == ECONNREFUSED ?
		    " (is bulkhead-domd running?)" : "");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->c = cl;
	snprintf(c->purpose, sizeof(c->purpose), "%s", purpose);
	c->close_when_idle = close_when_idle;
	c->next = t->conns;
	t->conns = c;
	return c;
}

static void
fail_pending(struct tui *t, struct tui_conn *c, const char *why)
{
	struct client_error err;
	struct pending p;

	while (c->head < c->n) {
		p = c->q[c->head++];
		if (p.fn == NULL)
			continue;
		err.code = xstrdup("unreachable");
		err.message = xstrdup(why);
		p.fn(t, p.arg, CLIENT_LOST, NULL, &err);
		client_error_free(&err);
	}
	c->head = c->n = 0;
}

void
tui_conn_close(struct tui *t, struct tui_conn *c)
{
	if (c == NULL || c->dead)
		return;
	c->dead = 1;
	if (t->events == c)
		t->events = NULL;
	if (t->query == c)
		t->query = NULL;
	fail_pending(t, c, "the connection to domd was closed");
}

void
tui_conns_reap(struct tui *t)
{
	struct tui_conn **pp = &t->conns, *c;

	while ((c = *pp) != NULL) {
		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		client_close(c->c);
		free(c->q);
		free(c);
	}
}

void
tui_conns_free(struct tui *t)
{
	struct tui_conn *c;

	for (c = t->conns; c != NULL; c = c->next)
		tui_conn_close(t, c);
	tui_conns_reap(t);
}

size_t
tui_conn_pending(const struct tui_conn *c)
{
	return c->n - c->head;
}

int
tui_conn_fd(const struct tui_conn *c)
{
	return c->dead ? -1 : client_fd(c->c);
}

struct tui_conn *
tui_conn_first(struct tui *t)
{
	return t->conns;
}

struct tui_conn *
tui_conn_next(struct tui_conn *c)
{
	return c->next;
}

/* The connection is gone: every waiting callback hears so. */
static void
lost(struct tui *t, struct tui_conn *c, const char *why)
{
	int main_conn = c == t->events || c == t->query;

	log_debug("%s: %s: %s", __func__, c->purpose, why);
	tui_conn_close(t, c);
	if (main_conn)
		tui_connection_lost(t, why);
}

int
tui_conn_request(struct tui *t, struct tui_conn *c, const char *method, const char *vm,
    json_object *args, tui_reply_fn fn, void *arg)
{
	struct client_error err;
	int64_t id;

	if (c == NULL || c->dead) {
		json_object_put(args);
		if (fn != NULL) {
			err.code = xstrdup("unreachable");
			err.message = xstrdup("not connected to domd");
			fn(t, arg, CLIENT_LOST, NULL, &err);
			client_error_free(&err);
		}
		return -1;
	}
	if ((id = client_send(c->c, method, vm, args)) == -1) {
		if (fn != NULL) {
			err.code = xstrdup("unreachable");
			err.message = xasprintf("writing to domd: %s", strerror(errno));
			fn(t, arg, CLIENT_LOST, NULL, &err);
			client_error_free(&err);
		}
		lost(t, c, "writing to domd failed");
		return -1;
	}
	if (c->head > 0 && c->head == c->n)
		c->head = c->n = 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->q = xrealloc(c->q, c->cap * sizeof(*c->q));
	}
	c->q[c->n].id = id;
	c->q[c->n].fn = fn;
	c->q[c->n].arg = arg;
	c->n++;
	return 0;
}

static void
dispatch(struct tui *t, struct tui_conn *c, const char *line)
{
	struct client_error err;
	enum client_status st;
	json_object *event, *result;
	struct pending p;
	int64_t id;

	st = client_parse_line(line, &event, &id, &result, &err);
	if (st == CLIENT_EVENT) {
		tui_on_event(t, event);
		json_object_put(event);
		return;
	}
	if (st == CLIENT_BADREPLY) {
		lost(t, c, err.message);
		client_error_free(&err);
		return;
	}
	if (c->head == c->n || (id != -1 && id != c->q[c->head].id)) {
		/* Replies come in order: one for nothing we asked is a bug. */
		json_object_put(result);
		client_error_free(&err);
		lost(t, c, "domd replied to a request the console did not send");
		return;
	}
	p = c->q[c->head++];
	if (p.fn != NULL)
		p.fn(t, p.arg, st, result, &err);
	json_object_put(result);
	client_error_free(&err);
}

int
tui_conn_read(struct tui *t, struct tui_conn *c)
{
	ssize_t n;
	char *line;
	int r;

	if (c->dead)
		return -1;
	n = client_fill(c->c);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		lost(t, c, n == 0 ? "domd closed the connection" : strerror(errno));
		return -1;
	}
	while (!c->dead && (r = client_next_line(c->c, &line)) != 0) {
		if (r < 0) {
			lost(t, c, "domd sent a line that is too long");
			return -1;
		}
		dispatch(t, c, line);
	}
	if (c->dead)
		return -1;
	if (c->close_when_idle && c->head == c->n)
		tui_conn_close(t, c);
	return 0;
}

/* ---- one request per operator action ---- */

struct request {
	char what[32];
	char vm[TUI_NAME_MAX];
	tui_reply_fn fn;
	void *arg;
};

static void
request_done(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct request *r = arg;

	if (st == CLIENT_OK)
		model_info(&t->m, "%s%s%s: done", r->what, *r->vm ? " " : "", r->vm);
	else
		model_error(&t->m, "%s%s%s: %s", r->what, *r->vm ? " " : "", r->vm,
		    err->message);
	if (r->fn != NULL)
		r->fn(t, r->arg, st, result, err);
	free(r);
}

void
tui_request(struct tui *t, const char *what, const char *method, const char *vm,
    json_object *args, tui_reply_fn fn, void *arg)
{
	struct request *r = xcalloc(1, sizeof(*r));
	struct tui_conn *c;

	tui_safe_copy(r->what, sizeof(r->what), what);
	tui_safe_copy(r->vm, sizeof(r->vm), vm != NULL ? vm : "");
	r->fn = fn;
	r->arg = arg;
	model_info(&t->m, "%s%s%s...", r->what, *r->vm ? " " : "", r->vm);
	c = tui_conn_open(t, what, 1);
	tui_conn_request(t, c, method, vm, args, request_done, r);
}

void
tui_request_verb(struct tui *t, const struct cmd_entry *verb, const char *vm,
    json_object *args, tui_reply_fn fn, void *arg)
{
	tui_request(t, verb->name, verb->method, vm, args, fn, arg);
}

void
tui_query(struct tui *t, const char *method, const char *vm, json_object *args,
    tui_reply_fn fn, void *arg)
{
	tui_conn_request(t, t->query, method, vm, args, fn, arg);
}
