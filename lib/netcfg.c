/* Parsing of the domd → netvm network configuration (netcfg.h). Lines are
 * copied into a bounded buffer before they are looked at; every error names
 * the line and the item. */
#include "netcfg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

int
netcfg_ip_parse(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int part = 0; part < 4; part++) {
		unsigned n = 0;
		int digits = 0;

		if (part > 0 && *s++ != '.')
			return -1;
		while (isdigit((unsigned char)*s) && digits < 4) {
			n = n * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || n > 255 || (digits > 1 && s[-digits] == '0'))
			return -1;
		v = v << 8 | n;
	}
	if (*s != '\0')
		return -1;
	*out = htonl(v);
	return 0;
}

int
netcfg_cidr_parse(const char *s, uint32_t *addr, int *prefix)
{
	char buf[20];
	const char *slash = strchr(s, '/');
	char *end;
	long p;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(buf) || !isdigit((unsigned char)slash[1]))
		return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	p = strtol(slash + 1, &end, 10);
	if (*end != '\0' || p < 0 || p > 32 || (slash[1] == '0' && slash[2] != '\0'))
		return -1;
	if (netcfg_ip_parse(buf, addr) < 0)
		return -1;
	*prefix = (int)p;
	return 0;
}

const char *
netcfg_ip_str(uint32_t ip, char *buf)
{
	uint32_t h = ntohl(ip);
	snprintf(buf, 16, "%u.%u.%u.%u", h >> 24, (h >> 16) & 255, (h >> 8) & 255, h & 255);
	return buf;
}

void
netcfg_ip6_of(uint32_t ip, uint8_t out[16])
{
	inet_pton(AF_INET6, NETCFG_IP6_PREFIX, out);
	memcpy(out + 12, &ip, 4);
}

void
netcfg_free(struct netcfg *c)
{
	for (int i = 0; i < c->nclients; i++)
		free(c->clients[i].rules);
	free(c->clients);
	memset(c, 0, sizeof(*c));
}

static bool
ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NETCFG_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static bool
name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NETCFG_NAME_MAX || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

struct parser {
	int line;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct parser *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "netcfg line %d: %s", p->line, msg);
	return -1;
}

/* Splits at most max words of line (modified in place); the count. */
static int
split(char *line, char **w, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = t;
	}
	return n;
}

static int
parse_item(struct parser *p, char *line, struct netcfg *c, int *client_cap, bool *ended)
{
	char *w[6], copy[FWRULE_TEXT_MAX + 16];
	struct netcfg_client *cl = c->nclients > 0 ? &c->clients[c->nclients - 1] : NULL;
	int n;

	if (!strncmp(line, "rule ", 5)) {
		struct fwrule r;
		char rerr[300];

		if (cl == NULL)
			return fail(p, "rule before any client");
		if (cl->nrules >= FWRULE_SET_MAX)
			return fail(p, "more than %d rules for client %s", FWRULE_SET_MAX, cl->name);
		if (strlen(line + 5) >= FWRULE_TEXT_MAX)
			return fail(p, "rule longer than %d bytes", FWRULE_TEXT_MAX - 1);
		if (fwrule_parse(line + 5, &r, rerr, sizeof(rerr)) < 0)
			return fail(p, "client %s: %s", cl->name, rerr);
		if (cl->nrules % 16 == 0)
			cl->rules = xrealloc(cl->rules, ((size_t)cl->nrules + 16) * sizeof(r));
		cl->rules[cl->nrules++] = r;
		return 0;
	}
	if (!strncmp(line, "forward ", 8)) {
		unsigned lo, hi;
		char end;
		if (cl == NULL)
			return fail(p, "forward before any client");
		if (sscanf(line + 8, "%5u-%5u%c", &lo, &hi, &end) != 2 || lo < 1 || hi < lo ||
		    hi > 65535)
			return fail(p, "client %s: invalid forward (expected LO-HI, ports 1-65535)",
			    cl->name);
		if (cl->nforwards >= NETCFG_FORWARDS_MAX)
			return fail(p, "more than %d forwards for client %s", NETCFG_FORWARDS_MAX,
			    cl->name);
		cl->forwards[cl->nforwards].lo = (uint16_t)lo;
		cl->forwards[cl->nforwards].hi = (uint16_t)hi;
		cl->nforwards++;
		return 0;
	}
	if (!strncmp(line, "bad ", 4)) {
		if (cl == NULL)
			return fail(p, "bad before any client");
		cl->bad = true;
		snprintf(cl->bad_reason, sizeof(cl->bad_reason), "%.255s", line + 4);
		return 0;
	}
	snprintf(copy, sizeof(copy), "%s", line);
	n = split(copy, w, 5);
	if (n == 0)
		return fail(p, "empty line");
	if (!strcmp(w[0], "end") && n == 1) {
		*ended = true;
		return 0;
	}
	if (!strcmp(w[0], "ipv6") && n == 1) {
		c->ipv6 = true;
		return 0;
	}
	if (!strcmp(w[0], "self") && n == 2) {
		if (netcfg_ip_parse(w[1], &c->self) < 0)
			return fail(p, "invalid self address");
		return 0;
	}
	if (!strcmp(w[0], "upstream") && n == 2) {
		if (strcmp(w[1], "-") != 0 && !ifname_valid(w[1]))
			return fail(p, "invalid upstream link name");
		snprintf(c->upstream, sizeof(c->upstream), "%s", strcmp(w[1], "-") ? w[1] : "");
		return 0;
	}
	if (!strcmp(w[0], "uplink") && n == 3) {
		if (netcfg_cidr_parse(w[1], &c->uplink_addr, &c->uplink_prefix) < 0 ||
		    c->uplink_prefix == 0)
			return fail(p, "invalid uplink address (expected A.B.C.D/N)");
		if (netcfg_ip_parse(w[2], &c->uplink_gw) < 0)
			return fail(p, "invalid uplink gateway");
		c->has_uplink = true;
		return 0;
	}
	if (!strcmp(w[0], "resolver") && (n == 2 || n == 3)) {
		for (int i = 1; i < n; i++)
			if (netcfg_ip_parse(w[i], &c->resolvers[i - 1]) < 0)
				return fail(p, "invalid resolver address");
		c->nresolvers = n - 1;
		return 0;
	}
	if (!strcmp(w[0], "client") && n == 5) {
		struct netcfg_client nc = { 0 };

		if (c->nclients >= NETCFG_CLIENTS_MAX)
			return fail(p, "more than %d clients", NETCFG_CLIENTS_MAX);
		if (!name_valid(w[1]))
			return fail(p, "invalid client name");
		if (netcfg_ip_parse(w[2], &nc.ip) < 0)
			return fail(p, "invalid address of client %s", w[1]);
		if (!ifname_valid(w[3]))
			return fail(p, "invalid link name of client %s", w[1]);
		if (fwrule_action_parse(w[4], &nc.policy) < 0)
			return fail(p, "invalid policy of client %s (expected accept or drop)", w[1]);
		for (int i = 0; i < c->nclients; i++)
			if (c->clients[i].ip == nc.ip || !strcmp(c->clients[i].ifname, w[3]) ||
			    !strcmp(c->clients[i].name, w[1]))
				return fail(p, "client %s repeats a name, address or link", w[1]);
		snprintf(nc.name, sizeof(nc.name), "%s", w[1]);
		snprintf(nc.ifname, sizeof(nc.ifname), "%s", w[3]);
		if (c->nclients == *client_cap) {
			*client_cap = *client_cap ? *client_cap * 2 : 8;
			c->clients = xrealloc(c->clients, (size_t)*client_cap * sizeof(nc));
		}
		c->clients[c->nclients++] = nc;
		return 0;
	}
	return fail(p, "unknown or malformed item '%.20s'", w[0]);
}

int
netcfg_parse(const char *text, size_t len, struct netcfg *out, char *err, size_t errlen)
{
	struct parser p = { 0, err, errlen };
	struct netcfg c = { 0 };
	char line[FWRULE_TEXT_MAX + 16];
	int cap = 0;
	bool ended = false;
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	if (len > NETCFG_MSG_MAX)
		return fail(&p, "message larger than %d bytes", NETCFG_MSG_MAX);
	while (off < len && !ended) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n;

		p.line++;
		if (nl == NULL) {
			fail(&p, "line without a newline");
			goto bad;
		}
		n = (size_t)(nl - (text + off));
		if (n >= sizeof(line)) {
			fail(&p, "line longer than %zu bytes", sizeof(line) - 1);
			goto bad;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		off += n + 1;
		for (size_t i = 0; i < n; i++)
			if (!isprint((unsigned char)line[i])) {
				fail(&p, "control or non-ASCII byte");
				goto bad;
			}
		if (p.line == 1) {
			if (strcmp(line, "netcfg 1") != 0) {
				fail(&p, "not a netcfg version %d message", NETCFG_VERSION);
				goto bad;
			}
			continue;
		}
		if (parse_item(&p, line, &c, &cap, &ended) < 0)
			goto bad;
	}
	if (!ended) {
		fail(&p, "message ends without 'end'");
		goto bad;
	}
	if (off != len) {
		fail(&p, "bytes after 'end'");
		goto bad;
	}
	*out = c;
	return 0;
bad:
	netcfg_free(&c);
	return -1;
}

int
netcfg_parse_answer(const char *untrusted_line, size_t len, int *nrules, char *msg, size_t msglen)
{
	char buf[NETCFG_ANSWER_MAX + 1];
	size_t i;

	if (len > NETCFG_ANSWER_MAX || memchr(untrusted_line, '\0', len) != NULL)
		return -1;
	memcpy(buf, untrusted_line, len);
	buf[len] = '\0';
	if (!strncmp(buf, "ok ", 3)) {
		char *end;
		long v;

		if (!isdigit((unsigned char)buf[3]))
			return -1;
		v = strtol(buf + 3, &end, 10);
		if (*end != '\0' || v < 0 || v > 100000000)
			return -1;
		*nrules = (int)v;
		return 1;
	}
	if (strncmp(buf, "error ", 6) != 0 || msglen == 0)
		return -1;
	for (i = 0; buf[6 + i] != '\0' && i + 1 < msglen; i++)
		msg[i] = isprint((unsigned char)buf[6 + i]) ? buf[6 + i] : '?';
	msg[i] = '\0';
	return 0;
}
