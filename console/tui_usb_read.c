/* The USB view's reads. The device list is the CLI's: `bulkhead usb list
 * --json` run as a child of the console (it runs bulkhead.USBList in each
 * USB qube, which needs fd passing the console's connections do not do),
 * read on the event loop. Where each device is attached comes from
 * usb.list, and the qube's assignments (its usb property) from vm.get.
 * The rows shown are the devices, then what is attached or assigned but
 * not offered now.
 *
 * A read that may predate a change made in the view is dropped (epoch),
 * the next one brings the current state. Every string comes from a USB
 * qube's device in the end: copied printable only. */
#include "tui_usb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define LIST_OUT_MAX (1024 * 1024)
#define LIST_TIMEOUT 30           /* seconds for `bulkhead usb list` */

void
tui_usb_by_model(char *buf, size_t len, const struct usbrow *d)
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
	tui_usb_by_model(model, sizeof(model), d);
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
	struct usbview *uv = tui_usb_find(t, r->view);
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

void
tui_usb_apply_atts(struct usbview *uv, json_object *list)
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
	struct usbview *uv = tui_usb_find(t, r->view);

	if (uv != NULL) {
		uv->attsing = 0;
		if (r->epoch == uv->epoch && st == CLIENT_OK)
			tui_usb_apply_atts(uv, result);
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
	struct usbview *uv = tui_usb_find(t, r->view);
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

void
tui_usb_read(struct tui *t, struct usbview *uv)
{
	const char *argv[] = { "bulkhead", "usb", "list", "--json", "--socket",
	    tui_socket_path(t), NULL };

	uv->next_read_ns = tui_now_ns() + REFRESH_NS;
	if (!uv->getting) {
		uv->getting = 1;
		tui_query(t, "vm.get", uv->vm, NULL, got_qube, tui_usb_req(uv));
	}
	if (!uv->attsing) {
		uv->attsing = 1;
		tui_query(t, "usb.list", NULL, NULL, got_atts, tui_usb_req(uv));
	}
	if (!uv->listing) {
		uv->listing = 1;
		tui_proc_run(t, "/proc/self/exe", argv, LIST_OUT_MAX, LIST_TIMEOUT, listed,
		    tui_usb_req(uv));
	}
}
