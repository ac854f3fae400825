/* The qube model: properties, validation and the xl.cfg-syntax file form.
 * Every setter validates; errors are one line naming the property and value. */
#ifndef BULKHEAD_QUBE_H
#define BULKHEAD_QUBE_H

#include <stdbool.h>
#include <stddef.h>

#include "fwrule.h"

#define QUBE_NAME_MAX 31 /* [A-Za-z][A-Za-z0-9_-]{0,30} */
#define QUBE_UUID_LEN 36
#define QUBE_MEMORY_MIN 32L
#define QUBE_MEMORY_MAX 1048576L
#define QUBE_VCPUS_MIN 1L
#define QUBE_VCPUS_MAX 64L
/* The private volume's size on backends that give it a disk image (xen). */
#define QUBE_PRIVATE_SIZE_MIN 64L
#define QUBE_PRIVATE_SIZE_MAX (1024L * 1024)
#define QUBE_PRIVATE_SIZE_DEFAULT 2048L
/* ns backend: the qube's processes at most (cgroup pids). */
#define QUBE_PIDS_MAX_MIN 16L
#define QUBE_PIDS_MAX_MAX 1048576L
#define QUBE_PIDS_MAX_DEFAULT 1024L
/* ns backend: each qube's user namespace maps its uids and gids 0..65535
 * onto host ids uid_base..uid_base+65535; bases are multiples of 65536
 * from 2^29 on, far above the host's own users and /etc/subuid ranges. */
#define QUBE_UID_RANGE 65536L
#define QUBE_UID_BASE_MIN (1L << 29)
#define QUBE_UID_BASE_MAX ((1L << 31) - QUBE_UID_RANGE)
#define QUBE_CFG_MAX (64 * 1024) /* a qube file larger than this is refused */
#define QUBE_TAGS_MAX 32 /* tags per qube; a tag is spelt like a qube name */
#define QUBE_USB_MAX 16  /* devices assigned to a qube */
#define QUBE_USB_LEN 48  /* "USBVM:BUSID" or "USBVM:VID:PID", NUL included */
/* Firewall rules live inside struct qube, which is copied by value (domd
 * keeps the old copy to undo a change): at most QUBE_FW_RULES_MAX rules
 * and QUBE_FW_TEXT_MAX bytes of their canonical text (NULs included), that
 * is 160 bytes a rule on average. Both are below what a netvm accepts
 * (FWRULE_SET_MAX rules of up to FWRULE_TEXT_MAX bytes). */
#define QUBE_FW_RULES_MAX 128
#define QUBE_FW_TEXT_MAX (QUBE_FW_RULES_MAX * 160)

enum qube_class { QUBE_TEMPLATE, QUBE_APP, QUBE_STANDALONE, QUBE_DISP, QUBE_CLASS_COUNT };

/* How the xen backend runs the qube: PVH (hardware-assisted paging, no PV
 * page-table interface: the smaller surface) or PV (any CPU). */
enum qube_virt_mode { VIRT_PVH, VIRT_PV, VIRT_MODE_COUNT };

enum qube_label {
	LABEL_RED, LABEL_ORANGE, LABEL_YELLOW, LABEL_GREEN,
	LABEL_GRAY, LABEL_BLUE, LABEL_PURPLE, LABEL_BLACK, LABEL_COUNT
};

struct qube {
	char name[QUBE_NAME_MAX + 1];
	enum qube_class cls;
	enum qube_label label;
	char template_name[QUBE_NAME_MAX + 1];
	char netvm[QUBE_NAME_MAX + 1];
	long memory; /* MiB */
	long vcpus;
	enum qube_virt_mode virt_mode;
	long private_size; /* MiB */
	long pids_max;     /* ns: processes at most */
	long uid_base;     /* first host uid/gid of its user namespace (ns); its
	                    * slot also names its guard's uid; 0 until given */
	bool autostart;
	bool provides_network;
	bool ipv6;               /* a netvm: its clients get IPv6 (from its next start) */
	bool provides_usb;       /* exports its USB devices (sys-usb) */
	bool template_for_dispvms; /* DispVMs may be made from this AppVM */
	char default_dispvm[QUBE_NAME_MAX + 1]; /* base of its @dispvm calls */
	char uuid[QUBE_UUID_LEN + 1];
	/* Network: its address (assigned by domd when first needed, kept); for a
	 * netvm without a netvm, how it reaches the outside: "" or "none",
	 * "host-nat" (ns backend: a link to the host, which masquerades) or
	 * "dev:IFNAME" (that host interface is moved into the qube), with the
	 * address, gateway and resolvers to use on it (not for host-nat). */
	char ip[16];
	char uplink[24];
	char uplink_address[20];
	char uplink_gateway[16];
	char uplink_dns[32];
	/* TCP ports reachable from outside: its netvms forward them from their
	 * uplink to it ("22", "22,8022", "5900-5931"; "" for none). */
	char listen[64];
	int ntags;
	char tags[QUBE_TAGS_MAX][QUBE_NAME_MAX + 1];
	/* USB devices attached whenever it and their USB qube run. */
	int nusb;
	char usb[QUBE_USB_MAX][QUBE_USB_LEN];
	struct qube_fw {
		int policy; /* enum fwrule_action: what no rule matches gets; accept by default */
		int n;      /* rules */
		int used;   /* bytes of text in use */
		/* n canonical rules, each NUL-terminated, back to back; zero after used */
		char text[QUBE_FW_TEXT_MAX];
	} fw;
};

/* A range of TCP ports of a qube's listen property. */
#define QUBE_LISTEN_MAX 8
struct qube_ports {
	uint16_t lo, hi;
};
/* Parses a listen value into at most QUBE_LISTEN_MAX ranges: their number,
 * or -1. */
int qube_listen_parse(const char *s, struct qube_ports *out);

enum qube_prop_type { PROP_NAME, PROP_CLASS, PROP_LABEL, PROP_QUBEREF, PROP_LONG, PROP_BOOL, PROP_UUID,
	PROP_TAGS, PROP_FWPOLICY, PROP_FIREWALL, PROP_NET, PROP_USB, PROP_VIRTMODE };

struct qube_prop {
	const char *name;
	enum qube_prop_type type;
	bool settable; /* by vm.set after creation */
	bool halted_only; /* may change only while the qube is halted */
};

extern const struct qube_prop qube_props[];
extern const size_t qube_nprops;

const char *qube_class_name(enum qube_class c);
const char *qube_label_name(enum qube_label l);
const char *qube_virt_mode_name(enum qube_virt_mode m);
int qube_class_parse(const char *s, enum qube_class *out);
int qube_label_parse(const char *s, enum qube_label *out);

bool qube_name_valid(const char *name);
const struct qube_prop *qube_prop_find(const char *name);

/* Defaults for a new qube (class app, no label set yet: see qube_check). */
void qube_init(struct qube *q);
/* Sets one property from its text form; 0 or -1 with err filled. */
int qube_set(struct qube *q, const char *prop, const char *value, char *err, size_t errlen);
/* Text form of one property into buf; -1 for an unknown property. Lists:
 * tags joined by ',', firewall rules one a line ('\n' between). */
int qube_get(const struct qube *q, const char *prop, char *buf, size_t buflen);
/* Tags: 0, or -1 with err (bad name, too many). Adding a present tag or
 * removing an absent one is not an error. */
int qube_tag_add(struct qube *q, const char *tag, char *err, size_t errlen);
void qube_tag_del(struct qube *q, const char *tag);
bool qube_has_tag(const struct qube *q, const char *tag);
/* A device id: "USBVM:BUSID" (BUSID like 1-1.2) or "USBVM:VID:PID" (four
 * hex digits each). On success the USB qube's name and the device part
 * (BUSID, or VID:PID) are copied out when the buffers are not NULL. */
bool qube_usb_id_valid(const char *id, char vm[QUBE_NAME_MAX + 1], char dev[16]);
/* Assigned devices: as tags (adding a present one is no error). */
int qube_usb_add(struct qube *q, const char *id, char *err, size_t errlen);
void qube_usb_del(struct qube *q, const char *id);
/* Firewall rules, numbered from 0 here (from 1 for the operator). Adding
 * parses the rule (fwrule_parse), stores its canonical form before rule pos
 * (pos -1 or q->fw.n: at the end) and fails with a one-line error for a bad
 * rule, a full list or a bad position; q is unchanged on failure. */
int qube_fw_add(struct qube *q, int pos, const char *rule, char *err, size_t errlen);
/* 0, or -1 when there is no rule pos. */
int qube_fw_del(struct qube *q, int pos);
/* The canonical text of rule pos, NULL when there is none. */
const char *qube_fw_rule(const struct qube *q, int pos);
/* No rules, policy accept. */
void qube_fw_reset(struct qube *q);
/* Checks the rules that tie properties together (class vs template). */
int qube_check(const struct qube *q, char *err, size_t errlen);

/* Parses a qube file (xl.cfg syntax, via libxlutil). filename is used in errors. */
int qube_parse_cfg(struct qube *q, const char *data, size_t len, const char *filename,
    char *err, size_t errlen);
/* The file form; caller frees. */
char *qube_format_cfg(const struct qube *q);

/* A fresh random RFC 4122 version 4 uuid. */
void qube_new_uuid(char out[QUBE_UUID_LEN + 1]);

#endif
