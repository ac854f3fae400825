/* usb (u): the devices every USB qube offers, for the selected qube (read
 * by tui_usb_read.c): * marks those attached to it, + those assigned to
 * it. a attaches the selected device to the qube (vm.usb attach), A opens
 * a form to attach it and assign it (persistent, by port or by model), d
 * or Delete detaches it from the qube that has it, or drops the qube's
 * assignment, after a y/n question. domd's refusals are shown on one line
 * above the message line. The reads are repeated every few seconds while
 * the view is on top and after each change. */
#include "tui_usb.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

static const struct tui_view_ops usb_ops;

struct usbview *
tui_usb_find(struct tui *t, unsigned long id)
{
	struct tui_view *v = tui_view_find(t, id);

	return v != NULL && v->ops == &usb_ops ? (struct usbview *)v : NULL;
}

struct usbreq *
tui_usb_req(struct usbview *uv)
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

/* ---- changes ---- */

static void
changed(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct usbreq *r = arg;
	struct usbview *uv = tui_usb_find(t, r->view);
	struct tui_form *f = r->form != 0 ? tui_form_find(t, r->form) : NULL;

	if (f != NULL)
		tui_form_pending(f, -1);
	if (uv != NULL) {
		uv->epoch++;
		uv->note[0] = '\0';
		if (st == CLIENT_OK) {
			uv->err[0] = '\0';
			tui_usb_apply_atts(uv, result);
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
	struct usbreq *r = tui_usb_req(uv);

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
		tui_usb_by_model(model, sizeof(model), d);
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
		tui_usb_read(t, uv);
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
		tui_usb_read(t, uv);
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
	tui_usb_read(t, uv);
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
