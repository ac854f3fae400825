/* A line of a USB qube's device list (`bulkhead-usbproxy list`), as dom0
 * reads it: "BUSID\tVID:PID\tSPEED\tMANUFACTURER\tPRODUCT". The USB qube
 * is not trusted: the line is checked and copied here only (fuzzed by
 * tests/fuzz/fuzz_usblist.c). */
#ifndef BULKHEAD_USBLIST_H
#define BULKHEAD_USBLIST_H

#include "qube.h"

struct usblist_dev {
	char id[QUBE_USB_LEN];   /* USBVM:BUSID */
	char vidpid[10];         /* VVVV:PPPP */
	char speed[8];           /* Mbit/s: digits and '.' */
	char desc[140];          /* printable ASCII only */
};

/* 0 with d filled, -1 when the line is malformed. untrusted_line is
 * NUL-terminated and modified. */
int usblist_parse_line(const char *usbvm, char *untrusted_line, struct usblist_dev *d);

#endif
