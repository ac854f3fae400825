/* The selection of a list in a full-screen view (tags, firewall rules, USB
 * devices): moved by the keys every list answers, kept on screen. */
#include "tui.h"

#include <curses.h>

int
tui_list_key(int ch, int *sel, int n, int page)
{
	int last = n > 0 ? n - 1 : 0;

	switch (ch) {
	case KEY_UP:
		if (*sel > 0)
			(*sel)--;
		return 1;
	case KEY_DOWN:
		if (*sel + 1 < n)
			(*sel)++;
		return 1;
	case KEY_PPAGE:
		*sel = *sel > page ? *sel - page : 0;
		return 1;
	case KEY_NPAGE:
	case ' ':
		*sel = *sel + page < n ? *sel + page : last;
		return 1;
	case KEY_HOME:
	case 'g':
		*sel = 0;
		return 1;
	case KEY_END:
	case 'G':
		*sel = last;
		return 1;
	}
	return 0;
}

void
tui_list_scroll(int sel, int *top, int nrows)
{
	if (sel < *top)
		*top = sel;
	if (sel >= *top + nrows)
		*top = sel - nrows + 1;
}
