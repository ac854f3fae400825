/* The console's model: the qubes as domd last described them, their
 * stats, the ask queue and the last error. Fed by vm.list, vm.get, events
 * and vm.stats; knows nothing of drawing. Every change bumps gen. */
#include "tui.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

int64_t
tui_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
tui_safe_copy(char *dst, size_t len, const char *src)
{
	size_t i;

	if (len == 0)
		return;
	if (src == NULL)
		src = "";
	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = src[i] >= 0x20 && src[i] <= 0x7e ? src[i] : '?';
	dst[i] = '\0';
}

void
model_init(struct tui_model *m, char **only, int nonly)
{
	memset(m, 0, sizeof(*m));
	m->asks_available = -1;
	m->only = only;
	m->nonly = nonly;
	m->gen = 1;
}

void
model_clear(struct tui_model *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->q[i]);
	m->n = 0;
	m->nasks = 0;
	m->gen++;
}

void
model_free(struct tui_model *m)
{
	model_clear(m);
	free(m->q);
	free(m->asks);
	m->q = NULL;
	m->asks = NULL;
	m->cap = m->asks_cap = 0;
}

void
model_changed(struct tui_model *m)
{
	m->gen++;
}

int
model_accepts(const struct tui_model *m, const char *name)
{
	int i;

	if (m->only == NULL)
		return 1;
	for (i = 0; i < m->nonly; i++)
		if (strcmp(m->only[i], name) == 0)
			return 1;
	return 0;
}

/* Index of name, or of where it would go (*found = 0). */
static size_t
find_index(const struct tui_model *m, const char *name, int *found)
{
	size_t lo = 0, hi = m->n, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(m->q[mid]->name, name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

struct tui_qube *
model_find(struct tui_model *m, const char *name)
{
	int found;
	size_t i = find_index(m, name, &found);

	return found ? m->q[i] : NULL;
}

int
model_running(const struct tui_qube *q)
{
	return strcmp(q->state, "running") == 0 || strcmp(q->state, "paused") == 0;
}

void
model_clear_stats(struct tui_qube *q)
{
	q->has_stats = q->has_cpu = 0;
	q->mem_bytes = q->mem_limit_bytes = q->cpu_ns = q->uptime_s = q->pids = 0;
	q->cpu_pct = 0;
	q->stats_at_ns = 0;
}

static const char *
member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    json_object_is_type(v, json_type_null))
		return "";
	return json_object_get_string(v);
}

static int64_t
member_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return dflt;
	return json_object_get_int64(v);
}

/* A property from a qube object or a property event. Returns 1 if known. */
static int
set_prop(struct tui_qube *q, const char *prop, json_object *v)
{
	const char *s = v == NULL || json_object_is_type(v, json_type_null) ? "" :
	    json_object_get_string(v);

	if (strcmp(prop, "class") == 0)
		tui_safe_copy(q->cls, sizeof(q->cls), s);
	else if (strcmp(prop, "label") == 0)
		tui_safe_copy(q->label, sizeof(q->label), s);
	else if (strcmp(prop, "template") == 0)
		tui_safe_copy(q->template_name, sizeof(q->template_name), s);
	else if (strcmp(prop, "netvm") == 0)
		tui_safe_copy(q->netvm, sizeof(q->netvm), s);
	else if (strcmp(prop, "ip") == 0)
		tui_safe_copy(q->ip, sizeof(q->ip), s);
	else if (strcmp(prop, "uuid") == 0)
		tui_safe_copy(q->uuid, sizeof(q->uuid), s);
	else if (strcmp(prop, "memory") == 0)
		q->memory = v != NULL ? json_object_get_int64(v) : 0;
	else if (strcmp(prop, "vcpus") == 0)
		q->vcpus = v != NULL ? json_object_get_int64(v) : 0;
	else if (strcmp(prop, "autostart") == 0)
		q->autostart = v != NULL && json_object_get_boolean(v);
	else if (strcmp(prop, "provides_network") == 0)
		q->provides_network = v != NULL && json_object_get_boolean(v);
	else if (strcmp(prop, "outdated") == 0)
		q->outdated = v != NULL && json_object_get_boolean(v);
	else
		return 0;
	return 1;
}

/* "tags": an array of strings, once domd has them. */
static void
set_tags(struct tui_qube *q, json_object *obj)
{
	json_object *tags = NULL;
	char buf[sizeof(q->tags)];
	size_t i, n, len = 0;

	q->tags[0] = '\0';
	q->has_tags = json_object_object_get_ex(obj, "tags", &tags) &&
	    json_object_is_type(tags, json_type_array);
	if (!q->has_tags)
		return;
	buf[0] = '\0';
	n = json_object_array_length(tags);
	for (i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? ", " : "",
		    json_object_get_string(json_object_array_get_idx(tags, i)));
	tui_safe_copy(q->tags, sizeof(q->tags), buf);
}

static void
set_state(struct tui_qube *q, const char *state, const char *reason)
{
	int was = model_running(q);

	tui_safe_copy(q->state, sizeof(q->state), state);
	if (reason != NULL)
		tui_safe_copy(q->reason, sizeof(q->reason), reason);
	if (!model_running(q) || !was)
		model_clear_stats(q);
	if (!model_running(q))
		q->outdated = 0; /* its next start gets its template's root */
}

struct tui_qube *
model_put(struct tui_model *m, json_object *obj)
{
	static const char *const props[] = { "class", "label", "template", "netvm", "ip",
		"uuid", "memory", "vcpus", "autostart", "provides_network", "outdated" };
	struct tui_qube *q;
	const char *name = member(obj, "name");
	json_object *v;
	size_t i;
	int found;

	if (!json_object_is_type(obj, json_type_object) || *name == '\0' ||
	    strlen(name) >= TUI_NAME_MAX || !model_accepts(m, name))
		return NULL;
	i = find_index(m, name, &found);
	if (found)
		q = m->q[i];
	else {
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 64;
			m->q = xrealloc(m->q, m->cap * sizeof(*m->q));
		}
		memmove(m->q + i + 1, m->q + i, (m->n - i) * sizeof(*m->q));
		q = xcalloc(1, sizeof(*q));
		tui_safe_copy(q->name, sizeof(q->name), name);
		m->q[i] = q;
		m->n++;
	}
	for (i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		v = NULL;
		json_object_object_get_ex(obj, props[i], &v);
		set_prop(q, props[i], v);
	}
	if (!json_object_object_get_ex(obj, "ip", NULL))
		q->ip[0] = '\0';
	set_tags(q, obj);
	set_state(q, member(obj, "state"), member(obj, "state_reason"));
	m->gen++;
	return q;
}

void
model_replace(struct tui_model *m, json_object *array)
{
	struct tui_qube *old;
	size_t i, n;

	/* Keep the stats of qubes that stay running (CPU % needs two samples). */
	struct tui_qube **keep = m->q;
	size_t nkeep = m->n;

	m->q = NULL;
	m->n = m->cap = 0;
	n = json_object_is_type(array, json_type_array) ? json_object_array_length(array) : 0;
	for (i = 0; i < n; i++)
		model_put(m, json_object_array_get_idx(array, i));
	for (i = 0; i < nkeep; i++) {
		old = keep[i];
		struct tui_qube *q = model_find(m, old->name);
		if (q != NULL && model_running(q) && old->has_stats) {
			q->has_stats = old->has_stats;
			q->has_cpu = old->has_cpu;
			q->mem_bytes = old->mem_bytes;
			q->mem_limit_bytes = old->mem_limit_bytes;
			q->cpu_ns = old->cpu_ns;
			q->uptime_s = old->uptime_s;
			q->pids = old->pids;
			q->cpu_pct = old->cpu_pct;
			q->stats_at_ns = old->stats_at_ns;
		}
		free(old);
	}
	free(keep);
	m->gen++;
}

void
model_remove(struct tui_model *m, const char *name)
{
	int found;
	size_t i = find_index(m, name, &found);

	if (!found)
		return;
	free(m->q[i]);
	memmove(m->q + i, m->q + i + 1, (m->n - i - 1) * sizeof(*m->q));
	m->n--;
	m->gen++;
}

void
model_apply_stats(struct tui_model *m, const char *name, json_object *st)
{
	struct tui_qube *q = model_find(m, name);
	int64_t now = tui_now_ns();
	uint64_t cpu;

	if (q == NULL || !model_running(q) || !json_object_is_type(st, json_type_object))
		return;
	cpu = (uint64_t)member_int(st, "cpu_ns", 0);
	if (q->has_stats && q->stats_at_ns > 0 && now > q->stats_at_ns && cpu >= q->cpu_ns) {
		q->cpu_pct = (double)(cpu - q->cpu_ns) * 100.0 / (double)(now - q->stats_at_ns);
		q->has_cpu = 1;
	}
	q->cpu_ns = cpu;
	q->stats_at_ns = now;
	q->mem_bytes = (uint64_t)member_int(st, "memory_bytes", 0);
	q->mem_limit_bytes = (uint64_t)member_int(st, "memory_limit_bytes", 0);
	q->uptime_s = (uint64_t)member_int(st, "uptime_s", 0);
	q->pids = (uint64_t)member_int(st, "pids", 0);
	q->has_stats = 1;
	m->gen++;
}

/* ---- asks ---- */

struct tui_ask *
model_find_ask(struct tui_model *m, int64_t id)
{
	size_t i;

	for (i = 0; i < m->nasks; i++)
		if (m->asks[i].id == id)
			return &m->asks[i];
	return NULL;
}

size_t
model_new_asks(const struct tui_model *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->nasks; i++)
		n += m->asks[i].is_new;
	return n;
}

/* The ask's targets, space-separated; whole names only, what does not fit
 * is left out. */
static void
ask_targets(struct tui_ask *a, json_object *o)
{
	json_object *arr;
	size_t n = 0;
	char name[TUI_TARGET_MAX];

	a->targets[0] = '\0';
	if (!json_object_object_get_ex(o, "targets", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		tui_safe_copy(name, sizeof(name),
		    json_object_get_string(json_object_array_get_idx(arr, i)));
		if (name[0] == '\0' || strchr(name, ' ') != NULL ||
		    n + strlen(name) + 2 > sizeof(a->targets))
			continue;
		n += (size_t)snprintf(a->targets + n, sizeof(a->targets) - n, "%s%s", n ? " " : "",
		    name);
	}
}

static struct tui_ask *
add_ask(struct tui_model *m, json_object *o)
{
	struct tui_ask *a;
	int64_t id;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "id", NULL))
		return NULL;
	id = member_int(o, "id", 0);
	if ((a = model_find_ask(m, id)) == NULL) {
		if (m->nasks == m->asks_cap) {
			m->asks_cap = m->asks_cap ? m->asks_cap * 2 : 16;
			m->asks = xrealloc(m->asks, m->asks_cap * sizeof(*m->asks));
		}
		a = &m->asks[m->nasks++];
		memset(a, 0, sizeof(*a));
		a->id = id;
		a->is_new = 1;
	}
	tui_safe_copy(a->service, sizeof(a->service), member(o, "service"));
	tui_safe_copy(a->arg, sizeof(a->arg), member(o, "arg"));
	tui_safe_copy(a->source, sizeof(a->source), member(o, "source"));
	tui_safe_copy(a->target, sizeof(a->target), member(o, "target"));
	tui_safe_copy(a->default_target, sizeof(a->default_target), member(o, "default_target"));
	ask_targets(a, o);
	a->age_s = member_int(o, "age_s", 0);
	a->seen_at_ns = tui_now_ns();
	m->gen++;
	return a;
}

static void
remove_ask(struct tui_model *m, int64_t id)
{
	struct tui_ask *a = model_find_ask(m, id);

	if (a == NULL)
		return;
	memmove(a, a + 1, (size_t)(m->asks + m->nasks - a - 1) * sizeof(*a));
	m->nasks--;
	m->gen++;
}

void
model_replace_asks(struct tui_model *m, json_object *array)
{
	size_t i, n;

	/* An ask already shown keeps "not new"; a list from a fresh
	 * connection shows each as new. */
	struct tui_ask *old = m->asks;
	size_t nold = m->nasks;

	m->asks = NULL;
	m->nasks = m->asks_cap = 0;
	n = json_object_is_type(array, json_type_array) ? json_object_array_length(array) : 0;
	for (i = 0; i < n; i++) {
		struct tui_ask *a = add_ask(m, json_object_array_get_idx(array, i));
		for (size_t j = 0; a != NULL && j < nold; j++)
			if (old[j].id == a->id)
				a->is_new = old[j].is_new;
	}
	free(old);
	m->gen++;
}

int
model_apply_event(struct tui_model *m, json_object *ev, char *vm, size_t vmlen)
{
	const char *kind = member(ev, "event"), *name = member(ev, "vm");
	struct tui_qube *q;
	json_object *v = NULL;
	int was;

	tui_safe_copy(vm, vmlen, name);
	if (strcmp(kind, "ask") == 0) {
		if (add_ask(m, ev) == NULL)
			return 0;
		m->asks_available = 1;
		return MODEL_NEW_ASK;
	}
	if (strcmp(kind, "ask-done") == 0) {
		remove_ask(m, member_int(ev, "id", 0));
		return 0;
	}
	if (*name == '\0' || !model_accepts(m, name))
		return 0;
	if (strcmp(kind, "created") == 0)
		return MODEL_NEED_GET;
	if (strcmp(kind, "removed") == 0) {
		model_remove(m, name);
		return 0;
	}
	if ((q = model_find(m, name)) == NULL)
		return MODEL_NEED_GET; /* an event for a qube we do not know yet */
	if (strcmp(kind, "state") == 0) {
		was = model_running(q);
		set_state(q, member(ev, "state"), member(ev, "reason"));
		m->gen++;
		return model_running(q) && !was ? MODEL_NEED_STATS : 0;
	}
	if (strcmp(kind, "property") == 0) {
		json_object_object_get_ex(ev, "value", &v);
		if (set_prop(q, member(ev, "prop"), v))
			m->gen++;
		return 0;
	}
	return 0;
}

/* ---- messages ---- */

void
model_error(struct tui_model *m, const char *fmt, ...)
{
	char buf[sizeof(m->error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tui_safe_copy(m->error, sizeof(m->error), buf);
	m->info[0] = '\0';
	m->gen++;
}

void
model_info(struct tui_model *m, const char *fmt, ...)
{
	char buf[sizeof(m->info)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tui_safe_copy(m->info, sizeof(m->info), buf);
	m->error[0] = '\0';
	m->gen++;
}

int
model_names(const struct tui_model *m, const char **out, int max, int templates)
{
	int n = 0;

	out[n++] = "";
	for (size_t i = 0; i < m->n && n < max; i++) {
		const struct tui_qube *q = m->q[i];
		if (templates ? strcmp(q->cls, "template") == 0 : q->provides_network)
			out[n++] = q->name;
	}
	return n;
}
