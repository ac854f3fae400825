/* Function keys: which ones the terminal can send, so that the bar and the
 * help show only those (the letter otherwise), and the sequences common
 * terminal emulators send for F1-F12 where the terminfo entry has none, so
 * that such a key acts as the function key instead of typing its tail
 * ("[18~") into the screen. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <term.h>

#define MAX_FKEY 12

static unsigned sendable; /* bit n: Fn */

/* DEC's application keypad (ESC O l .. ESC O y). vt100's terminfo gives F5-F10
 * those codes, which no emulator's function keys send: keypad keys. */
static int
keypad_code(const char *s)
{
	return s[0] == '\033' && s[1] == 'O' && s[2] >= 'l' && s[2] <= 'y' && s[3] == '\0';
}

/* What xterm, VT220 emulators, rxvt/PuTTY (F1-F4) and the Linux console
 * (F1-F5) send. */
static const struct {
	int n;
	const char *seq;
} fallback[] = {
	{ 1, "\033OP" }, { 2, "\033OQ" }, { 3, "\033OR" }, { 4, "\033OS" },
	{ 1, "\033[11~" }, { 2, "\033[12~" }, { 3, "\033[13~" }, { 4, "\033[14~" },
	{ 1, "\033[[A" }, { 2, "\033[[B" }, { 3, "\033[[C" }, { 4, "\033[[D" }, { 5, "\033[[E" },
	{ 5, "\033[15~" }, { 6, "\033[17~" }, { 7, "\033[18~" }, { 8, "\033[19~" },
	{ 9, "\033[20~" }, { 10, "\033[21~" }, { 11, "\033[23~" }, { 12, "\033[24~" },
};

void
tui_keys_init(void)
{
	char cap[8];
	const char *s;
	size_t i;
	int n;

	sendable = 0;
	for (n = 1; n <= MAX_FKEY; n++) {
		snprintf(cap, sizeof(cap), "kf%d", n);
		s = tigetstr(cap);
		if (s != NULL && s != (char *)-1 && *s != '\0' && !keypad_code(s))
			sendable |= 1u << n;
	}
	/* Only sequences no key of the entry uses, nor begins with. */
	for (i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
		if (key_defined(fallback[i].seq) == 0)
			define_key(fallback[i].seq, KEY_F(fallback[i].n));
}

int
tui_fkey_sendable(int n)
{
	return n >= 1 && n <= MAX_FKEY && (sendable & (1u << n)) != 0;
}

void
tui_action_keytext(const struct tui_action *a, char *buf, size_t len)
{
	if (a->fkey > 0 && tui_fkey_sendable(a->fkey))
		snprintf(buf, len, "F%d", a->fkey);
	else if (a->key < 0x20)
		snprintf(buf, len, "^%c", a->key + '@');
	else
		snprintf(buf, len, "%c", a->key);
}
