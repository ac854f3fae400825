/* libFuzzer harness for the policy parser and evaluator: any text loads
 * (possibly as a broken policy) without crashing or leaking, and every
 * decision is well formed: strings NUL-terminated, a broken policy denies
 * everything, and allow only ever names a qube that exists (or dom0, or a
 * new DispVM from a real DispVM template). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const trusted[] = { "trusted", NULL };
static const char *const dvm[] = { "dvm", NULL };

static const struct policy_qube qubes[] = {
	{ "work", "AppVM", trusted, false },
	{ "personal", "AppVM", NULL, false },
	{ "sys-net", "AppVM", NULL, false },
	{ "tpl", "TemplateVM", NULL, false },
	{ "dvm-tpl", "AppVM", dvm, true },
	{ "dom0", "AdminVM", NULL, false },
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

static const struct policy_env envs[] = {
	{ find, NULL, "dvm-tpl" },
	{ find, NULL, "" },
	{ find, NULL, "work" },
};

static bool
terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
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
