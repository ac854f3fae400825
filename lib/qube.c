#include "qube.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxlutil.h>

#include "log.h"
#include "netcfg.h"
#include "xalloc.h"

static const char *const class_names[QUBE_CLASS_COUNT] = {
	"template", "app", "standalone", "disp",
};

static const char *const virt_mode_names[VIRT_MODE_COUNT] = { "pvh", "pv" };

static const char *const label_names[LABEL_COUNT] = {
	"red", "orange", "yellow", "green", "gray", "blue", "purple", "black",
};

/* Order is the order of the file form and of listings. */
const struct qube_prop qube_props[] = {
	{ "name", PROP_NAME, false, false },
	{ "class", PROP_CLASS, false, false },
	{ "label", PROP_LABEL, true, false },
	{ "template", PROP_QUBEREF, true, true },
	{ "netvm", PROP_QUBEREF, true, false },
	{ "memory", PROP_LONG, true, false },
	{ "vcpus", PROP_LONG, true, false },
	{ "virt_mode", PROP_VIRTMODE, true, true },
	/* MiB of the private image, made at the first start; a larger value
	 * grows it at the next start on ns (never shrinks: domd refuses). */
	{ "private_size", PROP_LONG, true, true },
	{ "pids_max", PROP_LONG, true, true },
	{ "autostart", PROP_BOOL, true, false },
	{ "provides_network", PROP_BOOL, true, false },
	{ "provides_usb", PROP_BOOL, true, false },
	{ "template_for_dispvms", PROP_BOOL, true, false },
	{ "default_dispvm", PROP_QUBEREF, true, false },
	{ "uuid", PROP_UUID, false, false },
	{ "ip", PROP_NET, false, false }, /* assigned by domd */
	{ "uid_base", PROP_LONG, false, false }, /* assigned by domd (ns) */
	{ "uplink", PROP_NET, true, false }, /* used at the next start */
	{ "uplink_address", PROP_NET, true, false },
	{ "uplink_gateway", PROP_NET, true, false },
	{ "uplink_dns", PROP_NET, true, false },
	{ "ipv6", PROP_BOOL, true, false }, /* a netvm's, used at its next start */
	{ "listen", PROP_NET, true, false }, /* its netvms forward these ports to it */
	{ "tags", PROP_TAGS, false, false },
	{ "usb", PROP_USB, false, false }, /* changed with vm.usb */
	/* changed with vm.firewall, which also applies them */
	{ "firewall_policy", PROP_FWPOLICY, false, false },
	{ "firewall", PROP_FIREWALL, false, false },
};
const size_t qube_nprops = sizeof(qube_props) / sizeof(qube_props[0]);

/* struct qube is copied by value (domd undoes a failed change with a copy). */
_Static_assert(sizeof(struct qube) <= 24 * 1024, "struct qube grew past 24 KiB");
_Static_assert(QUBE_FW_RULES_MAX <= FWRULE_SET_MAX, "more rules than a netvm accepts");

const char *
qube_class_name(enum qube_class c)
{
	return (unsigned)c < QUBE_CLASS_COUNT ? class_names[c] : "?";
}

const char *
qube_label_name(enum qube_label l)
{
	return (unsigned)l < LABEL_COUNT ? label_names[l] : "?";
}

const char *
qube_virt_mode_name(enum qube_virt_mode m)
{
	return (unsigned)m < VIRT_MODE_COUNT ? virt_mode_names[m] : "?";
}

int
qube_class_parse(const char *s, enum qube_class *out)
{
	for (int i = 0; i < QUBE_CLASS_COUNT; i++)
		if (strcmp(s, class_names[i]) == 0) {
			*out = (enum qube_class)i;
			return 0;
		}
	return -1;
}

int
qube_label_parse(const char *s, enum qube_label *out)
{
	for (int i = 0; i < LABEL_COUNT; i++)
		if (strcmp(s, label_names[i]) == 0) {
			*out = (enum qube_label)i;
			return 0;
		}
	return -1;
}

const struct qube_prop *
qube_prop_find(const char *name)
{
	for (size_t i = 0; i < qube_nprops; i++)
		if (strcmp(qube_props[i].name, name) == 0)
			return &qube_props[i];
	return NULL;
}

void
qube_init(struct qube *q)
{
	static const char zero[4096];
	size_t head = offsetof(struct qube, fw.text);

	/* The firewall text is most of a qube's size and usually empty: clear
	 * only the parts that are not zero already, so that a qube in freshly
	 * allocated (untouched) memory stays untouched. */
	memset(q, 0, head);
	for (size_t off = 0; off < sizeof(q->fw.text); off += sizeof(zero)) {
		size_t n = sizeof(q->fw.text) - off < sizeof(zero) ? sizeof(q->fw.text) - off :
		    sizeof(zero);
		if (memcmp(q->fw.text + off, zero, n) != 0)
			memset(q->fw.text + off, 0, n);
	}
	memset((char *)q + head + sizeof(q->fw.text), 0,
	    sizeof(*q) - head - sizeof(q->fw.text));
	q->cls = QUBE_APP;
	q->label = LABEL_COUNT; /* unset: qube_check demands one */
	q->memory = 400;
	q->vcpus = 2;
	q->virt_mode = VIRT_PVH;
	q->private_size = QUBE_PRIVATE_SIZE_DEFAULT;
	q->pids_max = QUBE_PIDS_MAX_DEFAULT;
}

static bool
uuid_valid(const char *s)
{
	if (strlen(s) != QUBE_UUID_LEN)
		return false;
	for (int i = 0; i < QUBE_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

static int
parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "no")) {
		*out = false;
		return 0;
	}
	return -1;
}

static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Values are echoed into errors: keep them short and printable. */
static const char *
shown(const char *value, char *buf, size_t len)
{
	size_t i;

	for (i = 0; value[i] != '\0' && i + 4 < len; i++)
		buf[i] = isprint((unsigned char)value[i]) ? value[i] : '?';
	buf[i] = '\0';
	if (value[i] != '\0')
		strcpy(buf + i, "...");
	return buf;
}

static bool
ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return strcmp(s, ".") && strcmp(s, "..");
}

/* One or two addresses separated by a space. */
static bool
dns_ok(const char *s)
{
	char buf[40], *sp;
	uint32_t a;

	if (strlen(s) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	if ((sp = strchr(buf, ' ')) != NULL) {
		*sp = '\0';
		if (netcfg_ip_parse(sp + 1, &a) < 0)
			return false;
	}
	return netcfg_ip_parse(buf, &a) == 0;
}

static int
set_net(struct qube *q, const char *prop, const char *value, char *err, size_t errlen)
{
	char sv[48];
	uint32_t a;
	int prefix;

	if (!strcmp(prop, "ip")) {
		if (value[0] != '\0' && netcfg_ip_parse(value, &a) < 0)
			goto bad;
		snprintf(q->ip, sizeof(q->ip), "%s", value);
	} else if (!strcmp(prop, "uplink")) {
		if (value[0] != '\0' && strcmp(value, "none") && strcmp(value, "host-nat") &&
		    (strncmp(value, "dev:", 4) || !ifname_ok(value + 4))) {
			snprintf(err, errlen, "invalid uplink '%s' (expected none, host-nat or "
			    "dev:INTERFACE)", shown(value, sv, sizeof(sv)));
			return -1;
		}
		snprintf(q->uplink, sizeof(q->uplink), "%s", value);
	} else if (!strcmp(prop, "uplink_address")) {
		if (value[0] != '\0' && (netcfg_cidr_parse(value, &a, &prefix) < 0 || prefix == 0)) {
			snprintf(err, errlen, "invalid uplink_address '%s' (expected A.B.C.D/N)",
			    shown(value, sv, sizeof(sv)));
			return -1;
		}
		snprintf(q->uplink_address, sizeof(q->uplink_address), "%s", value);
	} else if (!strcmp(prop, "uplink_gateway")) {
		if (value[0] != '\0' && netcfg_ip_parse(value, &a) < 0)
			goto bad;
		snprintf(q->uplink_gateway, sizeof(q->uplink_gateway), "%s", value);
	} else if (!strcmp(prop, "listen")) {
		struct qube_ports pr[QUBE_LISTEN_MAX];
		if (strlen(value) >= sizeof(q->listen) || qube_listen_parse(value, pr) < 0) {
			snprintf(err, errlen, "invalid listen '%s' (expected TCP ports like 22, "
			    "22,8022 or 5900-5931; at most %d)", shown(value, sv, sizeof(sv)),
			    QUBE_LISTEN_MAX);
			return -1;
		}
		snprintf(q->listen, sizeof(q->listen), "%s", value);
	} else {
		if (value[0] != '\0' && !dns_ok(value)) {
			snprintf(err, errlen, "invalid uplink_dns '%s' (expected one or two IPv4 "
			    "addresses separated by a space)", shown(value, sv, sizeof(sv)));
			return -1;
		}
		snprintf(q->uplink_dns, sizeof(q->uplink_dns), "%s", value);
	}
	return 0;
bad:
	snprintf(err, errlen, "invalid %s '%s' (expected an IPv4 address A.B.C.D)", prop,
	    shown(value, sv, sizeof(sv)));
	return -1;
}

int
qube_set(struct qube *q, const char *prop, const char *value, char *err, size_t errlen)
{
	const struct qube_prop *p = qube_prop_find(prop);
	char sv[48];

	if (p == NULL) {
		snprintf(err, errlen, "unknown property '%s'", shown(prop, sv, sizeof(sv)));
		return -1;
	}
	switch (p->type) {
	case PROP_NAME:
		if (!qube_name_valid(value))
			goto bad_name;
		snprintf(q->name, sizeof(q->name), "%s", value);
		return 0;
	case PROP_QUBEREF:
		if (value[0] != '\0' && !qube_name_valid(value))
			goto bad_name;
		if (!strcmp(prop, "template"))
			snprintf(q->template_name, sizeof(q->template_name), "%s", value);
		else if (!strcmp(prop, "default_dispvm"))
			snprintf(q->default_dispvm, sizeof(q->default_dispvm), "%s", value);
		else
			snprintf(q->netvm, sizeof(q->netvm), "%s", value);
		return 0;
	case PROP_CLASS:
		if (qube_class_parse(value, &q->cls) == 0)
			return 0;
		snprintf(err, errlen, "invalid class '%s' (expected template, app, standalone or disp)",
		    shown(value, sv, sizeof(sv)));
		return -1;
	case PROP_LABEL:
		if (qube_label_parse(value, &q->label) == 0)
			return 0;
		snprintf(err, errlen, "invalid label '%s' (expected red, orange, yellow, green, gray, "
		    "blue, purple or black)", shown(value, sv, sizeof(sv)));
		return -1;
	case PROP_LONG:
		if (!strcmp(prop, "memory")) {
			if (parse_long(value, QUBE_MEMORY_MIN, QUBE_MEMORY_MAX, &q->memory) == 0)
				return 0;
			snprintf(err, errlen, "invalid memory '%s' (expected MiB from %ld to %ld)",
			    shown(value, sv, sizeof(sv)), QUBE_MEMORY_MIN, QUBE_MEMORY_MAX);
		} else if (!strcmp(prop, "private_size")) {
			if (parse_long(value, QUBE_PRIVATE_SIZE_MIN, QUBE_PRIVATE_SIZE_MAX,
			    &q->private_size) == 0)
				return 0;
			snprintf(err, errlen, "invalid private_size '%s' (expected MiB from %ld to %ld)",
			    shown(value, sv, sizeof(sv)), QUBE_PRIVATE_SIZE_MIN, QUBE_PRIVATE_SIZE_MAX);
		} else if (!strcmp(prop, "pids_max")) {
			if (parse_long(value, QUBE_PIDS_MAX_MIN, QUBE_PIDS_MAX_MAX, &q->pids_max) == 0)
				return 0;
			snprintf(err, errlen, "invalid pids_max '%s' (expected processes from %ld to %ld)",
			    shown(value, sv, sizeof(sv)), QUBE_PIDS_MAX_MIN, QUBE_PIDS_MAX_MAX);
		} else if (!strcmp(prop, "uid_base")) {
			long v;
			if (!strcmp(value, "0") || (parse_long(value, QUBE_UID_BASE_MIN,
			    QUBE_UID_BASE_MAX, &v) == 0 && v % QUBE_UID_RANGE == 0)) {
				q->uid_base = strtol(value, NULL, 10);
				return 0;
			}
			snprintf(err, errlen, "invalid uid_base '%s' (expected 0 or a multiple of %ld "
			    "from %ld to %ld)", shown(value, sv, sizeof(sv)), QUBE_UID_RANGE,
			    QUBE_UID_BASE_MIN, QUBE_UID_BASE_MAX);
		} else {
			if (parse_long(value, QUBE_VCPUS_MIN, QUBE_VCPUS_MAX, &q->vcpus) == 0)
				return 0;
			snprintf(err, errlen, "invalid vcpus '%s' (expected %ld to %ld)",
			    shown(value, sv, sizeof(sv)), QUBE_VCPUS_MIN, QUBE_VCPUS_MAX);
		}
		return -1;
	case PROP_BOOL: {
		bool b;
		if (parse_bool(value, &b) < 0) {
			snprintf(err, errlen, "invalid %s '%s' (expected 0 or 1)", prop,
			    shown(value, sv, sizeof(sv)));
			return -1;
		}
		if (!strcmp(prop, "autostart"))
			q->autostart = b;
		else if (!strcmp(prop, "template_for_dispvms"))
			q->template_for_dispvms = b;
		else if (!strcmp(prop, "provides_usb"))
			q->provides_usb = b;
		else if (!strcmp(prop, "ipv6"))
			q->ipv6 = b;
		else
			q->provides_network = b;
		return 0;
	}
	case PROP_VIRTMODE:
		for (int m = 0; m < VIRT_MODE_COUNT; m++) {
			if (!strcmp(value, virt_mode_names[m])) {
				q->virt_mode = (enum qube_virt_mode)m;
				return 0;
			}
		}
		snprintf(err, errlen, "invalid virt_mode '%s' (expected pvh or pv)",
		    shown(value, sv, sizeof(sv)));
		return -1;
	case PROP_UUID:
		if (!uuid_valid(value)) {
			snprintf(err, errlen, "invalid uuid '%s'", shown(value, sv, sizeof(sv)));
			return -1;
		}
		snprintf(q->uuid, sizeof(q->uuid), "%s", value);
		return 0;
	case PROP_TAGS:
		/* One tag at a time in text form; files hold a list. */
		return qube_tag_add(q, value, err, errlen);
	case PROP_FWPOLICY:
		if (fwrule_action_parse(value, &q->fw.policy) == 0)
			return 0;
		snprintf(err, errlen, "invalid firewall_policy '%s' (expected accept or drop)",
		    shown(value, sv, sizeof(sv)));
		return -1;
	case PROP_FIREWALL:
		/* Like tags: one rule at a time, appended. */
		return qube_fw_add(q, -1, value, err, errlen);
	case PROP_NET:
		return set_net(q, prop, value, err, errlen);
	case PROP_USB:
		/* Like tags: one device at a time in text form. */
		return qube_usb_add(q, value, err, errlen);
	}
	snprintf(err, errlen, "unknown property '%s'", prop);
	return -1;
bad_name:
	snprintf(err, errlen, "invalid %s '%s' (expected a name matching "
	    "[A-Za-z][A-Za-z0-9_-]{0,30})", prop, shown(value, sv, sizeof(sv)));
	return -1;
}

static long
port_number(const char **p)
{
	long v = 0;
	int digits = 0;

	while (**p >= '0' && **p <= '9' && digits < 6) {
		v = v * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	return digits == 0 || digits > 5 || v < 1 || v > 65535 ? -1 : v;
}

int
qube_listen_parse(const char *s, struct qube_ports *out)
{
	int n = 0;

	if (*s == '\0')
		return 0;
	for (;;) {
		long lo = port_number(&s), hi = lo;
		if (lo < 0)
			return -1;
		if (*s == '-') {
			s++;
			if ((hi = port_number(&s)) < lo)
				return -1;
		}
		if (n == QUBE_LISTEN_MAX)
			return -1;
		out[n++] = (struct qube_ports){ (uint16_t)lo, (uint16_t)hi };
		if (*s == '\0')
			return n;
		if (*s++ != ',')
			return -1;
	}
}

int
qube_get(const struct qube *q, const char *prop, char *buf, size_t buflen)
{
	const struct qube_prop *p = qube_prop_find(prop);

	if (p == NULL)
		return -1;
	if (!strcmp(prop, "name"))
		snprintf(buf, buflen, "%s", q->name);
	else if (!strcmp(prop, "class"))
		snprintf(buf, buflen, "%s", qube_class_name(q->cls));
	else if (!strcmp(prop, "label"))
		snprintf(buf, buflen, "%s", qube_label_name(q->label));
	else if (!strcmp(prop, "template"))
		snprintf(buf, buflen, "%s", q->template_name);
	else if (!strcmp(prop, "netvm"))
		snprintf(buf, buflen, "%s", q->netvm);
	else if (!strcmp(prop, "memory"))
		snprintf(buf, buflen, "%ld", q->memory);
	else if (!strcmp(prop, "vcpus"))
		snprintf(buf, buflen, "%ld", q->vcpus);
	else if (!strcmp(prop, "virt_mode"))
		snprintf(buf, buflen, "%s", qube_virt_mode_name(q->virt_mode));
	else if (!strcmp(prop, "private_size"))
		snprintf(buf, buflen, "%ld", q->private_size);
	else if (!strcmp(prop, "pids_max"))
		snprintf(buf, buflen, "%ld", q->pids_max);
	else if (!strcmp(prop, "uid_base"))
		snprintf(buf, buflen, "%ld", q->uid_base);
	else if (!strcmp(prop, "autostart"))
		snprintf(buf, buflen, "%d", q->autostart);
	else if (!strcmp(prop, "provides_network"))
		snprintf(buf, buflen, "%d", q->provides_network);
	else if (!strcmp(prop, "template_for_dispvms"))
		snprintf(buf, buflen, "%d", q->template_for_dispvms);
	else if (!strcmp(prop, "provides_usb"))
		snprintf(buf, buflen, "%d", q->provides_usb);
	else if (!strcmp(prop, "ipv6"))
		snprintf(buf, buflen, "%d", q->ipv6);
	else if (!strcmp(prop, "listen"))
		snprintf(buf, buflen, "%s", q->listen);
	else if (!strcmp(prop, "usb")) {
		size_t off = 0;
		buf[0] = '\0';
		for (int i = 0; i < q->nusb && off < buflen; i++)
			off += (size_t)snprintf(buf + off, buflen - off, "%s%s", i ? "," : "", q->usb[i]);
	}
	else if (!strcmp(prop, "default_dispvm"))
		snprintf(buf, buflen, "%s", q->default_dispvm);
	else if (!strcmp(prop, "tags")) {
		size_t off = 0;
		buf[0] = '\0';
		for (int i = 0; i < q->ntags && off < buflen; i++)
			off += (size_t)snprintf(buf + off, buflen - off, "%s%s", i ? "," : "", q->tags[i]);
	} else if (!strcmp(prop, "firewall_policy"))
		snprintf(buf, buflen, "%s", fwrule_action_name(q->fw.policy));
	else if (!strcmp(prop, "firewall")) {
		/* One rule a line (a rule holds no control characters). */
		size_t off = 0;
		buf[0] = '\0';
		for (int i = 0; i < q->fw.n && off < buflen; i++)
			off += (size_t)snprintf(buf + off, buflen - off, "%s%s", i ? "\n" : "",
			    qube_fw_rule(q, i));
	} else if (!strcmp(prop, "ip"))
		snprintf(buf, buflen, "%s", q->ip);
	else if (!strcmp(prop, "uplink"))
		snprintf(buf, buflen, "%s", q->uplink);
	else if (!strcmp(prop, "uplink_address"))
		snprintf(buf, buflen, "%s", q->uplink_address);
	else if (!strcmp(prop, "uplink_gateway"))
		snprintf(buf, buflen, "%s", q->uplink_gateway);
	else if (!strcmp(prop, "uplink_dns"))
		snprintf(buf, buflen, "%s", q->uplink_dns);
	else
		snprintf(buf, buflen, "%s", q->uuid);
	return 0;
}

int
qube_tag_add(struct qube *q, const char *tag, char *err, size_t errlen)
{
	char sv[48];

	if (!qube_name_valid(tag)) {
		snprintf(err, errlen, "invalid tag '%s' (expected [A-Za-z][A-Za-z0-9_-]{0,30})",
		    shown(tag, sv, sizeof(sv)));
		return -1;
	}
	if (qube_has_tag(q, tag))
		return 0;
	if (q->ntags >= QUBE_TAGS_MAX) {
		snprintf(err, errlen, "too many tags (at most %d)", QUBE_TAGS_MAX);
		return -1;
	}
	snprintf(q->tags[q->ntags++], sizeof(q->tags[0]), "%s", tag);
	return 0;
}

void
qube_tag_del(struct qube *q, const char *tag)
{
	for (int i = 0; i < q->ntags; i++)
		if (!strcmp(q->tags[i], tag)) {
			memmove(q->tags[i], q->tags[i + 1], sizeof(q->tags[0]) * (size_t)(q->ntags - i - 1));
			q->ntags--;
			return;
		}
}

static bool
hex4(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool
qube_usb_id_valid(const char *id, char vm[QUBE_NAME_MAX + 1], char dev[16])
{
	const char *colon = strchr(id, ':'), *d;
	char name[QUBE_NAME_MAX + 1];
	size_t n, i;
	bool dash = false;

	if (colon == NULL || (size_t)(colon - id) > QUBE_NAME_MAX)
		return false;
	memcpy(name, id, (size_t)(colon - id));
	name[colon - id] = '\0';
	d = colon + 1;
	n = strlen(d);
	if (!qube_name_valid(name) || n == 0 || n > 15)
		return false;
	if (n == 9 && hex4(d) && d[4] == ':' && hex4(d + 5))
		goto ok;
	/* A bus id: bus-port[.port...], digits only. */
	if (!isdigit((unsigned char)d[0]) || !isdigit((unsigned char)d[n - 1]))
		return false;
	for (i = 0; i < n; i++) {
		if (d[i] == '-' && !dash)
			dash = true;
		else if (!isdigit((unsigned char)d[i]) && !(d[i] == '.' && dash))
			return false;
		if ((d[i] == '-' || d[i] == '.') && !isdigit((unsigned char)d[i + 1]))
			return false;
	}
	if (!dash)
		return false;
ok:
	if (vm != NULL)
		snprintf(vm, QUBE_NAME_MAX + 1, "%s", name);
	if (dev != NULL)
		snprintf(dev, 16, "%s", d);
	return true;
}

int
qube_usb_add(struct qube *q, const char *id, char *err, size_t errlen)
{
	char sv[48];

	if (!qube_usb_id_valid(id, NULL, NULL)) {
		snprintf(err, errlen, "invalid usb device '%s' (expected USBVM:BUSID like "
		    "sys-usb:1-1, or USBVM:VID:PID like sys-usb:1209:b0b0)", shown(id, sv, sizeof(sv)));
		return -1;
	}
	for (int i = 0; i < q->nusb; i++)
		if (!strcmp(q->usb[i], id))
			return 0;
	if (q->nusb >= QUBE_USB_MAX) {
		snprintf(err, errlen, "too many usb devices (at most %d)", QUBE_USB_MAX);
		return -1;
	}
	snprintf(q->usb[q->nusb++], sizeof(q->usb[0]), "%s", id);
	return 0;
}

void
qube_usb_del(struct qube *q, const char *id)
{
	for (int i = 0; i < q->nusb; i++)
		if (!strcmp(q->usb[i], id)) {
			memmove(q->usb[i], q->usb[i + 1], sizeof(q->usb[0]) * (size_t)(q->nusb - i - 1));
			q->nusb--;
			return;
		}
}

bool
qube_has_tag(const struct qube *q, const char *tag)
{
	for (int i = 0; i < q->ntags; i++)
		if (!strcmp(q->tags[i], tag))
			return true;
	return false;
}

/* Where rule pos starts in the text (q->fw.used for pos == n). */
static size_t
fw_offset(const struct qube *q, int pos)
{
	size_t off = 0;

	for (int i = 0; i < pos; i++)
		off += strlen(q->fw.text + off) + 1;
	return off;
}

int
qube_fw_add(struct qube *q, int pos, const char *rule, char *err, size_t errlen)
{
	char canon[FWRULE_TEXT_MAX];
	size_t off, n;

	if (pos < 0)
		pos = q->fw.n;
	if (pos > q->fw.n) {
		snprintf(err, errlen, "invalid firewall rule position %d (there are %d rules)",
		    pos + 1, q->fw.n);
		return -1;
	}
	if (fwrule_canonical(rule, canon, sizeof(canon), err, errlen) < 0)
		return -1;
	if (q->fw.n >= QUBE_FW_RULES_MAX) {
		snprintf(err, errlen, "too many firewall rules (at most %d)", QUBE_FW_RULES_MAX);
		return -1;
	}
	n = strlen(canon) + 1;
	if ((size_t)q->fw.used + n > sizeof(q->fw.text)) {
		snprintf(err, errlen, "firewall rules too long (at most %d bytes of rule text)",
		    QUBE_FW_TEXT_MAX);
		return -1;
	}
	off = fw_offset(q, pos);
	memmove(q->fw.text + off + n, q->fw.text + off, (size_t)q->fw.used - off);
	memcpy(q->fw.text + off, canon, n);
	q->fw.used += (int)n;
	q->fw.n++;
	return 0;
}

int
qube_fw_del(struct qube *q, int pos)
{
	size_t off, n;

	if (pos < 0 || pos >= q->fw.n)
		return -1;
	off = fw_offset(q, pos);
	n = strlen(q->fw.text + off) + 1;
	memmove(q->fw.text + off, q->fw.text + off + n, (size_t)q->fw.used - off - n);
	q->fw.used -= (int)n;
	memset(q->fw.text + q->fw.used, 0, n);
	q->fw.n--;
	return 0;
}

const char *
qube_fw_rule(const struct qube *q, int pos)
{
	if (pos < 0 || pos >= q->fw.n)
		return NULL;
	return q->fw.text + fw_offset(q, pos);
}

void
qube_fw_reset(struct qube *q)
{
	memset(&q->fw, 0, sizeof(q->fw));
	q->fw.policy = FWRULE_ACCEPT;
}

int
qube_check(const struct qube *q, char *err, size_t errlen)
{
	if (q->name[0] == '\0') {
		snprintf(err, errlen, "missing name");
		return -1;
	}
	if (q->label == LABEL_COUNT) {
		snprintf(err, errlen, "missing label (one of red, orange, yellow, green, gray, "
		    "blue, purple, black)");
		return -1;
	}
	if ((q->cls == QUBE_APP || q->cls == QUBE_DISP) && q->template_name[0] == '\0') {
		snprintf(err, errlen, "a qube of class %s needs a template", qube_class_name(q->cls));
		return -1;
	}
	if (q->cls == QUBE_TEMPLATE && q->template_name[0] != '\0') {
		snprintf(err, errlen, "invalid template '%s' (a template qube has none)",
		    q->template_name);
		return -1;
	}
	if (!strcmp(q->template_name, q->name) || !strcmp(q->netvm, q->name)) {
		snprintf(err, errlen, "qube '%s' cannot name itself as template or netvm", q->name);
		return -1;
	}
	return 0;
}

/* Finds the keys assigned at statement level, so that an unknown (misspelt)
 * property is reported instead of silently ignored: libxlutil has no way to
 * enumerate what it parsed. Returns the 1-based line of the first unknown
 * key and copies it to key, or 0. The syntax was already accepted by
 * libxlutil, so this only tracks strings, comments and brackets. */
static int
find_unknown_key(const char *data, size_t len, char *key, size_t keylen)
{
	int line = 1, depth = 0;
	bool stmt_start = true;
	size_t i = 0;

	while (i < len) {
		char c = data[i];
		if (c == '\n') {
			line++;
			if (depth == 0)
				stmt_start = true;
			i++;
		} else if (c == '#') {
			while (i < len && data[i] != '\n')
				i++;
		} else if (c == '"' || c == '\'') {
			char quote = c;
			for (i++; i < len && data[i] != quote; i++) {
				if (data[i] == '\\' && i + 1 < len)
					i++; /* an escape: \" does not end the string */
				if (data[i] == '\n')
					line++;
			}
			i++;
			stmt_start = false;
		} else if (c == '[') {
			depth++;
			i++;
		} else if (c == ']') {
			depth--;
			i++;
		} else if (c == ';' && depth == 0) {
			stmt_start = true;
			i++;
		} else if (isspace((unsigned char)c)) {
			i++;
		} else if (stmt_start && (isalpha((unsigned char)c) || c == '_')) {
			size_t s = i, n;
			/* libxlutil's keys may hold dots and underscores */
			while (i < len && (isalnum((unsigned char)data[i]) || data[i] == '_' ||
			    data[i] == '.'))
				i++;
			n = i - s;
			stmt_start = false;
			if (n >= keylen)
				n = keylen - 1;
			memcpy(key, data + s, n);
			key[n] = '\0';
			if (qube_prop_find(key) == NULL)
				return line;
		} else {
			stmt_start = false;
			i++;
		}
	}
	return 0;
}

static void
first_line(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

/* firewall = [ "rule", ... ]: every rule checked, numbered from 1 in errors. */
static int
parse_firewall(struct qube *q, XLU_Config *cfg, const char *filename, char *err, size_t errlen)
{
	XLU_ConfigList *list;
	char verr[256];
	int n, r;

	r = xlu_cfg_get_list(cfg, "firewall", &list, &n, 1);
	if (r == ESRCH)
		return 0;
	if (r != 0) {
		snprintf(err, errlen, "%s: property 'firewall' must be a list of strings", filename);
		return -1;
	}
	if (n > QUBE_FW_RULES_MAX) {
		snprintf(err, errlen, "%s: too many firewall rules (%d; at most %d)", filename, n,
		    QUBE_FW_RULES_MAX);
		return -1;
	}
	for (int k = 0; k < n; k++) {
		const char *rule = xlu_cfg_get_listitem(list, k);
		if (rule == NULL) {
			snprintf(err, errlen, "%s: invalid firewall rule %d: not a string", filename,
			    k + 1);
			return -1;
		}
		if (qube_fw_add(q, -1, rule, verr, sizeof(verr)) < 0) {
			snprintf(err, errlen, "%s: invalid firewall rule %d: %s", filename, k + 1, verr);
			return -1;
		}
	}
	return 0;
}

int
qube_parse_cfg(struct qube *q, const char *data, size_t len, const char *filename,
    char *err, size_t errlen)
{
	XLU_Config *cfg = NULL;
	char *report = NULL, *copy = NULL, key[64], verr[256];
	size_t report_len = 0;
	FILE *rf = NULL;
	int ret = -1, line;

	qube_init(q);
	if (len > QUBE_CFG_MAX) {
		snprintf(err, errlen, "%s: file larger than %d bytes", filename, QUBE_CFG_MAX);
		return -1;
	}
	if (memchr(data, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: file contains a NUL byte", filename);
		return -1;
	}
	rf = open_memstream(&report, &report_len);
	if (rf == NULL || (cfg = xlu_cfg_init(rf, filename)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", filename);
		goto out;
	}
	/* libxlutil's lexer lets a bad token through at the very end of the
	 * input ("memory = 512M" without a final newline): end every file
	 * with a newline of our own. */
	copy = malloc(len + 2);
	if (copy == NULL) {
		snprintf(err, errlen, "%s: out of memory", filename);
		goto out;
	}
	memcpy(copy, data, len);
	copy[len] = '\n';
	copy[len + 1] = '\0';
	if (xlu_cfg_readdata(cfg, copy, (int)len + 1) != 0) {
		fflush(rf);
		if (report != NULL && report[0] != '\0') {
			first_line(report);
			snprintf(err, errlen, "%s", report);
		} else
			snprintf(err, errlen, "%s: syntax error", filename);
		goto out;
	}
	if ((line = find_unknown_key(data, len, key, sizeof(key))) > 0) {
		snprintf(err, errlen, "%s:%d: unknown property '%s'", filename, line, key);
		goto out;
	}
	for (size_t i = 0; i < qube_nprops; i++) {
		const char *value;
		int r;

		if (qube_props[i].type == PROP_FIREWALL) {
			if (parse_firewall(q, cfg, filename, err, errlen) < 0)
				goto out;
			continue;
		}
		if (qube_props[i].type == PROP_TAGS || qube_props[i].type == PROP_USB) {
			XLU_ConfigList *list;
			int n;
			r = xlu_cfg_get_list(cfg, qube_props[i].name, &list, &n, 1);
			if (r == ESRCH)
				continue;
			if (r != 0) {
				snprintf(err, errlen, "%s: property '%s' must be a list of strings",
				    filename, qube_props[i].name);
				goto out;
			}
			for (int k = 0; k < n; k++) {
				const char *item = xlu_cfg_get_listitem(list, k);
				if (item == NULL || qube_set(q, qube_props[i].name, item, verr,
				    sizeof(verr)) < 0) {
					snprintf(err, errlen, "%s: %s", filename, item == NULL ?
					    "list items must be strings" : verr);
					goto out;
				}
			}
			continue;
		}
		r = xlu_cfg_get_string(cfg, qube_props[i].name, &value, 1);
		if (r == ESRCH)
			continue;
		if (r != 0) {
			snprintf(err, errlen, "%s: property '%s' must be a single value, not a list",
			    filename, qube_props[i].name);
			goto out;
		}
		if (qube_set(q, qube_props[i].name, value, verr, sizeof(verr)) < 0) {
			snprintf(err, errlen, "%s: %s", filename, verr);
			goto out;
		}
	}
	if (qube_check(q, verr, sizeof(verr)) < 0) {
		snprintf(err, errlen, "%s: %s", filename, verr);
		goto out;
	}
	ret = 0;
out:
	if (cfg != NULL)
		xlu_cfg_destroy(cfg);
	if (rf != NULL)
		fclose(rf);
	free(report);
	free(copy);
	return ret;
}

char *
qube_format_cfg(const struct qube *q)
{
	char *out = NULL, val[128];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		abort();
	fprintf(f, "# Bulkhead qube, written by bulkhead-domd.\n");
	for (size_t i = 0; i < qube_nprops; i++) {
		const struct qube_prop *p = &qube_props[i];
		if (p->type == PROP_FIREWALL) {
			if (q->fw.n == 0)
				continue;
			fprintf(f, "%s = [\n", p->name);
			for (int k = 0; k < q->fw.n; k++) {
				/* Rules hold no '"' but may hold '\\', an escape in xl.cfg. */
				fputs("    \"", f);
				for (const char *c = qube_fw_rule(q, k); *c != '\0'; c++) {
					if (*c == '\\' || *c == '"')
						fputc('\\', f);
					fputc(*c, f);
				}
				fprintf(f, "\"%s\n", k + 1 < q->fw.n ? "," : "");
			}
			fprintf(f, "    ]\n");
			continue;
		}
		qube_get(q, p->name, val, sizeof(val));
		if (((p->type == PROP_UUID || p->type == PROP_NET) && val[0] == '\0') ||
		    (!strcmp(p->name, "uid_base") && q->uid_base == 0) ||
		    (!strcmp(p->name, "ipv6") && !q->ipv6))
			continue; /* not assigned yet, or not used */
		if (p->type == PROP_TAGS || p->type == PROP_USB) {
			int n = p->type == PROP_TAGS ? q->ntags : q->nusb;
			if (n == 0)
				continue;
			fprintf(f, "%s = [", p->name);
			for (int t = 0; t < n; t++)
				fprintf(f, "%s \"%s\"", t ? "," : "",
				    p->type == PROP_TAGS ? q->tags[t] : q->usb[t]);
			fprintf(f, " ]\n");
			continue;
		}
		if (p->type == PROP_LONG || p->type == PROP_BOOL)
			fprintf(f, "%s = %s\n", p->name, val);
		else
			fprintf(f, "%s = \"%s\"\n", p->name, val);
	}
	if (fclose(f) != 0 || out == NULL)
		fatalx("out of memory");
	return out;
}

void
qube_new_uuid(char out[QUBE_UUID_LEN + 1])
{
	unsigned char b[16];
	ssize_t n = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, b, sizeof(b));
		close(fd);
	}
	if (n != (ssize_t)sizeof(b))
		fatalx("cannot read /dev/urandom for a uuid");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, QUBE_UUID_LEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
	    b[12], b[13], b[14], b[15]);
}
