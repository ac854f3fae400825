/* Drawing: colours, the status line (row 0), the message line (row
 * LINES-2), the function-key bar (row LINES-1), boxes, and a frame: the
 * topmost full-screen view and the dialogs over it, drawn into stdscr. Only
 * cells that differ from the terminal's are then sent (doupdate). */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

static int attrs[TC_COUNT];

void
tui_colours_init(struct tui *t)
{
	/* Without colour: attributes a VT100 has (bold, reverse, underline). */
	int i;

	for (i = 0; i < TC_COUNT; i++)
		attrs[i] = A_NORMAL;
	attrs[TC_STATUS] = A_REVERSE;
	attrs[TC_BARKEY] = A_BOLD;
	attrs[TC_BARLABEL] = A_REVERSE;
	attrs[TC_ERROR] = A_BOLD;
	attrs[TC_HEADER] = A_REVERSE;
	attrs[TC_SELECTED] = A_REVERSE;
	attrs[TC_NEW] = A_BOLD | A_UNDERLINE;
	attrs[TC_RUNNING] = A_BOLD;
	attrs[TC_DIALOG] = A_NORMAL;
	attrs[TC_FIELD] = A_UNDERLINE;
	if (!t->colour)
		return;

	start_color();
	use_default_colors();
	{
		int c256 = COLORS >= 256;
		/* Label colours: 256-colour approximations of Qubes' labels, the
		 * eight ANSI colours (and bold for bright) otherwise. */
		static const struct { int c256, c8, bold8; } lab[8] = {
			{ 196, COLOR_RED, 0 },      /* red */
			{ 208, COLOR_YELLOW, 0 },   /* orange */
			{ 226, COLOR_YELLOW, 1 },   /* yellow */
			{ 40, COLOR_GREEN, 0 },     /* green */
			{ 248, COLOR_WHITE, 0 },    /* gray */
			{ 39, COLOR_BLUE, 1 },      /* blue */
			{ 135, COLOR_MAGENTA, 0 },  /* purple */
			{ 242, COLOR_BLACK, 1 },    /* black: dark gray, readable on black */
		};
		for (i = 0; i < 8; i++) {
			init_pair((short)(TC_RED + i), (short)(c256 ? lab[i].c256 : lab[i].c8), -1);
			attrs[TC_RED + i] = COLOR_PAIR(TC_RED + i) |
			    (!c256 && lab[i].bold8 ? A_BOLD : A_NORMAL);
		}
	}
	init_pair(TC_STATUS, COLOR_BLACK, COLOR_CYAN);
	attrs[TC_STATUS] = COLOR_PAIR(TC_STATUS);
	init_pair(TC_BARKEY, COLOR_WHITE, -1);
	attrs[TC_BARKEY] = COLOR_PAIR(TC_BARKEY) | A_BOLD;
	init_pair(TC_BARLABEL, COLOR_BLACK, COLOR_CYAN);
	attrs[TC_BARLABEL] = COLOR_PAIR(TC_BARLABEL);
	init_pair(TC_ERROR, COLOR_RED, -1);
	attrs[TC_ERROR] = COLOR_PAIR(TC_ERROR) | A_BOLD;
	init_pair(TC_HEADER, COLOR_BLACK, COLOR_GREEN);
	attrs[TC_HEADER] = COLOR_PAIR(TC_HEADER);
	attrs[TC_SELECTED] = A_REVERSE;
	init_pair(TC_NEW, COLOR_YELLOW, -1);
	attrs[TC_NEW] = COLOR_PAIR(TC_NEW) | A_BOLD;
	init_pair(TC_RUNNING, COLOR_GREEN, -1);
	attrs[TC_RUNNING] = COLOR_PAIR(TC_RUNNING);
	init_pair(TC_PAUSED, COLOR_YELLOW, -1);
	attrs[TC_PAUSED] = COLOR_PAIR(TC_PAUSED);
	init_pair(TC_TRANSIENT, COLOR_CYAN, -1);
	attrs[TC_TRANSIENT] = COLOR_PAIR(TC_TRANSIENT);
	init_pair(TC_DIALOG, COLOR_WHITE, COLOR_BLUE);
	attrs[TC_DIALOG] = COLOR_PAIR(TC_DIALOG);
	init_pair(TC_FIELD, COLOR_BLACK, COLOR_WHITE);
	attrs[TC_FIELD] = COLOR_PAIR(TC_FIELD);
}

int
tui_attr(struct tui *t, enum tui_colour c)
{
	return attrs[c];
}

int
tui_label_attr(struct tui *t, const char *label)
{
	static const char *const names[8] = { "red", "orange", "yellow", "green", "gray",
		"blue", "purple", "black" };
	int i;

	if (!t->colour)
		return A_NORMAL;
	for (i = 0; i < 8; i++)
		if (strcmp(label, names[i]) == 0)
			return attrs[TC_RED + i];
	return A_NORMAL;
}

void
tui_put(int y, int x, int w, const char *s, int attr)
{
	int i;

	if (w <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + w > COLS)
		w = COLS - x;
	attrset(attr);
	move(y, x);
	for (i = 0; i < w && s[i] != '\0'; i++)
		addch((chtype)(unsigned char)(s[i] >= 0x20 && s[i] <= 0x7e ? s[i] : '?'));
	for (; i < w; i++)
		addch(' ');
	attrset(A_NORMAL);
}

void
tui_box(struct tui *t, int h, int w, const char *title, int *yp, int *xp)
{
	int y, x, i, a = tui_attr(t, TC_DIALOG);
	char line[512];

	if (w > COLS - 2)
		w = COLS - 2;
	if (h > LINES - 3)
		h = LINES - 3;
	y = 1 + (LINES - 3 - h) / 2;
	x = (COLS - w) / 2;
	/* ASCII borders: the same bytes on every terminal and serial line. */
	memset(line, '-', sizeof(line));
	line[0] = '+';
	line[w - 1] = '+';
	line[w < (int)sizeof(line) ? w : (int)sizeof(line) - 1] = '\0';
	tui_put(y, x, w, line, a);
	tui_put(y + h - 1, x, w, line, a);
	for (i = 1; i < h - 1; i++) {
		tui_put(y + i, x, 1, "|", a);
		tui_put(y + i, x + 1, w - 2, "", a);
		tui_put(y + i, x + w - 1, 1, "|", a);
	}
	if (title != NULL && *title != '\0') {
		snprintf(line, sizeof(line), " %s ", title);
		tui_put(y, x + 2, (int)strlen(line) < w - 4 ? (int)strlen(line) : w - 4, line,
		    a | A_BOLD);
	}
	*yp = y;
	*xp = x;
}

int
tui_wrap(const char *s, int w, char lines[][256], int maxlines)
{
	int n = 0, len;
	const char *p = s, *end, *brk;

	if (w > 255)
		w = 255;
	while (*p != '\0' && n < maxlines) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		len = (int)strlen(p);
		if (len <= w) {
			snprintf(lines[n++], 256, "%s", p);
			break;
		}
		end = p + w;
		for (brk = end; brk > p && *brk != ' '; brk--)
			;
		if (brk == p)
			brk = end; /* one long word: cut it */
		snprintf(lines[n++], 256, "%.*s", (int)(brk - p), p);
		p = brk;
	}
	return n;
}

/* ---- the bar ---- */

void
tui_bar_begin(struct tui *t)
{
	t->bar_x = 0;
	move(LINES - 1, 0);
	attrset(A_NORMAL);
	clrtoeol();
}

void
tui_bar_item(struct tui *t, const char *key, const char *label)
{
	int kl = (int)strlen(key), ll = (int)strlen(label);

	if (t->bar_x + kl + ll > COLS)
		return;
	tui_put(LINES - 1, t->bar_x, kl, key, tui_attr(t, TC_BARKEY));
	tui_put(LINES - 1, t->bar_x + kl, ll, label, tui_attr(t, TC_BARLABEL));
	t->bar_x += kl + ll;
	if (t->bar_x < COLS)
		tui_put(LINES - 1, t->bar_x++, 1, " ", A_NORMAL);
}

void
tui_bar_end(struct tui *t)
{
	if (t->bar_x < COLS)
		tui_put(LINES - 1, t->bar_x, COLS - t->bar_x, "", A_NORMAL);
}

/* ---- status and message lines ---- */

static void
draw_status(struct tui *t)
{
	char left[256], right[96], backend[96];
	size_t i, running = 0;
	int a = tui_attr(t, TC_STATUS), rl;

	for (i = 0; i < t->m.n; i++)
		running += model_running(t->m.q[i]);
	if (!t->m.connected)
		snprintf(backend, sizeof(backend), "not connected to domd");
	else if (t->m.backend[0] == '\0')
		snprintf(backend, sizeof(backend), "backend ?");
	else if (t->m.weak_isolation || strcmp(t->m.backend, "ns") == 0)
		snprintf(backend, sizeof(backend), "backend %s (weaker isolation: shared kernel)",
		    t->m.backend);
	else
		snprintf(backend, sizeof(backend), "backend %s", t->m.backend);
	snprintf(left, sizeof(left), " %s  %zu qube%s, %zu running", backend, t->m.n,
	    t->m.n == 1 ? "" : "s", running);
	right[0] = '\0';
	if (t->m.asks_available == 1 && !t->opts.kiosk)
		snprintf(right, sizeof(right), "asks %zu%s ", t->m.nasks,
		    model_new_asks(&t->m) > 0 ? "!" : "");
	if (t->opts.kiosk)
		snprintf(right + strlen(right), sizeof(right) - strlen(right), "KIOSK ");
	rl = (int)strlen(right);
	tui_put(0, 0, COLS, left, a);
	if (rl > 0 && rl < COLS) {
		int ra = a;
		if (t->m.nasks > 0 && !t->opts.kiosk)
			ra = tui_attr(t, TC_ERROR) | A_REVERSE;
		tui_put(0, COLS - rl, rl, right, ra);
	}
}

static void
draw_message(struct tui *t)
{
	char buf[300];

	if (t->m.error[0] != '\0') {
		snprintf(buf, sizeof(buf), "error: %s", t->m.error);
		tui_put(LINES - 2, 0, COLS, buf, tui_attr(t, TC_ERROR));
	} else
		tui_put(LINES - 2, 0, COLS, t->m.info, A_NORMAL);
}

void
tui_draw(struct tui *t)
{
	struct tui_view *stack[32], *v;
	int n = 0, i, start;

	t->redraw = 0;
	t->drawn_gen = t->m.gen;
	t->cursor_y = t->cursor_x = -1;
	for (v = t->top; v != NULL && n < 32; v = v->below)
		stack[n++] = v;
	for (start = 0; start < n - 1 && !stack[start]->ops->fullscreen; start++)
		;

	attrset(A_NORMAL);
	if (LINES < 10 || COLS < 40) {
		erase();
		tui_put(0, 0, COLS, "terminal too small", A_BOLD);
	} else {
		draw_status(t);
		draw_message(t);
		for (i = start; i >= 0; i--)
			stack[i]->ops->draw(t, stack[i]);
		for (i = 0; i < n; i++) {
			if (stack[i]->ops->bar != NULL) {
				stack[i]->ops->bar(t, stack[i]);
				break;
			}
		}
	}
	if (t->cursor_y >= 0) {
		leaveok(stdscr, FALSE);
		move(t->cursor_y, t->cursor_x);
		if (!t->cursor_shown)
			curs_set(1);
		t->cursor_shown = 1;
	} else {
		/* The cursor is hidden: leave it where the last change put it
		 * instead of sending a move. */
		if (t->cursor_shown)
			curs_set(0);
		t->cursor_shown = 0;
		leaveok(stdscr, TRUE);
	}
	if (t->full_redraw) {
		clearok(curscr, TRUE);
		t->full_redraw = 0;
	}
	wnoutrefresh(stdscr);
	doupdate();
}

static void
redraw_run(struct tui *t, struct tui_qube *q)
{
	tui_size_refresh(t);
}

const struct tui_action tui_act_redraw = {
	.name = "redraw",
	.label = "Redraw",
	.key = 12, /* Ctrl-L */
	.keyname = "Ctrl-L",
	.help = "repaint the whole screen (after line noise on a serial line); on a "
	    "serial line also ask the terminal its size again",
	.flags = TUI_ACT_KIOSK,
	.run = redraw_run,
};
