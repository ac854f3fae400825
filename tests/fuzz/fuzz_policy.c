/* libFuzzer harness for the policy parser and evaluator: any text loads
 * (possibly as a broken policy) without crashing or leaking, and every
 * decision is well formed: strings NUL-terminated, a broken policy denies
 * everything, allow only ever names a qube that exists (or dom0, or a new
 * DispVM from a real DispVM template), an ask offers at least one target,
 * each a qube that exists (never the caller), dom0 or a real DispVM
 * template, its proposals among them, and autostart=no never lets a call
 * start anything. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static const char *const trusted[] = { "trusted", NULL };
static const char *const dvm[] = { "dvm", NULL };

static const struct policy_qube qubes[] = {
	{ "work", "AppVM", trusted, false, true },
	{ "personal", "AppVM", NULL, false, false },
	{ "sys-net", "AppVM", NULL, false, true },
	{ "tpl", "TemplateVM", NULL, false, false },
	{ "dvm-tpl", "AppVM", dvm, true, false },
	{ "dom0", "AdminVM", NULL, false, true },
};

static const struct policy_qube *
find(void *ctx, const char *name)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(qubes) / sizeof(qubes[0]); i++)
		if (strcmp(qubes[i].name, name) == 0)
			return &qubes[i];
	return NULL;
}

static const struct policy_qube *
nth(void *ctx, size_t i)
{
	(void)ctx;
	return i < sizeof(qubes) / sizeof(qubes[0]) ? &qubes[i] : NULL;
}

static const struct policy_env envs[] = {
	{ find, NULL, "dvm-tpl", nth },
	{ find, NULL, "", nth },
	{ find, NULL, "work", nth },
	{ find, NULL, "dvm-tpl", NULL },
};

/* A target an allow or ask may name: dom0, a qube, a new DispVM. */
static bool
real_target(const char *t)
{
	const struct policy_qube *q;

	if (strcmp(t, "dom0") == 0)
		return true;
	if (strncmp(t, "@dispvm:", 8) == 0)
		return (q = find(NULL, t + 8)) != NULL && q->template_for_dispvms;
	return find(NULL, t) != NULL;
}

/* Could the call go to t without starting anything? */
static bool
running(const char *t)
{
	const struct policy_qube *q = strncmp(t, "@dispvm", 7) ? find(NULL, t) : NULL;

	return strcmp(t, "dom0") == 0 || (q != NULL && q->running);
}

static void
check_ask(const struct policy_decision *d)
{
	if (d->ntargets == 0 || d->ntargets > POLICY_TARGETS_MAX)
		__builtin_trap();
	for (size_t i = 0; i < d->ntargets; i++) {
		if (!terminated(d->targets[i], sizeof(d->targets[i])) ||
		    !real_target(d->targets[i]) || (!d->autostart && !running(d->targets[i])))
			__builtin_trap();
		if (i > 0 && strcmp(d->targets[i - 1], d->targets[i]) >= 0)
			__builtin_trap(); /* sorted, no repeats */
	}
	if ((d->target[0] && !policy_offers(d, d->target)) ||
	    (d->default_target[0] && !policy_offers(d, d->default_target)))
		__builtin_trap();
}

static void
check(const struct policy *p, const struct policy_env *env, const char *svc, const char *arg,
    const char *src, const char *tgt)
{
	struct policy_decision d;
	const struct policy_qube *q;

	memset(&d, 0xa5, sizeof(d));
	policy_evaluate(p, env, svc, arg, src, tgt, &d);
	if (!terminated(d.target, sizeof(d.target)) ||
	    !terminated(d.default_target, sizeof(d.default_target)) ||
	    !terminated(d.user, sizeof(d.user)) || !terminated(d.origin, sizeof(d.origin)))
		__builtin_trap();
	if (d.origin[0] == '\0')
		__builtin_trap();
	switch (d.action) {
	case POLICY_DENY:
		if (d.target[0] != '\0')
			__builtin_trap();
		break;
	case POLICY_ALLOW:
		if (d.target[0] == '\0')
			__builtin_trap();
		/* FALLTHROUGH */
	case POLICY_ASK:
		if (policy_error(p) != NULL)
			__builtin_trap();
		if (d.target[0] == '\0' || strcmp(d.target, "dom0") == 0)
			break;
		if (strncmp(d.target, "@dispvm:", 8) == 0) {
			q = find(NULL, d.target + 8);
			if (q == NULL || !q->template_for_dispvms)
				__builtin_trap();
		} else if (find(NULL, d.target) == NULL)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	if (d.action == POLICY_ASK)
		check_ask(&d);
	if (d.action == POLICY_ALLOW && !d.autostart && !running(d.target))
		__builtin_trap();
	if (policy_error(p) != NULL && strncmp(d.origin, "policy broken: ", 15) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const srcs[] = { "work", "personal", "dom0", "dvm-tpl", "ghost" };
	static const char *const tgts[] = { NULL, "@default", "work", "dom0", "@adminvm",
		"@dispvm", "@dispvm:dvm-tpl", "@dispvm:work", "ghost", "tpl" };
	char *text = malloc(size + 1);
	char *words[8];
	int nw = 0;
	struct policy *p;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	p = policy_load_string(text, "fuzz.policy");
	if (policy_error(p) != NULL && policy_rule_count(p) != 0)
		__builtin_trap();

	/* Fixed calls, on every environment. */
	for (size_t e = 0; e < sizeof(envs) / sizeof(envs[0]); e++)
		for (size_t s = 0; s < sizeof(srcs) / sizeof(srcs[0]); s++)
			for (size_t t = 0; t < sizeof(tgts) / sizeof(tgts[0]); t++)
				check(p, &envs[e], "test.Svc", "", srcs[s], tgts[t]);

	/* A call made of the input's first words, so that rules can match. */
	for (char *save = NULL, *w = strtok_r(text, " \t\r\n", &save); w != NULL && nw < 8;
	     w = strtok_r(NULL, " \t\r\n", &save))
		words[nw++] = w;
	if (nw >= 4) {
		const char *arg = words[1][0] == '+' ? words[1] + 1 : words[1];

		for (size_t e = 0; e < sizeof(envs) / sizeof(envs[0]); e++) {
			check(p, &envs[e], words[0], arg, words[2], words[3]);
			for (size_t t = 0; t < sizeof(tgts) / sizeof(tgts[0]); t++)
				check(p, &envs[e], words[0], arg, words[2], tgts[t]);
			for (size_t s = 0; s < sizeof(srcs) / sizeof(srcs[0]); s++)
				check(p, &envs[e], words[0], arg, srcs[s], words[3]);
		}
	}
	policy_free(p);
	free(text);
	return 0;
}
