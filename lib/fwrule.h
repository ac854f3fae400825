/* Firewall rules in Qubes' rule language, one text line per rule:
 *
 *   accept|drop [dst4=A.B.C.D[/N] | dst6=ADDR[/N] | dsthost=HOST]
 *       [proto=tcp|udp|icmp] [specialtarget=dns] [dstports=N[-M]]
 *       [icmptype=N] [expire=EPOCH] [comment=TEXT]
 *
 * HOST is a DNS name, an IPv4 or IPv6 address, or a network ADDR/N of
 * either family (an address or network becomes a dst4 or dst6 rule, as in
 * Qubes; dstname= is Qubes' other synonym). The short form above starts
 * with the bare action; Qubes' qvm-firewall form gives it as action=accept
 * or action=drop, anywhere among the fields. Fields come in any order;
 * comment= takes the rest of the line. A rule with an action alone matches
 * everything. fwrule_format() writes the canonical (short) form, fields in
 * the order above, separated by single spaces; fwrule_format_qubes() the
 * form `qvm-firewall --raw` prints. Parsing either gives the same struct.
 *
 * Rules are written in dom0 but shipped to the netvm and parsed again there,
 * so the parser treats its input as hostile: the text is bounded
 * (FWRULE_TEXT_MAX), nothing is allocated, and every error is one line that
 * names the bad field and shows its value (shortened, non-printable bytes as
 * '?'), e.g. "invalid dstports '70000' (expected 1-65535 or N-M)". */
#ifndef BULKHEAD_FWRULE_H
#define BULKHEAD_FWRULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define FWRULE_TEXT_MAX 512     /* a rule line, NUL included; the longest canonical rule fits */
#define FWRULE_HOST_MAX 253     /* dsthost: a DNS name */
#define FWRULE_COMMENT_MAX 128  /* printable ASCII without '"' */
#define FWRULE_EXPIRE_MAX 253402300799LL /* 9999-12-31T23:59:59Z */
#define FWRULE_SET_MAX 1000     /* rules of one qube, at most (a rule set) */

enum fwrule_action { FWRULE_ACCEPT, FWRULE_DROP }; /* accept is 0: the default policy */
enum fwrule_dst { FWRULE_DST_ANY, FWRULE_DST4, FWRULE_DST6, FWRULE_DSTHOST };
enum fwrule_proto { FWRULE_PROTO_ANY, FWRULE_TCP, FWRULE_UDP, FWRULE_ICMP };

struct fwrule {
	uint8_t action;         /* enum fwrule_action */
	uint8_t dst;            /* enum fwrule_dst */
	uint8_t prefix;         /* dst4: 0-32, dst6: 0-128 */
	uint8_t proto;          /* enum fwrule_proto */
	bool dns;               /* specialtarget=dns */
	bool has_icmptype;
	uint8_t icmptype;
	uint16_t port_min;      /* 0 and 0: any port */
	uint16_t port_max;
	uint8_t addr[16];       /* dst4: the first 4 bytes; network byte order; host bits 0 */
	int64_t expire;         /* epoch seconds; 0: never */
	char host[FWRULE_HOST_MAX + 1];       /* dsthost, lower case */
	char comment[FWRULE_COMMENT_MAX + 1]; /* "" if none */
};

const char *fwrule_action_name(int action); /* "accept", "drop" */
int fwrule_action_parse(const char *s, int *out);

/* Parses one rule. 0 with *out filled (the whole struct, padding included, is
 * written, so two parses of equal rules compare equal with memcmp), or -1
 * with a one-line error in err and *out untouched. text must be a
 * NUL-terminated string; bytes past FWRULE_TEXT_MAX - 1 are never read. */
int fwrule_parse(const char *text, struct fwrule *out, char *err, size_t errlen);
/* The canonical text; the length it needs (as snprintf), which is always
 * < FWRULE_TEXT_MAX for a rule fwrule_parse() accepted. */
int fwrule_format(const struct fwrule *r, char *buf, size_t len);
/* Qubes' form: "action=accept proto=tcp dst4=10.0.0.0/8 dstports=443-443". */
int fwrule_format_qubes(const struct fwrule *r, char *buf, size_t len);
/* Parses and formats: the canonical form of a rule text, or -1 with err. */
int fwrule_canonical(const char *text, char *buf, size_t len, char *err, size_t errlen);
/* True once the rule's expire time has come (never for expire 0). */
bool fwrule_expired(const struct fwrule *r, time_t now);

#endif
