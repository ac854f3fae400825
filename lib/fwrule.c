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

static int
parse_dst4(char *v, struct fwrule *r, char *err, size_t errlen)
{
	char sv[64], orig[FWRULE_TEXT_MAX], net[INET_ADDRSTRLEN];
	int prefix;

	snprintf(orig, sizeof(orig), "%s", v);
	if (split_prefix(v, 32, &prefix) < 0 || parse_ipv4(v, r->addr) < 0)
		return fail(err, errlen, "invalid dst4 '%s' (expected A.B.C.D or A.B.C.D/N, "
		    "N from 0 to 32)", shown(orig, sv, sizeof(sv)));
	r->prefix = (uint8_t)(prefix < 0 ? 32 : prefix);
	if (host_bits_set(r->addr, 4, r->prefix)) {
		clear_host_bits(r->addr, 4, r->prefix);
		inet_ntop(AF_INET, r->addr, net, sizeof(net));
		return fail(err, errlen, "invalid dst4 '%s' (address bits set past the prefix; "
		    "the network is %s/%d)", shown(orig, sv, sizeof(sv)), net, r->prefix);
	}
	r->dst = FWRULE_DST4;
	return 0;
}

static int
parse_dst6(char *v, struct fwrule *r, char *err, size_t errlen)
{
	char sv[64], orig[FWRULE_TEXT_MAX], net[INET6_ADDRSTRLEN];
	int prefix;
	bool ok;

	snprintf(orig, sizeof(orig), "%s", v);
	ok = split_prefix(v, 128, &prefix) == 0 && strlen(v) < INET6_ADDRSTRLEN &&
	    strspn(v, "0123456789abcdefABCDEF:.") == strlen(v) && strchr(v, ':') != NULL &&
	    inet_pton(AF_INET6, v, r->addr) == 1;
	if (!ok)
		return fail(err, errlen, "invalid dst6 '%s' (expected an IPv6 address, "
		    "optionally /N with N from 0 to 128)", shown(orig, sv, sizeof(sv)));
	r->prefix = (uint8_t)(prefix < 0 ? 128 : prefix);
	if (host_bits_set(r->addr, 16, r->prefix)) {
		clear_host_bits(r->addr, 16, r->prefix);
		inet_ntop(AF_INET6, r->addr, net, sizeof(net));
		return fail(err, errlen, "invalid dst6 '%s' (address bits set past the prefix; "
		    "the network is %s/%d)", shown(orig, sv, sizeof(sv)), net, r->prefix);
	}
	r->dst = FWRULE_DST6;
	return 0;
}

/* A DNS name: labels of 1-63 letters, digits and '-' (not first or last),
 * joined by single dots, 253 characters at most. A name that the resolver
 * would read as an IPv4 address ("10.1", "0x7f000001") is refused, except
 * plain dotted decimal, which becomes a dst4 rule (as in Qubes). */
static int
parse_dsthost(char *v, struct fwrule *r, char *err, size_t errlen)
{
	char sv[64];
	struct in_addr ia;
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
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			label++;
		} else if (c >= 'A' && c <= 'Z') {
			v[i] = (char)(c - 'A' + 'a');
			label++;
		} else
			ok = false;
	}
	if (!ok)
		return fail(err, errlen, "invalid dsthost '%s' (expected a DNS name: letters, "
		    "digits, '-' and '.', at most %d characters)", shown(v, sv, sizeof(sv)),
		    FWRULE_HOST_MAX);
	if (inet_aton(v, &ia) != 0) {
		if (parse_ipv4(v, r->addr) == 0) {
			r->prefix = 32;
			r->dst = FWRULE_DST4;
			return 0;
		}
		return fail(err, errlen, "invalid dsthost '%s' (reads as an IPv4 address; "
		    "write it as dst4=A.B.C.D)", shown(v, sv, sizeof(sv)));
	}
	memcpy(r->host, v, n + 1);
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

enum field { F_DST4, F_DST6, F_DSTHOST, F_PROTO, F_SPECIAL, F_PORTS, F_ICMP, F_EXPIRE, F_COMMENT,
	F_COUNT };

static const char *const field_names[F_COUNT] = {
	"dst4", "dst6", "dsthost", "proto", "specialtarget", "dstports", "icmptype", "expire",
	"comment",
};

static bool
is_sep(char c)
{
	return c == ' ' || c == '\t';
}

int
fwrule_parse(const char *text, struct fwrule *out, char *err, size_t errlen)
{
	struct fwrule r;
	char tok[FWRULE_TEXT_MAX], sv[64];
	bool seen[F_COUNT] = { false };
	const char *p = text, *dst_field = NULL;
	size_t len = strnlen(text, FWRULE_TEXT_MAX);
	bool have_action = false;
	int action;

	memset(&r, 0, sizeof(r));
	if (len >= FWRULE_TEXT_MAX)
		return fail(err, errlen, "rule longer than %d characters", FWRULE_TEXT_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (!((text[i] >= 0x20 && text[i] < 0x7f) || text[i] == '\t'))
			return fail(err, errlen, "invalid byte 0x%02x at position %zu of the rule "
			    "(expected printable ASCII)", (unsigned char)text[i], i + 1);

	for (;;) {
		const char *start;
		char *eq, *val;
		size_t n;
		enum field f;
		long long v;

		while (is_sep(*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		if (have_action && !strncmp(p, "comment=", 8)) {
			if (seen[F_COMMENT])
				return fail(err, errlen, "duplicate field 'comment'");
			if (parse_comment(p + 8, &r, err, errlen) < 0)
				return -1;
			seen[F_COMMENT] = true;
			break; /* the comment takes the rest of the line */
		}
		while (*p != '\0' && !is_sep(*p))
			p++;
		n = (size_t)(p - start);
		memcpy(tok, start, n); /* n < len < FWRULE_TEXT_MAX */
		tok[n] = '\0';
		if (!have_action) {
			if (fwrule_action_parse(tok, &action) < 0)
				return fail(err, errlen, "invalid action '%s' (a rule starts with "
				    "accept or drop)", shown(tok, sv, sizeof(sv)));
			r.action = (uint8_t)action;
			have_action = true;
			continue;
		}
		if ((eq = strchr(tok, '=')) == NULL)
			return fail(err, errlen, "invalid field '%s' (expected key=value)",
			    shown(tok, sv, sizeof(sv)));
		*eq = '\0';
		val = eq + 1;
		for (f = 0; f < F_COUNT; f++)
			if (!strcmp(tok, field_names[f]))
				break;
		if (f == F_COUNT)
			return fail(err, errlen, "unknown field '%s' (expected dst4, dst6, dsthost, "
			    "proto, specialtarget, dstports, icmptype, expire or comment)",
			    shown(tok, sv, sizeof(sv)));
		if (seen[f])
			return fail(err, errlen, "duplicate field '%s'", field_names[f]);
		seen[f] = true;
		switch (f) {
		case F_DST4:
		case F_DST6:
		case F_DSTHOST:
			if (dst_field != NULL)
				return fail(err, errlen, "%s conflicts with %s (a rule has "
				    "at most one of dst4, dst6 and dsthost)", field_names[f],
				    dst_field);
			dst_field = field_names[f];
			if ((f == F_DST4 ? parse_dst4(val, &r, err, errlen) :
			    f == F_DST6 ? parse_dst6(val, &r, err, errlen) :
			    parse_dsthost(val, &r, err, errlen)) < 0)
				return -1;
			break;
		case F_PROTO:
			for (int i = 1; i < 4; i++)
				if (!strcmp(val, proto_names[i]))
					r.proto = (uint8_t)i;
			if (r.proto == FWRULE_PROTO_ANY)
				return fail(err, errlen, "invalid proto '%s' (expected tcp, "
				    "udp or icmp)", shown(val, sv, sizeof(sv)));
			break;
		case F_SPECIAL:
			if (strcmp(val, "dns"))
				return fail(err, errlen, "invalid specialtarget '%s' "
				    "(expected dns)", shown(val, sv, sizeof(sv)));
			r.dns = true;
			break;
		case F_PORTS:
			if (parse_ports(val, &r, err, errlen) < 0)
				return -1;
			break;
		case F_ICMP:
			if (parse_num(val, 255, &v) < 0)
				return fail(err, errlen, "invalid icmptype '%s' (expected 0 "
				    "to 255)", shown(val, sv, sizeof(sv)));
			r.has_icmptype = true;
			r.icmptype = (uint8_t)v;
			break;
		case F_EXPIRE:
			if (parse_num(val, FWRULE_EXPIRE_MAX, &v) < 0 || v < 1)
				return fail(err, errlen, "invalid expire '%s' (expected epoch "
				    "seconds from 1 to %lld)", shown(val, sv, sizeof(sv)),
				    FWRULE_EXPIRE_MAX);
			r.expire = v;
			break;
		case F_COMMENT: /* only at the start of a token, handled above */
		case F_COUNT:
			break;
		}
	}
	if (!have_action)
		return fail(err, errlen, "empty rule (expected accept or drop first)");
	if (seen[F_PORTS] && r.proto != FWRULE_TCP && r.proto != FWRULE_UDP)
		return fail(err, errlen, "dstports needs proto=tcp or proto=udp");
	if (seen[F_ICMP] && r.proto != FWRULE_ICMP)
		return fail(err, errlen, "icmptype needs proto=icmp");
	if (r.dns && dst_field != NULL)
		return fail(err, errlen, "specialtarget=dns conflicts with %s (it is a "
		    "destination of its own)", dst_field);
	*out = r;
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

int
fwrule_format(const struct fwrule *r, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	char addr[INET6_ADDRSTRLEN];

	if (len > 0)
		buf[0] = '\0';
	put(&o, "%s", fwrule_action_name(r->action));
	switch (r->dst) {
	case FWRULE_DST4:
		inet_ntop(AF_INET, r->addr, addr, sizeof(addr));
		put(&o, r->prefix == 32 ? " dst4=%s" : " dst4=%s/%d", addr, r->prefix);
		break;
	case FWRULE_DST6:
		inet_ntop(AF_INET6, r->addr, addr, sizeof(addr));
		put(&o, r->prefix == 128 ? " dst6=%s" : " dst6=%s/%d", addr, r->prefix);
		break;
	case FWRULE_DSTHOST:
		put(&o, " dsthost=%.*s", FWRULE_HOST_MAX, r->host);
		break;
	default:
		break;
	}
	if (r->proto > FWRULE_PROTO_ANY && r->proto <= FWRULE_ICMP)
		put(&o, " proto=%s", proto_names[r->proto]);
	if (r->dns)
		put(&o, " specialtarget=dns");
	if (r->port_min != 0)
		put(&o, r->port_min == r->port_max ? " dstports=%u" : " dstports=%u-%u",
		    r->port_min, r->port_max);
	if (r->has_icmptype)
		put(&o, " icmptype=%u", r->icmptype);
	if (r->expire != 0)
		put(&o, " expire=%lld", (long long)r->expire);
	if (r->comment[0] != '\0')
		put(&o, " comment=%.*s", FWRULE_COMMENT_MAX, r->comment);
	return (int)o.off;
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
