/* The console's main loop: connections to domd, the snapshot/event
 * ordering, the stats timer, keys to views, and drawing when something
 * changed.
 *
 * Ordering. Events come on one connection, snapshots (vm.list, vm.get,
 * ask.list) on another, so an event may reach us before or after a snapshot
 * that already includes it. While a snapshot is in flight the events it
 * covers are held back, then replayed over it in order: a field then ends
 * with the value of its last event, which is its current value, or keeps the
 * snapshot's when no event touched it. */
#include "tui.h"

#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "tui_conn.h"
#include "xalloc.h"

#define STATS_INTERVAL_NS  2000000000LL
#define TICK_NS            1000000000LL
#define RECONNECT_NS       1000000000LL

/* ---- held-back events ---- */

static int
get_pending(struct tui *t, const char *name)
{
	int i;

	for (i = 0; i < t->nget_pending; i++)
		if (strcmp(t->get_pending[i], name) == 0)
			return 1;
	return 0;
}

static int
held(struct tui *t, json_object *ev)
{
	json_object *v = NULL;
	const char *kind, *vm;

	json_object_object_get_ex(ev, "event", &v);
	kind = json_object_get_string(v);
	if (kind != NULL && strncmp(kind, "ask", 3) == 0)
		return t->asks_pending;
	if (t->list_pending)
		return 1;
	v = NULL;
	json_object_object_get_ex(ev, "vm", &v);
	vm = json_object_get_string(v);
	return vm != NULL && get_pending(t, vm);
}

static void
apply_event(struct tui *t, json_object *ev)
{
	struct tui_qube *q;
	struct tui_ask *a;
	char vm[TUI_NAME_MAX];
	int fx;

	fx = model_apply_event(&t->m, ev, vm, sizeof(vm));
	if (fx & MODEL_NEED_GET)
		tui_fetch_qube(t, vm);
	if ((fx & MODEL_NEED_STATS) && (q = model_find(&t->m, vm)) != NULL)
		tui_fetch_stats(t, q);
	if ((fx & MODEL_NEW_ASK) && t->m.nasks > 0) {
		a = &t->m.asks[t->m.nasks - 1];
		if (a->is_new && !t->opts.kiosk) {
			model_info(&t->m, "ask #%lld: %s from %s to %s: press a for the ask queue",
			    (long long)a->id, a->service, a->source,
			    *a->target ? a->target : a->default_target);
			beep();
		}
	}
}

void
tui_on_event(struct tui *t, json_object *ev)
{
	if (held(t, ev))
		json_object_array_add(t->stash, json_object_get(ev));
	else
		apply_event(t, ev);
}

/* After a snapshot: apply the held events no snapshot covers any more. */
static void
replay(struct tui *t)
{
	json_object *keep = json_object_new_array(), *ev;
	size_t i, n = json_object_array_length(t->stash);

	for (i = 0; i < n; i++) {
		ev = json_object_array_get_idx(t->stash, i);
		if (held(t, ev))
			json_object_array_add(keep, json_object_get(ev));
		else
			apply_event(t, ev);
	}
	json_object_put(t->stash);
	t->stash = keep;
}

static void
drop_get_pending(struct tui *t, const char *name)
{
	int i;

	for (i = 0; i < t->nget_pending; i++) {
		if (strcmp(t->get_pending[i], name) != 0)
			continue;
		free(t->get_pending[i]);
		t->get_pending[i] = t->get_pending[--t->nget_pending];
		return;
	}
}

/* ---- snapshots ---- */

static void
got_qube(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	char *name = arg;

	drop_get_pending(t, name);
	if (st == CLIENT_OK) {
		struct tui_qube *q = model_put(&t->m, result);
		if (q != NULL && model_running(q))
			tui_fetch_stats(t, q);
	} else if (st == CLIENT_REFUSED && strcmp(err->code, "no-such-vm") == 0)
		model_remove(&t->m, name);
	replay(t);
	free(name);
}

void
tui_fetch_qube(struct tui *t, const char *name)
{
	if (t->query == NULL || get_pending(t, name))
		return;
	t->get_pending = xrealloc(t->get_pending, (size_t)(t->nget_pending + 1) *
	    sizeof(*t->get_pending));
	t->get_pending[t->nget_pending++] = xstrdup(name);
	tui_query(t, "vm.get", name, NULL, got_qube, xstrdup(name));
}

static void
got_stats(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	char *name = arg;
	struct tui_qube *q = model_find(&t->m, name);

	t->stats_inflight--;
	if (q != NULL) {
		q->stats_pending = 0;
		if (st == CLIENT_OK)
			model_apply_stats(&t->m, name, result);
	}
	free(name);
}

void
tui_fetch_stats(struct tui *t, struct tui_qube *q)
{
	if (t->query == NULL || q->stats_pending)
		return;
	q->stats_pending = 1;
	t->stats_inflight++;
	tui_query(t, "vm.stats", q->name, NULL, got_stats, xstrdup(q->name));
}

static void
stats_round(struct tui *t)
{
	size_t i;

	for (i = 0; i < t->m.n; i++)
		if (model_running(t->m.q[i]))
			tui_fetch_stats(t, t->m.q[i]);
}

static void
got_list(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	size_t i;

	t->list_pending = 0;
	if (st == CLIENT_OK) {
		model_replace(&t->m, result);
		for (i = 0; i < t->m.n; i++)
			if (model_running(t->m.q[i]))
				tui_fetch_stats(t, t->m.q[i]);
	} else if (st != CLIENT_LOST)
		model_error(&t->m, "vm.list: %s", err->message);
	replay(t);
}

static void
got_asks(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	t->asks_pending = 0;
	if (st == CLIENT_OK) {
		t->m.asks_available = 1;
		model_replace_asks(&t->m, result);
	} else if (st == CLIENT_REFUSED && strcmp(err->code, "unknown-method") == 0) {
		/* domd without an ask queue (before the RPC issue): none. */
		t->m.asks_available = 0;
		model_changed(&t->m);
	} else if (st != CLIENT_LOST)
		model_error(&t->m, "ask.list: %s", err->message);
	replay(t);
}

static void
got_info(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	json_object *v;

	if (st != CLIENT_OK) {
		if (st != CLIENT_LOST)
			model_error(&t->m, "daemon.info: %s", err->message);
		return;
	}
	if (json_object_object_get_ex(result, "backend", &v))
		tui_safe_copy(t->m.backend, sizeof(t->m.backend), json_object_get_string(v));
	if (json_object_object_get_ex(result, "weak_isolation", &v))
		t->m.weak_isolation = json_object_get_boolean(v);
	if (json_object_object_get_ex(result, "state_dir", &v))
		snprintf(t->m.state_dir, sizeof(t->m.state_dir), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(result, "version", &v))
		tui_safe_copy(t->m.version, sizeof(t->m.version), json_object_get_string(v));
	model_changed(&t->m);
}

static void
subscribed(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	if (st != CLIENT_OK) {
		if (st != CLIENT_LOST)
			tui_connection_lost(t, err->message);
		return;
	}
	t->m.connected = 1;
	t->m.error[0] = '\0';
	model_changed(&t->m);
	t->list_pending = t->asks_pending = 1;
	tui_query(t, "daemon.info", NULL, NULL, got_info, NULL);
	tui_query(t, "vm.list", NULL, NULL, got_list, NULL);
	tui_query(t, "ask.list", NULL, NULL, got_asks, NULL);
	t->next_stats_ns = tui_now_ns() + STATS_INTERVAL_NS;
}

static void
connect_domd(struct tui *t)
{
	t->reconnect_at_ns = 0;
	if ((t->events = tui_conn_open(t, "events", 0)) == NULL ||
	    (t->query = tui_conn_open(t, "query", 0)) == NULL) {
		tui_conn_close(t, t->events);
		t->events = NULL;
		t->reconnect_at_ns = tui_now_ns() + RECONNECT_NS;
		return;
	}
	/* The snapshots are asked for once the subscription is in place, so
	 * that no change falls between them. */
	tui_conn_request(t, t->events, "events.subscribe", NULL, NULL, subscribed, NULL);
}

void
tui_connection_lost(struct tui *t, const char *why)
{
	int i;

	tui_conn_close(t, t->events);
	tui_conn_close(t, t->query);
	t->events = t->query = NULL;
	if (t->m.connected || t->reconnect_at_ns == 0)
		model_error(&t->m, "lost the connection to domd (%s); reconnecting", why);
	t->m.connected = 0;
	t->list_pending = t->asks_pending = 0;
	for (i = 0; i < t->nget_pending; i++)
		free(t->get_pending[i]);
	t->nget_pending = 0;
	json_object_put(t->stash);
	t->stash = json_object_new_array();
	t->reconnect_at_ns = tui_now_ns() + RECONNECT_NS;
	model_changed(&t->m);
}

/* ---- views ---- */

void
tui_push(struct tui *t, struct tui_view *v)
{
	v->below = t->top;
	v->id = ++t->next_view_id;
	t->top = v;
	t->redraw = 1;
}

void
tui_pop(struct tui *t)
{
	struct tui_view *v = t->top;

	if (v == NULL || v == t->table)
		return;
	t->top = v->below;
	if (v->ops->destroy != NULL)
		v->ops->destroy(v);
	t->redraw = 1;
}

struct tui_view *
tui_view_find(struct tui *t, unsigned long id)
{
	struct tui_view *v;

	for (v = t->top; v != NULL; v = v->below)
		if (v->id == id)
			return v;
	return NULL;
}

void
tui_redraw(struct tui *t)
{
	t->redraw = 1;
}

void
tui_handle_key(struct tui *t, int ch)
{
	enum tui_result r;

	if (ch == 12) { /* Ctrl-L: repaint every cell (line noise on a serial line) */
		tui_size_refresh(t);
		return;
	}
	if (ch == KEY_RESIZE) {
		t->redraw = 1;
		return;
	}
	if (t->opts.kiosk && t->opts.quit_key != 0 && ch == t->opts.quit_key) {
		t->quit = 1;
		return;
	}
	r = t->top->ops->key(t, t->top, ch);
	switch (r) {
	case TUI_UNHANDLED:
	case TUI_HANDLED:
		break;
	case TUI_REDRAW:
		t->redraw = 1;
		break;
	case TUI_CLOSE:
		tui_pop(t);
		break;
	case TUI_QUIT:
		t->quit = 1;
		break;
	}
}

static int64_t
min_deadline(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/* One turn: timers, drawing, then wait for input, replies or a timer. */
static void
turn(struct tui *t)
{
	static struct pollfd *pfd;
	static struct tui_conn **conn;
	static size_t cap;
	struct tui_conn *c;
	int64_t now, deadline;
	int i, n, nconn, timeout, ch;
	size_t want = 2;

	if (tui_term_resize_pending()) {
		tui_term_resize();
		t->redraw = 1;
	}
	now = tui_now_ns();
	if (t->reconnect_at_ns != 0 && now >= t->reconnect_at_ns)
		connect_domd(t);
	if (t->m.connected && now >= t->next_stats_ns) {
		/* A round at a time: a slow domd gets no pile of requests. */
		if (t->stats_inflight == 0)
			stats_round(t);
		t->next_stats_ns = now + STATS_INTERVAL_NS;
	}
	if (now >= t->next_tick_ns) {
		tui_term_tick();
		if (t->top->ops->tick != NULL)
			t->top->ops->tick(t, t->top);
		t->next_tick_ns = now + TICK_NS;
	}
	tui_size_timer(t, now);
	tui_conns_reap(t);
	if ((t->redraw || t->m.gen != t->drawn_gen) && !tui_size_waiting())
		tui_draw(t);

	for (c = tui_conn_first(t); c != NULL; c = tui_conn_next(c))
		want++;
	want += tui_procs_nfds(t);
	if (want > cap) {
		cap = want * 2;
		pfd = xrealloc(pfd, cap * sizeof(*pfd));
		conn = xrealloc(conn, cap * sizeof(*conn));
	}
	n = 0;
	pfd[n].fd = STDIN_FILENO;
	pfd[n].events = POLLIN;
	conn[n++] = NULL;
	pfd[n].fd = tui_term_wakeup_fd();
	pfd[n].events = POLLIN;
	conn[n++] = NULL;
	for (c = tui_conn_first(t); c != NULL; c = tui_conn_next(c)) {
		if (tui_conn_fd(c) < 0)
			continue;
		pfd[n].fd = tui_conn_fd(c);
		pfd[n].events = POLLIN;
		conn[n++] = c;
	}
	nconn = n;
	n += (int)tui_procs_poll(t, pfd + nconn);
	deadline = min_deadline(t->next_tick_ns, t->reconnect_at_ns);
	if (t->m.connected)
		deadline = min_deadline(deadline, t->next_stats_ns);
	deadline = min_deadline(deadline, tui_procs_deadline(t));
	deadline = min_deadline(deadline, tui_size_deadline());
	timeout = (int)((deadline - now + 999999) / 1000000);
	if (timeout < 0)
		timeout = 0;
	if (poll(pfd, (nfds_t)n, timeout) == -1) {
		if (errno != EINTR)
			fatal("poll");
		return;
	}
	if (pfd[1].revents & POLLIN)
		tui_term_drain_wakeup();
	for (i = 2; i < nconn; i++)
		if (pfd[i].revents != 0)
			tui_conn_read(t, conn[i]);
	tui_procs_ready(t, pfd + nconn);
	if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
		t->quit = 1; /* the terminal is gone */
		return;
	}
	if (pfd[0].revents & POLLIN) {
		while (!t->quit && (ch = getch()) != ERR)
			tui_size_key(t, ch);
	}
}

/* --bench-frames: once the list is in, time full frames. */
static void
bench(struct tui *t)
{
	int64_t until = tui_now_ns() + 30 * 1000000000LL;

	while (!tui_term_quit_signal() && tui_now_ns() < until &&
	    (!t->m.connected || t->list_pending || t->m.n == 0))
		turn(t);
	tui_table_bench(t);
}

int
tui_run(const struct tui_opts *opts)
{
	struct tui t;
	int sig, i;

	memset(&t, 0, sizeof(t));
	t.opts = *opts;
	t.cursor_y = t.cursor_x = -1;
	model_init(&t.m, opts->kiosk ? opts->kiosk_qubes : NULL,
	    opts->kiosk ? opts->nkiosk_qubes : 0);
	t.stash = json_object_new_array();
	if (tui_term_init(&t) == -1) {
		json_object_put(t.stash);
		model_free(&t.m);
		return BH_EXIT_FAIL;
	}
	tui_colours_init(&t);
	t.table = tui_table_new(&t);
	tui_push(&t, t.table);
	tui_size_start(&t);
	connect_domd(&t);
	t.next_tick_ns = tui_now_ns() + TICK_NS;

	if (opts->bench_frames > 0)
		bench(&t);
	else
		while (!t.quit && !tui_term_quit_signal())
			turn(&t);
	sig = tui_term_quit_signal();

	while (t.top != t.table)
		tui_pop(&t);
	tui_procs_free(&t);
	tui_conns_free(&t);
	t.table->ops->destroy(t.table);
	tui_term_restore();
	if (t.bench_done)
		printf("bench-frames: %d frames of %d rows: mean %.3f ms, min %.3f ms, "
		    "max %.3f ms per full frame\n", opts->bench_frames, t.bench_rows,
		    t.bench_mean_ms, t.bench_min_ms, t.bench_max_ms);
	for (i = 0; i < t.nget_pending; i++)
		free(t.get_pending[i]);
	free(t.get_pending);
	json_object_put(t.stash);
	model_free(&t.m);
	if (sig != 0)
		return 128 + sig;
	return BH_EXIT_OK;
}
