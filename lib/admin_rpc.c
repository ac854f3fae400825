#include "admin_rpc.h"

#include <stdio.h>
#include <string.h>

static const struct admin_rpc_key no_keys[] = { { NULL, 0 } };
static const struct admin_rpc_key shutdown_keys[] = {
	{ "wait", ADMIN_ARG_BOOL }, { "timeout", ADMIN_ARG_INT }, { NULL, 0 } };
static const struct admin_rpc_key set_keys[] = { { "value", ADMIN_ARG_SCALAR }, { NULL, 0 } };
static const struct admin_rpc_key tag_keys[] = {
	{ "op", ADMIN_ARG_STRING }, { "tag", ADMIN_ARG_STRING }, { NULL, 0 } };
/* As vm.create on the socket, less what gives a device, an uplink or a
 * network role (provides_*, uplink*, ipv6) and pids_max. */
static const struct admin_rpc_key create_keys[] = {
	{ "class", ADMIN_ARG_STRING }, { "label", ADMIN_ARG_STRING },
	{ "template", ADMIN_ARG_STRING }, { "netvm", ADMIN_ARG_STRING },
	{ "memory", ADMIN_ARG_INT }, { "vcpus", ADMIN_ARG_INT },
	{ "virt_mode", ADMIN_ARG_STRING }, { "private_size", ADMIN_ARG_INT },
	{ "autostart", ADMIN_ARG_BOOL }, { "template_for_dispvms", ADMIN_ARG_BOOL },
	{ "default_dispvm", ADMIN_ARG_STRING }, { NULL, 0 } };

const struct admin_rpc_method admin_rpc_methods[] = {
	{ "daemon.info", ADMIN_RPC_ON_DOM0, false, false, no_keys },
	{ "vm.list", ADMIN_RPC_ON_DOM0, false, false, no_keys },
	{ "events.subscribe", ADMIN_RPC_ON_DOM0, true, false, no_keys },
	{ "vm.get", ADMIN_RPC_ON_QUBE, false, false, no_keys },
	{ "vm.stats", ADMIN_RPC_ON_QUBE, false, false, no_keys },
	{ "vm.start", ADMIN_RPC_ON_QUBE, false, false, no_keys },
	{ "vm.shutdown", ADMIN_RPC_ON_QUBE, false, false, shutdown_keys },
	{ "vm.kill", ADMIN_RPC_ON_QUBE, false, false, no_keys },
	{ "vm.pause", ADMIN_RPC_ON_QUBE, false, false, no_keys },
	{ "vm.unpause", ADMIN_RPC_ON_QUBE, false, false, no_keys },
	{ "vm.remove", ADMIN_RPC_ON_QUBE, false, false, no_keys },
	{ "vm.set", ADMIN_RPC_ON_QUBE, false, true, set_keys },
	{ "vm.tag", ADMIN_RPC_ON_QUBE, false, false, tag_keys },
	{ "vm.create", ADMIN_RPC_CREATES, false, false, create_keys },
};
const size_t admin_rpc_nmethods = sizeof(admin_rpc_methods) / sizeof(admin_rpc_methods[0]);

static const char *const rpc_props[] = { "label", "template", "netvm", "memory", "vcpus",
	"virt_mode", "private_size", "autostart", "template_for_dispvms", "default_dispvm",
	NULL };

const struct admin_rpc_method *
admin_rpc_find(const char *service, uint32_t *index)
{
	size_t plen = strlen(ADMIN_RPC_PREFIX);

	if (strncmp(service, ADMIN_RPC_PREFIX, plen) != 0)
		return NULL;
	for (size_t i = 0; i < admin_rpc_nmethods; i++)
		if (!strcmp(service + plen, admin_rpc_methods[i].name)) {
			*index = (uint32_t)i;
			return &admin_rpc_methods[i];
		}
	return NULL;
}

size_t
admin_rpc_nkeys(const struct admin_rpc_method *m)
{
	size_t n = 0;

	while (m->keys[n].name != NULL)
		n++;
	return n;
}

bool
admin_rpc_prop_allowed(const char *prop)
{
	for (const char *const *p = rpc_props; *p != NULL; p++)
		if (!strcmp(*p, prop))
			return true;
	return false;
}

/* The parser: a cursor over the payload, and the first error. */
struct cur {
	const char *p, *end;
	struct admin_rpc_args *out;
};

static int
refuse(struct cur *c, const char *msg)
{
	c->out->error = 1;
	c->out->nargs = 0; /* nothing of a refused payload is used */
	memset(c->out->arg, 0, sizeof(c->out->arg));
	snprintf(c->out->msg, sizeof(c->out->msg), "arguments: %s", msg);
	return -1;
}

static void
skip_ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool
take(struct cur *c, char ch)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

/* A string of printable ASCII; the escapes \" \\ \/ only. */
static int
string(struct cur *c, char *buf, size_t size)
{
	size_t n = 0;

	if (!take(c, '"'))
		return refuse(c, "expected a string");
	for (;;) {
		char ch;
		if (c->p >= c->end)
			return refuse(c, "a string does not end");
		ch = *c->p++;
		if (ch == '"')
			break;
		if (ch == '\\') {
			if (c->p >= c->end || (*c->p != '"' && *c->p != '\\' && *c->p != '/'))
				return refuse(c, "only the escapes \\\" \\\\ \\/ are accepted");
			ch = *c->p++;
		}
		if (ch < 0x20 || ch > 0x7e)
			return refuse(c, "a string holds a byte that is not printable ASCII");
		if (n + 1 >= size)
			return refuse(c, "a string is too long");
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return 0;
}

static bool
word(struct cur *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) >= n && !memcmp(c->p, w, n)) {
		c->p += n;
		return true;
	}
	return false;
}

/* true, false, a string, or an integer of at most 18 digits. */
static int
value(struct cur *c, struct admin_rpc_arg *a)
{
	bool neg = false;
	int digits = 0;

	skip_ws(c);
	if (c->p < c->end && *c->p == '"') {
		a->type = ADMIN_ARG_STRING;
		return string(c, a->str, sizeof(a->str));
	}
	if (word(c, "true") || word(c, "false")) {
		a->type = ADMIN_ARG_BOOL;
		a->num = c->p[-2] == 'u'; /* tr(u)e */
		return 0;
	}
	if (c->p < c->end && *c->p == '-') {
		neg = true;
		c->p++;
	}
	a->type = ADMIN_ARG_INT;
	a->num = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (++digits > 18)
			return refuse(c, "a number is too long");
		a->num = a->num * 10 + (*c->p++ - '0');
	}
	if (digits == 0)
		return refuse(c, "a value must be a string, an integer, true or false");
	if (neg)
		a->num = -a->num;
	return 0;
}

static bool
type_fits(enum admin_rpc_type want, uint32_t got)
{
	return want == ADMIN_ARG_SCALAR || (uint32_t)want == got;
}

static int
pair(struct cur *c, const struct admin_rpc_method *m)
{
	char key[64];
	struct admin_rpc_arg *a;
	size_t k;

	if (string(c, key, sizeof(key)) < 0)
		return -1;
	for (k = 0; m->keys[k].name != NULL && strcmp(m->keys[k].name, key); k++)
		;
	if (m->keys[k].name == NULL)
		return refuse(c, "an argument this method does not take over RPC");
	for (uint32_t i = 0; i < c->out->nargs; i++)
		if (c->out->arg[i].key == k)
			return refuse(c, "an argument given twice");
	if (!take(c, ':'))
		return refuse(c, "expected ':' after a key");
	a = &c->out->arg[c->out->nargs];
	memset(a, 0, sizeof(*a));
	a->key = (uint32_t)k;
	if (value(c, a) < 0)
		return -1;
	if (!type_fits(m->keys[k].type, a->type))
		return refuse(c, "a value of the wrong type");
	c->out->nargs++;
	return 0;
}

int
admin_rpc_args_parse(uint32_t method, const char *untrusted_buf, size_t untrusted_len,
    struct admin_rpc_args *out)
{
	struct cur c = { untrusted_buf, untrusted_buf + untrusted_len, out };
	const struct admin_rpc_method *m;

	memset(out, 0, sizeof(*out));
	out->method = method;
	if (method >= admin_rpc_nmethods)
		return refuse(&c, "no such method");
	m = &admin_rpc_methods[method];
	if (untrusted_len > ADMIN_RPC_PAYLOAD_MAX)
		return refuse(&c, "more than 8 KiB");
	skip_ws(&c);
	if (c.p == c.end)
		return 0; /* no payload: no arguments */
	if (!take(&c, '{'))
		return refuse(&c, "expected a JSON object");
	if (!take(&c, '}')) {
		do {
			if (c.out->nargs == ADMIN_RPC_ARGS_MAX)
				return refuse(&c, "too many");
			if (pair(&c, m) < 0)
				return -1;
		} while (take(&c, ','));
		if (!take(&c, '}'))
			return refuse(&c, "expected ',' or '}'");
	}
	skip_ws(&c);
	if (c.p != c.end)
		return refuse(&c, "something after the object");
	return 0;
}

static bool
printable(const char *s, size_t size)
{
	const char *nul = memchr(s, '\0', size);

	if (nul == NULL)
		return false;
	for (; s < nul; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

int
admin_rpc_args_check(const struct admin_rpc_args *a)
{
	const struct admin_rpc_method *m;
	size_t nkeys;

	if (a->method >= admin_rpc_nmethods || a->error > 1 || !printable(a->msg, sizeof(a->msg)))
		return -1;
	if (a->error)
		return a->nargs == 0 ? 0 : -1;
	m = &admin_rpc_methods[a->method];
	nkeys = admin_rpc_nkeys(m);
	if (a->nargs > ADMIN_RPC_ARGS_MAX || a->nargs > nkeys)
		return -1;
	for (uint32_t i = 0; i < a->nargs; i++) {
		const struct admin_rpc_arg *x = &a->arg[i];
		if (x->key >= nkeys || !type_fits(m->keys[x->key].type, x->type) ||
		    x->type < ADMIN_ARG_BOOL || x->type > ADMIN_ARG_STRING)
			return -1;
		if (x->type == ADMIN_ARG_BOOL && x->num != 0 && x->num != 1)
			return -1;
		if (x->type == ADMIN_ARG_STRING && !printable(x->str, sizeof(x->str)))
			return -1;
		for (uint32_t j = 0; j < i; j++)
			if (a->arg[j].key == x->key)
				return -1;
	}
	return 0;
}
