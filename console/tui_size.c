/* The terminal's size where no one tells it: a serial line carries no
 * SIGWINCH and the kernel's window size is 0x0 or stale, so curses would
 * assume its terminfo entry's 80x24. As resize(1) does, the console moves
 * the cursor far right and down and asks where it is (ESC [ 6 n, answered
 * ESC [ row ; col R); the answer is the size.
 *
 * When: at start, and on Ctrl-L, if the terminal is not a pseudo-terminal
 * (a serial line, hvc, a text console) or one whose size is 0x0. A pty with
 * a size (xterm, ssh, tmux) is told of changes by SIGWINCH: not asked.
 *
 * Drawing waits for the answer for ASK_WAIT_NS, then goes on at the size it
 * has; an answer that comes later (a slow line) is still taken until
 * ASK_LATE_NS. The answer arrives as keys: while a question is open every
 * key goes through a small matcher that holds back what may be the start
 * of an answer and hands everything else on, in order, so that keys typed
 * meanwhile are kept. */
#include "tui.h"

#include <curses.h>
#include <string.h>

#define ASK_WAIT_NS  500000000LL    /* the first frame waits this long */
#define ASK_LATE_NS  5000000000LL   /* a late answer is taken until then */
#define HOLD_NS      100000000LL    /* a part of an answer waits this long for the rest */
#define MAX_HELD     12             /* ESC [ 4 digits ; 4 digits R: 12 keys */

static struct {
	int enabled;           /* this terminal is asked */
	int64_t wait_until;    /* drawing waits until then; 0: no wait */
	int64_t late_until;    /* answers are matched until then; 0: no question open */
	int held[MAX_HELD];    /* a possible answer so far */
	int nheld;
	int64_t held_until;
	int row, col, ndigits, in_col;
} size;

static void
send_question(void)
{
	/* Everything curses has buffered goes first, so that the question is
	 * not mixed into it; then save the cursor, go far, ask, restore. */
	doupdate();
	tui_term_write("\0337\033[999;999H\033[6n\0338");
}

static void
ask(struct tui *t)
{
	int64_t now = tui_now_ns();

	send_question();
	size.wait_until = now + ASK_WAIT_NS;
	size.late_until = now + ASK_LATE_NS;
	size.nheld = 0;
}

void
tui_size_start(struct tui *t)
{
	size.enabled = tui_term_size_unknown();
	if (size.enabled)
		ask(t);
}

void
tui_size_refresh(struct tui *t)
{
	t->full_redraw = t->redraw = 1;
	if (size.enabled)
		ask(t);
}

int
tui_size_waiting(void)
{
	return size.wait_until != 0 && tui_now_ns() < size.wait_until;
}

int64_t
tui_size_deadline(void)
{
	int64_t d = 0;

	if (size.wait_until != 0)
		d = size.wait_until;
	if (size.nheld > 0 && (d == 0 || size.held_until < d))
		d = size.held_until;
	return d;
}

/* Hands the held keys on, in the order they came. */
static void
release(struct tui *t)
{
	int keys[MAX_HELD], n = size.nheld, i;

	memcpy(keys, size.held, sizeof(keys));
	size.nheld = 0;
	for (i = 0; i < n; i++)
		tui_handle_key(t, keys[i]);
}

static void
answered(struct tui *t, int rows, int cols)
{
	size.wait_until = size.late_until = 0;
	size.nheld = 0;
	/* A terminal that did not stop the cursor at its edge says 999: no size.
	 * The same size needs no repaint (Ctrl-L asked for one already). */
	if (rows >= 2 && cols >= 2 && rows < 999 && cols < 999 && tui_term_set_size(rows, cols))
		t->full_redraw = 1;
	t->redraw = 1;
}

void
tui_size_timer(struct tui *t, int64_t now)
{
	if (size.nheld > 0 && now >= size.held_until)
		release(t);
	if (size.wait_until != 0 && now >= size.wait_until) {
		/* No answer yet: draw at the size we have. */
		size.wait_until = 0;
		t->full_redraw = t->redraw = 1;
	}
	if (size.late_until != 0 && now >= size.late_until)
		size.late_until = 0;
}

/* Whether ch continues an answer ESC [ row ; col R; *done once complete. */
static int
matches(int ch, int *done)
{
	*done = 0;
	if (size.nheld == 0)
		return ch == 27;
	if (size.nheld == 1) {
		size.row = size.col = size.ndigits = size.in_col = 0;
		return ch == '[';
	}
	if (ch >= '0' && ch <= '9' && size.ndigits < 4) {
		size.ndigits++;
		if (size.in_col)
			size.col = size.col * 10 + (ch - '0');
		else
			size.row = size.row * 10 + (ch - '0');
		return 1;
	}
	if (ch == ';' && !size.in_col && size.ndigits > 0) {
		size.in_col = 1;
		size.ndigits = 0;
		return 1;
	}
	if (ch == 'R' && size.in_col && size.ndigits > 0) {
		*done = 1;
		return 1;
	}
	return 0;
}

void
tui_size_key(struct tui *t, int ch)
{
	int done;

	if (size.late_until == 0) {
		tui_handle_key(t, ch);
		return;
	}
	if (!matches(ch, &done)) {
		if (size.nheld == 0) {
			tui_handle_key(t, ch);
			return;
		}
		/* Not an answer after all: what was held, then ch afresh. */
		release(t);
		tui_size_key(t, ch);
		return;
	}
	if (done) {
		answered(t, size.row, size.col);
		return;
	}
	size.held[size.nheld++] = ch;
	size.held_until = tui_now_ns() + HOLD_NS;
}
