/* Unit tests for lib/site.h: one qube file read on past its errors (every
 * bad property reported with its line), whole sites loaded from temporary
 * folders (cross-checks, policies, templates/), the dependency order, and
 * the helpers apply and export share (qubes from the admin API's JSON,
 * property differences, policy file names). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "policy.h"
#include "site.h"

#define F "s/qubes.d/w.cfg"

/* ---------------------------------------------------------------------------
 * Helpers
 */

struct parsed {
	struct qube q;
	int lines[SITE_PROPS_MAX];
	unsigned long bad;
	struct site_msgs errs;
	int ret;
};

/* Parses from an exactly sized heap copy, so that ASan catches any read past
 * len (site_parse_qube must not rely on a NUL terminator). */
static struct parsed *
parse(const char *text)
{
	struct parsed *p = calloc(1, sizeof(*p));
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);

	assert_non_null(p);
	assert_non_null(copy);
	memcpy(copy, text, len);
	p->ret = site_parse_qube(&p->q, p->lines, &p->bad, copy, len, F, &p->errs);
	free(copy);
	for (size_t i = 0; i < p->errs.n; i++) {
		assert_null(strchr(p->errs.v[i], '\n'));
		assert_true(strncmp(p->errs.v[i], F ":", strlen(F ":")) == 0);
	}
	return p;
}

static void
parsed_free(struct parsed *p)
{
	site_msgs_free(&p->errs);
	free(p);
}

static int
line_of(const struct parsed *p, const char *prop)
{
	for (size_t i = 0; i < qube_nprops; i++)
		if (!strcmp(qube_props[i].name, prop))
			return p->lines[i];
	fail_msg("no property %s", prop);
	return -1;
}

/* Error i starts with prefix. */
static void
assert_err(const struct site_msgs *m, size_t i, const char *prefix)
{
	if (i >= m->n)
		fail_msg("error %zu missing (have %zu), expected '%s'", i, m->n, prefix);
	if (strncmp(m->v[i], prefix, strlen(prefix)) != 0)
		fail_msg("error %zu is '%s', expected '%s...'", i, m->v[i], prefix);
}

/* Some error contains needle. */
static void
assert_has(const struct site_msgs *m, const char *needle)
{
	for (size_t i = 0; i < m->n; i++)
		if (strstr(m->v[i], needle) != NULL)
			return;
	for (size_t i = 0; i < m->n; i++)
		print_message("  have: %s\n", m->v[i]);
	fail_msg("no message contains '%s'", needle);
}

/* ---------------------------------------------------------------------------
 * One qube file
 */

static void
test_parse_valid(void **state)
{
	struct parsed *p = parse("# a comment\nname = \"w\"\nlabel = \"blue\"\n\ntemplate = \"t\"; "
	    "memory = 512\ntags = [ \"a\",\n  \"b\" ]\nvcpus = 3\n");

	assert_int_equal(p->ret, 0);
	assert_int_equal(p->errs.n, 0);
	assert_int_equal(p->bad, 0);
	assert_string_equal(p->q.name, "w");
	assert_int_equal(p->q.memory, 512);
	assert_int_equal(p->q.ntags, 2);
	assert_int_equal(line_of(p, "name"), 2);
	assert_int_equal(line_of(p, "template"), 5);
	assert_int_equal(line_of(p, "memory"), 5);
	assert_int_equal(line_of(p, "tags"), 6);
	assert_int_equal(line_of(p, "vcpus"), 8); /* after a list over two lines */
	assert_int_equal(line_of(p, "netvm"), 0);
	parsed_free(p);
}

static void
test_parse_every_bad_property(void **state)
{
	/* Three bad values and an unknown key: all four, in line order, each
	 * with its line; the rest of the file still parses (ret 1). */
	struct parsed *p = parse("name = \"w\"\nlabel = \"blue\"\ntemplate = \"t\"\n"
	    "memory = 10\nvcpus = 99\ncolour = \"red\"\nautostart = \"maybe\"\nnetvm = \"n\"\n");

	assert_int_equal(p->ret, 1);
	assert_int_equal(p->errs.n, 4);
	assert_err(&p->errs, 0, F ":4: invalid memory '10'");
	assert_err(&p->errs, 1, F ":5: invalid vcpus '99'");
	assert_err(&p->errs, 2, F ":6: unknown property 'colour'");
	assert_err(&p->errs, 3, F ":7: invalid autostart 'maybe'");
	assert_string_equal(p->q.netvm, "n"); /* read past the bad ones */
	assert_true(p->bad & (1ul << 5)); /* memory, index 5 of qube_props */
	assert_string_equal(qube_props[5].name, "memory");
	parsed_free(p);
}

static void
test_parse_consequences_not_reported(void **state)
{
	/* A bad label is reported once: "missing label" does not follow. */
	struct parsed *p = parse("name = \"w\"\nlabel = \"blu\"\ntemplate = \"t\"\nmemory = 5\n");

	assert_int_equal(p->ret, -1);
	assert_int_equal(p->errs.n, 2);
	assert_err(&p->errs, 0, F ":2: invalid label 'blu'");
	assert_err(&p->errs, 1, F ":4: invalid memory '5'");
	parsed_free(p);

	/* A bad template name: no "needs a template" after it. */
	p = parse("name = \"w\"\nlabel = \"red\"\ntemplate = \"no good\"\n");
	assert_int_equal(p->errs.n, 1);
	assert_err(&p->errs, 0, F ":3: invalid template 'no good'");
	parsed_free(p);
}

static void
test_parse_rules_between_properties(void **state)
{
	struct parsed *p = parse("name = \"w\"\nclass = \"app\"\nlabel = \"red\"\n");

	/* An app without template: at the class line. */
	assert_int_equal(p->ret, -1);
	assert_int_equal(p->errs.n, 1);
	assert_err(&p->errs, 0, F ":2: a qube of class app needs a template");
	parsed_free(p);

	p = parse("name = \"w\"\nlabel = \"red\"\ntemplate = \"t\"\n\nnetvm = \"w\"\n");
	assert_int_equal(p->errs.n, 1);
	assert_err(&p->errs, 0, F ":5: qube 'w' cannot name itself");
	parsed_free(p);

	/* Missing: no line to give. */
	p = parse("name = \"w\"\ntemplate = \"t\"\n");
	assert_int_equal(p->errs.n, 1);
	assert_err(&p->errs, 0, F ": missing label");
	parsed_free(p);
}

static void
test_parse_syntax_error_stops(void **state)
{
	struct parsed *p = parse("name = \"w\"\nlabel = \"red\"\nmemory = 512M\nvcpus = 0\n");

	assert_int_equal(p->ret, -1);
	assert_int_equal(p->errs.n, 1);
	assert_err(&p->errs, 0, F ":3: ");
	parsed_free(p);
}

static void
test_parse_last_assignment_counts(void **state)
{
	/* libxlutil uses the last assignment: the error is there; blanked,
	 * the first one is used and is fine. */
	struct parsed *p = parse("name = \"w\"\nlabel = \"red\"\ntemplate = \"t\"\nmemory = 100\n"
	    "memory = 1\n");

	assert_int_equal(p->ret, 1);
	assert_int_equal(p->errs.n, 1);
	assert_err(&p->errs, 0, F ":5: invalid memory '1'");
	assert_int_equal(p->q.memory, 100);
	parsed_free(p);
}

static void
test_parse_lists_and_strings(void **state)
{
	/* A bad tag in a list over three lines is blanked as a whole: the lines
	 * below keep their numbers. Strings with escapes, '#' and ';' inside
	 * do not end a statement. */
	struct parsed *p = parse("name = \"w\"\nlabel = \"red\"\ntemplate = \"t\"\ntags = [ \"ok\",\n"
	    "  \"not ok\",\n  \"x\" ]\nnetvm = \"a\\\"b;#c\"\nvcpus = 0\n");

	assert_int_equal(p->errs.n, 3);
	assert_err(&p->errs, 0, F ":4: invalid tag 'not ok'");
	assert_err(&p->errs, 1, F ":7: invalid netvm 'a\"b;#c'");
	assert_err(&p->errs, 2, F ":8: invalid vcpus '0'");
	parsed_free(p);
}

static void
test_parse_error_cap(void **state)
{
	char text[8192];
	size_t off = 0;
	struct parsed *p;

	off += (size_t)snprintf(text + off, sizeof(text) - off, "name = \"w\"\nlabel = \"red\"\n"
	    "template = \"t\"\n");
	for (int i = 0; i < 100; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "bogus%d = 1\n", i);
	p = parse(text);
	assert_int_equal(p->ret, -1);
	assert_int_equal(p->errs.n, SITE_FILE_ERRORS_MAX);
	assert_err(&p->errs, 0, F ":4: unknown property 'bogus0'");
	parsed_free(p);
}

static void
test_parse_empty_and_nul(void **state)
{
	struct parsed *p = parse("");

	assert_int_equal(p->ret, -1);
	assert_int_equal(p->errs.n, 1);
	assert_err(&p->errs, 0, F ": missing name");
	parsed_free(p);
	{
		static const char nul[] = "name = \"w\"\0label = \"red\"\n";
		struct qube q;
		int lines[SITE_PROPS_MAX];
		unsigned long bad;
		struct site_msgs m = { NULL, 0 };

		assert_int_equal(site_parse_qube(&q, lines, &bad, nul, sizeof(nul) - 1, F, &m), -1);
		assert_int_equal(m.n, 1);
		assert_has(&m, "NUL");
		site_msgs_free(&m);
	}
}

/* ---------------------------------------------------------------------------
 * Sites in temporary folders
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
	char path[128];

	if (t == NULL)
		return -1;
	strcpy(t->dir, "/tmp/test_site.XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/qubes.d", t->dir);
	if (mkdir(path, 0700) < 0)
		return -1;
	*state = t;
	return 0;
}

static int
teardown_tmp(void **state)
{
	struct tmp *t = *state;

	nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

static void __attribute__((format(printf, 3, 4)))
put(const struct tmp *t, const char *name, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

static void
mkdir_in(const struct tmp *t, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
}

#define APP(n, extra) "name = \"" n "\"\nlabel = \"blue\"\ntemplate = \"tpl\"\n" extra

static void
put_tpl(const struct tmp *t)
{
	put(t, "qubes.d/tpl.cfg", "name = \"tpl\"\nclass = \"template\"\nlabel = \"black\"\n");
}

static size_t
position(const struct site *s, const char *name)
{
	for (size_t k = 0; k < s->nqubes; k++)
		if (!strcmp(s->qubes[s->order[k]].q.name, name))
			return k;
	fail_msg("%s not in the order", name);
	return 0;
}

static void
assert_clean(const struct site *s)
{
	for (size_t i = 0; i < s->errors.n; i++)
		print_message("  error: %s\n", s->errors.v[i]);
	assert_int_equal(s->errors.n, 0);
}

static void
test_site_valid_and_order(void **state)
{
	struct tmp *t = *state;
	struct site *s;

	put_tpl(t);
	/* Names that sort before what they depend on. */
	put(t, "qubes.d/a-app.cfg", APP("a-app", "netvm = \"b-fw\"\ndefault_dispvm = \"c-dvm\"\n"));
	put(t, "qubes.d/b-fw.cfg", APP("b-fw", "netvm = \"c-net\"\nprovides_network = 1\n"));
	put(t, "qubes.d/c-net.cfg", APP("c-net", "provides_network = 1\n"));
	put(t, "qubes.d/c-dvm.cfg", APP("c-dvm", "template_for_dispvms = 1\ndefault_dispvm = \"c-dvm\"\n"));
	put(t, "qubes.d/README", "not a qube\n");
	put(t, "qubes.d/.hidden.cfg", "garbage\n");
	mkdir_in(t, "policy.d");
	put(t, "policy.d/90-default.policy", "* * @anyvm @anyvm deny\n");
	put(t, "policy.d/notes.txt", "ignored\n");
	s = site_load(t->dir);
	assert_clean(s);
	assert_int_equal(s->nqubes, 5);
	assert_string_equal(s->qubes[0].q.name, "a-app"); /* sorted by name */
	assert_non_null(site_find(s, "c-net"));
	assert_null(site_find(s, "nope"));
	assert_true(position(s, "tpl") < position(s, "c-net"));
	assert_true(position(s, "c-net") < position(s, "b-fw"));
	assert_true(position(s, "b-fw") < position(s, "a-app"));
	assert_true(s->has_policy_dir);
	assert_int_equal(s->npolicies, 1);
	assert_string_equal(s->policies[0].name, "90-default.policy");
	assert_int_equal(s->policies[0].len, strlen("* * @anyvm @anyvm deny\n"));
	assert_int_equal(s->warnings.n, 2); /* README, notes.txt */
	assert_has(&s->warnings, "qubes.d/README: ignored");
	assert_null(s->qubes[0].import_dir);
	site_free(s);
}

static void
test_site_reference_errors(void **state)
{
	struct tmp *t = *state;
	struct site *s;

	put_tpl(t);
	put(t, "qubes.d/a.cfg", APP("a", "\nnetvm = \"b\"\n"));               /* b: no provides_network */
	put(t, "qubes.d/b.cfg", APP("b", "default_dispvm = \"a\"\n"));        /* a: not a DispVM template */
	put(t, "qubes.d/c.cfg", "name = \"c\"\nlabel = \"red\"\ntemplate = \"a\"\n"); /* a: an app */
	put(t, "qubes.d/d.cfg", "name = \"d\"\nlabel = \"red\"\ntemplate = \"nosuch\"\nnetvm = \"gone\"\n");
	s = site_load(t->dir);
	assert_int_equal(s->errors.n, 5);
	assert_has(&s->errors, "/qubes.d/a.cfg:5: netvm 'b' does not provide network");
	assert_has(&s->errors, "/qubes.d/b.cfg:4: default_dispvm 'a' is not a DispVM template");
	assert_has(&s->errors, "/qubes.d/c.cfg:3: template 'a' is a app qube, not a template");
	assert_has(&s->errors, "/qubes.d/d.cfg:3: unknown template 'nosuch'");
	assert_has(&s->errors, "/qubes.d/d.cfg:4: unknown netvm 'gone'");
	site_free(s);
}

static void
test_site_netvm_cycles(void **state)
{
	struct tmp *t = *state;
	struct site *s;

	put_tpl(t);
	put(t, "qubes.d/x.cfg", APP("x", "provides_network = 1\nnetvm = \"y\"\n"));
	put(t, "qubes.d/y.cfg", APP("y", "provides_network = 1\nnetvm = \"z\"\n"));
	put(t, "qubes.d/z.cfg", APP("z", "provides_network = 1\nnetvm = \"x\"\n"));
	put(t, "qubes.d/u.cfg", APP("u", "netvm = \"x\"\n")); /* leads into the cycle */
	put(t, "qubes.d/p.cfg", APP("p", "provides_network = 1\nnetvm = \"q\"\n"));
	put(t, "qubes.d/q.cfg", APP("q", "provides_network = 1\nnetvm = \"p\"\n"));
	s = site_load(t->dir);
	/* Each cycle once, at its first qube by name. */
	assert_int_equal(s->errors.n, 2);
	assert_has(&s->errors, "/qubes.d/x.cfg:5: netvm cycle: x -> y -> z -> x");
	assert_has(&s->errors, "/qubes.d/p.cfg:5: netvm cycle: p -> q -> p");
	assert_int_equal(s->nqubes, 7); /* the order still holds every qube */
	site_free(s);
}

static void
test_site_names(void **state)
{
	struct tmp *t = *state;
	struct site *s;

	put_tpl(t);
	put(t, "qubes.d/a.cfg", APP("b", ""));
	put(t, "qubes.d/b.cfg", APP("b", ""));
	put(t, "qubes.d/my qube.cfg", APP("c", ""));
	s = site_load(t->dir);
	assert_int_equal(s->errors.n, 3);
	assert_has(&s->errors, "/qubes.d/a.cfg:1: name 'b' does not match the file name 'a.cfg'");
	assert_has(&s->errors, "/qubes.d/b.cfg:1: qube 'b' is also defined in ");
	assert_has(&s->errors, "/qubes.d/my qube.cfg:1: name 'c' does not match");
	site_free(s);
}

static void
test_site_broken_file_not_cascading(void **state)
{
	struct tmp *t = *state;
	struct site *s;

	put_tpl(t);
	/* net.cfg is broken beyond use: a qube naming it as netvm is not
	 * reported on top; fw.cfg lost only its bad provides_network, so its
	 * users are not reported either. */
	put(t, "qubes.d/net.cfg", "name = \"net\"\nlabel = \"red\"\ntemplate = \"tpl\"\nmemory = 1G\n");
	put(t, "qubes.d/fw.cfg", APP("fw", "provides_network = 2\n"));
	put(t, "qubes.d/a.cfg", APP("a", "netvm = \"net\"\n"));
	put(t, "qubes.d/b.cfg", APP("b", "netvm = \"fw\"\n"));
	s = site_load(t->dir);
	assert_int_equal(s->errors.n, 2);
	assert_has(&s->errors, "/qubes.d/net.cfg:4: ");
	assert_has(&s->errors, "/qubes.d/fw.cfg:4: invalid provides_network '2'");
	site_free(s);
}

static void
test_site_not_a_site(void **state)
{
	struct tmp *t = *state;
	char path[128];
	struct site *s;

	snprintf(path, sizeof(path), "%s/qubes.d", t->dir);
	rmdir(path);
	s = site_load(t->dir);
	assert_int_equal(s->errors.n, 1);
	assert_has(&s->errors, "not a site: it has no qubes.d directory");
	site_free(s);
	s = site_load("/nonexistent/site");
	assert_int_equal(s->errors.n, 1);
	assert_err(&s->errors, 0, "/nonexistent/site: ");
	assert_int_equal(s->nqubes, 0);
	site_free(s);
}

static void
test_site_policies(void **state)
{
	struct tmp *t = *state;
	char path[512];
	struct site *s;

	put_tpl(t);
	mkdir_in(t, "policy.d");
	put(t, "policy.d/10-ok.policy", "test.A * @anyvm @anyvm allow\n");
	put(t, "policy.d/20-bad.policy", "# fine\ntest.B * @anyvm\n");
	put(t, "policy.d/30-Upper.policy", "test.A * @anyvm @anyvm deny\n");
	put(t, "policy.d/40-include.policy", "!include other\n");
	mkdir_in(t, "policy.d/50-dir.policy");
	snprintf(path, sizeof(path), "%s/policy.d/60-gone.policy", t->dir);
	assert_int_equal(symlink("/nonexistent", path), 0);
	put(t, "policy.d/.hidden.policy", "garbage\n");
	s = site_load(t->dir);
	assert_int_equal(s->errors.n, 5);
	assert_has(&s->errors, "/policy.d/20-bad.policy:2: ");
	assert_has(&s->errors, "/policy.d/30-Upper.policy: invalid file name");
	assert_has(&s->errors, "/policy.d/40-include.policy:1: ");
	assert_has(&s->errors, "/policy.d/50-dir.policy: not a regular file");
	assert_has(&s->errors, "/policy.d/60-gone.policy: cannot read");
	assert_int_equal(s->npolicies, 1);
	site_free(s);
}

static void
test_site_policy_too_large(void **state)
{
	struct tmp *t = *state;
	char *big = malloc(POLICY_FILE_MAX + 2);
	struct site *s;

	assert_non_null(big);
	for (size_t i = 0; i < POLICY_FILE_MAX + 1; i++) /* comment lines */
		big[i] = i % 100 == 99 ? '\n' : '#';
	big[POLICY_FILE_MAX + 1] = '\0';
	put_tpl(t);
	mkdir_in(t, "policy.d");
	put(t, "policy.d/10-big.policy", "%s", big);
	big[POLICY_FILE_MAX] = '\0'; /* exactly the limit: fine */
	big[POLICY_FILE_MAX - 1] = '\n';
	put(t, "policy.d/20-max.policy", "%s", big);
	free(big);
	s = site_load(t->dir);
	assert_int_equal(s->errors.n, 1);
	assert_has(&s->errors, "/policy.d/10-big.policy: larger than 1 MiB");
	assert_int_equal(s->npolicies, 1);
	assert_int_equal(s->policies[0].len, POLICY_FILE_MAX);
	site_free(s);
}

static void
test_site_no_policy_dir(void **state)
{
	struct tmp *t = *state;
	struct site *s;

	put_tpl(t);
	s = site_load(t->dir);
	assert_clean(s);
	assert_false(s->has_policy_dir); /* the site leaves the policy alone */
	site_free(s);
}

static void
test_site_templates(void **state)
{
	struct tmp *t = *state;
	struct site *s;

	put_tpl(t);
	put(t, "qubes.d/tpl2.cfg", "name = \"tpl2\"\nclass = \"template\"\nlabel = \"black\"\n");
	mkdir_in(t, "templates");
	mkdir_in(t, "templates/tpl");
	mkdir_in(t, "templates/tpl/sbin");
	put(t, "templates/tpl/sbin/init", "#!/bin/sh\n");
	{
		char path[512];
		snprintf(path, sizeof(path), "%s/templates/tpl/sbin/init", t->dir);
		assert_int_equal(chmod(path, 0755), 0);
	}
	mkdir_in(t, "templates/tpl2"); /* no sbin/init */
	mkdir_in(t, "templates/orphan");
	s = site_load(t->dir);
	assert_int_equal(s->errors.n, 1);
	assert_has(&s->errors, "/templates/tpl2: no executable sbin/init");
	assert_has(&s->warnings, "/templates/orphan: ignored (no template qube orphan");
	assert_non_null(site_find(s, "tpl")->import_dir);
	assert_true(site_find(s, "tpl")->import_dir[0] == '/');
	assert_non_null(strstr(site_find(s, "tpl")->import_dir, "/templates/tpl"));
	site_free(s);
}

/* ---------------------------------------------------------------------------
 * Dependency order, JSON, differences, names
 */

static void
mkq(struct qube *q, const char *name, const char *tpl, const char *netvm, const char *dvm)
{
	qube_init(q);
	snprintf(q->name, sizeof(q->name), "%s", name);
	snprintf(q->template_name, sizeof(q->template_name), "%s", tpl);
	snprintf(q->netvm, sizeof(q->netvm), "%s", netvm);
	snprintf(q->default_dispvm, sizeof(q->default_dispvm), "%s", dvm);
}

static void
test_dep_order(void **state)
{
	static struct qube q[5];
	const struct qube *qs[5];
	size_t order[5], pos[5];

	mkq(&q[0], "user", "tpl", "fw", "dvm");
	mkq(&q[1], "dvm", "tpl", "", "dvm");  /* names itself: no loop */
	mkq(&q[2], "fw", "tpl", "outside", ""); /* outside the set: ignored */
	mkq(&q[3], "tpl", "", "", "");
	mkq(&q[4], "loop", "", "loop2", "");   /* loop2 absent */
	for (int i = 0; i < 5; i++)
		qs[i] = &q[i];
	site_dep_order(qs, 5, true, order);
	for (int i = 0; i < 5; i++)
		pos[order[i]] = (size_t)i;
	assert_true(pos[3] < pos[0] && pos[2] < pos[0] && pos[1] < pos[0]);
	assert_true(pos[3] < pos[1] && pos[3] < pos[2]);
	/* Without default_dispvm edges, "user" may come before "dvm": ties keep
	 * the input order. */
	site_dep_order(qs, 5, false, order);
	for (int i = 0; i < 5; i++)
		pos[order[i]] = (size_t)i;
	assert_true(pos[0] < pos[1]);

	/* A cycle neither hangs nor loses a qube. */
	mkq(&q[0], "a", "", "b", "");
	mkq(&q[1], "b", "", "a", "");
	site_dep_order(qs, 2, false, order);
	assert_true((order[0] == 0 && order[1] == 1) || (order[0] == 1 && order[1] == 0));
	site_dep_order(qs, 0, false, order);
}

static void
test_qube_from_json(void **state)
{
	static struct qube q, want;
	json_object *o = json_tokener_parse("{\"name\":\"work\",\"class\":\"app\",\"label\":\"blue\","
	    "\"template\":\"debian\",\"netvm\":\"\",\"memory\":512,\"vcpus\":2,\"autostart\":true,"
	    "\"provides_network\":false,\"template_for_dispvms\":false,\"default_dispvm\":\"\","
	    "\"uuid\":\"6a3b9c0e-1f2d-4e5f-8a9b-0c1d2e3f4a5b\",\"tags\":[\"x\",\"y\"],"
	    "\"state\":\"running\",\"backend\":\"ns\"}");
	char err[256];
	const char *props[SITE_PROPS_MAX];

	assert_non_null(o);
	assert_int_equal(site_qube_from_json(&q, o, err, sizeof(err)), 0);
	assert_string_equal(q.name, "work");
	assert_int_equal(q.memory, 512);
	assert_true(q.autostart);
	assert_int_equal(q.ntags, 2);
	assert_string_equal(q.uuid, "6a3b9c0e-1f2d-4e5f-8a9b-0c1d2e3f4a5b");
	json_object_put(o);

	/* The same qube from a file form compares equal (uuid aside). */
	{
		struct parsed *p = parse("name = \"work\"\nlabel = \"blue\"\ntemplate = \"debian\"\n"
		    "memory = 512\nautostart = 1\ntags = [ \"y\", \"x\" ]\n");
		assert_int_equal(p->ret, 0);
		want = p->q;
		parsed_free(p);
	}
	assert_int_equal(site_qube_diff(&want, &q, props), 0);

	o = json_tokener_parse("{\"name\":\"work\",\"label\":\"blue\",\"memory\":\"lots\"}");
	assert_int_equal(site_qube_from_json(&q, o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid memory"));
	json_object_put(o);
	o = json_tokener_parse("{\"name\":\"work\",\"label\":\"blue\",\"tags\":[1]}");
	assert_int_equal(site_qube_from_json(&q, o, err, sizeof(err)), -1);
	json_object_put(o);
	o = json_tokener_parse("{\"name\":\"work\",\"label\":{}}");
	assert_int_equal(site_qube_from_json(&q, o, err, sizeof(err)), -1);
	json_object_put(o);
	o = json_tokener_parse("{\"name\":\"work\"}");
	assert_int_equal(site_qube_from_json(&q, o, err, sizeof(err)), -1);
	json_object_put(o);
	o = json_tokener_parse("[]");
	assert_int_equal(site_qube_from_json(&q, o, err, sizeof(err)), -1);
	json_object_put(o);
}

static void
test_qube_firewall_from_json(void **state)
{
	static struct qube q, want;
	json_object *fw;
	const char *props[SITE_PROPS_MAX];
	char err[256];

	if (qube_prop_find("firewall") == NULL)
		skip();
	qube_init(&q);
	fw = json_tokener_parse("{\"policy\":\"drop\",\"rules\":[{\"n\":1,\"rule\":\"accept "
	    "proto=tcp dsthost=example.org dstports=443\",\"expired\":false}]}");
	assert_int_equal(site_qube_fw_from_json(&q, fw, err, sizeof(err)), 0);
	json_object_put(fw);
	want = q;
	assert_int_equal(site_qube_diff(&want, &q, props), 0);
	qube_init(&want);
	assert_int_equal(site_qube_diff(&want, &q, props), 2);
	assert_string_equal(props[0], "firewall_policy");
	assert_string_equal(props[1], "firewall");
	fw = json_tokener_parse("{\"rules\":[{\"rule\":\"bogus\"}]}");
	assert_int_equal(site_qube_fw_from_json(&q, fw, err, sizeof(err)), -1);
	json_object_put(fw);
}

static void
test_qube_diff(void **state)
{
	static struct qube a, b;
	const char *props[SITE_PROPS_MAX];
	char err[256];

	qube_init(&a);
	qube_set(&a, "name", "w", err, sizeof(err));
	qube_set(&a, "label", "red", err, sizeof(err));
	qube_set(&a, "template", "t", err, sizeof(err));
	b = a;
	qube_new_uuid(b.uuid);
	assert_int_equal(site_qube_diff(&a, &b, props), 0); /* uuid is not compared */
	qube_set(&b, "memory", "512", err, sizeof(err));
	qube_set(&b, "label", "blue", err, sizeof(err));
	qube_tag_add(&b, "x", err, sizeof(err));
	assert_int_equal(site_qube_diff(&a, &b, props), 3);
	assert_string_equal(props[0], "label"); /* qube_props order */
	assert_string_equal(props[1], "memory");
	assert_string_equal(props[2], "tags");
	/* Tags are a set. */
	b = a;
	qube_tag_add(&a, "x", err, sizeof(err));
	qube_tag_add(&a, "y", err, sizeof(err));
	qube_tag_add(&b, "y", err, sizeof(err));
	qube_tag_add(&b, "x", err, sizeof(err));
	assert_int_equal(site_qube_diff(&a, &b, props), 0);
	qube_tag_del(&b, "x");
	qube_tag_add(&b, "z", err, sizeof(err));
	assert_int_equal(site_qube_diff(&a, &b, props), 1);
	/* A standalone qube's template does not count. */
	a.cls = b.cls = QUBE_STANDALONE;
	b = a;
	qube_set(&b, "template", "other", err, sizeof(err));
	assert_int_equal(site_qube_diff(&a, &b, props), 0);
}

static void
test_policy_names(void **state)
{
	static const char *const good[] = { "90-default.policy", "a.policy", "x_y-z.1.policy",
		"a..b.policy" };
	static const char *const bad[] = { "", ".policy", "a.policy.bak", ".a.policy", "A.policy",
		"a b.policy", "a/b.policy", "../a.policy", "a.Policy", "\xc3\xa9.policy", "a.policy\n" };
	char longname[300];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!site_policy_name_valid(good[i]))
			fail_msg("'%s' should be valid", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (site_policy_name_valid(bad[i]))
			fail_msg("'%s' should be invalid", bad[i]);
	memset(longname, 'a', sizeof(longname));
	strcpy(longname + SITE_POLICY_NAME_MAX - 7, ".policy");
	assert_true(site_policy_name_valid(longname));
	strcpy(longname + SITE_POLICY_NAME_MAX - 6, ".policy");
	assert_false(site_policy_name_valid(longname));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_every_bad_property),
		cmocka_unit_test(test_parse_consequences_not_reported),
		cmocka_unit_test(test_parse_rules_between_properties),
		cmocka_unit_test(test_parse_syntax_error_stops),
		cmocka_unit_test(test_parse_last_assignment_counts),
		cmocka_unit_test(test_parse_lists_and_strings),
		cmocka_unit_test(test_parse_error_cap),
		cmocka_unit_test(test_parse_empty_and_nul),
		cmocka_unit_test_setup_teardown(test_site_valid_and_order, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_site_reference_errors, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_site_netvm_cycles, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_site_names, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_site_broken_file_not_cascading, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test_setup_teardown(test_site_not_a_site, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_site_policies, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_site_policy_too_large, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_site_no_policy_dir, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_site_templates, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_dep_order),
		cmocka_unit_test(test_qube_from_json),
		cmocka_unit_test(test_qube_firewall_from_json),
		cmocka_unit_test(test_qube_diff),
		cmocka_unit_test(test_policy_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
