/* Parsing of a USB qube's device lines (usblist.h). */
#include "usblist.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static bool
speed_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 6)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && s[i] != '.')
			return false;
	return true;
}

int
usblist_parse_line(const char *usbvm, char *untrusted_line, struct usblist_dev *d)
{
	char *f[5], *save = NULL, dev[16];
	int n = 0;

	for (char *t = strtok_r(untrusted_line, "\t", &save); t != NULL && n < 5;
	    t = strtok_r(NULL, "\t", &save))
		f[n++] = t;
	if (n < 3 || strlen(f[0]) > 15 || strlen(usbvm) > QUBE_NAME_MAX)
		return -1;
	snprintf(d->id, sizeof(d->id), "%s:%s", usbvm, f[0]);
	if (!qube_usb_id_valid(d->id, NULL, dev) || strchr(dev, ':') != NULL ||
	    strlen(f[1]) != 9 || !speed_ok(f[2]))
		return -1;
	for (int i = 0; i < 9; i++)
		if (i == 4 ? f[1][i] != ':' : !isxdigit((unsigned char)f[1][i]))
			return -1;
	snprintf(d->vidpid, sizeof(d->vidpid), "%s", f[1]);
	snprintf(d->speed, sizeof(d->speed), "%s", f[2]);
	snprintf(d->desc, sizeof(d->desc), "%.64s%s%.64s", n > 3 ? f[3] : "",
	    n > 4 ? " " : "", n > 4 ? f[4] : "");
	/* The exporter sanitises too, but it runs in the USB qube. */
	for (char *c = d->desc; *c != '\0'; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	return 0;
}
