#include "vhci_arg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool
alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* What domd compares with its attachments' (a bus id, 1-1.2, or a model,
 * 1209.b0b0): letters, digits, '-' and '.', from a letter or digit. */
static bool
busid_valid(const char *s, size_t len)
{
	if (len == 0 || len > VHCI_BUSID_MAX || !alnum(s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* USB/IP carries no wireless devices (4). */
static bool
speed_valid(int32_t speed)
{
	return speed >= 1 && speed <= 6 && speed != 4;
}

int
vhci_arg_parse(const char *untrusted_arg, struct vhci_arg *out)
{
	const char *plus = strchr(untrusted_arg, '+'), *spec;
	unsigned long long untrusted_devid;
	char *end;

	if (plus == NULL || !busid_valid(untrusted_arg, (size_t)(plus - untrusted_arg)))
		return -1;
	spec = plus + 1;
	/* Decimal digits only, no leading zero: one spelling per value. */
	if (spec[0] < '0' || spec[0] > '9' || (spec[0] == '0' && spec[1] != '+'))
		return -1;
	errno = 0;
	untrusted_devid = strtoull(spec, &end, 10);
	if (errno != 0 || *end != '+' || untrusted_devid > UINT32_MAX || end - spec > 10)
		return -1;
	if (end[1] < '0' || end[1] > '9' || end[2] != '\0' || !speed_valid(end[1] - '0'))
		return -1;
	memset(out, 0, sizeof(*out));
	memcpy(out->busid, untrusted_arg, (size_t)(plus - untrusted_arg));
	out->devid = (uint32_t)untrusted_devid;
	out->speed = end[1] - '0';
	return 0;
}

bool
vhci_arg_valid(const struct vhci_arg *a)
{
	const char *nul = memchr(a->busid, '\0', sizeof(a->busid));

	return nul != NULL && busid_valid(a->busid, (size_t)(nul - a->busid)) &&
	    speed_valid(a->speed);
}
