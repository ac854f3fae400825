/* The main view: one row per qube, sortable by any column, filtered by
 * `/`. Rows are rebuilt (filter, sort) only when the model or the sort or
 * filter changed, and only the rows on screen are drawn. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

enum { COL_NAME, COL_LABEL, COL_CLASS, COL_STATE, COL_TEMPLATE, COL_NETVM, COL_ADDR,
	COL_MEM, COL_CPU, COL_UPTIME, NCOLS };

struct column {
	const char *title;
	const char *brief; /* the title when the column is narrower */
	int min, max;   /* width */
	int right;      /* numbers are right-aligned */
	int grow;       /* order in which room left widens a column to its full
	                 * title; 0: never */
};

/* The columns whose content changes with the state (STATE, MEM, CPU%,
 * UPTIME) have a fixed width: a qube starting or stopping must not move the
 * other columns, which would repaint the whole table over a serial line.
 * The others take their width from every qube's text, which changes only
 * when qubes are created, removed or edited. */
static const struct column columns[NCOLS] = {
	[COL_NAME] = { "NAME", "NAME", 8, TUI_NAME_MAX - 1, 0, 1 },
	[COL_LABEL] = { "LABEL", "LABEL", 6, 6, 0, 0 },
	[COL_CLASS] = { "CLASS", "CLASS", 5, 10, 0, 2 },
	[COL_STATE] = { "STATE", "STATE", 8, 8, 0, 0 },
	[COL_TEMPLATE] = { "TEMPLATE", "TMPL", 6, TUI_NAME_MAX - 1, 0, 3 },
	[COL_NETVM] = { "NETVM", "NETVM", 5, TUI_NAME_MAX - 1, 0, 4 },
	[COL_ADDR] = { "ADDRESS", "ADDR", 4, 39, 0, 5 },
	[COL_MEM] = { "MEM", "MEM", 9, 9, 1, 0 },
	[COL_CPU] = { "CPU%", "CPU%", 5, 5, 1, 0 },
	[COL_UPTIME] = { "UPTIME", "UPTIME", 6, 6, 1, 0 },
};

struct table {
	struct tui_view base;
	struct tui_qube **rows;
	size_t nrows, cap;
	unsigned long built_gen; /* model gen the rows were built from */
	int dirty;               /* sort or filter changed */
	int sort_col, reverse;
	char filter[64];
	size_t filter_len;
	int filtering;           /* editing the filter */
	char selected[TUI_NAME_MAX];
	size_t sel, top;
};

static struct table *
table_of(struct tui *t)
{
	return (struct table *)t->table;
}

int
tui_table_ncols(void)
{
	return NCOLS;
}

const char *
tui_table_col_title(int col)
{
	return col >= 0 && col < NCOLS ? columns[col].title : "";
}

int
tui_table_sort_col(struct tui *t, int *reverse)
{
	*reverse = table_of(t)->reverse;
	return table_of(t)->sort_col;
}

void
tui_table_set_sort(struct tui *t, int col, int reverse)
{
	struct table *tb = table_of(t);

	if (col < 0 || col >= NCOLS)
		return;
	tb->sort_col = col;
	tb->reverse = reverse;
	tb->dirty = 1;
	t->redraw = 1;
}

/* ---- cells ---- */

static void
cell(const struct tui_qube *q, int col, char *buf, size_t len)
{
	char a[16], b[16];

	buf[0] = '\0';
	switch (col) {
	case COL_NAME:
		snprintf(buf, len, "%s", q->name);
		break;
	case COL_LABEL:
		snprintf(buf, len, "%s", q->label);
		break;
	case COL_CLASS:
		snprintf(buf, len, "%s", q->cls);
		break;
	case COL_STATE: /* '*': restart to update, as `ls` */
		snprintf(buf, len, "%s%s", q->state, q->outdated ? "*" : "");
		break;
	case COL_TEMPLATE:
		snprintf(buf, len, "%s", *q->template_name ? q->template_name : "-");
		break;
	case COL_NETVM:
		snprintf(buf, len, "%s", *q->netvm ? q->netvm : "-");
		break;
	case COL_ADDR:
		snprintf(buf, len, "%s", q->ip);
		break;
	case COL_MEM:
		if (q->has_stats && q->mem_limit_bytes > 0)
			tui_fmt_bytes(b, sizeof(b), q->mem_limit_bytes);
		else
			tui_fmt_bytes(b, sizeof(b), (uint64_t)q->memory * 1024 * 1024);
		if (q->has_stats)
			tui_fmt_bytes(a, sizeof(a), q->mem_bytes);
		else
			snprintf(a, sizeof(a), "-");
		snprintf(buf, len, "%s/%s", a, b);
		break;
	case COL_CPU:
		if (q->has_cpu && q->cpu_pct < 99.95)
			snprintf(buf, len, "%.1f", q->cpu_pct);
		else if (q->has_cpu) /* several vcpus: up to 6400 */
			snprintf(buf, len, "%.0f", q->cpu_pct < 99999 ? q->cpu_pct : 99999);
		else
			snprintf(buf, len, "%s", model_running(q) ? "" : "-");
		break;
	case COL_UPTIME:
		if (q->has_stats)
			tui_fmt_uptime(buf, len, q->uptime_s);
		else
			snprintf(buf, len, "-");
		break;
	}
}

static int
state_rank(const char *s)
{
	static const char *const order[] = { "running", "paused", "starting", "halting", "halted" };
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(s, order[i]) == 0)
			return i;
	return 5;
}

static int
cmp_num(double a, double b)
{
	return a < b ? -1 : a > b;
}

static int
compare(const void *pa, const void *pb, void *arg)
{
	const struct tui_qube *a = *(struct tui_qube *const *)pa, *b = *(struct tui_qube *const *)pb;
	const struct table *tb = arg;
	int c = 0;

	switch (tb->sort_col) {
	case COL_NAME:
		break;
	case COL_LABEL:
		c = strcmp(a->label, b->label);
		break;
	case COL_CLASS:
		c = strcmp(a->cls, b->cls);
		break;
	case COL_STATE:
		c = state_rank(a->state) - state_rank(b->state);
		break;
	case COL_TEMPLATE:
		c = strcmp(a->template_name, b->template_name);
		break;
	case COL_NETVM:
		c = strcmp(a->netvm, b->netvm);
		break;
	case COL_ADDR:
		c = strcmp(a->ip, b->ip);
		break;
	case COL_MEM:
		c = cmp_num((double)a->mem_bytes, (double)b->mem_bytes);
		if (c == 0)
			c = cmp_num((double)a->memory, (double)b->memory);
		break;
	case COL_CPU:
		c = cmp_num(a->has_cpu ? a->cpu_pct : -1, b->has_cpu ? b->cpu_pct : -1);
		break;
	case COL_UPTIME:
		c = cmp_num(a->has_stats ? (double)a->uptime_s : -1,
		    b->has_stats ? (double)b->uptime_s : -1);
		break;
	}
	if (c == 0)
		c = strcmp(a->name, b->name);
	return tb->reverse ? -c : c;
}

static int
matches(const struct table *tb, const struct tui_qube *q)
{
	if (tb->filter_len == 0)
		return 1;
	return strcasestr(q->name, tb->filter) != NULL ||
	    strcasestr(q->cls, tb->filter) != NULL ||
	    strcasestr(q->label, tb->filter) != NULL ||
	    strcasestr(q->state, tb->filter) != NULL ||
	    strcasestr(q->template_name, tb->filter) != NULL ||
	    strcasestr(q->netvm, tb->filter) != NULL;
}

static void
rebuild(struct tui *t, struct table *tb)
{
	size_t i;

	if (!tb->dirty && tb->built_gen == t->m.gen)
		return;
	if (tb->cap < t->m.n) {
		tb->cap = t->m.n;
		tb->rows = xrealloc(tb->rows, tb->cap * sizeof(*tb->rows));
	}
	tb->nrows = 0;
	for (i = 0; i < t->m.n; i++)
		if (matches(tb, t->m.q[i]))
			tb->rows[tb->nrows++] = t->m.q[i];
	if (tb->sort_col != COL_NAME || tb->reverse) /* the model is sorted by name */
		qsort_r(tb->rows, tb->nrows, sizeof(*tb->rows), compare, tb);
	/* The selection follows its qube. */
	for (i = 0; i < tb->nrows; i++)
		if (strcmp(tb->rows[i]->name, tb->selected) == 0)
			break;
	if (i < tb->nrows)
		tb->sel = i;
	else if (tb->sel >= tb->nrows)
		tb->sel = tb->nrows > 0 ? tb->nrows - 1 : 0;
	if (tb->nrows > 0)
		snprintf(tb->selected, sizeof(tb->selected), "%s", tb->rows[tb->sel]->name);
	else
		tb->selected[0] = '\0';
	tb->built_gen = t->m.gen;
	tb->dirty = 0;
}

struct tui_qube *
tui_table_selected(struct tui *t)
{
	struct table *tb = table_of(t);

	rebuild(t, tb);
	return tb->nrows > 0 ? tb->rows[tb->sel] : NULL;
}

/* ---- drawing ---- */

static int
shown(struct tui *t, int col)
{
	/* With colours the label is the name's colour; without, a column. */
	return col != COL_LABEL || !t->colour;
}

static void
grow_to(int *w, const char *s)
{
	int n = (int)strlen(s);

	if (n > *w)
		*w = n;
}

/* When the terminal is too narrow for every column at the width its text
 * needs, whole columns are dropped, least important first, until the rest
 * fit: what is shown stays readable instead of every column being cut to a
 * letter or two. NAME and STATE are never dropped, nor the column the
 * table is sorted by (< > and the sort menu still reach every column).
 * The order, first dropped first:
 *   UPTIME    how long a qube has run: the least needed at a glance
 *   ADDR      the qube's address, kept once given (bulkhead prefs VM ip)
 *   CPU%      live load: what top-like watching needs after memory
 *   MEM       used/limit
 *   TEMPLATE  what the qube runs, fixed for its life
 *   CLASS     app, template, standalone...: often told by the name
 *   NETVM     which qube carries its traffic: a trust decision
 *   LABEL     (only without colours) its trust colour, as text */
static const int drop_order[] = {
	COL_UPTIME, COL_ADDR, COL_CPU, COL_MEM, COL_TEMPLATE, COL_CLASS, COL_NETVM, COL_LABEL,
};

/* The width the columns shown take, with one space between two. */
static int
total_width(const int *width)
{
	int col, used = 0, n = 0;

	for (col = 0; col < NCOLS; col++)
		if (width[col] > 0) {
			used += width[col];
			n++;
		}
	return n > 0 ? used + n - 1 : 0;
}

static int
max_int(int a, int b)
{
	return a > b ? a : b;
}

static void
layout(struct tui *t, struct table *tb, int *width)
{
	int natural[NCOLS], col, spare, round, want;
	size_t i;

	/* width: what a column needs to show every cell whole (its brief title
	 * at least); natural: that or its full title, if longer. */
	for (col = 0; col < NCOLS; col++)
		width[col] = max_int(columns[col].min, (int)strlen(columns[col].brief));
	/* Only the text columns grow; they show the fields as they are. */
	for (i = 0; i < tb->nrows; i++) {
		const struct tui_qube *q = tb->rows[i];
		grow_to(&width[COL_NAME], q->name);
		grow_to(&width[COL_CLASS], q->cls);
		grow_to(&width[COL_TEMPLATE], q->template_name);
		grow_to(&width[COL_NETVM], q->netvm);
		grow_to(&width[COL_ADDR], q->ip);
	}
	for (col = 0; col < NCOLS; col++) {
		if (width[col] > columns[col].max)
			width[col] = columns[col].max;
		natural[col] = max_int(width[col], (int)strlen(columns[col].title));
		if (natural[col] > columns[col].max)
			natural[col] = columns[col].max;
		/* The sort column's title carries + or -. */
		if (col == tb->sort_col) {
			width[col] = max_int(width[col], (int)strlen(columns[col].brief) + 1);
			natural[col] = max_int(natural[col], (int)strlen(columns[col].title) + 1);
		}
		if (!shown(t, col))
			width[col] = 0;
	}
	for (i = 0; i < sizeof(drop_order) / sizeof(drop_order[0]) && total_width(width) > COLS; i++)
		if (drop_order[i] != tb->sort_col)
			width[drop_order[i]] = 0;
	/* Still too wide (NAME, STATE and the sort column only): the name is
	 * cut, and the last cell shows it. */
	if ((spare = COLS - total_width(width)) < 0)
		width[COL_NAME] = max_int(1, width[COL_NAME] + spare);
	/* Room left: full titles, in the order of grow. */
	for (round = 1; round <= 5 && spare > 0; round++) {
		for (col = 0; col < NCOLS; col++) {
			if (columns[col].grow != round || width[col] == 0)
				continue;
			want = natural[col] - width[col];
			if (want > spare)
				want = spare;
			if (want > 0) {
				width[col] += want;
				spare -= want;
			}
		}
	}
}

static int
state_attr(struct tui *t, const char *s)
{
	if (strcmp(s, "running") == 0)
		return tui_attr(t, TC_RUNNING);
	if (strcmp(s, "paused") == 0)
		return tui_attr(t, TC_PAUSED);
	if (strcmp(s, "starting") == 0 || strcmp(s, "halting") == 0)
		return tui_attr(t, TC_TRANSIENT);
	return A_NORMAL;
}

static void
draw_row(struct tui *t, int y, const int *width, const struct tui_qube *q, int selected)
{
	char buf[64], out[64];
	int col, x = 0, a, base = selected ? tui_attr(t, TC_SELECTED) : (int)A_NORMAL;
	int w;

	for (col = 0; col < NCOLS && x < COLS; col++) {
		if ((w = width[col]) == 0)
			continue;
		cell(q, col, buf, sizeof(buf));
		if ((int)strlen(buf) > w) /* cut: the last cell shows it */
			buf[w - 1] = '~', buf[w] = '\0';
		if (columns[col].right)
			snprintf(out, sizeof(out), "%*s", w, buf);
		else
			snprintf(out, sizeof(out), "%s", buf);
		a = base;
		if (col == COL_NAME)
			a |= tui_label_attr(t, q->label);
		else if (col == COL_STATE)
			a |= state_attr(t, q->state);
		if (selected)
			a = (a & ~A_COLOR) | A_REVERSE | (col == COL_NAME ? (a & A_COLOR) : 0);
		tui_put(y, x, w, out, a);
		x += w;
		if (x < COLS)
			tui_put(y, x++, 1, " ", base);
	}
	if (x < COLS)
		tui_put(y, x, COLS - x, "", base);
}

static void
table_draw(struct tui *t, struct tui_view *v)
{
	struct table *tb = (struct table *)v;
	int width[NCOLS], col, x = 0, y, rows = LINES - 4, a = tui_attr(t, TC_HEADER);
	char title[64];
	size_t i;

	rebuild(t, tb);
	layout(t, tb, width);
	for (col = 0; col < NCOLS && x < COLS; col++) {
		if (width[col] == 0)
			continue;
		snprintf(title, sizeof(title), "%s%s", columns[col].title,
		    col == tb->sort_col ? (tb->reverse ? "-" : "+") : "");
		if ((int)strlen(title) > width[col])
			snprintf(title, sizeof(title), "%s%s", columns[col].brief,
			    col == tb->sort_col ? (tb->reverse ? "-" : "+") : "");
		if (columns[col].right) {
			char r[64];
			snprintf(r, sizeof(r), "%*s", width[col], title);
			tui_put(1, x, width[col], r, a | (col == tb->sort_col ? A_BOLD : 0));
		} else
			tui_put(1, x, width[col], title, a | (col == tb->sort_col ? A_BOLD : 0));
		x += width[col];
		if (x < COLS)
			tui_put(1, x++, 1, " ", a);
	}
	if (x < COLS)
		tui_put(1, x, COLS - x, "", a);

	if (tb->sel < tb->top)
		tb->top = tb->sel;
	if (rows > 0 && tb->sel >= tb->top + (size_t)rows)
		tb->top = tb->sel - (size_t)rows + 1;
	if (tb->top > 0 && tb->top + (size_t)rows > tb->nrows)
		tb->top = tb->nrows > (size_t)rows ? tb->nrows - (size_t)rows : 0;
	for (y = 0; y < rows; y++) {
		i = tb->top + (size_t)y;
		if (i < tb->nrows)
			draw_row(t, 2 + y, width, tb->rows[i], i == tb->sel);
		else
			tui_put(2 + y, 0, COLS, "", A_NORMAL);
	}
	if (tb->nrows == 0 && rows > 0) {
		if (!t->m.connected)
			tui_put(3, 2, COLS - 4, "(not connected to domd)", A_NORMAL);
		else if (tb->filter_len > 0)
			tui_put(3, 2, COLS - 4, "(no qube matches the filter)", A_NORMAL);
		else if (t->opts.kiosk)
			tui_put(3, 2, COLS - 4, "(none of the kiosk's qubes exists)", A_NORMAL);
		else
			tui_put(3, 2, COLS - 4, "(no qubes: n creates one)", A_NORMAL);
	}

	/* The message line: the filter prompt, or the filter when nothing
	 * else is said there. */
	if (tb->filtering) {
		char p[128];
		snprintf(p, sizeof(p), "filter: %s", tb->filter);
		tui_put(LINES - 2, 0, COLS, p, A_BOLD);
		t->cursor_y = LINES - 2;
		t->cursor_x = 8 + (int)tb->filter_len < COLS ? 8 + (int)tb->filter_len : COLS - 1;
	} else if (tb->filter_len > 0 && t->m.error[0] == '\0' && t->m.info[0] == '\0') {
		char p[160];
		snprintf(p, sizeof(p), "filter: %s  (%zu of %zu shown; / changes, Esc clears)",
		    tb->filter, tb->nrows, t->m.n);
		tui_put(LINES - 2, 0, COLS, p, A_NORMAL);
	}
}

static void
table_bar(struct tui *t, struct tui_view *v)
{
	const struct tui_action *const *a;
	char key[16], label[16];

	tui_bar_begin(t);
	for (a = tui_action_table; *a != NULL; a++) {
		if (!((*a)->flags & TUI_ACT_BAR) || !tui_action_allowed(t, *a))
			continue;
		tui_action_keytext(*a, key, sizeof(key));
		snprintf(label, sizeof(label), "%s", (*a)->label);
		tui_bar_item(t, key, label);
	}
	tui_bar_end(t);
}

/* ---- keys ---- */

static void
move_sel(struct tui *t, struct table *tb, long delta)
{
	long s = (long)tb->sel + delta;

	if (tb->nrows == 0)
		return;
	if (s < 0)
		s = 0;
	if (s >= (long)tb->nrows)
		s = (long)tb->nrows - 1;
	tb->sel = (size_t)s;
	snprintf(tb->selected, sizeof(tb->selected), "%s", tb->rows[tb->sel]->name);
	t->redraw = 1;
}

static int
next_sort_col(struct tui *t, int col, int dir)
{
	do
		col = (col + dir + NCOLS) % NCOLS;
	while (!shown(t, col));
	return col;
}

static enum tui_result
filter_key(struct tui *t, struct table *tb, int ch)
{
	switch (ch) {
	case 27: /* Esc: no filter */
		tb->filter[0] = '\0';
		tb->filter_len = 0;
		tb->filtering = 0;
		break;
	case '\r':
	case '\n':
	case KEY_ENTER:
		tb->filtering = 0;
		break;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (tb->filter_len > 0)
			tb->filter[--tb->filter_len] = '\0';
		break;
	case 21: /* Ctrl-U */
		tb->filter[0] = '\0';
		tb->filter_len = 0;
		break;
	case KEY_UP:
	case KEY_DOWN:
		return TUI_UNHANDLED;
	default:
		if (ch >= 0x20 && ch <= 0x7e && tb->filter_len + 1 < sizeof(tb->filter)) {
			tb->filter[tb->filter_len++] = (char)ch;
			tb->filter[tb->filter_len] = '\0';
		}
		break;
	}
	tb->dirty = 1;
	return TUI_REDRAW;
}

void
tui_table_start_filter(struct tui *t)
{
	table_of(t)->filtering = 1;
	t->redraw = 1;
}

static enum tui_result
table_key(struct tui *t, struct tui_view *v, int ch)
{
	struct table *tb = (struct table *)v;
	const struct tui_action *a;
	long page = LINES - 4 > 1 ? LINES - 5 : 1;

	rebuild(t, tb);
	if (tb->filtering && filter_key(t, tb, ch) != TUI_UNHANDLED)
		return TUI_REDRAW;
	switch (ch) {
	case KEY_UP:
		move_sel(t, tb, -1);
		return TUI_REDRAW;
	case KEY_DOWN:
		move_sel(t, tb, 1);
		return TUI_REDRAW;
	case KEY_PPAGE:
		move_sel(t, tb, -page);
		return TUI_REDRAW;
	case KEY_NPAGE:
		move_sel(t, tb, page);
		return TUI_REDRAW;
	case KEY_HOME:
		move_sel(t, tb, -(long)tb->nrows);
		return TUI_REDRAW;
	case KEY_END:
		move_sel(t, tb, (long)tb->nrows);
		return TUI_REDRAW;
	case '<':
		tui_table_set_sort(t, next_sort_col(t, tb->sort_col, -1), tb->reverse);
		return TUI_REDRAW;
	case '>':
		tui_table_set_sort(t, next_sort_col(t, tb->sort_col, 1), tb->reverse);
		return TUI_REDRAW;
	case 'I':
		tui_table_set_sort(t, tb->sort_col, !tb->reverse);
		return TUI_REDRAW;
	case 27: /* Esc: clear the filter and the message line */
		tb->filter[0] = '\0';
		tb->filter_len = 0;
		tb->dirty = 1;
		t->m.error[0] = t->m.info[0] = '\0';
		model_changed(&t->m);
		return TUI_REDRAW;
	case '\r':
	case '\n':
	case KEY_ENTER:
		tui_action_run(t, &tui_act_log, tui_table_selected(t));
		return TUI_REDRAW;
	}
	if ((a = tui_action_for_key(ch)) != NULL) {
		if (a == &tui_act_quit && tui_action_allowed(t, a))
			return TUI_QUIT;
		tui_action_run(t, a, tui_table_selected(t));
		return TUI_REDRAW;
	}
	return TUI_UNHANDLED;
}

static void
table_destroy(struct tui_view *v)
{
	struct table *tb = (struct table *)v;

	free(tb->rows);
	free(tb);
}

static const struct tui_view_ops table_ops = {
	.name = "qubes",
	.fullscreen = 1,
	.draw = table_draw,
	.key = table_key,
	.bar = table_bar,
	.destroy = table_destroy,
};

struct tui_view *
tui_table_new(struct tui *t)
{
	struct table *tb = xcalloc(1, sizeof(*tb));

	tb->base.ops = &table_ops;
	tb->sort_col = COL_NAME;
	tb->dirty = 1;
	return &tb->base;
}

/* --bench-frames: full frames, each with a rebuild (filter and sort by a
 * different column) and every cell sent to the terminal again. */
void
tui_table_bench(struct tui *t)
{
	struct table *tb = table_of(t);
	int i, frames = t->opts.bench_frames;
	int64_t t0, dt;
	double sum = 0, ms;

	t->bench_min_ms = 1e9;
	t->bench_max_ms = 0;
	for (i = 0; i < frames && !tui_term_quit_signal(); i++) {
		t0 = tui_now_ns();
		tb->sort_col = i % NCOLS;
		if (!shown(t, tb->sort_col))
			tb->sort_col = COL_NAME;
		tb->reverse = i & 1;
		tb->dirty = 1;
		t->full_redraw = 1;
		tui_draw(t);
		dt = tui_now_ns() - t0;
		ms = (double)dt / 1e6;
		sum += ms;
		if (ms > t->bench_max_ms)
			t->bench_max_ms = ms;
		if (ms < t->bench_min_ms)
			t->bench_min_ms = ms;
	}
	t->bench_rows = (int)tb->nrows;
	t->bench_mean_ms = i > 0 ? sum / i : 0;
	t->bench_done = i > 0;
}

static void
filter_run(struct tui *t, struct tui_qube *q)
{
	tui_table_start_filter(t);
}

const struct tui_action tui_act_filter = {
	.name = "filter",
	.label = "Filter",
	.key = '/',
	.keyname = "/",
	.help = "filter the qubes by text (name, class, label, state, template, netvm); "
	    "Enter keeps it, Esc clears it",
	.flags = TUI_ACT_KIOSK,
	.run = filter_run,
};
