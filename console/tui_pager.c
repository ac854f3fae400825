/* A full-screen scrollable text: the help, the notes of disabled views and
 * the log view are pagers. Up/Down, PgUp/PgDn, Home/End scroll; End also
 * follows new lines; Esc or q closes. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct line {
	char *text;
	int attr;
};

struct tui_pager {
	struct tui_view base;
	char title[128];
	char info[128];
	struct line *lines;
	size_t n, cap, top;
	int follow;
	tui_pager_fn tick;
	void *ctx;
	void (*free_ctx)(void *);
};

static const struct tui_view_ops pager_ops;

struct tui_pager *
tui_pager_new(const char *title, tui_pager_fn tick, void *ctx)
{
	struct tui_pager *p = xcalloc(1, sizeof(*p));

	p->base.ops = &pager_ops;
	tui_safe_copy(p->title, sizeof(p->title), title);
	p->tick = tick;
	p->ctx = ctx;
	return p;
}

void *
tui_pager_ctx(struct tui_pager *p)
{
	return p->ctx;
}

void
tui_pager_on_destroy(struct tui_pager *p, void (*fn)(void *ctx))
{
	p->free_ctx = fn;
}

struct tui_view *
tui_pager_view(struct tui_pager *p)
{
	return &p->base;
}

unsigned long
tui_pager_id(const struct tui_pager *p)
{
	return p->base.id;
}

struct tui_pager *
tui_pager_find(struct tui *t, unsigned long id)
{
	struct tui_view *v = tui_view_find(t, id);

	return v != NULL && v->ops == &pager_ops ? (struct tui_pager *)v : NULL;
}

void
tui_pager_add(struct tui_pager *p, const char *line, int attr)
{
	size_t len = strlen(line) + 1;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->lines = xrealloc(p->lines, p->cap * sizeof(*p->lines));
	}
	p->lines[p->n].text = xmalloc(len);
	tui_safe_copy(p->lines[p->n].text, len, line);
	p->lines[p->n].attr = attr;
	p->n++;
}

void
tui_pager_clear(struct tui_pager *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->lines[i].text);
	p->n = 0;
}

size_t
tui_pager_lines(const struct tui_pager *p)
{
	return p->n;
}

void
tui_pager_follow(struct tui_pager *p, int on)
{
	p->follow = on;
}

void
tui_pager_set_info(struct tui_pager *p, const char *info)
{
	tui_safe_copy(p->info, sizeof(p->info), info);
}

static size_t
page(void)
{
	return LINES > 5 ? (size_t)(LINES - 4) : 1;
}

static size_t
max_top(struct tui_pager *p)
{
	return p->n > page() ? p->n - page() : 0;
}

static void
pager_draw(struct tui *t, struct tui_view *v)
{
	struct tui_pager *p = (struct tui_pager *)v;
	char head[256];
	size_t i, rows = page();
	int y;

	if (p->follow || p->top > max_top(p))
		p->top = max_top(p);
	snprintf(head, sizeof(head), " %s", p->title);
	tui_put(1, 0, COLS, head, tui_attr(t, TC_HEADER));
	if (p->n > rows) {
		snprintf(head, sizeof(head), "%s%s%zu-%zu of %zu%s ", p->info,
		    *p->info ? "  " : "", p->top + 1,
		    p->top + rows < p->n ? p->top + rows : p->n, p->n,
		    p->follow ? " (following)" : "");
	} else
		snprintf(head, sizeof(head), "%s ", p->info);
	if ((int)strlen(head) < COLS - (int)strlen(p->title) - 2)
		tui_put(1, COLS - (int)strlen(head), (int)strlen(head), head,
		    tui_attr(t, TC_HEADER));
	for (y = 0; (size_t)y < rows; y++) {
		i = p->top + (size_t)y;
		tui_put(2 + y, 0, COLS, i < p->n ? p->lines[i].text : "",
		    i < p->n ? p->lines[i].attr : (int)A_NORMAL);
	}
}

static void
pager_bar(struct tui *t, struct tui_view *v)
{
	tui_bar_begin(t);
	tui_bar_item(t, "Esc", "Back");
	tui_bar_item(t, "Up/Dn", "Scroll");
	tui_bar_item(t, "PgUp/PgDn", "Page");
	tui_bar_item(t, "End", "Follow");
	tui_bar_end(t);
}

static enum tui_result
pager_key(struct tui *t, struct tui_view *v, int ch)
{
	struct tui_pager *p = (struct tui_pager *)v;
	size_t top = p->follow ? max_top(p) : p->top;

	switch (ch) {
	case 27:
	case 'q':
	case KEY_F(10):
	case KEY_F(1):
		return TUI_CLOSE;
	case KEY_UP:
		top = top > 0 ? top - 1 : 0;
		break;
	case KEY_DOWN:
		top = top < max_top(p) ? top + 1 : top;
		break;
	case KEY_PPAGE:
		top = top > page() ? top - page() : 0;
		break;
	case KEY_NPAGE:
	case ' ':
		top = top + page() < max_top(p) ? top + page() : max_top(p);
		break;
	case KEY_HOME:
	case 'g':
		top = 0;
		break;
	case KEY_END:
	case 'G':
		p->follow = 1;
		return TUI_REDRAW;
	default:
		return TUI_HANDLED;
	}
	p->follow = 0;
	p->top = top;
	return TUI_REDRAW;
}

static void
pager_tick(struct tui *t, struct tui_view *v)
{
	struct tui_pager *p = (struct tui_pager *)v;

	if (p->tick != NULL)
		p->tick(t, p);
}

static void
pager_destroy(struct tui_view *v)
{
	struct tui_pager *p = (struct tui_pager *)v;

	if (p->free_ctx != NULL)
		p->free_ctx(p->ctx);
	tui_pager_clear(p);
	free(p->lines);
	free(p);
}

static const struct tui_view_ops pager_ops = {
	.name = "pager",
	.fullscreen = 1,
	.draw = pager_draw,
	.key = pager_key,
	.tick = pager_tick,
	.bar = pager_bar,
	.destroy = pager_destroy,
};

void
tui_note_open(struct tui *t, const char *title, const char *const *lines)
{
	struct tui_pager *p = tui_pager_new(title, NULL, NULL);

	tui_pager_add(p, "", A_NORMAL);
	for (; *lines != NULL; lines++)
		tui_pager_add(p, *lines, A_NORMAL);
	tui_pager_add(p, "", A_NORMAL);
	tui_pager_add(p, "Esc goes back.", A_NORMAL);
	tui_push(t, tui_pager_view(p));
}
