/* A form in a dialog box: text fields and choice fields, Enter submits, Esc
 * cancels. domd does the validation: its error message is shown under the
 * field it names (the form stays open to fix it). */
#include "tui.h"

#include <ctype.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define FIELD_TEXT   0
#define FIELD_CHOICE 1
#define FIELD_SECRET 2 /* a text field never drawn: a passphrase */
#define FORM_MAX_NOTES 6

struct field {
	char key[32];
	char label[32];
	char hint[48];
	int kind;
	char text[TUI_FORM_TEXT_MAX + 1];
	size_t len, cur;
	char **choices;
	int nchoices, choice;
	char initial[TUI_FORM_TEXT_MAX + 1];
	char msg[256];
};

struct tui_form {
	struct tui_view base;
	char title[64];
	char vm[TUI_NAME_MAX];
	struct field *f;
	int n, focus;
	char notes[FORM_MAX_NOTES][128];
	int nnotes;
	char msg[256];      /* a message that names no field */
	int pending;        /* requests in flight */
	char busy[64];
	tui_form_fn submit;
};

static const struct tui_view_ops form_ops;

static struct field *
add_field(struct tui_form *f, const char *key, const char *label)
{
	struct field *fl;

	f->f = xrealloc(f->f, (size_t)(f->n + 1) * sizeof(*f->f));
	fl = &f->f[f->n++];
	memset(fl, 0, sizeof(*fl));
	snprintf(fl->key, sizeof(fl->key), "%s", key);
	snprintf(fl->label, sizeof(fl->label), "%s", label);
	return fl;
}

struct tui_form *
tui_form_new(const char *title, const char *vm, tui_form_fn submit)
{
	struct tui_form *f = xcalloc(1, sizeof(*f));

	f->base.ops = &form_ops;
	snprintf(f->title, sizeof(f->title), "%s", title);
	tui_safe_copy(f->vm, sizeof(f->vm), vm != NULL ? vm : "");
	f->submit = submit;
	return f;
}

void
tui_form_text(struct tui_form *f, const char *key, const char *label, const char *value,
    const char *hint)
{
	struct field *fl = add_field(f, key, label);

	fl->kind = FIELD_TEXT;
	tui_safe_copy(fl->text, sizeof(fl->text), value != NULL ? value : "");
	fl->len = fl->cur = strlen(fl->text);
	snprintf(fl->initial, sizeof(fl->initial), "%s", fl->text);
	snprintf(fl->hint, sizeof(fl->hint), "%s", hint != NULL ? hint : "");
}

void
tui_form_secret(struct tui_form *f, const char *key, const char *label)
{
	tui_form_text(f, key, label, "", "typed, not shown");
	f->f[f->n - 1].kind = FIELD_SECRET;
}

void
tui_form_choice(struct tui_form *f, const char *key, const char *label,
    const char *const *choices, int n, const char *value)
{
	struct field *fl = add_field(f, key, label);
	int i;

	fl->kind = FIELD_CHOICE;
	fl->choices = xcalloc((size_t)n + 1, sizeof(*fl->choices));
	for (i = 0; i < n; i++)
		fl->choices[i] = xstrdup(choices[i]);
	fl->nchoices = n;
	fl->choice = 0;
	if (value != NULL) {
		for (i = 0; i < n && strcmp(fl->choices[i], value) != 0; i++)
			;
		if (i == n) /* a current value that is not among the choices */
			fl->choices[fl->nchoices++] = xstrdup(value);
		fl->choice = i;
	}
	snprintf(fl->initial, sizeof(fl->initial), "%s",
	    fl->nchoices > 0 ? fl->choices[fl->choice] : "");
}

void
tui_form_note(struct tui_form *f, const char *text)
{
	if (f->nnotes < FORM_MAX_NOTES)
		tui_safe_copy(f->notes[f->nnotes++], sizeof(f->notes[0]), text);
}

int
tui_form_nfields(const struct tui_form *f)
{
	return f->n;
}

const char *
tui_form_key(const struct tui_form *f, int i)
{
	return f->f[i].key;
}

const char *
tui_form_value(const struct tui_form *f, int i)
{
	const struct field *fl = &f->f[i];

	if (fl->kind != FIELD_CHOICE)
		return fl->text;
	return fl->nchoices > 0 ? fl->choices[fl->choice] : "";
}

const char *
tui_form_get(const struct tui_form *f, const char *key)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->f[i].key, key) == 0)
			return tui_form_value(f, i);
	return "";
}

int
tui_form_changed(const struct tui_form *f, int i)
{
	return strcmp(tui_form_value(f, i), f->f[i].initial) != 0;
}

const char *
tui_form_vm(const struct tui_form *f)
{
	return f->vm;
}

struct tui_view *
tui_form_view(struct tui_form *f)
{
	return &f->base;
}

unsigned long
tui_form_id(const struct tui_form *f)
{
	return f->base.id;
}

struct tui_form *
tui_form_find(struct tui *t, unsigned long id)
{
	struct tui_view *v = tui_view_find(t, id);

	return v != NULL && v->ops == &form_ops ? (struct tui_form *)v : NULL;
}

void
tui_form_busy(struct tui_form *f, const char *what)
{
	snprintf(f->busy, sizeof(f->busy), "%s", what);
}

int
tui_form_pending(struct tui_form *f, int delta)
{
	f->pending += delta;
	if (f->pending <= 0) {
		f->pending = 0;
		f->busy[0] = '\0';
	}
	return f->pending;
}

int
tui_form_nerrors(const struct tui_form *f)
{
	int i, n = f->msg[0] != '\0';

	for (i = 0; i < f->n; i++)
		n += f->f[i].msg[0] != '\0';
	return n;
}

void
tui_form_accepted(struct tui_form *f, const char *key)
{
	struct field *fl;
	int i;

	for (i = 0; i < f->n; i++) {
		fl = &f->f[i];
		if (strcmp(fl->key, key) == 0)
			snprintf(fl->initial, sizeof(fl->initial), "%s", tui_form_value(f, i));
	}
}

void
tui_form_clear_errors(struct tui_form *f)
{
	int i;

	f->msg[0] = '\0';
	for (i = 0; i < f->n; i++)
		f->f[i].msg[0] = '\0';
}

static struct field *
field_named(struct tui_form *f, const char *key)
{
	int i;

	for (i = 0; key != NULL && i < f->n; i++)
		if (strcmp(f->f[i].key, key) == 0)
			return &f->f[i];
	return NULL;
}

void
tui_form_field_error(struct tui_form *f, const char *key, const char *message)
{
	struct field *fl = field_named(f, key);

	if (fl != NULL) {
		tui_safe_copy(fl->msg, sizeof(fl->msg), message);
		f->focus = (int)(fl - f->f);
	} else
		tui_safe_copy(f->msg, sizeof(f->msg), message);
}

/* Whether word occurs in s as a whole word. */
static int
has_word(const char *s, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = s; (p = strstr(p, word)) != NULL; p++)
		if ((p == s || (!isalnum((unsigned char)p[-1]) && p[-1] != '_')) &&
		    !isalnum((unsigned char)p[n]) && p[n] != '_')
			return 1;
	return 0;
}

void
tui_form_error(struct tui_form *f, const char *code, const char *message)
{
	char word[64];
	const char *key = NULL;
	int i;

	/* domd's messages name what they refuse: "invalid qube name '…'",
	 * "invalid memory '…'", "missing label …", "… needs a template". */
	if (code != NULL && strcmp(code, "exists") == 0)
		key = "name";
	else if (strncmp(message, "invalid qube name", 17) == 0)
		key = "name";
	else if (sscanf(message, "invalid %63[a-z_]", word) == 1 && field_named(f, word))
		key = field_named(f, word)->key;
	else if (sscanf(message, "missing %63[a-z_]", word) == 1 && field_named(f, word))
		key = field_named(f, word)->key;
	else if (strstr(message, "needs a template") != NULL)
		key = "template";
	else
		for (i = 0; i < f->n && key == NULL; i++)
			if (has_word(message, f->f[i].key))
				key = f->f[i].key;
	tui_form_field_error(f, key, message);
}

/* ---- drawing ---- */

#define FORM_W 70
#define LABEL_W 14

static int
form_height(struct tui_form *f, int w, char wrapped[][256])
{
	int i, h = 2 + f->nnotes + (f->nnotes > 0) + 2; /* borders, notes, hint line */

	for (i = 0; i < f->n; i++) {
		h++;
		if (f->f[i].msg[0] != '\0')
			h += tui_wrap(f->f[i].msg, w - 6, wrapped, 4);
	}
	if (f->msg[0] != '\0')
		h += 1 + tui_wrap(f->msg, w - 4, wrapped, 4);
	if (f->busy[0] != '\0')
		h += 1;
	return h;
}

static void
form_draw(struct tui *t, struct tui_view *v)
{
	struct tui_form *f = (struct tui_form *)v;
	char wrapped[4][256], buf[256];
	int w = COLS - 4 < FORM_W ? COLS - 4 : FORM_W, h, y, x, row, i, j, n, fw;
	int dlg = tui_attr(t, TC_DIALOG), err = tui_attr(t, TC_ERROR);

	h = form_height(f, w, wrapped);
	tui_box(t, h, w, f->title, &y, &x);
	row = y + 1;
	for (i = 0; i < f->nnotes; i++)
		tui_put(row++, x + 2, w - 4, f->notes[i], dlg);
	if (f->nnotes > 0)
		row++;
	fw = w - 4 - LABEL_W - 1;
	for (i = 0; i < f->n && row < y + h - 1; i++) {
		struct field *fl = &f->f[i];
		int focused = i == f->focus;

		snprintf(buf, sizeof(buf), "%s%s", focused ? ">" : " ", fl->label);
		tui_put(row, x + 2, LABEL_W, buf, dlg | (focused ? A_BOLD : 0));
		if (fl->kind != FIELD_CHOICE) {
			int tw = fl->hint[0] != '\0' ? fw / 2 : fw;
			size_t off = fl->cur >= (size_t)tw ? fl->cur - (size_t)tw + 1 : 0;
			int secret = fl->kind == FIELD_SECRET;
			/* A secret shows neither its characters nor how many. */
			tui_put(row, x + 2 + LABEL_W + 1, tw, secret ? "" : fl->text + off,
			    tui_attr(t, TC_FIELD));
			if (fl->hint[0] != '\0')
				tui_put(row, x + 2 + LABEL_W + 2 + tw, fw - tw - 1, fl->hint, dlg);
			if (focused && f->pending == 0) {
				t->cursor_y = row;
				t->cursor_x = x + 2 + LABEL_W + 1 + (secret ? 0 : (int)(fl->cur - off));
			}
		} else {
			const char *val = fl->nchoices > 0 ? fl->choices[fl->choice] : "";
			snprintf(buf, sizeof(buf), "< %s >", *val ? val : "(none)");
			tui_put(row, x + 2 + LABEL_W + 1, fw, buf,
			    focused ? tui_attr(t, TC_FIELD) : dlg);
		}
		row++;
		if (fl->msg[0] != '\0') {
			n = tui_wrap(fl->msg, w - 6, wrapped, 4);
			for (j = 0; j < n && row < y + h - 1; j++) {
				snprintf(buf, sizeof(buf), "%s %s", j == 0 ? "!" : " ", wrapped[j]);
				tui_put(row++, x + 3, w - 5, buf, err);
			}
		}
	}
	if (f->msg[0] != '\0') {
		row++;
		n = tui_wrap(f->msg, w - 4, wrapped, 4);
		for (j = 0; j < n && row < y + h - 1; j++)
			tui_put(row++, x + 2, w - 4, wrapped[j], err);
	}
	if (f->busy[0] != '\0' && row < y + h - 1)
		tui_put(row++, x + 2, w - 4, f->busy, dlg | A_BOLD);
	tui_put(y + h - 2, x + 2, w - 4,
	    "Enter: OK  Tab/Up/Down: field  Left/Right: choose  Esc: cancel", dlg);
}

static void
form_bar(struct tui *t, struct tui_view *v)
{
	tui_bar_begin(t);
	tui_bar_item(t, "Enter", "OK");
	tui_bar_item(t, "Tab", "Next");
	tui_bar_item(t, "Esc", "Cancel");
	tui_bar_end(t);
}

/* ---- keys ---- */

static enum tui_result
text_key(struct field *fl, int ch)
{
	switch (ch) {
	case KEY_LEFT:
		if (fl->cur > 0)
			fl->cur--;
		return TUI_REDRAW;
	case KEY_RIGHT:
		if (fl->cur < fl->len)
			fl->cur++;
		return TUI_REDRAW;
	case KEY_HOME:
	case 1: /* Ctrl-A */
		fl->cur = 0;
		return TUI_REDRAW;
	case KEY_END:
	case 5: /* Ctrl-E */
		fl->cur = fl->len;
		return TUI_REDRAW;
	case 21: /* Ctrl-U */
		fl->len = fl->cur = 0;
		fl->text[0] = '\0';
		return TUI_REDRAW;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (fl->cur == 0)
			return TUI_HANDLED;
		memmove(fl->text + fl->cur - 1, fl->text + fl->cur, fl->len - fl->cur + 1);
		fl->cur--;
		fl->len--;
		return TUI_REDRAW;
	case KEY_DC:
		if (fl->cur == fl->len)
			return TUI_HANDLED;
		memmove(fl->text + fl->cur, fl->text + fl->cur + 1, fl->len - fl->cur);
		fl->len--;
		return TUI_REDRAW;
	}
	if (ch >= 0x20 && ch <= 0x7e && fl->len + 1 < sizeof(fl->text)) {
		memmove(fl->text + fl->cur + 1, fl->text + fl->cur, fl->len - fl->cur + 1);
		fl->text[fl->cur++] = (char)ch;
		fl->len++;
		return TUI_REDRAW;
	}
	return TUI_HANDLED;
}

static enum tui_result
choice_key(struct field *fl, int ch)
{
	int i;

	if (fl->nchoices == 0)
		return TUI_HANDLED;
	switch (ch) {
	case KEY_LEFT:
		fl->choice = (fl->choice + fl->nchoices - 1) % fl->nchoices;
		return TUI_REDRAW;
	case KEY_RIGHT:
	case ' ':
		fl->choice = (fl->choice + 1) % fl->nchoices;
		return TUI_REDRAW;
	}
	/* A letter: the next choice that starts with it. */
	if (ch > ' ' && ch <= 0x7e) {
		for (i = 1; i <= fl->nchoices; i++) {
			int c = (fl->choice + i) % fl->nchoices;
			if (tolower((unsigned char)fl->choices[c][0]) == tolower(ch)) {
				fl->choice = c;
				return TUI_REDRAW;
			}
		}
	}
	return TUI_HANDLED;
}

static enum tui_result
form_key(struct tui *t, struct tui_view *v, int ch)
{
	struct tui_form *f = (struct tui_form *)v;
	struct field *fl;

	if (ch == 27)
		return TUI_CLOSE;
	if (f->pending > 0)
		return TUI_HANDLED;
	switch (ch) {
	case '\t':
	case KEY_DOWN:
		if (f->n > 0)
			f->focus = (f->focus + 1) % f->n;
		return TUI_REDRAW;
	case KEY_BTAB:
	case KEY_UP:
		if (f->n > 0)
			f->focus = (f->focus + f->n - 1) % f->n;
		return TUI_REDRAW;
	case '\r':
	case '\n':
	case KEY_ENTER:
		tui_form_clear_errors(f);
		f->submit(t, f);
		return TUI_REDRAW;
	}
	if (f->n == 0)
		return TUI_HANDLED;
	fl = &f->f[f->focus];
	if (fl->kind == FIELD_SECRET && (ch == KEY_LEFT || ch == KEY_RIGHT || ch == KEY_HOME ||
	    ch == KEY_END || ch == 1 || ch == 5 || ch == KEY_DC))
		return TUI_HANDLED; /* the cursor stays at the end of what is not shown */
	return fl->kind == FIELD_CHOICE ? choice_key(fl, ch) : text_key(fl, ch);
}

static void
form_destroy(struct tui_view *v)
{
	struct tui_form *f = (struct tui_form *)v;
	int i, j;

	for (i = 0; i < f->n; i++) {
		explicit_bzero(f->f[i].text, sizeof(f->f[i].text));
		explicit_bzero(f->f[i].initial, sizeof(f->f[i].initial));
		for (j = 0; j < f->f[i].nchoices; j++)
			free(f->f[i].choices[j]);
		free(f->f[i].choices);
	}
	free(f->f);
	free(f);
}

static const struct tui_view_ops form_ops = {
	.name = "form",
	.fullscreen = 0,
	.draw = form_draw,
	.key = form_key,
	.bar = form_bar,
	.destroy = form_destroy,
};
