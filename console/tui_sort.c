/* sort (F6, o): pick the column the table is sorted by. Enter on the
 * current column reverses the order. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#include "xalloc.h"

struct sortmenu {
	struct tui_view base;
	int sel;
};

static void
sort_draw(struct tui *t, struct tui_view *v)
{
	struct sortmenu *s = (struct sortmenu *)v;
	int n = tui_table_ncols(), i, y, x, rev, cur = tui_table_sort_col(t, &rev);
	int a = tui_attr(t, TC_DIALOG);
	char line[64];

	tui_box(t, n + 4, 30, "Sort by", &y, &x);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%c %d %s%s", i == cur ? '*' : ' ', i,
		    tui_table_col_title(i), i == cur ? (rev ? " (descending)" : " (ascending)") : "");
		tui_put(y + 1 + i, x + 2, 26, line, i == s->sel ? a | (int)A_REVERSE : a);
	}
	tui_put(y + n + 2, x + 2, 26, "Enter: sort  Esc: back", a);
}

static void
sort_bar(struct tui *t, struct tui_view *v)
{
	tui_bar_begin(t);
	tui_bar_item(t, "Enter", "Sort");
	tui_bar_item(t, "Esc", "Back");
	tui_bar_end(t);
}

static enum tui_result
sort_key(struct tui *t, struct tui_view *v, int ch)
{
	struct sortmenu *s = (struct sortmenu *)v;
	int n = tui_table_ncols(), rev, cur = tui_table_sort_col(t, &rev);

	switch (ch) {
	case 27:
	case 'q':
		return TUI_CLOSE;
	case KEY_UP:
		s->sel = (s->sel + n - 1) % n;
		return TUI_REDRAW;
	case KEY_DOWN:
		s->sel = (s->sel + 1) % n;
		return TUI_REDRAW;
	case '\r':
	case '\n':
	case KEY_ENTER:
		tui_table_set_sort(t, s->sel, s->sel == cur ? !rev : 0);
		return TUI_CLOSE;
	}
	if (ch >= '0' && ch <= '9' && ch - '0' < n) {
		tui_table_set_sort(t, ch - '0', ch - '0' == cur ? !rev : 0);
		return TUI_CLOSE;
	}
	return TUI_HANDLED;
}

static void
sort_destroy(struct tui_view *v)
{
	free(v);
}

static const struct tui_view_ops sort_ops = {
	.name = "sort",
	.fullscreen = 0,
	.draw = sort_draw,
	.key = sort_key,
	.bar = sort_bar,
	.destroy = sort_destroy,
};

void
tui_sort_open(struct tui *t)
{
	struct sortmenu *s = xcalloc(1, sizeof(*s));
	int rev;

	s->base.ops = &sort_ops;
	s->sel = tui_table_sort_col(t, &rev);
	tui_push(t, &s->base);
}

static void
sort_run(struct tui *t, struct tui_qube *q)
{
	tui_sort_open(t);
}

const struct tui_action tui_act_sort = {
	.name = "sort",
	.label = "Sort",
	.fkey = 6,
	.key = 'o',
	.keyname = "o",
	.help = "choose the sort column (also < and > for the previous/next column, "
	    "I to reverse)",
	.flags = TUI_ACT_KIOSK | TUI_ACT_BAR,
	.run = sort_run,
};
