/* usb (u): the devices every USB qube offers, for the selected qube. The
 * device list is the CLI's: `bulkhead usb list --json` run as a child of
 * the console (it runs bulkhead.USBList in each USB qube, which needs fd
 * passing the console's connections do not do), read on the event loop.
 * Where each device is attached comes from usb.list, and the qube's
 * assignments (its usb property) from vm.get. a attaches the selected
 * device to the qube (vm.usb attach), A opens a form to attach it and
 * assign it (persistent, by port or by model), d or Delete detaches it
 * from the qube that has it, or drops the qube's assignment, after a y/n
 * question. domd's refusals are shown on one line above the message line.
 *
 * The three reads are repeated every few seconds while the view is on top
 * and after each change; a read that may predate a change made here is
 * dropped (epoch), the next one brings the current state. Every string
 * comes from a USB qube's device in the end: copied printable only. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

#define DEV_MAX      64
#define ID_LEN       48           /* QUBE_USB_LEN */
#define LIST_OUT_MAX (1024 * 1024)
#define LIST_TIMEOUT 30           /* seconds for `bulkhead usb list` */
#define REFRESH_NS   3000000000LL

struct usbrow {
	char id[ID_LEN];           /* USBVM:BUSID, or as assigned/attached */
	char vidpid[10];
	char speed[8];
	char desc[140];
	char to[TUI_NAME_MAX];     /* attached to */
	char att_id[ID_LEN];       /* the attachment's id as domd has it */
	int present;               /* offered by its USB qube now */
	int assigned;              /* in the selected qube's usb */
	char assigned_id[ID_LEN];
};

struct usbview {
	struct tui_view base;
	char vm[TUI_NAME_MAX];
	/* What the reads brought. */
	struct usbrow devs[DEV_MAX];
	int ndevs, have_devs;
	struct { char vm[TUI_NAME_MAX], id[ID_LEN]; } atts[DEV_MAX];
	int natts, have_atts;
	char assigned[DEV_MAX][ID_LEN];
	int nassigned, have_assigned;
	/* What is shown: the devices, then what is assigned or attached but
	 * not offered. */
	struct usbrow rows[DEV_MAX];
	int n, sel, top;
	int listing, getting, attsing; /* reads in flight */
	int64_t next_read_ns;
	unsigned long epoch;       /* bumped by each change sent or applied */
	char err[256];             /* the last refusal or failed read, one line */
	char note[256];            /* what is going on, when there is no error */
	char del_id[ID_LEN], del_vm[TUI_NAME_MAX]; /* what the question is about */
};

struct usbreq {
	unsigned long view, form;
	unsigned long epoch;
	char vm[TUI_NAME_MAX];
	char id[ID_LEN];
	char op[8];
	int persistent;
};

static const struct tui_view_ops usb_ops;

static struct usbview *
find_view(struct tui *t, unsigned long id)
{
	struct tui_view *v = tui_view_find(t, id);

	return v != NULL && v->ops == &usb_ops ? (struct usbview *)v : NULL;
}

static struct usbreq *
new_req(struct usbview *uv)
{
	struct usbreq *r = xcalloc(1, sizeof(*r));

	r->view = uv->base.id;
	r->epoch = uv->epoch;
	snprintf(r->vm, sizeof(r->vm), "%s", uv->vm);
	return r;
}

static int
rows(void)
{
	return LINES > 8 ? LINES - 7 : 1;
}

/* "USBVM:VID:PID" of a device "USBVM:BUSID". */
static void
by_model(char *buf, size_t len, const struct usbrow *d)
{
	const char *colon = strchr(d->id, ':');

	snprintf(buf, len, "%.*s:%s", colon != NULL ? (int)(colon - d->id) : 0, d->id, d->vidpid);
}

static int
names(const struct usbrow *d, const char *id)
{
	char model[ID_LEN + 16];

	if (strcmp(d->id, id) == 0)
		return 1;
	if (!d->present || d->vidpid[0] == '\0')
		return 0;
	by_model(model, sizeof(model), d);
	return strcmp(model, id) == 0;
}

static void
rebuild(struct usbview *uv)
{
	char keep[ID_LEN];
	int i, j, used;

	snprintf(keep, sizeof(keep), "%s", uv->sel < uv->n ? uv->rows[uv->sel].id : "");
	uv->n = 0;
	for (i = 0; i < uv->ndevs && uv->n < DEV_MAX; i++)
		uv->rows[uv->n++] = uv->devs[i];
	if (!uv->have_atts) /* until usb.list is in: the CLI's view of it */
		for (i = 0; i < uv->n; i++)
			snprintf(uv->rows[i].att_id, ID_LEN, "%s", uv->rows[i].id);
	for (j = 0; uv->have_atts && j < uv->natts; j++) {
		for (i = 0, used = 0; i < uv->n; i++) {
			if (!names(&uv->rows[i], uv->atts[j].id))
				continue;
			snprintf(uv->rows[i].to, TUI_NAME_MAX, "%s", uv->atts[j].vm);
			snprintf(uv->rows[i].att_id, ID_LEN, "%s", uv->atts[j].id);
			used = 1;
		}
		if (!used && uv->n < DEV_MAX) {
			struct usbrow *r = &uv->rows[uv->n++];
			memset(r, 0, sizeof(*r));
			snprintf(r->id, sizeof(r->id), "%s", uv->atts[j].id);
			snprintf(r->att_id, sizeof(r->att_id), "%s", uv->atts[j].id);
			snprintf(r->to, sizeof(r->to), "%s", uv->atts[j].vm);
			snprintf(r->desc, sizeof(r->desc), "(attached, not listed)");
		}
	}
	if (uv->have_atts)
		for (i = 0; i < uv->ndevs && i < uv->n; i++)
			if (uv->rows[i].att_id[0] == '\0')
				uv->rows[i].to[0] = '\0';
	for (j = 0; j < uv->nassigned; j++) {
		for (i = 0, used = 0; i < uv->n; i++) {
			if (!names(&uv->rows[i], uv->assigned[j]))
				continue;
			uv->rows[i].assigned = 1;
			snprintf(uv->rows[i].assigned_id, ID_LEN, "%s", uv->assigned[j]);
			used = 1;
		}
		if (!used && uv->n < DEV_MAX) {
			struct usbrow *r = &uv->rows[uv->n++];
			memset(r, 0, sizeof(*r));
			snprintf(r->id, sizeof(r->id), "%s", uv->assigned[j]);
			snprintf(r->assigned_id, sizeof(r->assigned_id), "%s", uv->assigned[j]);
			r->assigned = 1;
			snprintf(r->desc, sizeof(r->desc), "(assigned, not offered now)");
		}
	}
	if (uv->sel >= uv->n)
		uv->sel = uv->n > 0 ? uv->n - 1 : 0;
	for (i = 0; i < uv->n; i++)
		if (strcmp(uv->rows[i].id, keep) == 0)
			uv->sel = i;
}

static const char *
text(json_object *o, const char *key)
{
	json_object *v = NULL;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	s = json_object_get_string(v);
	return s != NULL ? s : "";
}

/* ---- reads ---- */

/* The last line of a child's messages, without the program's name. */
static void
last_line(char *dst, size_t len, const char *err)
{
	char copy[4096 + 200], *line = NULL, *p, *save = NULL;

	snprintf(copy, sizeof(copy), "%s", err);
	for (p = strtok_r(copy, "\n", &save); p != NULL; p = strtok_r(NULL, "\n", &save))
		line = p;
	if (line == NULL)
		line = copy;
	if (strncmp(line, "bulkhead: ", 10) == 0)
		line += 10;
	tui_safe_copy(dst, len, line);
}

static void
listed(struct tui *t, void *arg, int status, const char *out, size_t outlen, const char *err)
{
	struct usbreq *r = arg;
	struct usbview *uv = find_view(t, r->view);
	json_object *list = NULL, *o;
	size_t i, n;

	if (uv == NULL)
		goto out;
	uv->listing = 0;
	if (r->epoch != uv->epoch) {
		uv->next_read_ns = 0; /* a change was sent meanwhile: read again */
		goto out;
	}
	if (status != 0) {
		char why[200];
		last_line(why, sizeof(why), err);
		snprintf(uv->err, sizeof(uv->err), "usb list: %s", why[0] ? why :
		    status == -1 ? "failed" : "it failed without a message");
		goto redraw;
	}
	if ((list = json_tokener_parse(out)) == NULL ||
	    !json_object_is_type(list, json_type_array)) {
		snprintf(uv->err, sizeof(uv->err), "usb list: its output is not a list");
		goto redraw;
	}
	n = json_object_array_length(list);
	uv->ndevs = 0;
	for (i = 0; i < n && uv->ndevs < DEV_MAX; i++) {
		struct usbrow *d = &uv->devs[uv->ndevs];
		o = json_object_array_get_idx(list, i);
		if (!json_object_is_type(o, json_type_object) || text(o, "device")[0] == '\0')
			continue;
		memset(d, 0, sizeof(*d));
		tui_safe_copy(d->id, sizeof(d->id), text(o, "device"));
		tui_safe_copy(d->vidpid, sizeof(d->vidpid), text(o, "vid_pid"));
		tui_safe_copy(d->speed, sizeof(d->speed), text(o, "speed"));
		tui_safe_copy(d->desc, sizeof(d->desc), text(o, "description"));
		tui_safe_copy(d->to, sizeof(d->to), text(o, "attached_to"));
		d->present = 1;
		uv->ndevs++;
	}
	uv->have_devs = 1;
	/* A USB qube's malformed line is skipped with a message: say so. */
	if (err[0] != '\0') {
		char why[200];
		last_line(why, sizeof(why), err);
		snprintf(uv->err, sizeof(uv->err), "usb list: %s", why);
	} else if (strncmp(uv->err, "usb list:", 9) == 0)
		uv->err[0] = '\0';
	rebuild(uv);
redraw:
	uv->note[0] = '\0';
	tui_redraw(t);
out:
	json_object_put(list);
	free(r);
}

/* Attachments: usb.list's result, also vm.usb's. */
static void
apply_atts(struct usbview *uv, json_object *list)
{
	size_t i, n;

	if (!json_object_is_type(list, json_type_array))
		return;
	n = json_object_array_length(list);
	uv->natts = 0;
	for (i = 0; i < n && uv->natts < DEV_MAX; i++) {
		json_object *o = json_object_array_get_idx(list, i);
		if (!json_object_is_type(o, json_type_object))
			continue;
		tui_safe_copy(uv->atts[uv->natts].vm, TUI_NAME_MAX, text(o, "vm"));
		tui_safe_copy(uv->atts[uv->natts].id, ID_LEN, text(o, "device"));
		uv->natts++;
	}
	uv->have_atts = 1;
	rebuild(uv);
}

static void
got_atts(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct usbreq *r = arg;
	struct usbview *uv = find_view(t, r->view);

	if (uv != NULL) {
		uv->attsing = 0;
		if (r->epoch == uv->epoch && st == CLIENT_OK)
			apply_atts(uv, result);
		else if (r->epoch == uv->epoch)
			snprintf(uv->err, sizeof(uv->err), "usb.list: %.200s", err->message);
		tui_redraw(t);
	}
	free(r);
}

static void
got_qube(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct usbreq *r = arg;
	struct usbview *uv = find_view(t, r->view);
	json_object *usb = NULL;
	size_t i, n;

	if (uv == NULL)
		goto out;
	uv->getting = 0;
	if (r->epoch != uv->epoch)
		goto out;
	if (st != CLIENT_OK) {
		snprintf(uv->err, sizeof(uv->err), "%s: %.200s", uv->vm, err->message);
		goto redraw;
	}
	uv->nassigned = 0;
	if (json_object_object_get_ex(result, "usb", &usb) &&
	    json_object_is_type(usb, json_type_array)) {
		n = json_object_array_length(usb);
		for (i = 0; i < n && uv->nassigned < DEV_MAX; i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(usb, i));
			tui_safe_copy(uv->assigned[uv->nassigned++], ID_LEN, s);
		}
	}
	uv->have_assigned = 1;
	rebuild(uv);
redraw:
	tui_redraw(t);
out:
	free(r);
}

static void
read_all(struct tui *t, struct usbview *uv)
{
	const char *argv[] = { "bulkhead", "usb", "list", "--json", "--socket",
	    tui_socket_path(t), NULL };

	uv->next_read_ns = tui_now_ns() + REFRESH_NS;
	if (!uv->getting) {
		uv->getting = 1;
		tui_query(t, "vm.get", uv->vm, NULL, got_qube, new_req(uv));
	}
	if (!uv->attsing) {
		uv->attsing = 1;
		tui_query(t, "usb.list", NULL, NULL, got_atts, new_req(uv));
	}
	if (!uv->listing) {
		uv->listing = 1;
		tui_proc_run(t, "/proc/self/exe", argv, LIST_OUT_MAX, LIST_TIMEOUT, listed,
		    new_req(uv));
	}
}

/* ---- changes ---- */

static void
changed(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct usbreq *r = arg;
	struct usbview *uv = find_view(t, r->view);
	struct tui_form *f = r->form != 0 ? tui_form_find(t, r->form) : NULL;

	if (f != NULL)
		tui_form_pending(f, -1);
	if (uv != NULL) {
		uv->epoch++;
		uv->note[0] = '\0';
		if (st == CLIENT_OK) {
			uv->err[0] = '\0';
			apply_atts(uv, result);
		} else
			snprintf(uv->err, sizeof(uv->err), "%s %s: %.160s", r->op, r->id,
			    err->message);
		uv->next_read_ns = 0; /* the next tick reads everything again */
	}
	if (st == CLIENT_OK) {
		model_info(&t->m, "%s: %s %s%s", r->vm, r->id, strcmp(r->op, "attach") == 0 ?
		    "attached" : "detached", r->persistent ? " and assigned" : "");
		if (f != NULL && t->top == tui_form_view(f))
			tui_pop(t);
	} else if (f != NULL)
		tui_form_field_error(f, "device", err->message);
	tui_redraw(t);
	free(r);
}

static void
send_usb(struct tui *t, struct usbview *uv, const char *vm, const char *op, const char *id,
    int persistent, unsigned long form)
{
	json_object *args = json_object_new_object();
	struct usbreq *r = new_req(uv);

	snprintf(r->vm, sizeof(r->vm), "%s", vm);
	tui_safe_copy(r->id, sizeof(r->id), id);
	snprintf(r->op, sizeof(r->op), "%s", op);
	r->form = form;
	r->persistent = persistent;
	json_object_object_add(args, "op", json_object_new_string(op));
	json_object_object_add(args, "device", json_object_new_string(id));
	if (persistent)
		json_object_object_add(args, "persistent", json_object_new_boolean(1));
	uv->epoch++; /* a read in flight may not see the change */
	uv->err[0] = '\0';
	snprintf(uv->note, sizeof(uv->note), "%s %s %s %s...", strcmp(op, "attach") == 0 ?
	    "attaching" : "detaching", r->id, strcmp(op, "attach") == 0 ? "to" : "from", vm);
	tui_request_verb(t, &cmd_usb_entry, vm, args, changed, r);
}

static void
persist_submit(struct tui *t, struct tui_form *f)
{
	struct tui_view *under = tui_form_view(f)->below;

	if (under == NULL || under->ops != &usb_ops) {
		tui_form_field_error(f, NULL, "the USB view is gone");
		return;
	}
	tui_form_pending(f, 1);
	tui_form_busy(f, "attaching...");
	send_usb(t, (struct usbview *)under, tui_form_vm(f), "attach",
	    tui_form_get(f, "device"), 1, tui_form_id(f));
}

static void
persist_open(struct tui *t, struct usbview *uv, const struct usbrow *d)
{
	char title[96], model[ID_LEN + 16];
	const char *choices[2];
	struct tui_form *f;
	int n = 0;

	snprintf(title, sizeof(title), "Assign a USB device to %s", uv->vm);
	f = tui_form_new(title, uv->vm, persist_submit);
	tui_form_note(f, "Attached now if both qubes run, and whenever they do");
	tui_form_note(f, "(the qube's usb property). By port: the device in");
	tui_form_note(f, "that port; by model (USBVM:VID:PID): the first one.");
	choices[n++] = d->id;
	if (d->present && d->vidpid[0] != '\0') {
		by_model(model, sizeof(model), d);
		choices[n++] = model;
	}
	tui_form_choice(f, "device", "Device", choices, n, d->id);
	tui_push(t, tui_form_view(f));
}

/* y to the question: the view is on top again (the question is gone). */
static void
detach_yes(struct tui *t, const char *vm)
{
	struct usbview *uv = (struct usbview *)t->top;

	if (t->top == NULL || t->top->ops != &usb_ops || uv->del_id[0] == '\0' ||
	    strcmp(uv->del_vm, vm) != 0)
		return;
	send_usb(t, uv, uv->del_vm, "detach", uv->del_id, 0, 0);
	uv->del_id[0] = '\0';
}

static void
detach_ask(struct tui *t, struct usbview *uv, const struct usbrow *d)
{
	char question[256];

	if (d->to[0] != '\0') {
		/* Attached (by port or by model): as domd has it. */
		snprintf(uv->del_vm, sizeof(uv->del_vm), "%s", d->to);
		snprintf(uv->del_id, sizeof(uv->del_id), "%s", d->att_id[0] ? d->att_id : d->id);
		snprintf(question, sizeof(question), "Detach %s from %s?%s", d->id, d->to,
		    d->assigned && strcmp(d->to, uv->vm) == 0 ? " Its assignment goes too." : "");
	} else if (d->assigned) {
		snprintf(uv->del_vm, sizeof(uv->del_vm), "%s", uv->vm);
		snprintf(uv->del_id, sizeof(uv->del_id), "%s", d->assigned_id);
		snprintf(question, sizeof(question), "Drop the assignment of %s to %s?",
		    d->assigned_id, uv->vm);
	} else {
		snprintf(uv->err, sizeof(uv->err), "%s is not attached", d->id);
		return;
	}
	tui_confirm(t, "Detach USB device", question, uv->del_vm, detach_yes);
}

/* ---- the view ---- */

static void
usb_draw(struct tui *t, struct tui_view *v)
{
	struct usbview *uv = (struct usbview *)v;
	char line[512];
	int y, i, nrows = rows(), hdr = tui_attr(t, TC_HEADER);

	snprintf(line, sizeof(line), " USB devices, for %s", uv->vm);
	tui_put(1, 0, COLS, line, hdr);
	if (uv->have_devs) {
		snprintf(line, sizeof(line), "%d device%s ", uv->ndevs, uv->ndevs == 1 ? "" : "s");
		tui_put(1, COLS - (int)strlen(line), (int)strlen(line), line, hdr);
	}
	snprintf(line, sizeof(line), "    %-19s %-9s %-5s %-12s %s", "DEVICE", "VID:PID", "SPEED",
	    "ATTACHED TO", "DESCRIPTION");
	tui_put(2, 0, COLS, line, A_BOLD);
	for (y = 3; y < LINES - 2; y++)
		tui_put(y, 0, COLS, "", A_NORMAL);
	if (uv->n == 0)
		tui_put(3, 2, COLS - 4, !uv->have_devs ? "(asking the USB qubes)" :
		    "(no devices: is a qube with provides_usb running?)", A_NORMAL);
	tui_list_scroll(uv->sel, &uv->top, nrows);
	for (i = uv->top, y = 3; i < uv->n && y < 3 + nrows; i++, y++) {
		const struct usbrow *d = &uv->rows[i];
		snprintf(line, sizeof(line), " %c%c %-19.19s %-9.9s %-5.5s %-12.12s %s",
		    strcmp(d->to, uv->vm) == 0 ? '*' : ' ', d->assigned ? '+' : ' ', d->id,
		    d->vidpid[0] ? d->vidpid : "-", d->speed[0] ? d->speed : "-",
		    d->to[0] ? d->to : "-", d->desc);
		tui_put(y, 0, COLS, line, i == uv->sel ? tui_attr(t, TC_SELECTED) : (int)A_NORMAL);
	}
	snprintf(line, sizeof(line), " * attached to %s   + assigned to %s (its usb property)",
	    uv->vm, uv->vm);
	tui_put(LINES - 4, 0, COLS, line, A_NORMAL);
	if (uv->err[0] != '\0')
		tui_put(LINES - 3, 1, COLS - 1, uv->err, tui_attr(t, TC_ERROR));
	else
		tui_put(LINES - 3, 1, COLS - 1, uv->note, A_NORMAL);
}

static void
usb_bar(struct tui *t, struct tui_view *v)
{
	tui_bar_begin(t);
	tui_bar_item(t, "a", "Attach");
	tui_bar_item(t, "A", "Assign");
	tui_bar_item(t, "d", "Detach");
	tui_bar_item(t, "r", "Refresh");
	tui_bar_item(t, "Esc", "Back");
	tui_bar_end(t);
}

static enum tui_result
usb_key(struct tui *t, struct tui_view *v, int ch)
{
	struct usbview *uv = (struct usbview *)v;
	const struct usbrow *d = uv->sel < uv->n ? &uv->rows[uv->sel] : NULL;

	if (tui_list_key(ch, &uv->sel, uv->n, rows()))
		return TUI_REDRAW;
	switch (ch) {
	case 27:
	case 'q':
	case KEY_F(10):
		return TUI_CLOSE;
	case 'r':
		uv->note[0] = '\0';
		snprintf(uv->note, sizeof(uv->note), "reading...");
		read_all(t, uv);
		return TUI_REDRAW;
	case 'a':
	case 'A':
	case 'd':
	case KEY_DC:
		if (d == NULL) {
			snprintf(uv->err, sizeof(uv->err), "no device selected");
			return TUI_REDRAW;
		}
		if (ch == 'a')
			send_usb(t, uv, uv->vm, "attach", d->id, 0, 0);
		else if (ch == 'A')
			persist_open(t, uv, d);
		else
			detach_ask(t, uv, d);
		return TUI_REDRAW;
	}
	return TUI_HANDLED;
}

static void
usb_tick(struct tui *t, struct tui_view *v)
{
	struct usbview *uv = (struct usbview *)v;

	if (tui_now_ns() >= uv->next_read_ns)
		read_all(t, uv);
}

static void
usb_destroy(struct tui_view *v)
{
	free(v);
}

static const struct tui_view_ops usb_ops = {
	.name = "usb",
	.fullscreen = 1,
	.draw = usb_draw,
	.key = usb_key,
	.tick = usb_tick,
	.bar = usb_bar,
	.destroy = usb_destroy,
};

static void
usb_run(struct tui *t, struct tui_qube *q)
{
	struct usbview *uv = xcalloc(1, sizeof(*uv));

	uv->base.ops = &usb_ops;
	snprintf(uv->vm, sizeof(uv->vm), "%s", q->name);
	tui_push(t, &uv->base);
	read_all(t, uv);
}

const struct tui_action tui_act_usb = {
	.name = "usb",
	.label = "USB",
	.key = 'u',
	.keyname = "u",
	.help = "USB devices of the USB qubes, for the selected qube: a attaches the "
	    "selected one, A assigns it too (persistent), d or Delete detaches it",
	.flags = TUI_ACT_QUBE,
	.verb = &cmd_usb_entry,
	.run = usb_run,
};
