/* Firewall rules: parsing and formatting of Qubes' rule language. The text
 * is hostile (it reaches the netvm), so the parser reads at most
 * FWRULE_TEXT_MAX bytes, copies every token into a bounded buffer on the
 * stack, allocates nothing and reports the first problem in one line. */
#include "fwrule.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const action_names[] = { "accept", "drop" };
static const char *const proto_names[] = { "", "tcp", "udp", "icmp" };

const char *
fwrule_action_name(int action)
{
	return action == FWRULE_DROP ? "drop" : action == FWRULE_ACCEPT ? "accept" : "?";
}

int
fwrule_action_parse(const char *s, int *out)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(s, action_names[i])) {
			*out = i;
			return 0;
		}
	return -1;
}

/* A value as it may be echoed into an error: short, printable. */
static const char *
shown(const char *value, char *buf, size_t len)
{
	size_t i;

	for (i = 0; value[i] != '\0' && i + 4 < len; i++)
		buf[i] = value[i] >= 0x20 && value[i] < 0x7f ? value[i] : '?';
	buf[i] = '\0';
	if (value[i] != '\0')
		strcpy(buf + i, "...");
	return buf;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A whole decimal number without sign or leading zeros, at most max. */
static int
parse_num(const char *s, long long max, long long *out)
{
	long long v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 18)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Splits "ADDR/N" at the slash; *prefix -1 when there is none. */
static int
split_prefix(char *s, int max, int *prefix)
{
	char *slash = strchr(s, '/');
	long long p;

	*prefix = -1;
	if (slash == NULL)
		return 0;
	*slash = '\0';
	if (parse_num(slash + 1, max, &p) < 0)
		return -1;
	*prefix = (int)p;
	return 0;
}

/* Dotted decimal, exactly four parts, no leading zeros. */
static int
parse_ipv4(const char *s, uint8_t out[4])
{
	char part[4];

	for (int i = 0; i < 4; i++) {
		size_t n = 0;
		long long v;
		while (*s >= '0' && *s <= '9' && n < 3)
			part[n++] = *s++;
		part[n] = '\0';
		if (n == 0 || parse_num(part, 255, &v) < 0)
			return -1;
		out[i] = (uint8_t)v;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	return *s == '\0' ? 0 : -1;
}

/* Whether the address has bits set past the prefix. */
static bool
host_bits_set(const uint8_t *a, int bytes, int prefix)
{
	for (int i = 0; i < bytes; i++) {
		int keep = prefix - 8 * i;
		uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
		if (a[i] & (uint8_t)~mask)
			return true;
	}
	return false;
}

static void
clear_host_bits(uint8_t *a, int bytes, int prefix)
{
	for (int i = 0; i < bytes; i++) {
		int keep = prefix - 8 * i;
		a[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

/* An IPv4 or IPv6 network, "ADDR" or "ADDR/N", for field (named in errors)
 * into r: dst4 or dst6 by the address's family (as Qubes' dsthost). */
static int
parse_net(const char *field, int family, char *v, struct fwrule *r, char *err, size_t errlen)
{
	char sv[64], orig[FWRULE_TEXT_MAX], net[INET6_ADDRSTRLEN];
	int max = family == AF_INET ? 32 : 128, bytes = family == AF_INET ? 4 : 16, prefix;
	bool ok;

	snprintf(orig, sizeof(orig), "%s", v);
	ok = split_prefix(v, max, &prefix) == 0;
	if (family == AF_INET)
		ok = ok && parse_ipv4(v, r->addr) == 0;
	else
		ok = ok && strlen(v) < INET6_ADDRSTRLEN && strchr(v, ':') != NULL &&
		    strspn(v, "0123456789abcdefABCDEF:.") == strlen(v) &&
		    inet_pton(AF_INET6, v, r->addr) == 1;
	if (!ok)
		return fail(err, errlen, family == AF_INET ? "invalid %s '%s' (expected "
		    "A.B.C.D or A.B.C.D/N, N from 0 to 32)" : "invalid %s '%s' (expected an "
		    "IPv6 address, optionally /N with N from 0 to 128)", field,
		    shown(orig, sv, sizeof(sv)));
	r->prefix = (uint8_t)(prefix < 0 ? max : prefix);
	if (host_bits_set(r->addr, bytes, r->prefix)) {
		clear_host_bits(r->addr, bytes, r->prefix);
		inet_ntop(family, r->addr, net, sizeof(net));
		return fail(err, errlen, "invalid %s '%s' (address bits set past the prefix; "
		    "the network is %s/%d)", field, shown(orig, sv, sizeof(sv)), net, r->prefix);
	}
	r->dst = family == AF_INET ? FWRULE_DST4 : FWRULE_DST6;
	return 0;
}

/* A DNS name: labels of 1-63 letters, digits, '_' and '-' (not first or
 * last), joined by single dots, 253 characters at most. Upper case becomes
 * lower case. */
static bool
valid_name(char *v)
{
	size_t n = strlen(v), label = 0;
	bool ok = n >= 1 && n <= FWRULE_HOST_MAX;

	for (size_t i = 0; ok && i <= n; i++) {
		char c = v[i];
		if (c == '.' || c == '\0') {
			ok = label >= 1 && label <= 63 && v[i - 1] != '-';
			label = 0;
		} else if (c == '-') {
			ok = label > 0;
			label++;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
			label++;
		} else if (c >= 'A' && c <= 'Z') {
			v[i] = (char)(c - 'A' + 'a');
			label++;
		} else
			ok = false;
	}
	return ok;
}

/* What Qubes' dsthost takes: an IPv6 address or network (it has a ':'),
 * an IPv4 address or network in dotted decimal, or a DNS name. A name that
 * the resolver would read as an IPv4 address ("10.1", "0x7f000001") is
 * refused: Qubes would resolve it to an address nobody wrote. */
static int
parse_dsthost(const char *field, char *v, struct fwrule *r, char *err, size_t errlen)
{
	char sv[64];
	struct in_addr ia;

	if (strchr(v, ':') != NULL)
		return parse_net(field, AF_INET6, v, r, err, errlen);
	if (strchr(v, '/') != NULL || parse_ipv4(v, r->addr) == 0)
		return parse_net(field, AF_INET, v, r, err, errlen);
	if (!valid_name(v))
		return fail(err, errlen, "invalid %s '%s' (expected a DNS name: letters, "
		    "digits, '-', '_' and '.', at most %d characters; or an IPv4 or IPv6 "
		    "address or network)", field, shown(v, sv, sizeof(sv)), FWRULE_HOST_MAX);
	if (inet_aton(v, &ia) != 0)
		return fail(err, errlen, "invalid %s '%s' (reads as an IPv4 address; "
		    "write it as A.B.C.D)", field, shown(v, sv, sizeof(sv)));
	memcpy(r->host, v, strlen(v) + 1);
	r->dst = FWRULE_DSTHOST;
	return 0;
}

static int
parse_ports(const char *v, struct fwrule *r, char *err, size_t errlen)
{
	char sv[64], lo[8];
	const char *dash = strchr(v, '-');
	long long a, b;
	size_t n = dash != NULL ? (size_t)(dash - v) : strlen(v);

	if (n >= sizeof(lo))
		goto bad;
	memcpy(lo, v, n);
	lo[n] = '\0';
	if (parse_num(lo, 65535, &a) < 0 || a < 1)
		goto bad;
	b = a;
	if (dash != NULL && (parse_num(dash + 1, 65535, &b) < 0 || b < a))
		goto bad;
	r->port_min = (uint16_t)a;
	r->port_max = (uint16_t)b;
	return 0;
bad:
	return fail(err, errlen, "invalid dstports '%s' (expected 1-65535 or N-M)",
	    shown(v, sv, sizeof(sv)));
}

static int
parse_comment(const char *v, struct fwrule *r, char *err, size_t errlen)
{
	char sv[64];
	size_t n = strlen(v);
	bool ok = n >= 1 && n <= FWRULE_COMMENT_MAX;

	for (size_t i = 0; ok && i < n; i++)
		ok = v[i] >= 0x20 && v[i] < 0x7f && v[i] != '"';
	if (!ok)
		return fail(err, errlen, "invalid comment '%s' (expected 1 to %d printable ASCII "
		    "characters without '\"')", shown(v, sv, sizeof(sv)), FWRULE_COMMENT_MAX);
	memcpy(r->comment, v, n + 1);
	return 0;
}

enum field { F_ACTION, F_DST4, F_DST6, F_DSTHOST, F_DSTNAME, F_PROTO, F_SPECIAL, F_PORTS,
	F_ICMP, F_EXPIRE, F_COMMENT, F_COUNT };

static const char *const field_names[F_COUNT] = {
	"action", "dst4", "dst6", "dsthost", "dstname", "proto", "specialtarget", "dstports",
	"icmptype", "expire", "comment",
};

static bool
is_sep(char c)
{
	return c == ' ' || c == '\t';
}

/* The state of one parse. */
struct parse {
	struct fwrule r;
	bool seen[F_COUNT];
	const char *dst_field;  /* the destination field given, if any */
	char *err;
	size_t errlen;
};

/* dst4, dst6, dsthost (or Qubes' dstname): at most one of them. dst4 takes
 * IPv4 only and dst6 IPv6 only; dsthost either, or a name. */
static int
parse_dst(struct parse *ps, enum field f, char *val)
{
	if (ps->dst_field != NULL)
		return fail(ps->err, ps->errlen, "%s conflicts with %s (a rule has at most one "
		    "of dst4, dst6 and dsthost)", field_names[f], ps->dst_field);
	ps->dst_field = field_names[f];
	if (f == F_DST4)
		return parse_net("dst4", AF_INET, val, &ps->r, ps->err, ps->errlen);
	if (f == F_DST6)
		return parse_net("dst6", AF_INET6, val, &ps->r, ps->err, ps->errlen);
	return parse_dsthost(field_names[f], val, &ps->r, ps->err, ps->errlen);
}

/* One key=value field other than comment. */
static int
parse_field(struct parse *ps, enum field f, char *val)
{
	struct fwrule *r = &ps->r;
	char sv[64];
	long long v;
	int action;

	switch (f) {
	case F_ACTION:
		if (fwrule_action_parse(val, &action) < 0)
			return fail(ps->err, ps->errlen, "invalid action '%s' (expected accept "
			    "or drop)", shown(val, sv, sizeof(sv)));
		r->action = (uint8_t)action;
		return 0;
	case F_DST4:
	case F_DST6:
	case F_DSTHOST:
	case F_DSTNAME:
		return parse_dst(ps, f, val);
	case F_PROTO:
		for (int i = 1; i < 4; i++)
			if (!strcmp(val, proto_names[i]))
				r->proto = (uint8_t)i;
		if (r->proto == FWRULE_PROTO_ANY)
			return fail(ps->err, ps->errlen, "invalid proto '%s' (expected tcp, udp "
			    "or icmp)", shown(val, sv, sizeof(sv)));
		return 0;
	case F_SPECIAL:
		if (strcmp(val, "dns"))
			return fail(ps->err, ps->errlen, "invalid specialtarget '%s' (expected "
			    "dns)", shown(val, sv, sizeof(sv)));
		r->dns = true;
		return 0;
	case F_PORTS:
		return parse_ports(val, r, ps->err, ps->errlen);
	case F_ICMP:
		if (parse_num(val, 255, &v) < 0)
			return fail(ps->err, ps->errlen, "invalid icmptype '%s' (expected 0 to "
			    "255)", shown(val, sv, sizeof(sv)));
		r->has_icmptype = true;
		r->icmptype = (uint8_t)v;
		return 0;
	case F_EXPIRE:
		if (parse_num(val, FWRULE_EXPIRE_MAX, &v) < 0 || v < 1)
			return fail(ps->err, ps->errlen, "invalid expire '%s' (expected epoch "
			    "seconds from 1 to %lld)", shown(val, sv, sizeof(sv)),
			    FWRULE_EXPIRE_MAX);
		r->expire = v;
		return 0;
	case F_COMMENT: /* takes the rest of the line: fwrule_parse() */
	case F_COUNT:
		break;
	}
	return 0;
}

/* One word of the rule: the short form's bare action (first word only) or
 * key=value. */
static int
parse_word(struct parse *ps, char *tok, bool first)
{
	char sv[64], *eq = strchr(tok, '=');
	enum field f;
	int action;

	if (eq == NULL) {
		if (first && fwrule_action_parse(tok, &action) == 0) {
			ps->r.action = (uint8_t)action;
			ps->seen[F_ACTION] = true;
			return 0;
		}
		return fail(ps->err, ps->errlen, first ? "invalid action '%s' (a rule starts "
		    "with accept or drop, or has action=accept|drop)" : "invalid field '%s' "
		    "(expected key=value)", shown(tok, sv, sizeof(sv)));
	}
	*eq = '\0';
	for (f = 0; f < F_COUNT; f++)
		if (!strcmp(tok, field_names[f]))
			break;
	if (f == F_COUNT)
		return fail(ps->err, ps->errlen, "unknown field '%s' (expected action, dst4, "
		    "dst6, dsthost, proto, specialtarget, dstports, icmptype, expire or "
		    "comment)", shown(tok, sv, sizeof(sv)));
	if (ps->seen[f])
		return fail(ps->err, ps->errlen, "duplicate field '%s'", field_names[f]);
	ps->seen[f] = true;
	return parse_field(ps, f, eq + 1);
}

/* What the fields need of each other. */
static int
check_rule(struct parse *ps)
{
	if (!ps->seen[F_ACTION])
		return fail(ps->err, ps->errlen, "missing action (expected accept or drop "
		    "first, or action=accept|drop)");
	if (ps->seen[F_PORTS] && ps->r.proto != FWRULE_TCP && ps->r.proto != FWRULE_UDP)
		return fail(ps->err, ps->errlen, "dstports needs proto=tcp or proto=udp");
	if (ps->seen[F_ICMP] && ps->r.proto != FWRULE_ICMP)
		return fail(ps->err, ps->errlen, "icmptype needs proto=icmp");
	if (ps->r.dns && ps->dst_field != NULL)
		return fail(ps->err, ps->errlen, "specialtarget=dns conflicts with %s (it is "
		    "a destination of its own)", ps->dst_field);
	return 0;
}

int
fwrule_parse(const char *text, struct fwrule *out, char *err, size_t errlen)
{
	struct parse ps = { .err = err, .errlen = errlen };
	char tok[FWRULE_TEXT_MAX];
	const char *p = text;
	size_t len = strnlen(text, FWRULE_TEXT_MAX);
	bool first = true;

	memset(&ps.r, 0, sizeof(ps.r));
	if (len >= FWRULE_TEXT_MAX)
		return fail(err, errlen, "rule longer than %d characters", FWRULE_TEXT_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (!((text[i] >= 0x20 && text[i] < 0x7f) || text[i] == '\t'))
			return fail(err, errlen, "invalid byte 0x%02x at position %zu of the rule "
			    "(expected printable ASCII)", (unsigned char)text[i], i + 1);

	for (;;) {
		const char *start;
		size_t n;

		while (is_sep(*p))
			p++;
		if (*p == '\0')
			break;
		if (!strncmp(p, "comment=", 8)) {
			/* The rest of the line, wherever it starts (as in Qubes). */
			if (parse_comment(p + 8, &ps.r, err, errlen) < 0)
				return -1;
			ps.seen[F_COMMENT] = true;
			break;
		}
		start = p;
		while (*p != '\0' && !is_sep(*p))
			p++;
		n = (size_t)(p - start);
		memcpy(tok, start, n); /* n < len < FWRULE_TEXT_MAX */
		tok[n] = '\0';
		if (parse_word(&ps, tok, first) < 0)
			return -1;
		first = false;
	}
	if (first && !ps.seen[F_COMMENT])
		return fail(err, errlen, "empty rule (expected accept or drop first)");
	if (check_rule(&ps) < 0)
		return -1;
	*out = ps.r;
	return 0;
}

/* snprintf that keeps counting past the end of the buffer. */
struct out {
	char *buf;
	size_t len, off;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->off < o->len ? o->buf + o->off : NULL,
	    o->off < o->len ? o->len - o->off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->off += (size_t)n;
}

/* The destination; in Qubes' form an address always has its prefix. */
static void
put_dst(struct out *o, const struct fwrule *r, bool qubes)
{
	char addr[INET6_ADDRSTRLEN];
	int family = r->dst == FWRULE_DST4 ? AF_INET : AF_INET6;

	switch (r->dst) {
	case FWRULE_DST4:
	case FWRULE_DST6:
		inet_ntop(family, r->addr, addr, sizeof(addr));
		put(o, " %s=%s", family == AF_INET ? "dst4" : "dst6", addr);
		if (qubes || r->prefix != (family == AF_INET ? 32 : 128))
			put(o, "/%d", r->prefix);
		break;
	case FWRULE_DSTHOST:
		put(o, " dsthost=%.*s", FWRULE_HOST_MAX, r->host);
		break;
	default:
		break;
	}
}

/* Bulkhead's form: the action bare, then destination, proto, specialtarget,
 * dstports. Qubes' (qvm-firewall --raw): action=, proto, destination,
 * dstports always as a range, icmptype, specialtarget. Both end with
 * icmptype (Bulkhead), expire and comment. */
static int
format_rule(const struct fwrule *r, char *buf, size_t len, bool qubes)
{
	struct out o = { buf, len, 0 };
	bool has_proto = r->proto > FWRULE_PROTO_ANY && r->proto <= FWRULE_ICMP;

	if (len > 0)
		buf[0] = '\0';
	put(&o, qubes ? "action=%s" : "%s", fwrule_action_name(r->action));
	if (!qubes)
		put_dst(&o, r, false);
	if (has_proto)
		put(&o, " proto=%s", proto_names[r->proto]);
	if (qubes)
		put_dst(&o, r, true);
	if (r->dns && !qubes)
		put(&o, " specialtarget=dns");
	if (r->port_min != 0)
		put(&o, r->port_min == r->port_max && !qubes ? " dstports=%u" : " dstports=%u-%u",
		    r->port_min, r->port_max);
	if (r->has_icmptype)
		put(&o, " icmptype=%u", r->icmptype);
	if (r->dns && qubes)
		put(&o, " specialtarget=dns");
	if (r->expire != 0)
		put(&o, " expire=%lld", (long long)r->expire);
	if (r->comment[0] != '\0')
		put(&o, " comment=%.*s", FWRULE_COMMENT_MAX, r->comment);
	return (int)o.off;
}

int
fwrule_format(const struct fwrule *r, char *buf, size_t len)
{
	return format_rule(r, buf, len, false);
}

int
fwrule_format_qubes(const struct fwrule *r, char *buf, size_t len)
{
	return format_rule(r, buf, len, true);
}

int
fwrule_canonical(const char *text, char *buf, size_t len, char *err, size_t errlen)
{
	struct fwrule r;

	if (fwrule_parse(text, &r, err, errlen) < 0)
		return -1;
	if ((size_t)fwrule_format(&r, buf, len) >= len)
		return fail(err, errlen, "rule too long");
	return 0;
}

bool
fwrule_expired(const struct fwrule *r, time_t now)
{
	return r->expire != 0 && (long long)now >= r->expire;
}
