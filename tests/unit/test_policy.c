/* Unit tests for lib/policy.h: the qrexec policy.d format against
 * Qubes-style examples, malformed files (deny all, with FILE:LINE), includes,
 * and the change-detecting cache. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "policy.h"

/* ---------------------------------------------------------------------------
 * A fake qube universe
 */

static const char *const work_tags[] = { "trusted", NULL };
static const char *const net_tags[] = { "net", NULL };
static const char *const dvm_tags[] = { "dvm", "trusted", NULL };

static const struct policy_qube qubes[] = { /* running: work, sys-net, dom0 */
	{ "work", "AppVM", work_tags, false, true },
	{ "personal", "AppVM", NULL, false, false },
	{ "untrusted", "AppVM", NULL, false, false },
	{ "sys-net", "AppVM", net_tags, false, true },
	{ "tpl", "TemplateVM", NULL, false, false },
	{ "dvm-tpl", "AppVM", dvm_tags, true, false },
	{ "dom0", "AdminVM", NULL, false, true },
};

static int find_calls;

static const struct policy_qube *
fake_find(void *ctx, const char *name)
{
	(void)ctx;
	find_calls++;
	for (size_t i = 0; i < sizeof(qubes) / sizeof(qubes[0]); i++)
		if (strcmp(qubes[i].name, name) == 0)
			return &qubes[i];
	return NULL;
}

static const struct policy_qube *
fake_nth(void *ctx, size_t i)
{
	(void)ctx;
	return i < sizeof(qubes) / sizeof(qubes[0]) ? &qubes[i] : NULL;
}

static const struct policy_env env = { fake_find, NULL, "dvm-tpl", fake_nth };
static const struct policy_env env_nodvm = { fake_find, NULL, "", fake_nth };
/* not a DispVM template */
static const struct policy_env env_baddvm = { fake_find, NULL, "work", fake_nth };

/* Every decision must be well formed, whatever it is. */
static void
check_decision(const struct policy_decision *d)
{
	assert_non_null(memchr(d->target, '\0', sizeof(d->target)));
	assert_non_null(memchr(d->default_target, '\0', sizeof(d->default_target)));
	assert_non_null(memchr(d->user, '\0', sizeof(d->user)));
	assert_non_null(memchr(d->origin, '\0', sizeof(d->origin)));
	assert_true(d->origin[0] != '\0');
	if (d->action == POLICY_ALLOW)
		assert_true(d->target[0] != '\0');
	if (d->action == POLICY_DENY)
		assert_string_equal(d->target, "");
}

static struct policy_decision
eval_env(const struct policy *p, const struct policy_env *e, const char *svc, const char *arg,
    const char *src, const char *tgt)
{
	struct policy_decision d;

	memset(&d, 0x5a, sizeof(d)); /* garbage in: the evaluator must fill everything */
	policy_evaluate(p, e, svc, arg, src, tgt, &d);
	check_decision(&d);
	return d;
}

static struct policy_decision
eval(const struct policy *p, const char *svc, const char *arg, const char *src, const char *tgt)
{
	return eval_env(p, &env, svc, arg, src, tgt);
}

#define assert_decision(d, act, tgt, orig)                        \
	do {                                                      \
		struct policy_decision d_ = (d);                  \
		if (d_.action != (act) || strcmp(d_.target, (tgt)) != 0 || \
		    strcmp(d_.origin, (orig)) != 0)               \
			fail_msg("got action %d target '%s' origin '%s', want %d '%s' '%s'", \
			    d_.action, d_.target, d_.origin, (act), (tgt), (orig)); \
	} while (0)

#define assert_denied(d, orig) assert_decision(d, POLICY_DENY, "", orig)

static struct policy *
load(const char *text)
{
	struct policy *p = policy_load_string(text, "t.policy");

	if (policy_error(p) != NULL)
		fail_msg("unexpected policy error: %s", policy_error(p));
	return p;
}

/* ---------------------------------------------------------------------------
 * Files
 */

struct tmp {
	char dir[64];
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	strcpy(t->dir, "/tmp/test_policy.XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	*state = t;
	return 0;
}

static int
teardown_tmp(void **state)
{
	struct tmp *t = *state;

	chmod(t->dir, 0700);
	nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

/* Writes dir/name in place (truncate and write: same inode). */
static void
put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void
mkdir_in(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
}

/* "DIR/name:line", the origin of a rule read from a file. */
static const char *
at(const struct tmp *t, const char *name, int line)
{
	static char buf[4][512];
	static int n;
	char *b = buf[n++ % 4];

	if (line > 0)
		snprintf(b, sizeof(buf[0]), "%s/%s:%d", t->dir, name, line);
	else
		snprintf(b, sizeof(buf[0]), "%s/%s", t->dir, name);
	return b;
}

static void
assert_error_starts(const struct policy *p, const char *prefix)
{
	const char *err = policy_error(p);

	if (err == NULL)
		fail_msg("no error, want one starting with '%s'", prefix);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, prefix);
}

/* ---------------------------------------------------------------------------
 * Rule matching
 */

static void
test_first_match_across_files(void **state)
{
	struct tmp *t = *state;
	struct policy *p;
	char want[600];

	/* Written in the "wrong" order; read in name order. */
	put(t->dir, "90-y.policy",
	    "# the catch-all\n"
	    "test.Svc * @anyvm @anyvm allow\n"
	    "test.Other * @anyvm @anyvm allow\n");
	put(t->dir, "10-x.policy",
	    "\n"
	    "test.Svc * untrusted @anyvm deny\n"
	    "test.Svc * work personal ask\n");
	put(t->dir, "50-z.policy", "  \t # only a comment\n\n");
	/* Not policy files: ignored. */
	put(t->dir, "README", "this is not a policy\n");
	put(t->dir, "20-a.policy.rpmsave", "garbage\n");
	put(t->dir, ".20-hidden.policy", "garbage\n");
	mkdir_in(t->dir, "30-dir.policy");
	/* Symbolic links are followed; dangling ones are skipped. */
	put(t->dir, "link-target", "test.Link * @anyvm @anyvm allow\n");
	assert_int_equal(symlink("link-target", at(t, "40-link.policy", 0)), 0);
	assert_int_equal(symlink("nowhere", at(t, "45-dangling.policy", 0)), 0);

	p = policy_load_dir(t->dir);
	assert_null(policy_error(p));
	assert_int_equal(policy_rule_count(p), 5);
	assert_denied(eval(p, "test.Svc", "", "untrusted", "work"), at(t, "10-x.policy", 2));
	assert_decision(eval(p, "test.Link", "", "untrusted", "work"), POLICY_ALLOW, "work",
	    at(t, "40-link.policy", 1));
	assert_decision(eval(p, "test.Svc", "", "work", "personal"), POLICY_ASK, "personal",
	    at(t, "10-x.policy", 3));
	assert_decision(eval(p, "test.Svc", "", "work", "sys-net"), POLICY_ALLOW, "sys-net",
	    at(t, "90-y.policy", 2));
	assert_decision(eval(p, "test.Other", "", "untrusted", "work"), POLICY_ALLOW, "work",
	    at(t, "90-y.policy", 3));
	assert_denied(eval(p, "test.None", "", "work", "personal"), "no matching rule");
	policy_free(p);

	/* A trailing slash names the same files. */
	snprintf(want, sizeof(want), "%s/", t->dir);
	p = policy_load_dir(want);
	assert_denied(eval(p, "test.Svc", "", "untrusted", "work"), at(t, "10-x.policy", 2));
	policy_free(p);
}

static void
test_service_and_argument_forms(void **state)
{
	struct policy *p = load(
	    "test.Exact +only work personal allow\n"      /* 1 */
	    "test.Exact + work personal ask\n"             /* 2: the empty argument */
	    "test.Exact * work personal deny\n"            /* 3: any other argument */
	    "test.Plus ++x work personal allow\n"          /* 4: the argument "+x" */
	    "* * untrusted @anyvm deny\n"                  /* 5: any service */
	    "test.Any * @anyvm @anyvm allow\n");           /* 6 */

	assert_decision(eval(p, "test.Exact", "only", "work", "personal"), POLICY_ALLOW, "personal",
	    "t.policy:1");
	assert_decision(eval(p, "test.Exact", "", "work", "personal"), POLICY_ASK, "personal",
	    "t.policy:2");
	assert_decision(eval(p, "test.Exact", NULL, "work", "personal"), POLICY_ASK, "personal",
	    "t.policy:2");
	assert_denied(eval(p, "test.Exact", "other", "work", "personal"), "t.policy:3");
	assert_denied(eval(p, "test.Exact", "onlyx", "work", "personal"), "t.policy:3");
	assert_decision(eval(p, "test.Plus", "+x", "work", "personal"), POLICY_ALLOW, "personal",
	    "t.policy:4");
	assert_denied(eval(p, "test.Plus", "x", "work", "personal"), "no matching rule");
	assert_denied(eval(p, "test.Any", "whatever", "untrusted", "work"), "t.policy:5");
	assert_decision(eval(p, "test.Any", "whatever", "personal", "work"), POLICY_ALLOW, "work",
	    "t.policy:6");
	/* Service names are exact, not prefixes. */
	assert_denied(eval(p, "test.Exac", "only", "work", "personal"), "no matching rule");
	/* Bad names from a caller are refused before any rule. */
	assert_denied(eval(p, "test/Any", "", "personal", "work"), "invalid service name");
	assert_denied(eval(p, "", "", "personal", "work"), "invalid service name");
	assert_denied(eval(p, NULL, "", "personal", "work"), "invalid service name");
	assert_denied(eval(p, "test.Any", "a b", "personal", "work"), "invalid service argument");
	policy_free(p);
}

static void
test_source_tokens(void **state)
{
	struct policy *p = load(
	    "s.Tag * @tag:trusted @anyvm allow\n"          /* 1 */
	    "s.Tag * @anyvm @anyvm deny\n"                 /* 2 */
	    "s.Type * @type:TemplateVM @anyvm allow\n"     /* 3 */
	    "s.Name * personal @anyvm allow\n"             /* 4 */
	    "s.Admin * dom0 @anyvm allow\n"                /* 5 */
	    "s.Admin2 * @adminvm @anyvm allow\n"           /* 6 */
	    "s.Any * @anyvm @anyvm allow\n"                /* 7 */
	    "s.Disp * @dispvm:dvm-tpl @anyvm allow\n"      /* 8: accepted, never matches */
	    "s.AdminType * @type:AdminVM @anyvm allow\n"   /* 9: dom0, as in Qubes */
	    "s.AdminType * @type:AppVM @anyvm ask\n");     /* 10 */

	assert_decision(eval(p, "s.Tag", "", "work", "personal"), POLICY_ALLOW, "personal", "t.policy:1");
	assert_denied(eval(p, "s.Tag", "", "personal", "work"), "t.policy:2");
	assert_decision(eval(p, "s.Type", "", "tpl", "work"), POLICY_ALLOW, "work", "t.policy:3");
	assert_denied(eval(p, "s.Type", "", "work", "personal"), "no matching rule");
	assert_decision(eval(p, "s.Name", "", "personal", "work"), POLICY_ALLOW, "work", "t.policy:4");
	assert_denied(eval(p, "s.Name", "", "untrusted", "work"), "no matching rule");
	assert_decision(eval(p, "s.Admin", "", "dom0", "work"), POLICY_ALLOW, "work", "t.policy:5");
	assert_decision(eval(p, "s.Admin", "", "@adminvm", "work"), POLICY_ALLOW, "work", "t.policy:5");
	assert_denied(eval(p, "s.Admin", "", "work", "personal"), "no matching rule");
	assert_decision(eval(p, "s.Admin2", "", "dom0", "work"), POLICY_ALLOW, "work", "t.policy:6");
	/* @anyvm is never dom0, as source either. */
	assert_decision(eval(p, "s.Any", "", "untrusted", "work"), POLICY_ALLOW, "work", "t.policy:7");
	assert_denied(eval(p, "s.Any", "", "dom0", "work"), "no matching rule");
	assert_denied(eval(p, "s.Disp", "", "dvm-tpl", "work"), "no matching rule");
	assert_decision(eval(p, "s.AdminType", "", "dom0", "work"), POLICY_ALLOW, "work",
	    "t.policy:9");
	assert_decision(eval(p, "s.AdminType", "", "work", "personal"), POLICY_ASK, "personal",
	    "t.policy:10");
	/* The source must exist. */
	assert_denied(eval(p, "s.Any", "", "ghost", "work"), "no such source: ghost");
	assert_denied(eval(p, "s.Any", "", "../etc", "work"), "invalid source");
	assert_denied(eval(p, "s.Any", "", NULL, "work"), "invalid source");
	policy_free(p);
}

static void
test_target_tokens(void **state)
{
	struct policy *p = load(
	    "t.Tag * @anyvm @tag:trusted allow\n"          /* 1 */
	    "t.Type * @anyvm @type:TemplateVM allow\n"     /* 2 */
	    "t.Name * @anyvm sys-net allow\n"              /* 3 */
	    "t.Admin * @anyvm dom0 allow\n"                /* 4 */
	    "t.Admin2 * @anyvm @adminvm ask\n"             /* 5 */
	    "t.Any * @anyvm @anyvm allow\n"                /* 6 */
	    "t.Default * @anyvm @default ask default_target=work\n" /* 7 */
	    "t.Default * @anyvm @anyvm allow\n"            /* 8 */
	    "t.Self * work work allow\n");                 /* 9: self-calls if a rule says so */

	assert_decision(eval(p, "t.Tag", "", "personal", "work"), POLICY_ALLOW, "work", "t.policy:1");
	assert_denied(eval(p, "t.Tag", "", "personal", "untrusted"), "no matching rule");
	assert_decision(eval(p, "t.Type", "", "work", "tpl"), POLICY_ALLOW, "tpl", "t.policy:2");
	assert_denied(eval(p, "t.Type", "", "work", "personal"), "no matching rule");
	assert_decision(eval(p, "t.Name", "", "work", "sys-net"), POLICY_ALLOW, "sys-net", "t.policy:3");
	assert_denied(eval(p, "t.Name", "", "work", "personal"), "no matching rule");
	/* dom0 and @adminvm are the same qube, on either side. */
	assert_decision(eval(p, "t.Admin", "", "work", "dom0"), POLICY_ALLOW, "dom0", "t.policy:4");
	assert_decision(eval(p, "t.Admin", "", "work", "@adminvm"), POLICY_ALLOW, "dom0", "t.policy:4");
	assert_decision(eval(p, "t.Admin2", "", "work", "dom0"), POLICY_ASK, "dom0", "t.policy:5");
	/* @anyvm never matches dom0 as target. */
	assert_decision(eval(p, "t.Any", "", "work", "personal"), POLICY_ALLOW, "personal", "t.policy:6");
	assert_denied(eval(p, "t.Any", "", "work", "dom0"), "no matching rule");
	assert_denied(eval(p, "t.Any", "", "work", "@adminvm"), "no matching rule");
	/* @default: the caller named no target. */
	{
		struct policy_decision d = eval(p, "t.Default", "", "personal", NULL);

		assert_decision(d, POLICY_ASK, "", "t.policy:7");
		assert_string_equal(d.default_target, "work");
		d = eval(p, "t.Default", "", "personal", "");
		assert_decision(d, POLICY_ASK, "", "t.policy:7");
		d = eval(p, "t.Default", "", "personal", "@default");
		assert_decision(d, POLICY_ASK, "", "t.policy:7");
	}
	assert_decision(eval(p, "t.Default", "", "personal", "untrusted"), POLICY_ALLOW, "untrusted",
	    "t.policy:8");
	/* @anyvm matches a missing target too, but allow has nothing to connect to. */
	assert_denied(eval(p, "t.Any", "", "work", NULL),
	    "t.policy:6: allow, but neither the caller nor the rule names a target");
	assert_decision(eval(p, "t.Self", "", "work", "work"), POLICY_ALLOW, "work", "t.policy:9");
	assert_denied(eval(p, "t.Self", "", "personal", "personal"), "no matching rule");
	/* A target that does not exist is taken as @default, as in Qubes. */
	assert_denied(eval(p, "t.Any", "", "work", "ghost"),
	    "t.policy:6: allow, but neither the caller nor the rule names a target");
	assert_denied(eval(p, "t.Any", "", "work", "@tag:trusted"), "invalid target");
	assert_denied(eval(p, "t.Any", "", "work", "@anyvm"), "invalid target");
	assert_denied(eval(p, "t.Any", "", "work", "a\nb"), "invalid target");
	policy_free(p);

	/* ... even with a literal rule naming it. */
	p = load("t.Ghost * @anyvm ghost allow\n");
	assert_denied(eval(p, "t.Ghost", "", "work", "ghost"), "no matching rule");
	policy_free(p);
}

static void
test_redirect_user_and_ask(void **state)
{
	struct policy *p = load(
	    "r.Redirect * @anyvm @default allow target=sys-net user=root\n"  /* 1 */
	    "r.Redirect * @anyvm @anyvm allow target=dom0 notify=yes\n"      /* 2 */
	    "r.Ask * @tag:trusted @default ask default_target=personal\n"    /* 3 */
	    "r.Ask * @anyvm @anyvm ask default_target=work user=user\n"      /* 4 */
	    "r.AskTo * @anyvm @anyvm ask target=sys-net default_target=work\n" /* 5 */
	    "r.Ghost * @anyvm @anyvm allow target=ghost\n"                   /* 6 */
	    "r.AskGhost * @anyvm @anyvm ask default_target=ghost\n"          /* 7 */
	    "r.Auto * @anyvm @anyvm allow autostart=no\n");                  /* 8 */
	struct policy_decision d;

	d = eval(p, "r.Redirect", "", "work", NULL);
	assert_decision(d, POLICY_ALLOW, "sys-net", "t.policy:1");
	assert_string_equal(d.user, "root");
	d = eval(p, "r.Redirect", "", "work", "personal");
	assert_decision(d, POLICY_ALLOW, "dom0", "t.policy:2");
	assert_string_equal(d.user, "");

	d = eval(p, "r.Ask", "", "work", NULL);
	assert_decision(d, POLICY_ASK, "", "t.policy:3");
	assert_string_equal(d.default_target, "personal");
	d = eval(p, "r.Ask", "", "personal", "untrusted");
	assert_decision(d, POLICY_ASK, "untrusted", "t.policy:4");
	assert_string_equal(d.default_target, "work");
	assert_string_equal(d.user, "user");
	/* No default_target: the caller's target is the proposal. */
	p = (policy_free(p), load("r.Ask * @anyvm @anyvm ask\n"));
	d = eval(p, "r.Ask", "", "personal", "untrusted");
	assert_decision(d, POLICY_ASK, "untrusted", "t.policy:1");
	assert_string_equal(d.default_target, "untrusted");
	d = eval(p, "r.Ask", "", "personal", NULL);
	assert_decision(d, POLICY_ASK, "", "t.policy:1");
	assert_string_equal(d.default_target, "");
	policy_free(p);

	p = load(
	    "r.AskTo * @anyvm @anyvm ask target=sys-net default_target=work\n"
	    "r.Ghost * @anyvm @anyvm allow target=ghost\n"
	    "r.AskGhost * @anyvm @anyvm ask default_target=ghost\n"
	    "r.Auto * @anyvm @anyvm allow autostart=no\n");
	d = eval(p, "r.AskTo", "", "personal", "untrusted");
	assert_decision(d, POLICY_ASK, "sys-net", "t.policy:1");
	assert_string_equal(d.default_target, "sys-net"); /* a redirect is the only choice */
	assert_denied(eval(p, "r.Ghost", "", "personal", "work"), "t.policy:2: no such target: ghost");
	d = eval(p, "r.AskGhost", "", "personal", "work");
	assert_decision(d, POLICY_ASK, "work", "t.policy:3");
	assert_string_equal(d.default_target, "work");
	assert_decision(eval(p, "r.Auto", "", "personal", "work"), POLICY_ALLOW, "work", "t.policy:4");
	policy_free(p);
}

static void
test_dispvm(void **state)
{
	struct policy *p = load(
	    "d.Any * @anyvm @dispvm allow\n"                    /* 1 */
	    "d.Any * @anyvm @dispvm:dvm-tpl allow\n"            /* 2 */
	    "d.Any * @anyvm @dispvm:work allow\n"               /* 3: never usable */
	    "d.Tag * @anyvm @dispvm:@tag:dvm allow\n"           /* 4 */
	    "d.Base * @anyvm @dispvm:dvm-tpl ask\n"             /* 5: also matches @dispvm */
	    "d.AnyVM * @anyvm @anyvm allow\n"                   /* 6 */
	    "d.To * @anyvm @anyvm allow target=@dispvm\n"       /* 7 */
	    "d.ToBase * @anyvm @anyvm allow target=@dispvm:dvm-tpl\n" /* 8 */
	    "d.ToBad * @anyvm @anyvm allow target=@dispvm:work\n"); /* 9 */
	struct policy_decision d;

	/* @dispvm: a new DispVM from the default DispVM template. */
	assert_decision(eval(p, "d.Any", "", "work", "@dispvm"), POLICY_ALLOW, "@dispvm:dvm-tpl",
	    "t.policy:1");
	assert_decision(eval(p, "d.Any", "", "work", "@dispvm:dvm-tpl"), POLICY_ALLOW,
	    "@dispvm:dvm-tpl", "t.policy:2");
	/* work is not a DispVM template: refused before any rule. */
	assert_denied(eval(p, "d.Any", "", "personal", "@dispvm:work"), "not a DispVM template: work");
	assert_denied(eval(p, "d.Any", "", "personal", "@dispvm:ghost"), "not a DispVM template: ghost");
	assert_denied(eval(p, "d.Any", "", "personal", "@dispvm:dom0"), "not a DispVM template: dom0");
	assert_denied(eval(p, "d.Any", "", "personal", "@dispvm:"), "invalid target");
	/* No default template: @dispvm cannot be resolved. */
	assert_denied(eval_env(p, &env_nodvm, "d.Any", "", "work", "@dispvm"),
	    "t.policy:1: @dispvm, but no default DispVM template is set");
	assert_denied(eval_env(p, &env_baddvm, "d.Any", "", "work", "@dispvm"),
	    "t.policy:1: default DispVM work is not a DispVM template");
	/* @dispvm:@tag:T: a template_for_dispvms qube with tag T. */
	assert_decision(eval(p, "d.Tag", "", "work", "@dispvm:dvm-tpl"), POLICY_ALLOW,
	    "@dispvm:dvm-tpl", "t.policy:4");
	assert_decision(eval(p, "d.Tag", "", "work", "@dispvm"), POLICY_ALLOW, "@dispvm:dvm-tpl",
	    "t.policy:4");
	assert_denied(eval_env(p, &env_nodvm, "d.Tag", "", "work", "@dispvm"), "no matching rule");
	assert_denied(eval(p, "d.Tag", "", "work", "dvm-tpl"), "no matching rule");
	/* @dispvm:BASE matches @dispvm when BASE is the default. */
	d = eval(p, "d.Base", "", "work", "@dispvm");
	assert_decision(d, POLICY_ASK, "@dispvm:dvm-tpl", "t.policy:5");
	assert_string_equal(d.default_target, "@dispvm:dvm-tpl");
	assert_denied(eval_env(p, &env_nodvm, "d.Base", "", "work", "@dispvm"), "no matching rule");
	/* @anyvm includes DispVM requests, never dom0. */
	assert_decision(eval(p, "d.AnyVM", "", "work", "@dispvm"), POLICY_ALLOW, "@dispvm:dvm-tpl",
	    "t.policy:6");
	/* Redirects to DispVMs. */
	assert_decision(eval(p, "d.To", "", "work", "personal"), POLICY_ALLOW, "@dispvm:dvm-tpl",
	    "t.policy:7");
	assert_decision(eval(p, "d.ToBase", "", "work", NULL), POLICY_ALLOW, "@dispvm:dvm-tpl",
	    "t.policy:8");
	assert_denied(eval(p, "d.ToBad", "", "work", "personal"),
	    "t.policy:9: not a DispVM template: work");
	/* A literal rule naming the template is about the qube itself, not DispVMs. */
	p = (policy_free(p), load("d.Lit * @anyvm dvm-tpl allow\n"));
	assert_denied(eval(p, "d.Lit", "", "work", "@dispvm"), "no matching rule");
	assert_decision(eval(p, "d.Lit", "", "work", "dvm-tpl"), POLICY_ALLOW, "dvm-tpl", "t.policy:1");
	policy_free(p);
}

static void
test_no_env_and_no_policy(void **state)
{
	struct policy *p = load("x.Y * @anyvm @anyvm allow\nx.Y * dom0 @anyvm allow\n");
	struct policy_env none = { NULL, NULL, NULL, NULL };

	/* Without a qube universe only dom0 exists. */
	assert_denied(eval_env(p, &none, "x.Y", "", "work", "personal"), "no such source: work");
	assert_denied(eval_env(p, NULL, "x.Y", "", "dom0", "personal"),
	    "t.policy:2: allow, but neither the caller nor the rule names a target");
	assert_denied(eval(NULL, "x.Y", "", "work", "personal"), "no policy loaded");
	assert_decision(eval(p, "x.Y", "", "dom0", "work"), POLICY_ALLOW, "work", "t.policy:2");
	policy_free(p);
	policy_free(NULL);
}

/* ---------------------------------------------------------------------------
 * Qubes 4.2's semantics: `*`, missing targets, what an ask offers, autostart=no
 */

/* The targets an ask offers, joined by spaces. */
static const char *
offered(const struct policy_decision *d)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->ntargets && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "", d->targets[i]);
	return buf;
}

static void
test_wildcard(void **state)
{
	struct policy *p = load(
	    "t.Deny * * * deny\n"                          /* 1: Qubes' own example */
	    "t.All * * * allow\n"                          /* 2 */
	    "t.Src * * dom0 allow\n"                       /* 3 */
	    "t.Tgt * work * allow\n"                       /* 4 */
	    "t.Ask * * * ask\n"                            /* 5 */
	    "t.Adm * @anyvm @type:AdminVM allow\n"         /* 6 */
	    "t.Adm * @anyvm @default ask\n");              /* 7 */
	struct policy_decision d;

	assert_denied(eval(p, "t.Deny", "", "work", "personal"), "t.policy:1");
	assert_denied(eval(p, "t.Deny", "", "dom0", "work"), "t.policy:1");
	assert_denied(eval(p, "t.Deny", "", "work", NULL), "t.policy:1");
	/* `*` matches dom0 on either side, unlike @anyvm. */
	assert_decision(eval(p, "t.All", "", "dom0", "work"), POLICY_ALLOW, "work", "t.policy:2");
	assert_decision(eval(p, "t.All", "", "work", "dom0"), POLICY_ALLOW, "dom0", "t.policy:2");
	assert_decision(eval(p, "t.All", "", "work", "@adminvm"), POLICY_ALLOW, "dom0",
	    "t.policy:2");
	assert_decision(eval(p, "t.Src", "", "dom0", "dom0"), POLICY_ALLOW, "dom0", "t.policy:3");
	/* ... and @dispvm, @dispvm:VM and @default. */
	assert_decision(eval(p, "t.Tgt", "", "work", "@dispvm"), POLICY_ALLOW, "@dispvm:dvm-tpl",
	    "t.policy:4");
	assert_decision(eval(p, "t.Tgt", "", "work", "@dispvm:dvm-tpl"), POLICY_ALLOW,
	    "@dispvm:dvm-tpl", "t.policy:4");
	assert_denied(eval(p, "t.Tgt", "", "work", NULL),
	    "t.policy:4: allow, but neither the caller nor the rule names a target");
	assert_denied(eval(p, "t.Tgt", "", "personal", "work"), "no matching rule");
	/* An ask over `*` offers dom0 too (Qubes' WildcardVM.expand). */
	d = eval(p, "t.Ask", "", "work", "personal");
	assert_decision(d, POLICY_ASK, "personal", "t.policy:5");
	assert_string_equal(offered(&d),
	    "@dispvm:dvm-tpl dom0 dvm-tpl personal sys-net tpl untrusted");
	/* @type:AdminVM names dom0 in what an ask offers, as in Qubes. */
	d = eval(p, "t.Adm", "", "work", NULL);
	assert_string_equal(offered(&d), "dom0");
	policy_free(p);
}

/* The outcome of a call to a qube that does not exist is that of a call
 * naming no target (Qubes' IntendedTarget.verify). */
static void
test_missing_target_is_default(void **state)
{
	struct policy *p = load(
	    "t.Ask * @anyvm personal deny\n"               /* 1 */
	    "t.Ask * @anyvm @anyvm ask\n"                  /* 2 */
	    "t.Deny * @anyvm @anyvm deny\n"                /* 3 */
	    "t.Named * @anyvm untrusted ask\n"             /* 4 */
	    "t.Named * @anyvm @default ask\n");            /* 5 */
	struct policy_decision ghost, none, real;

	/* Where an existing qube gets an ask, so does a missing one. */
	ghost = eval(p, "t.Ask", "", "work", "ghost");
	none = eval(p, "t.Ask", "", "work", NULL);
	real = eval(p, "t.Ask", "", "work", "untrusted");
	assert_decision(ghost, POLICY_ASK, "", "t.policy:2");
	assert_decision(real, POLICY_ASK, "untrusted", "t.policy:2");
	assert_string_equal(offered(&ghost), offered(&none));
	assert_string_equal(offered(&ghost), offered(&real));
	assert_string_equal(offered(&ghost), "@dispvm:dvm-tpl dvm-tpl sys-net tpl untrusted");
	/* Where an existing qube is denied, so is a missing one, by the same rule. */
	assert_denied(eval(p, "t.Deny", "", "work", "ghost"), "t.policy:3");
	assert_denied(eval(p, "t.Deny", "", "work", "personal"), "t.policy:3");
	/* A rule naming a missing qube never matches it: @default rules do. */
	assert_decision(eval(p, "t.Named", "", "work", "ghost"), POLICY_ASK, "", "t.policy:5");
	policy_free(p);
}

static void
test_ask_targets(void **state)
{
	struct policy *p = load(
	    "t.Ask * @anyvm personal deny\n"               /* 1 */
	    "t.Ask * @anyvm @tag:net deny\n"               /* 2 */
	    "t.Ask * @anyvm @anyvm ask default_target=personal\n" /* 3 */
	    "t.Def * @anyvm @anyvm ask default_target=sys-net\n"  /* 4 */
	    "t.Def * @anyvm sys-net deny\n"                /* 5: after: does not take it away */
	    "t.Self * @anyvm work ask\n"                   /* 6 */
	    "t.None * @anyvm @default ask\n"               /* 7 */
	    "t.None * @anyvm @anyvm deny\n"                /* 8 */
	    "t.Order * @anyvm untrusted allow\n"           /* 9 */
	    "t.Order * @anyvm @type:AppVM deny\n"          /* 10 */
	    "t.Order * @anyvm @default ask\n"              /* 11 */
	    "t.Redir * @anyvm tpl allow target=sys-net\n"  /* 12: counts as sys-net */
	    "t.Redir * @anyvm @default ask\n"              /* 13 */
	    "t.Fixed * @anyvm @anyvm ask target=sys-net default_target=work\n" /* 14 */
	    "t.Disp * @anyvm @dispvm ask default_target=@dispvm\n"); /* 15 */
	struct policy_decision d;

	/* Denied targets are not offered; default_target= not offered is dropped. */
	d = eval(p, "t.Ask", "", "work", "untrusted");
	assert_decision(d, POLICY_ASK, "untrusted", "t.policy:3");
	assert_string_equal(offered(&d), "@dispvm:dvm-tpl dvm-tpl tpl untrusted");
	assert_false(policy_offers(&d, "personal"));
	assert_false(policy_offers(&d, "sys-net"));
	assert_false(policy_offers(&d, "work")); /* the caller itself */
	assert_true(policy_offers(&d, "tpl"));
	assert_string_equal(d.default_target, "untrusted");
	d = eval(p, "t.Ask", "", "work", NULL);
	assert_decision(d, POLICY_ASK, "", "t.policy:3");
	assert_string_equal(d.default_target, "");
	assert_denied(eval(p, "t.Ask", "", "work", "personal"), "t.policy:1");
	/* A default_target= that is offered stays. */
	d = eval(p, "t.Def", "", "work", NULL);
	assert_string_equal(d.default_target, "sys-net");
	/* Nothing to offer: denied at once, no ask. */
	assert_denied(eval(p, "t.Self", "", "work", "work"),
	    "t.policy:6: ask, but no target is available to choose from");
	assert_denied(eval(p, "t.None", "", "work", NULL),
	    "t.policy:7: ask, but no target is available to choose from");
	/* The first rule for a target decides, as for a call to it. */
	d = eval(p, "t.Order", "", "work", NULL);
	assert_decision(d, POLICY_ASK, "", "t.policy:11");
	assert_string_equal(offered(&d), "untrusted");
	/* A rule's target= is what it allows. */
	d = eval(p, "t.Redir", "", "work", NULL);
	assert_string_equal(offered(&d), "sys-net");
	/* An ask with target= offers only that. */
	d = eval(p, "t.Fixed", "", "work", "personal");
	assert_decision(d, POLICY_ASK, "sys-net", "t.policy:14");
	assert_string_equal(offered(&d), "sys-net");
	assert_string_equal(d.default_target, "sys-net");
	/* @dispvm is the caller's default DispVM template. */
	d = eval(p, "t.Disp", "", "work", "@dispvm");
	assert_decision(d, POLICY_ASK, "@dispvm:dvm-tpl", "t.policy:15");
	assert_string_equal(offered(&d), "@dispvm:dvm-tpl");
	assert_string_equal(d.default_target, "@dispvm:dvm-tpl");
	assert_denied(eval_env(p, &env_nodvm, "t.Disp", "", "work", "@dispvm"),
	    "t.policy:15: ask, but no target is available to choose from");
	assert_false(policy_offers(NULL, "work"));
	policy_free(p);
}

static void
test_autostart(void **state)
{
	struct policy *p = load(
	    "t.No * @anyvm @anyvm allow autostart=no\n"    /* 1 */
	    "t.No * @anyvm @dispvm allow autostart=no\n"   /* 2 */
	    "t.Yes * @anyvm @anyvm allow autostart=yes\n"  /* 3 */
	    "t.Dflt * @anyvm @anyvm allow\n"               /* 4 */
	    "t.Ask * @anyvm * ask autostart=no\n"          /* 5 */
	    "t.Dom0 * @anyvm dom0 allow autostart=no\n");  /* 6 */
	struct policy_decision d;

	d = eval(p, "t.No", "", "personal", "sys-net"); /* running */
	assert_decision(d, POLICY_ALLOW, "sys-net", "t.policy:1");
	assert_false(d.autostart);
	assert_denied(eval(p, "t.No", "", "work", "personal"),
	    "t.policy:1: target personal is denied because it would require autostart");
	assert_denied(eval(p, "t.No", "", "work", "@dispvm"),
	    "t.policy:1: target @dispvm:dvm-tpl is denied because it would require autostart");
	assert_decision(eval(p, "t.Dom0", "", "work", "dom0"), POLICY_ALLOW, "dom0", "t.policy:6");
	assert_true(eval(p, "t.Yes", "", "work", "personal").autostart);
	assert_true(eval(p, "t.Dflt", "", "work", "personal").autostart);
	/* An ask offers only what runs (dom0 always does), never a new DispVM. */
	d = eval(p, "t.Ask", "", "personal", "tpl");
	assert_decision(d, POLICY_ASK, "", "t.policy:5");
	assert_string_equal(offered(&d), "dom0 sys-net work");
	assert_false(d.autostart);
	policy_free(p);
}

/* Qubes 4.2's stock policy.d, as shipped (its compat file included). */
static void
test_qubes_42_layout(void **state)
{
	struct policy *p = policy_load_dir("tests/data/qubes-4.2-policy");
	struct policy_decision d;

	if (policy_error(p) != NULL)
		fail_msg("stock policy broken: %s", policy_error(p));
	assert_true(policy_rule_count(p) > 40);
	assert_string_equal(policy_warning(p, 0),
	    "tests/data/qubes-4.2-policy/35-compat.policy:16: !compat-4.0 skipped: there is "
	    "no Qubes 4.0 policy directory to read (it adds no rules)");
	assert_null(policy_warning(p, 1));
	d = eval(p, "qubes.Filecopy", "", "work", "personal");
	assert_decision(d, POLICY_ASK, "personal", "tests/data/qubes-4.2-policy/90-default.policy:31");
	assert_decision(eval(p, "qubes.GetDate", "", "work", NULL), POLICY_ALLOW, "dom0",
	    "tests/data/qubes-4.2-policy/90-default.policy:35");
	assert_denied(eval(p, "qubes.VMShell", "", "work", "personal"),
	    "tests/data/qubes-4.2-policy/90-default.policy:99");
	assert_decision(eval(p, "qubes.VMShell", "", "work", "@dispvm"), POLICY_ALLOW,
	    "@dispvm:dvm-tpl", "tests/data/qubes-4.2-policy/90-default.policy:98");
	assert_decision(eval(p, "qubes.UpdatesProxy", "", "tpl", NULL), POLICY_ALLOW, "sys-net",
	    "tests/data/qubes-4.2-policy/90-default.policy:74");
	/* The admin API's includes hold only comments: nothing is allowed. */
	assert_denied(eval(p, "admin.vm.List", "", "work", "dom0"), "no matching rule");
	assert_denied(eval(p, "policy.Replace", "", "work", "dom0"), "no matching rule");
	assert_denied(eval(p, "qubes.ConnectTCP", "+22", "work", "personal"),
	    "tests/data/qubes-4.2-policy/90-default.policy:22");
	policy_free(p);
}

/* ---------------------------------------------------------------------------
 * Malformed policies: the whole policy denies everything
 */

static void
test_malformed(void **state)
{
	static const struct {
		const char *text;
		const char *error; /* the whole error */
	} cases[] = {
		{ "x.Y * @anyvm @anyvm\n", "t.policy:2: wrong number of fields" },
		{ "x.Y * @anyvm\n", "t.policy:2: wrong number of fields" },
		{ "x.Y @anyvm @anyvm allow\n", "t.policy:2: wrong number of fields" },
		{ "x.Y * @anyvm @anyvm permit\n", "t.policy:2: invalid action 'permit'" },
		{ "x.Y * @anyvm @anyvm Allow\n", "t.policy:2: invalid action 'Allow'" },
		{ "x.Y * @anyvm @anyvm allow frob=1\n", "t.policy:2: unknown option 'frob'" },
		{ "x.Y * @anyvm @anyvm allow target\n",
		  "t.policy:2: invalid option syntax 'target' (want key=value)" },
		{ "x.Y * @anyvm @anyvm allow =work\n",
		  "t.policy:2: invalid option syntax '=work' (want key=value)" },
		{ "x.Y * @anyvm @anyvm deny target=work\n",
		  "t.policy:2: option 'target' is not allowed for deny" },
		{ "x.Y * @anyvm @anyvm deny user=root\n",
		  "t.policy:2: option 'user' is not allowed for deny" },
		{ "x.Y * @anyvm @anyvm allow default_target=work\n",
		  "t.policy:2: option 'default_target' is not allowed for allow" },
		{ "x.Y * @anyvm @anyvm allow target=work target=personal\n",
		  "t.policy:2: option 'target' given twice" },
		{ "x.Y * @anyvm @anyvm allow target=@anyvm\n",
		  "t.policy:2: '@anyvm' is not allowed as redirect target" },
		{ "x.Y * @anyvm @anyvm allow target=@default\n",
		  "t.policy:2: '@default' is not allowed as redirect target" },
		{ "x.Y * @anyvm @anyvm ask default_target=@tag:x\n",
		  "t.policy:2: '@tag:x' is not allowed as redirect target" },
		{ "x.Y * @anyvm @anyvm allow target=\n",
		  "t.policy:2: invalid redirect target token ''" },
		{ "x.Y * @anyvm @anyvm allow notify=maybe\n",
		  "t.policy:2: option 'notify' takes yes or no, not 'maybe'" },
		{ "x.Y * @anyvm @anyvm allow user=ro:ot\n", "t.policy:2: invalid user 'ro:ot'" },
		{ "x.Y * @anyvm @anyvm allow # comment\n",
		  "t.policy:2: invalid option syntax '#' (want key=value)" },
		{ "x.Y * @default @anyvm allow\n", "t.policy:2: '@default' is not allowed as source" },
		{ "x.Y * @dispvm @anyvm allow\n", "t.policy:2: '@dispvm' is not allowed as source" },
		{ "x.Y * @anyvm @foo allow\n", "t.policy:2: invalid target token '@foo'" },
		{ "x.Y * @anyvm @tag: allow\n", "t.policy:2: invalid target token '@tag:'" },
		{ "x.Y * @anyvm @dispvm: allow\n", "t.policy:2: invalid target token '@dispvm:'" },
		{ "x.Y * @anyvm @dispvm:@foo:x allow\n",
		  "t.policy:2: invalid target token '@dispvm:@foo:x'" },
		{ "x.Y * @anyvm @type:App/VM allow\n", "t.policy:2: invalid target token '@type:App/VM'" },
		{ "x.Y * bad/name @anyvm allow\n", "t.policy:2: invalid source token 'bad/name'" },
		{ "x.Y * 0work @anyvm allow\n", "t.policy:2: invalid source token '0work'" },
		{ "x.Y * abcdefghijabcdefghijabcdefghij12 @anyvm allow\n",
		  "t.policy:2: invalid source token 'abcdefghijabcdefghijabcdefghij12'" },
		{ "x/Y * @anyvm @anyvm allow\n", "t.policy:2: invalid service 'x/Y'" },
		{ "x+Y * @anyvm @anyvm allow\n", "t.policy:2: invalid service 'x+Y'" },
		{ "x.Y arg @anyvm @anyvm allow\n",
		  "t.policy:2: argument 'arg' does not start with + (or is not *)" },
		{ "x.Y +a/b @anyvm @anyvm allow\n", "t.policy:2: invalid argument '+a/b'" },
		{ "* +arg @anyvm @anyvm allow\n", "t.policy:2: only * argument allowed for * service" },
		{ "x.Y * @anyvm @default allow\n",
		  "t.policy:2: allow for @default target must specify target=" },
		{ "!include\n", "t.policy:2: invalid number of params" },
		{ "!include a b\n", "t.policy:2: invalid number of params" },
		{ "!include-service x.Y * \n", "t.policy:2: invalid number of params" },
		{ "!include other.policy\n", "t.policy:2: includes are not available in this policy" },
		{ "!frobnicate x\n", "t.policy:2: invalid directive '!frobnicate'" },
		{ "!compat-4.0 x\n", "t.policy:2: invalid number of params" },
		{ "x.Y * @anyvm @anyvm allow target=*\n",
		  "t.policy:2: '*' is not allowed as redirect target" },
		{ "x.Y * @anyvm @anyvm ask default_target=*\n",
		  "t.policy:2: '*' is not allowed as redirect target" },
		{ "x.Y * ** @anyvm allow\n", "t.policy:2: invalid source token '**'" },
		{ "x.Y * @anyvm *work allow\n", "t.policy:2: invalid target token '*work'" },
		{ "x.Y * @anyvm @anyvm allow autostart=maybe\n",
		  "t.policy:2: option 'autostart' takes yes or no, not 'maybe'" },
		{ "x.Y * @anyvm @anyvm deny autostart=no\n",
		  "t.policy:2: option 'autostart' is not allowed for deny" },
		/* Qubes 4.3's uuid: tokens are not part of 4.2's format. */
		{ "x.Y * @anyvm uuid:00000000-0000-0000-0000-000000000000 allow\n",
		  "t.policy:2: invalid target token 'uuid:00000000-0000-0000-0000-000000000000'" },
		{ "x.Y * @anyvm @anyvm allow a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 j=10 k=11 l=12\n",
		  "t.policy:2: too many fields" },
	};
	char text[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy *p;
		struct policy_decision d;
		char want[600];

		/* Line 1 would allow everything: a broken line anywhere denies all. */
		snprintf(text, sizeof(text), "* * @anyvm @anyvm allow\n%s* * @anyvm @anyvm allow\n",
		    cases[i].text);
		p = policy_load_string(text, "t.policy");
		if (policy_error(p) == NULL || strcmp(policy_error(p), cases[i].error) != 0)
			fail_msg("case %zu '%s': error '%s', want '%s'", i, cases[i].text,
			    policy_error(p) ? policy_error(p) : "(none)", cases[i].error);
		assert_int_equal(policy_rule_count(p), 0);
		d = eval(p, "x.Y", "", "work", "personal");
		snprintf(want, sizeof(want), "policy broken: %s", cases[i].error);
		assert_denied(d, want);
		policy_free(p);
	}
}

static void
test_valid_edge_syntax(void **state)
{
	/* CRLF, tabs, leading blanks, no final newline, 64-character names. */
	struct policy *p = load(
	    "\r\n"
	    "   # indented comment\r\n"
	    "\tx.Y\t*\t@anyvm\t@anyvm\tallow\r\n"
	    "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffff1234 "
	    "+aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffff1234 "
	    "abcdefghijabcdefghijabcdefghij1 @anyvm deny notify=no");

	assert_int_equal(policy_rule_count(p), 2);
	assert_decision(eval(p, "x.Y", "", "work", "personal"), POLICY_ALLOW, "personal", "t.policy:3");
	policy_free(p);

	/* The line limit is exact. */
	{
		char *text = malloc(POLICY_LINE_MAX + 64);
		size_t n;

		assert_non_null(text);
		strcpy(text, "x.Y * @anyvm @anyvm allow");
		n = strlen(text);
		memset(text + n, ' ', POLICY_LINE_MAX - n);
		strcpy(text + POLICY_LINE_MAX, "\n");
		p = policy_load_string(text, "t.policy");
		assert_null(policy_error(p));
		policy_free(p);
		strcpy(text + POLICY_LINE_MAX, " \n");
		p = policy_load_string(text, "t.policy");
		assert_string_equal(policy_error(p), "t.policy:1: line too long (more than 4096 bytes)");
		assert_denied(eval(p, "x.Y", "", "work", "personal"),
		    "policy broken: t.policy:1: line too long (more than 4096 bytes)");
		policy_free(p);
		free(text);
	}
}

static void
test_malformed_files(void **state)
{
	struct tmp *t = *state;
	struct policy *p;
	char want[700];
	static const char nul[] = "x.Y * @anyvm @anyvm allow\nx.Y\0 * @anyvm @anyvm allow\n";
	int fd;

	/* A good file and a bad one: everything is denied, naming the bad line. */
	put(t->dir, "10-good.policy", "x.Y * @anyvm @anyvm allow\n");
	put(t->dir, "20-bad.policy", "# ok\n\nx.Y * @anyvm @anyvm allow\nx.Y * work\n");
	p = policy_load_dir(t->dir);
	snprintf(want, sizeof(want), "%s: wrong number of fields", at(t, "20-bad.policy", 4));
	assert_string_equal(policy_error(p), want);
	snprintf(want, sizeof(want), "policy broken: %s: wrong number of fields",
	    at(t, "20-bad.policy", 4));
	assert_denied(eval(p, "x.Y", "", "work", "personal"), want);
	policy_free(p);

	/* A NUL byte. */
	fd = open(at(t, "20-bad.policy", 0), O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, nul, sizeof(nul) - 1), (ssize_t)sizeof(nul) - 1);
	close(fd);
	p = policy_load_dir(t->dir);
	snprintf(want, sizeof(want), "%s: NUL byte in line", at(t, "20-bad.policy", 2));
	assert_string_equal(policy_error(p), want);
	policy_free(p);

	/* A file larger than 1 MiB. */
	{
		char *big = malloc(POLICY_FILE_MAX + 2);

		assert_non_null(big);
		memset(big, '#', POLICY_FILE_MAX + 1);
		big[POLICY_FILE_MAX + 1] = '\0';
		put(t->dir, "20-bad.policy", big);
		free(big);
	}
	p = policy_load_dir(t->dir);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", at(t, "20-bad.policy", 0));
	assert_string_equal(policy_error(p), want);
	policy_free(p);

	/* A file name Qubes would refuse breaks the policy; an unreadable file too. */
	assert_int_equal(unlink(at(t, "20-bad.policy", 0)), 0);
	put(t->dir, "30-Upper.policy", "x.Y * @anyvm @anyvm allow\n");
	p = policy_load_dir(t->dir);
	snprintf(want, sizeof(want),
	    "%s: invalid file name '30-Upper.policy' (allowed: a-z 0-9 _ . -)", t->dir);
	assert_string_equal(policy_error(p), want);
	policy_free(p);
	assert_int_equal(unlink(at(t, "30-Upper.policy", 0)), 0);
	if (geteuid() != 0) { /* root reads anything */
		put(t->dir, "30-secret.policy", "x.Y * @anyvm @anyvm allow\n");
		chmod(at(t, "30-secret.policy", 0), 0);
		p = policy_load_dir(t->dir);
		snprintf(want, sizeof(want), "%s: cannot read: Permission denied",
		    at(t, "30-secret.policy", 0));
		assert_string_equal(policy_error(p), want);
		policy_free(p);
		assert_int_equal(unlink(at(t, "30-secret.policy", 0)), 0);
	}

	/* A missing directory denies everything. */
	p = policy_load_dir("/nonexistent/policy.d");
	assert_string_equal(policy_error(p),
	    "/nonexistent/policy.d: cannot read directory: No such file or directory");
	assert_denied(eval(p, "x.Y", "", "work", "personal"),
	    "policy broken: /nonexistent/policy.d: cannot read directory: No such file or directory");
	policy_free(p);

	/* An empty directory is a clean policy with no rules. */
	assert_int_equal(unlink(at(t, "10-good.policy", 0)), 0);
	p = policy_load_dir(t->dir);
	assert_null(policy_error(p));
	assert_denied(eval(p, "x.Y", "", "work", "personal"), "no matching rule");
	policy_free(p);
}

/* ---------------------------------------------------------------------------
 * Includes
 */

static void
test_includes(void **state)
{
	struct tmp *t = *state;
	struct policy *p;
	char text[1024];

	mkdir_in(t->dir, "include");
	mkdir_in(t->dir, "extra.d");
	/* Relative include paths are taken from the top directory. */
	put(t->dir, "include/common",
	    "inc.A * @anyvm @anyvm allow\n");
	put(t->dir, "extra.d/50-b.policy", "inc.B * work @anyvm allow\n");
	put(t->dir, "extra.d/10-a.policy", "inc.B * @anyvm @anyvm deny\n");
	put(t->dir, "extra.d/not-policy.txt", "garbage\n");
	/* Qubes' old per-service form: SOURCE TARGET ACTION[,OPTIONS], $ for @. */
	put(t->dir, "include/svc",
	    "# old style\n"
	    "$tag:trusted $default allow,target=sys-net,user=root\n"
	    "$anyvm $anyvm ask,default_target=work\n");
	snprintf(text, sizeof(text),
	    "inc.A +first work personal deny\n"   /* 1 */
	    "!include include/common\n"           /* 2 */
	    "!include-dir extra.d\n"              /* 3 */
	    "!include-service inc.S +arg include/svc\n" /* 4 */
	    "!include %s/include/common\n"        /* 5: absolute */
	    "inc.Last * @anyvm @anyvm allow\n",  /* 6 */
	    t->dir);
	put(t->dir, "50-main.policy", text);
	p = policy_load_dir(t->dir);
	assert_null(policy_error(p));
	assert_int_equal(policy_rule_count(p), 8);
	assert_denied(eval(p, "inc.A", "first", "work", "personal"), at(t, "50-main.policy", 1));
	assert_decision(eval(p, "inc.A", "", "work", "personal"), POLICY_ALLOW, "personal",
	    at(t, "include/common", 1));
	assert_denied(eval(p, "inc.B", "", "work", "personal"), at(t, "extra.d/10-a.policy", 1));
	{
		struct policy_decision d = eval(p, "inc.S", "arg", "work", NULL);

		assert_decision(d, POLICY_ALLOW, "sys-net", at(t, "include/svc", 2));
		assert_string_equal(d.user, "root");
		d = eval(p, "inc.S", "arg", "personal", "untrusted");
		assert_decision(d, POLICY_ASK, "untrusted", at(t, "include/svc", 3));
		assert_string_equal(d.default_target, "work");
	}
	/* The included service rules are for that service and argument only. */
	assert_denied(eval(p, "inc.S", "other", "work", "personal"), "no matching rule");
	assert_decision(eval(p, "inc.Last", "", "work", "personal"), POLICY_ALLOW, "personal",
	    at(t, "50-main.policy", 6));
	policy_free(p);

	/* !include inside an !include-service file keeps its service. */
	put(t->dir, "include/svc", "$include:include/svc2\n");
	put(t->dir, "include/svc2", "@anyvm @anyvm allow\n");
	p = policy_load_dir(t->dir);
	assert_null(policy_error(p));
	assert_decision(eval(p, "inc.S", "arg", "work", "personal"), POLICY_ALLOW, "personal",
	    at(t, "include/svc2", 1));
	policy_free(p);

	/* Only !include is allowed there, and lines have three fields at least. */
	put(t->dir, "include/svc2", "!include-dir extra.d\n");
	p = policy_load_dir(t->dir);
	snprintf(text, sizeof(text), "%s: invalid directive '!include-dir'", at(t, "include/svc2", 1));
	assert_string_equal(policy_error(p), text);
	policy_free(p);
	put(t->dir, "include/svc2", "@anyvm allow\n");
	p = policy_load_dir(t->dir);
	snprintf(text, sizeof(text), "%s: wrong number of fields", at(t, "include/svc2", 1));
	assert_string_equal(policy_error(p), text);
	policy_free(p);
	put(t->dir, "include/svc2", "@anyvm @anyvm allow\n");

	/* A bad service in !include-service. */
	put(t->dir, "60-bad.policy", "!include-service * +x include/svc\n");
	p = policy_load_dir(t->dir);
	snprintf(text, sizeof(text), "%s: only * argument allowed for * service",
	    at(t, "60-bad.policy", 1));
	assert_string_equal(policy_error(p), text);
	policy_free(p);

	/* A missing include: the error is at the including line. */
	put(t->dir, "60-bad.policy", "\n!include include/missing\n");
	p = policy_load_dir(t->dir);
	snprintf(text, sizeof(text), "%s: %s/include/missing: cannot read: No such file or directory",
	    at(t, "60-bad.policy", 2), t->dir);
	assert_string_equal(policy_error(p), text);
	assert_int_equal(policy_rule_count(p), 0);
	policy_free(p);

	put(t->dir, "60-bad.policy", "!include-dir missing.d\n");
	p = policy_load_dir(t->dir);
	snprintf(text, sizeof(text),
	    "%s: %s/missing.d: cannot read directory: No such file or directory",
	    at(t, "60-bad.policy", 1), t->dir);
	assert_string_equal(policy_error(p), text);
	policy_free(p);

	put(t->dir, "60-bad.policy", "!include extra.d\n");
	p = policy_load_dir(t->dir);
	snprintf(text, sizeof(text), "%s: %s/extra.d: not a regular file",
	    at(t, "60-bad.policy", 1), t->dir);
	assert_string_equal(policy_error(p), text);
	policy_free(p);

	/* An error inside an included file names that file. */
	put(t->dir, "60-bad.policy", "!include include/broken\n");
	put(t->dir, "include/broken", "ok.X * @anyvm @anyvm allow\nbroken\n");
	p = policy_load_dir(t->dir);
	snprintf(text, sizeof(text), "%s: wrong number of fields", at(t, "include/broken", 2));
	assert_string_equal(policy_error(p), text);
	policy_free(p);
}

static void
test_include_cycle_and_depth(void **state)
{
	struct tmp *t = *state;
	struct policy *p;
	char text[1024], name[64];

	mkdir_in(t->dir, "include");
	put(t->dir, "include/a", "x.A * @anyvm @anyvm allow\n!include include/b\n");
	put(t->dir, "include/b", "\n\n!include include/a\n");
	put(t->dir, "10-top.policy", "!include include/a\n");
	p = policy_load_dir(t->dir);
	snprintf(text, sizeof(text), "%s: %s/include/a: include cycle", at(t, "include/b", 3), t->dir);
	assert_string_equal(policy_error(p), text);
	{
		char want[1100];

		snprintf(want, sizeof(want), "policy broken: %s", text);
		assert_denied(eval(p, "x.A", "", "work", "personal"), want);
	}
	policy_free(p);

	/* A file including itself. */
	put(t->dir, "10-top.policy", "!include 10-top.policy\n");
	p = policy_load_dir(t->dir);
	snprintf(text, sizeof(text), "%s: %s/10-top.policy: include cycle", at(t, "10-top.policy", 1),
	    t->dir);
	assert_string_equal(policy_error(p), text);
	policy_free(p);

	/* A directory including itself. */
	put(t->dir, "10-top.policy", "!include-dir .\n");
	p = policy_load_dir(t->dir);
	assert_error_starts(p, at(t, "10-top.policy", 1));
	assert_non_null(strstr(policy_error(p), "include cycle"));
	policy_free(p);

	/* The same file twice, not nested, is fine. */
	put(t->dir, "10-top.policy", "!include include/c\n!include include/c\n");
	put(t->dir, "include/c", "x.C * @anyvm @anyvm allow\n");
	p = policy_load_dir(t->dir);
	assert_null(policy_error(p));
	assert_int_equal(policy_rule_count(p), 2);
	policy_free(p);

	/* A chain of 8 nested includes is allowed, 9 is not. */
	for (int i = 1; i <= 9; i++) {
		snprintf(name, sizeof(name), "include/d%d", i);
		if (i < 9)
			snprintf(text, sizeof(text), "!include include/d%d\n", i + 1);
		else
			snprintf(text, sizeof(text), "x.D * @anyvm @anyvm allow\n");
		put(t->dir, name, text);
	}
	put(t->dir, "10-top.policy", "!include include/d2\n");
	p = policy_load_dir(t->dir);
	assert_null(policy_error(p));
	assert_decision(eval(p, "x.D", "", "work", "personal"), POLICY_ALLOW, "personal",
	    at(t, "include/d9", 1));
	policy_free(p);
	put(t->dir, "10-top.policy", "!include include/d1\n");
	p = policy_load_dir(t->dir);
	snprintf(text, sizeof(text), "%s: %s/include/d9: includes nested deeper than 8",
	    at(t, "include/d8", 1), t->dir);
	assert_string_equal(policy_error(p), text);
	policy_free(p);
}

/* ---------------------------------------------------------------------------
 * The cache
 */

static void
test_cache_detects_changes(void **state)
{
	struct tmp *t = *state;
	struct policy *cache = NULL, *p1, *p2;
	unsigned long loads;
	char text[1024];

	/* Same length on purpose: size alone cannot tell the versions apart. */
	put(t->dir, "10-a.policy", "c.X * @anyvm @anyvm allow\n");
	p1 = policy_cache_get(&cache, t->dir);
	assert_ptr_equal(p1, cache);
	assert_decision(eval(p1, "c.X", "", "work", "personal"), POLICY_ALLOW, "personal",
	    at(t, "10-a.policy", 1));

	/* Unchanged: the same object, even right after a write. */
	p2 = policy_cache_get(&cache, t->dir);
	assert_ptr_equal(p1, p2);

	/* Changed in place, at once, same size: the next call sees it. */
	put(t->dir, "10-a.policy", "c.X * @anyvm @anyvm deny \n");
	p2 = policy_cache_get(&cache, t->dir);
	assert_ptr_equal(p2, cache);
	assert_denied(eval(p2, "c.X", "", "work", "personal"), at(t, "10-a.policy", 1));
	p1 = p2;

	/* Quick same-size edits in place, many within one timestamp tick: each
	 * one is seen all the same. */
	for (int i = 0; i < 200; i++) {
		put(t->dir, "10-a.policy", i % 2 ? "c.X * @anyvm @anyvm deny \n" :
						   "c.X * @anyvm @anyvm allow\n");
		p2 = policy_cache_get(&cache, t->dir);
		assert_int_equal(eval(p2, "c.X", "", "work", "personal").action,
		    i % 2 ? POLICY_DENY : POLICY_ALLOW);
	}

	/* A new file. */
	put(t->dir, "05-first.policy", "c.X * work @anyvm ask\n");
	p2 = policy_cache_get(&cache, t->dir);
	assert_decision(eval(p2, "c.X", "", "work", "personal"), POLICY_ASK, "personal",
	    at(t, "05-first.policy", 1));
	assert_int_equal(unlink(at(t, "05-first.policy", 0)), 0);
	p2 = policy_cache_get(&cache, t->dir);
	assert_denied(eval(p2, "c.X", "", "work", "personal"), at(t, "10-a.policy", 1));

	/* A broken include, then the included file appears. */
	put(t->dir, "01-inc.policy", "!include inc\n");
	p2 = policy_cache_get(&cache, t->dir);
	assert_non_null(policy_error(p2));
	snprintf(text, sizeof(text), "policy broken: %s: %s/inc: cannot read: No such file or directory",
	    at(t, "01-inc.policy", 1), t->dir);
	assert_denied(eval(p2, "c.X", "", "work", "personal"), text);
	put(t->dir, "inc", "c.X * @anyvm personal allow\n");
	p2 = policy_cache_get(&cache, t->dir);
	assert_null(policy_error(p2));
	assert_decision(eval(p2, "c.X", "", "work", "personal"), POLICY_ALLOW, "personal",
	    at(t, "inc", 1));

	/* An edit of the included file. */
	put(t->dir, "inc", "c.X * @anyvm personal ask  \n");
	p2 = policy_cache_get(&cache, t->dir);
	assert_decision(eval(p2, "c.X", "", "work", "personal"), POLICY_ASK, "personal",
	    at(t, "inc", 1));

	/* Replaced by rename (new inode), like editors and `bulkhead apply` do. */
	put(t->dir, "inc.new", "c.X * @anyvm personal deny   \n");
	snprintf(text, sizeof(text), "%s/inc.new", t->dir);
	assert_int_equal(rename(text, at(t, "inc", 0)), 0);
	p2 = policy_cache_get(&cache, t->dir);
	assert_denied(eval(p2, "c.X", "", "work", "personal"), at(t, "inc", 1));

	/* Once the files are older than the racy window, an unchanged policy is
	 * not even re-read, broken (here by a missing include) or not. */
	put(t->dir, "02-miss.policy", "!include nothere\n");
	p2 = policy_cache_get(&cache, t->dir);
	assert_non_null(policy_error(p2));
	sleep(POLICY_RACY_SECONDS + 1);
	p1 = policy_cache_get(&cache, t->dir); /* may re-read once: the last read was racy */
	loads = policy_load_count();
	for (int i = 0; i < 5; i++) {
		p2 = policy_cache_get(&cache, t->dir);
		assert_ptr_equal(p1, p2);
	}
	assert_int_equal(policy_load_count(), loads);
	assert_non_null(policy_error(p2));
	/* ... and changes after that are still seen. */
	put(t->dir, "nothere", "# now it exists\n");
	p2 = policy_cache_get(&cache, t->dir);
	assert_int_equal(policy_load_count(), loads + 1);
	assert_null(policy_error(p2));
	assert_denied(eval(p2, "c.X", "", "work", "personal"), at(t, "inc", 1));
	put(t->dir, "inc", "c.X * @anyvm personal allow  \n");
	p2 = policy_cache_get(&cache, t->dir);
	assert_int_equal(policy_load_count(), loads + 2);
	assert_decision(eval(p2, "c.X", "", "work", "personal"), POLICY_ALLOW, "personal",
	    at(t, "inc", 1));

	/* The directory disappears: deny all; it comes back: rules again. */
	snprintf(text, sizeof(text), "%s.moved", t->dir);
	assert_int_equal(rename(t->dir, text), 0);
	p2 = policy_cache_get(&cache, t->dir);
	assert_non_null(policy_error(p2));
	assert_int_equal(eval(p2, "c.X", "", "work", "personal").action, POLICY_DENY);
	assert_int_equal(rename(text, t->dir), 0);
	p2 = policy_cache_get(&cache, t->dir);
	assert_null(policy_error(p2));
	assert_int_equal(eval(p2, "c.X", "", "work", "personal").action, POLICY_ALLOW);

	/* Another directory: another policy. */
	p2 = policy_cache_get(&cache, "/nonexistent/policy.d");
	assert_non_null(policy_error(p2));
	policy_free(cache);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_match_across_files, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_service_and_argument_forms),
		cmocka_unit_test(test_source_tokens),
		cmocka_unit_test(test_target_tokens),
		cmocka_unit_test(test_redirect_user_and_ask),
		cmocka_unit_test(test_dispvm),
		cmocka_unit_test(test_no_env_and_no_policy),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_missing_target_is_default),
		cmocka_unit_test(test_ask_targets),
		cmocka_unit_test(test_autostart),
		cmocka_unit_test(test_qubes_42_layout),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_valid_edge_syntax),
		cmocka_unit_test_setup_teardown(test_malformed_files, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_includes, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_include_cycle_and_depth, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_cache_detects_changes, setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
