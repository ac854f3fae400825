/* A yes/no question in a dialog box: y runs the action, n or Esc does not. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct confirm {
	struct tui_view base;
	char title[64];
	char question[256];
	char vm[TUI_NAME_MAX];
	tui_confirm_fn yes;
};

static void
confirm_draw(struct tui *t, struct tui_view *v)
{
	struct confirm *c = (struct confirm *)v;
	char lines[4][256];
	int w = COLS - 4 < 60 ? COLS - 4 : 60, n, i, y, x;

	n = tui_wrap(c->question, w - 4, lines, 4);
	tui_box(t, n + 4, w, c->title, &y, &x);
	for (i = 0; i < n; i++)
		tui_put(y + 1 + i, x + 2, w - 4, lines[i], tui_attr(t, TC_DIALOG));
	tui_put(y + n + 2, x + 2, w - 4, "y: yes   n or Esc: no", tui_attr(t, TC_DIALOG) | A_BOLD);
}

static void
confirm_bar(struct tui *t, struct tui_view *v)
{
	tui_bar_begin(t);
	tui_bar_item(t, "y", "Yes");
	tui_bar_item(t, "n", "No");
	tui_bar_end(t);
}

static enum tui_result
confirm_key(struct tui *t, struct tui_view *v, int ch)
{
	struct confirm *c = (struct confirm *)v;
	char vm[TUI_NAME_MAX];
	tui_confirm_fn yes = c->yes;

	switch (ch) {
	case 'y':
	case 'Y':
		snprintf(vm, sizeof(vm), "%s", c->vm);
		tui_pop(t); /* frees c */
		yes(t, vm);
		return TUI_REDRAW;
	case 'n':
	case 'N':
	case 27:
		model_info(&t->m, "%s: cancelled", c->title);
		return TUI_CLOSE;
	}
	return TUI_HANDLED;
}

static void
confirm_destroy(struct tui_view *v)
{
	free(v);
}

static const struct tui_view_ops confirm_ops = {
	.name = "confirm",
	.fullscreen = 0,
	.draw = confirm_draw,
	.key = confirm_key,
	.bar = confirm_bar,
	.destroy = confirm_destroy,
};

void
tui_confirm(struct tui *t, const char *title, const char *question, const char *vm,
    tui_confirm_fn yes)
{
	struct confirm *c = xcalloc(1, sizeof(*c));

	c->base.ops = &confirm_ops;
	tui_safe_copy(c->title, sizeof(c->title), title);
	tui_safe_copy(c->question, sizeof(c->question), question);
	tui_safe_copy(c->vm, sizeof(c->vm), vm);
	c->yes = yes;
	tui_push(t, &c->base);
}
