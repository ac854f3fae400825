/* The USB view (tui_usb.c for the view and its keys, tui_usb_read.c for
 * the reads that fill it): what both see. */
#ifndef BULKHEAD_TUI_USB_H
#define BULKHEAD_TUI_USB_H

#include "tui.h"

#define DEV_MAX      64
#define ID_LEN       48           /* QUBE_USB_LEN */
#define REFRESH_NS   3000000000LL /* the reads again, while the view is on top */

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

/* tui_usb.c: the view with that id if still open; a request's context. */
struct usbview *tui_usb_find(struct tui *t, unsigned long id);
struct usbreq *tui_usb_req(struct usbview *uv);

/* tui_usb_read.c: the device list, the attachments and the qube's
 * assignments, each read unless already in flight; the rows again from
 * an attachment list (usb.list's result, also vm.usb's). */
void tui_usb_read(struct tui *t, struct usbview *uv);
void tui_usb_apply_atts(struct usbview *uv, json_object *list);
/* "USBVM:VID:PID" of a device "USBVM:BUSID". */
void tui_usb_by_model(char *buf, size_t len, const struct usbrow *d);

#endif
