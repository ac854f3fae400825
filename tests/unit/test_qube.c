/* Unit tests for lib/qube.h: names, properties, the rules between them, and
 * the xl.cfg-syntax file form. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qube.h"

#define ERRLEN 512

/* The error text must name the property and echo the bad value in quotes. */
static void
assert_err_names(const char *err, const char *prop, const char *value)
{
	char quoted[256];

	snprintf(quoted, sizeof(quoted), "'%s'", value);
	if (strstr(err, prop) == NULL || strstr(err, quoted) == NULL)
		fail_msg("error \"%s\" does not name %s and %s", err, prop, quoted);
	assert_null(strchr(err, '\n'));
}

/* Parses from an exactly sized heap copy, so that ASan catches any read past
 * len (the parser must not rely on a NUL terminator). */
static int
parse(struct qube *q, const char *text, size_t len, char *err)
{
	char *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, text, len);
	err[0] = '\0';
	r = qube_parse_cfg(q, copy, len, "site/x.cfg", err, ERRLEN);
	free(copy);
	if (r < 0)
		assert_true(err[0] != '\0');
	return r;
}

static int
parse_str(struct qube *q, const char *text, char *err)
{
	return parse(q, text, strlen(text), err);
}

/* A complete, checked app qube. */
static void
good_app(struct qube *q)
{
	char err[ERRLEN];

	qube_init(q);
	assert_int_equal(qube_set(q, "name", "work", err, sizeof(err)), 0);
	assert_int_equal(qube_set(q, "label", "blue", err, sizeof(err)), 0);
	assert_int_equal(qube_set(q, "template", "debian", err, sizeof(err)), 0);
	assert_int_equal(qube_check(q, err, sizeof(err)), 0);
}

/* ---- names ---- */

static void
test_name_valid(void **state)
{
	static const char *const good[] = {
		"a", "work", "A-b_9", "Z", "sys-net", "a-", "a_",
		"abcdefghijklmnopqrstuvwxyz01234", /* 31 */
	};
	static const char *const bad[] = {
		"", "9a", "-a", "_a", " a", "a ", "a b", "a/b", "a.b", "w\xc3\xb6rk", "\xc3\xa9",
		"a\n", "a\t", "a:b", "a'b", "a\"b", "..", "a$b",
		"abcdefghijklmnopqrstuvwxyz012345", /* 32 */
		"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
	};

	assert_int_equal(strlen(good[7]), 31);
	assert_int_equal(strlen(bad[18]), 32);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!qube_name_valid(good[i]))
			fail_msg("'%s' should be a valid name", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (qube_name_valid(bad[i]))
			fail_msg("'%s' should be an invalid name", bad[i]);
}

static void
test_name_every_char(void **state)
{
	/* Every byte value, as first and as second character. */
	for (int c = 1; c < 256; c++) {
		char first[2] = { (char)c, '\0' };
		char second[3] = { 'a', (char)c, '\0' };
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		bool alnum = alpha || (c >= '0' && c <= '9');
		if (qube_name_valid(first) != alpha)
			fail_msg("first char 0x%02x: got %d", c, !alpha);
		if (qube_name_valid(second) != (alnum || c == '-' || c == '_'))
			fail_msg("second char 0x%02x wrongly judged", c);
	}
}

/* ---- the property table ---- */

static void
test_prop_table(void **state)
{
	/* The properties every qube has, in the order of the file form (more
	 * may be added between them). */
	static const char *const names[] = {
		"name", "class", "label", "template", "netvm", "memory", "vcpus",
		"autostart", "provides_network", "uuid", "tags", "firewall_policy", "firewall",
	};
	const struct qube_prop *prev = NULL;

	assert_true(qube_nprops >= sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct qube_prop *p = qube_prop_find(names[i]);
		if (p == NULL)
			fail_msg("property '%s' missing", names[i]);
		assert_string_equal(p->name, names[i]);
		assert_true(p >= qube_props && p < qube_props + qube_nprops);
		if (prev != NULL && p <= prev)
			fail_msg("property '%s' out of order", names[i]);
		prev = p;
	}
	/* Every entry is found under its own name, so names are unique. */
	for (size_t i = 0; i < qube_nprops; i++)
		assert_ptr_equal(qube_prop_find(qube_props[i].name), &qube_props[i]);
	assert_ptr_equal(qube_props[0].name, qube_prop_find("name")->name);
	assert_null(qube_prop_find("memroy"));
	assert_null(qube_prop_find(""));
	assert_null(qube_prop_find("Name"));
	assert_null(qube_prop_find("name "));
	assert_false(qube_prop_find("name")->settable);
	assert_false(qube_prop_find("class")->settable);
	assert_false(qube_prop_find("uuid")->settable);
	assert_true(qube_prop_find("memory")->settable);
	assert_true(qube_prop_find("label")->settable);
	assert_true(qube_prop_find("template")->halted_only);
	/* Firewall rules change through vm.firewall, never vm.set. */
	assert_false(qube_prop_find("firewall")->settable);
	assert_false(qube_prop_find("firewall_policy")->settable);
}

static void
test_init_defaults(void **state)
{
	struct qube q;
	char err[ERRLEN];

	memset(&q, 0xa5, sizeof(q));
	qube_init(&q);
	assert_string_equal(q.name, "");
	assert_int_equal(q.cls, QUBE_APP);
	assert_int_equal(q.label, LABEL_COUNT);
	assert_string_equal(q.template_name, "");
	assert_string_equal(q.netvm, "");
	assert_string_equal(q.uuid, "");
	assert_false(q.autostart);
	assert_false(q.provides_network);
	assert_true(q.memory >= QUBE_MEMORY_MIN && q.memory <= QUBE_MEMORY_MAX);
	assert_true(q.vcpus >= QUBE_VCPUS_MIN && q.vcpus <= QUBE_VCPUS_MAX);
	/* A fresh qube is not yet acceptable: it has no name and no label. */
	assert_int_equal(qube_check(&q, err, sizeof(err)), -1);
}

/* ---- qube_set / qube_get ---- */

struct setcase {
	const char *prop, *value, *get; /* get NULL: value must be refused */
};

static const struct setcase setcases[] = {
	{ "name", "work", "work" },
	{ "name", "A-b_9", "A-b_9" },
	{ "name", "abcdefghijklmnopqrstuvwxyz01234", "abcdefghijklmnopqrstuvwxyz01234" },
	{ "name", "", NULL },
	{ "name", "9a", NULL },
	{ "name", "-a", NULL },
	{ "name", "a b", NULL },
	{ "name", "a/b", NULL },
	{ "name", "a.b", NULL },
	{ "name", "abcdefghijklmnopqrstuvwxyz012345", NULL },
	{ "class", "template", "template" },
	{ "class", "app", "app" },
	{ "class", "standalone", "standalone" },
	{ "class", "disp", "disp" },
	{ "class", "App", NULL },
	{ "class", "vm", NULL },
	{ "class", "", NULL },
	{ "class", "app ", NULL },
	{ "label", "red", "red" },
	{ "label", "orange", "orange" },
	{ "label", "yellow", "yellow" },
	{ "label", "green", "green" },
	{ "label", "gray", "gray" },
	{ "label", "blue", "blue" },
	{ "label", "purple", "purple" },
	{ "label", "black", "black" },
	{ "label", "grey", NULL },
	{ "label", "Red", NULL },
	{ "label", "pink", NULL },
	{ "label", "", NULL },
	{ "template", "debian-12", "debian-12" },
	{ "template", "", "" },
	{ "template", "9x", NULL },
	{ "template", "a b", NULL },
	{ "template", "../etc", NULL },
	{ "netvm", "sys-firewall", "sys-firewall" },
	{ "netvm", "", "" },
	{ "netvm", "sys firewall", NULL },
	{ "netvm", "-x", NULL },
	{ "memory", "32", "32" },
	{ "memory", "512", "512" },
	{ "memory", "1048576", "1048576" },
	{ "memory", "31", NULL },
	{ "memory", "0", NULL },
	{ "memory", "1048577", NULL },
	{ "memory", "", NULL },
	{ "memory", "abc", NULL },
	{ "memory", "12x", NULL },
	{ "memory", "-1", NULL },
	{ "memory", "+64", NULL },
	{ "memory", " 64", NULL },
	{ "memory", "64 ", NULL },
	{ "memory", "0x40", NULL },
	{ "memory", "1e3", NULL },
	{ "memory", "2147483648", NULL },
	{ "memory", "4294967328", NULL },
	{ "memory", "9223372036854775807", NULL },
	{ "memory", "9223372036854775808", NULL },
	{ "memory", "99999999999999999999999999", NULL },
	{ "memory", "18446744073709551648", NULL },
	{ "vcpus", "1", "1" },
	{ "vcpus", "64", "64" },
	{ "vcpus", "0", NULL },
	{ "vcpus", "65", NULL },
	{ "vcpus", "", NULL },
	{ "vcpus", "2x", NULL },
	{ "vcpus", "-1", NULL },
	{ "vcpus", "4294967297", NULL },
	{ "vcpus", "99999999999999999999999999", NULL },
	{ "autostart", "1", "1" },
	{ "autostart", "true", "1" },
	{ "autostart", "yes", "1" },
	{ "autostart", "0", "0" },
	{ "autostart", "false", "0" },
	{ "autostart", "no", "0" },
	{ "autostart", "", NULL },
	{ "autostart", "2", NULL },
	{ "autostart", "TRUE", NULL },
	{ "autostart", "on", NULL },
	{ "autostart", "y", NULL },
	{ "autostart", "1 ", NULL },
	{ "provides_network", "1", "1" },
	{ "provides_network", "yes", "1" },
	{ "provides_network", "no", "0" },
	{ "provides_network", "maybe", NULL },
	{ "provides_network", "", NULL },
	{ "uuid", "123e4567-e89b-42d3-a456-426614174000", "123e4567-e89b-42d3-a456-426614174000" },
	{ "uuid", "123E4567-E89B-42D3-A456-426614174000", "123E4567-E89B-42D3-A456-426614174000" },
	{ "uuid", "", NULL },
	{ "uuid", "123e4567-e89b-42d3-a456-42661417400", NULL },
	{ "uuid", "123e4567-e89b-42d3-a456-4266141740000", NULL },
	{ "uuid", "123e4567e-89b-42d3-a456-426614174000", NULL },
	{ "uuid", "123e4567-e89b-42d3-a456-42661417400g", NULL },
	{ "uuid", "123e4567+e89b-42d3-a456-426614174000", NULL },
	{ "uuid", "123e4567-e89b-42d3-a456_426614174000", NULL },
};

static void
test_set_get_table(void **state)
{
	for (size_t i = 0; i < sizeof(setcases) / sizeof(setcases[0]); i++) {
		const struct setcase *c = &setcases[i];
		struct qube q, before;
		char err[ERRLEN], got[128];
		int r;

		good_app(&q);
		/* Start from a different value for the booleans, so that a
		 * setter that ignores its value is caught. */
		if (c->get != NULL && !strcmp(c->get, "0"))
			q.autostart = q.provides_network = true;
		memcpy(&before, &q, sizeof(q));
		strcpy(err, "untouched");
		r = qube_set(&q, c->prop, c->value, err, sizeof(err));
		if (c->get != NULL) {
			if (r != 0)
				fail_msg("%s = '%s' refused: %s", c->prop, c->value, err);
			assert_int_equal(qube_get(&q, c->prop, got, sizeof(got)), 0);
			if (strcmp(got, c->get) != 0)
				fail_msg("%s = '%s' reads back as '%s', expected '%s'", c->prop,
				    c->value, got, c->get);
		} else {
			if (r != -1)
				fail_msg("%s = '%s' accepted", c->prop, c->value);
			assert_err_names(err, c->prop, c->value);
			/* A refused value leaves the qube as it was. */
			if (memcmp(&q, &before, sizeof(q)) != 0)
				fail_msg("%s = '%s' refused but changed the qube", c->prop, c->value);
		}
	}
}

static void
test_set_fields(void **state)
{
	struct qube q;
	char err[ERRLEN];

	good_app(&q);
	assert_int_equal(qube_set(&q, "memory", "4096", err, sizeof(err)), 0);
	assert_int_equal(q.memory, 4096);
	assert_int_equal(qube_set(&q, "vcpus", "7", err, sizeof(err)), 0);
	assert_int_equal(q.vcpus, 7);
	assert_int_equal(qube_set(&q, "template", "tpl", err, sizeof(err)), 0);
	assert_string_equal(q.template_name, "tpl");
	assert_string_equal(q.netvm, "");
	assert_int_equal(qube_set(&q, "netvm", "sys-fw", err, sizeof(err)), 0);
	assert_string_equal(q.netvm, "sys-fw");
	assert_string_equal(q.template_name, "tpl");
	assert_int_equal(qube_set(&q, "autostart", "yes", err, sizeof(err)), 0);
	assert_true(q.autostart);
	assert_false(q.provides_network);
	assert_int_equal(qube_set(&q, "provides_network", "true", err, sizeof(err)), 0);
	assert_true(q.provides_network);
	assert_int_equal(qube_set(&q, "autostart", "no", err, sizeof(err)), 0);
	assert_false(q.autostart);
	assert_true(q.provides_network);
	assert_int_equal(qube_set(&q, "class", "disp", err, sizeof(err)), 0);
	assert_int_equal(q.cls, QUBE_DISP);
	assert_int_equal(qube_set(&q, "label", "black", err, sizeof(err)), 0);
	assert_int_equal(q.label, LABEL_BLACK);
	assert_int_equal(qube_set(&q, "name", "w2", err, sizeof(err)), 0);
	assert_string_equal(q.name, "w2");
	assert_int_equal(qube_set(&q, "template", "", err, sizeof(err)), 0);
	assert_string_equal(q.template_name, "");
}

static void
test_set_error_text(void **state)
{
	struct qube q;
	char err[ERRLEN], longv[200];

	good_app(&q);
	assert_int_equal(qube_set(&q, "memory", "abc", err, sizeof(err)), -1);
	assert_err_names(err, "memory", "abc");
	assert_non_null(strstr(err, "32"));
	assert_non_null(strstr(err, "1048576"));
	assert_int_equal(qube_set(&q, "vcpus", "65", err, sizeof(err)), -1);
	assert_err_names(err, "vcpus", "65");
	assert_non_null(strstr(err, "64"));

	/* Unknown properties are named. */
	assert_int_equal(qube_set(&q, "memroy", "5", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown property"));
	assert_non_null(strstr(err, "'memroy'"));

	/* A long value is shortened, a non-printable one is masked: the error
	 * is one printable line of bounded length. */
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	assert_int_equal(qube_set(&q, "label", longv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "label"));
	assert_non_null(strstr(err, "..."));
	assert_true(strlen(err) < 200);
	assert_int_equal(qube_set(&q, "name", "a\nb\x1b[2J", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "name"));
	for (const char *p = err; *p; p++)
		if (!isprint((unsigned char)*p))
			fail_msg("non-printable 0x%02x in error", (unsigned char)*p);

	/* A small error buffer is truncated, not overrun (ASan watches). */
	{
		char *small = malloc(8);
		assert_non_null(small);
		assert_int_equal(qube_set(&q, "memory", "abc", small, 8), -1);
		assert_int_equal(strlen(small), 7);
		free(small);
	}
}

static void
test_get(void **state)
{
	struct qube q;
	char err[ERRLEN], buf[64];

	good_app(&q);
	assert_int_equal(qube_set(&q, "uuid", "123e4567-e89b-42d3-a456-426614174000", err,
	    sizeof(err)), 0);
	assert_int_equal(qube_get(&q, "name", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "work");
	assert_int_equal(qube_get(&q, "class", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "app");
	assert_int_equal(qube_get(&q, "label", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "blue");
	assert_int_equal(qube_get(&q, "template", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "debian");
	assert_int_equal(qube_get(&q, "netvm", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(qube_get(&q, "memory", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "400");
	assert_int_equal(qube_get(&q, "vcpus", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2");
	assert_int_equal(qube_get(&q, "autostart", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0");
	assert_int_equal(qube_get(&q, "provides_network", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0");
	assert_int_equal(qube_get(&q, "uuid", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "123e4567-e89b-42d3-a456-426614174000");
	strcpy(buf, "untouched");
	assert_int_equal(qube_get(&q, "memroy", buf, sizeof(buf)), -1);
	assert_int_equal(qube_get(&q, "", buf, sizeof(buf)), -1);
	/* Truncates to the buffer. */
	assert_int_equal(qube_get(&q, "template", buf, 4), 0);
	assert_string_equal(buf, "deb");
}

/* ---- labels and classes ---- */

static void
test_labels_classes(void **state)
{
	static const char *const labels[] = {
		"red", "orange", "yellow", "green", "gray", "blue", "purple", "black",
	};
	static const char *const classes[] = { "template", "app", "standalone", "disp" };
	enum qube_label l;
	enum qube_class c;

	assert_int_equal(LABEL_COUNT, 8);
	for (int i = 0; i < LABEL_COUNT; i++) {
		assert_string_equal(qube_label_name((enum qube_label)i), labels[i]);
		l = LABEL_COUNT;
		assert_int_equal(qube_label_parse(labels[i], &l), 0);
		assert_int_equal(l, i);
	}
	assert_string_equal(qube_label_name(LABEL_COUNT), "?");
	assert_string_equal(qube_label_name((enum qube_label)-1), "?");
	l = LABEL_RED;
	assert_int_equal(qube_label_parse("grey", &l), -1);
	assert_int_equal(qube_label_parse("?", &l), -1);
	assert_int_equal(qube_label_parse("", &l), -1);
	assert_int_equal(l, LABEL_RED);

	assert_int_equal(QUBE_CLASS_COUNT, 4);
	for (int i = 0; i < QUBE_CLASS_COUNT; i++) {
		assert_string_equal(qube_class_name((enum qube_class)i), classes[i]);
		c = QUBE_CLASS_COUNT;
		assert_int_equal(qube_class_parse(classes[i], &c), 0);
		assert_int_equal(c, i);
	}
	assert_string_equal(qube_class_name(QUBE_CLASS_COUNT), "?");
	c = QUBE_APP;
	assert_int_equal(qube_class_parse("Template", &c), -1);
	assert_int_equal(qube_class_parse("?", &c), -1);
	assert_int_equal(c, QUBE_APP);
}

/* ---- qube_check ---- */

static void
test_check(void **state)
{
	struct qube q;
	char err[ERRLEN];

	good_app(&q);
	assert_int_equal(qube_check(&q, err, sizeof(err)), 0);

	good_app(&q);
	q.name[0] = '\0';
	assert_int_equal(qube_check(&q, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "name"));

	/* Missing label. */
	good_app(&q);
	q.label = LABEL_COUNT;
	assert_int_equal(qube_check(&q, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "label"));
	q.label = LABEL_RED;
	assert_int_equal(qube_check(&q, err, sizeof(err)), 0);

	/* app and disp need a template. */
	good_app(&q);
	q.template_name[0] = '\0';
	assert_int_equal(qube_check(&q, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "template"));
	assert_non_null(strstr(err, "app"));
	q.cls = QUBE_DISP;
	assert_int_equal(qube_check(&q, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "template"));
	assert_non_null(strstr(err, "disp"));
	/* standalone and template do not. */
	q.cls = QUBE_STANDALONE;
	assert_int_equal(qube_check(&q, err, sizeof(err)), 0);
	q.cls = QUBE_TEMPLATE;
	assert_int_equal(qube_check(&q, err, sizeof(err)), 0);

	/* A template has no template; a standalone may keep one (its origin). */
	good_app(&q);
	q.cls = QUBE_TEMPLATE;
	assert_int_equal(qube_check(&q, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "template"));
	assert_non_null(strstr(err, "'debian'"));
	q.cls = QUBE_STANDALONE;
	assert_int_equal(qube_check(&q, err, sizeof(err)), 0);
	q.cls = QUBE_DISP;
	assert_int_equal(qube_check(&q, err, sizeof(err)), 0);

	/* Self references. */
	good_app(&q);
	strcpy(q.template_name, "work");
	assert_int_equal(qube_check(&q, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'work'"));
	good_app(&q);
	strcpy(q.netvm, "work");
	assert_int_equal(qube_check(&q, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'work'"));
	assert_non_null(strstr(err, "netvm"));
	/* A template with no netvm is not a self reference. */
	good_app(&q);
	q.cls = QUBE_TEMPLATE;
	q.template_name[0] = '\0';
	assert_int_equal(qube_check(&q, err, sizeof(err)), 0);
	/* Names are case-sensitive: "Work" is another qube. */
	good_app(&q);
	strcpy(q.netvm, "Work");
	assert_int_equal(qube_check(&q, err, sizeof(err)), 0);
}

/* ---- file form ---- */

static void
assert_roundtrip(const struct qube *q)
{
	struct qube back;
	char err[ERRLEN], shown[2048], *text, *again = NULL;
	int parsed, same = 0, same_text = 0;

	/* Free before failing: cmocka's failure longjmp would leak the text. */
	text = qube_format_cfg(q);
	assert_non_null(text);
	snprintf(shown, sizeof(shown), "%s", text);
	parsed = parse_str(&back, text, err);
	if (parsed == 0) {
		same = memcmp(q, &back, sizeof(back)) == 0;
		again = qube_format_cfg(&back);
		same_text = strcmp(text, again) == 0;
	}
	free(again);
	free(text);
	if (parsed != 0)
		fail_msg("formatted qube does not parse back: %s\n%s", err, shown);
	if (!same)
		fail_msg("round trip changed the qube:\n%s", shown);
	assert_true(same_text);
}

static void
set_ok(struct qube *q, const char *prop, const char *value)
{
	char err[ERRLEN];

	if (qube_set(q, prop, value, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void
test_roundtrip(void **state)
{
	struct qube q;
	char err[ERRLEN];

	good_app(&q);
	set_ok(&q, "uuid", "123e4567-e89b-42d3-a456-426614174000");
	assert_roundtrip(&q);

	good_app(&q);
	set_ok(&q, "name", "abcdefghijklmnopqrstuvwxyz01234");
	set_ok(&q, "netvm", "sys-firewall");
	set_ok(&q, "memory", "1048576");
	set_ok(&q, "vcpus", "64");
	set_ok(&q, "autostart", "yes");
	set_ok(&q, "label", "black");
	set_ok(&q, "uuid", "FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF");
	assert_roundtrip(&q);

	qube_init(&q);
	set_ok(&q, "name", "debian-12");
	set_ok(&q, "class", "template");
	set_ok(&q, "label", "gray");
	set_ok(&q, "memory", "32");
	set_ok(&q, "vcpus", "1");
	qube_new_uuid(q.uuid);
	assert_int_equal(qube_check(&q, err, sizeof(err)), 0);
	assert_roundtrip(&q);

	qube_init(&q);
	set_ok(&q, "name", "sys-net");
	set_ok(&q, "class", "standalone");
	set_ok(&q, "label", "red");
	set_ok(&q, "provides_network", "1");
	set_ok(&q, "autostart", "1");
	qube_new_uuid(q.uuid);
	assert_roundtrip(&q);

	qube_init(&q);
	set_ok(&q, "name", "D_1");
	set_ok(&q, "class", "disp");
	set_ok(&q, "label", "purple");
	set_ok(&q, "template", "W");
	set_ok(&q, "netvm", "sys-net");
	qube_new_uuid(q.uuid);
	assert_roundtrip(&q);

	/* Every label and class. */
	for (int l = 0; l < LABEL_COUNT; l++)
		for (int c = 0; c < QUBE_CLASS_COUNT; c++) {
			good_app(&q);
			q.label = (enum qube_label)l;
			q.cls = (enum qube_class)c;
			if (c == QUBE_TEMPLATE)
				memset(q.template_name, 0, sizeof(q.template_name));
			qube_new_uuid(q.uuid);
			assert_roundtrip(&q);
		}
}

/* A qube as an operator writes it (no uuid: domd assigns one) is accepted by
 * qube_parse_cfg, but its file form does not parse back. */
static void
test_roundtrip_without_uuid(void **state)
{
	struct qube q;

	good_app(&q);
	assert_string_equal(q.uuid, "");
	assert_roundtrip(&q);
}

static void
test_format_text(void **state)
{
	struct qube q;
	char *text;

	good_app(&q);
	set_ok(&q, "uuid", "123e4567-e89b-42d3-a456-426614174000");
	text = qube_format_cfg(&q);
	assert_non_null(strstr(text, "\nname = \"work\"\n"));
	assert_non_null(strstr(text, "\nclass = \"app\"\n"));
	assert_non_null(strstr(text, "\nlabel = \"blue\"\n"));
	assert_non_null(strstr(text, "\ntemplate = \"debian\"\n"));
	assert_non_null(strstr(text, "\nmemory = 400\n"));
	assert_non_null(strstr(text, "\nvcpus = 2\n"));
	assert_non_null(strstr(text, "\nautostart = 0\n"));
	assert_non_null(strstr(text, "\nprovides_network = 0\n"));
	assert_non_null(strstr(text, "\nuuid = \"123e4567-e89b-42d3-a456-426614174000\"\n"));
	assert_true(text[strlen(text) - 1] == '\n');
	free(text);
}

static void
test_parse_example(void **state)
{
	static const char text[] =
	    "# a qube, as an operator writes it\n"
	    "name = \"work\"   # the name\n"
	    "class = 'app'\n"
	    "label = \"blue\" ; template = \"debian\";\n"
	    "netvm = \"sys-firewall\"\n"
	    "\n"
	    "memory = 512; vcpus = 4\n"
	    "autostart = 1\n"
	    "provides_network = \"no\"\n";
	struct qube q;
	char err[ERRLEN];

	if (parse_str(&q, text, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(q.name, "work");
	assert_int_equal(q.cls, QUBE_APP);
	assert_int_equal(q.label, LABEL_BLUE);
	assert_string_equal(q.template_name, "debian");
	assert_string_equal(q.netvm, "sys-firewall");
	assert_int_equal(q.memory, 512);
	assert_int_equal(q.vcpus, 4);
	assert_true(q.autostart);
	assert_false(q.provides_network);
	assert_string_equal(q.uuid, "");

	/* Missing optional properties take qube_init's defaults. */
	assert_int_equal(parse_str(&q, "name=\"t\";class=\"template\";label=\"red\"", err), 0);
	{
		struct qube def;
		qube_init(&def);
		strcpy(def.name, "t");
		def.cls = QUBE_TEMPLATE;
		def.label = LABEL_RED;
		assert_memory_equal(&q, &def, sizeof(q));
	}
}

static void
test_parse_syntax_error(void **state)
{
	struct qube q;
	char err[ERRLEN];

	assert_int_equal(parse_str(&q, "name = \"work\"\nlabel = \"blue\"\n\nmemory = = 5\n", err), -1);
	if (strncmp(err, "site/x.cfg:4:", 13) != 0)
		fail_msg("syntax error without file and line: %s", err);
	assert_null(strchr(err, '\n'));

	assert_int_equal(parse_str(&q, "name = \"work\" label = \"blue\"\n", err), -1);
	if (strncmp(err, "site/x.cfg:1:", 13) != 0)
		fail_msg("syntax error without file and line: %s", err);

	assert_int_equal(parse_str(&q, "name = \"work\nlabel = \"blue\"\n", err), -1);
	assert_non_null(strstr(err, "site/x.cfg"));

	assert_int_equal(parse_str(&q, "name = \"work\"\n\n\nlabel = [ \"blue\"\n", err), -1);
	assert_non_null(strstr(err, "site/x.cfg"));

	/* Python syntax, which old xm files used. */
	assert_int_equal(parse_str(&q, "name = \"work\"\nlabel = \"blue\"\nif 1:\n  memory = 5\n", err),
	    -1);
	assert_non_null(strstr(err, "site/x.cfg"));
}

static void
test_parse_unknown_key(void **state)
{
	struct qube q;
	char err[ERRLEN];

	assert_int_equal(parse_str(&q,
	    "name = \"work\"\n"
	    "label = \"blue\"\n"
	    "template = \"debian\"\n"
	    "# memory = 7\n"
	    "memroy = 5\n", err), -1);
	assert_string_equal(err, "site/x.cfg:5: unknown property 'memroy'");

	/* Lines are counted through comments, multi-line lists, quotes and ';'. */
	assert_int_equal(parse_str(&q,
	    "# header\n"                 /* 1 */
	    "name = \"work\" # x = 1\n"  /* 2 */
	    "label = [ \"a\",\n"         /* 3 */
	    "  'b', # c = 1\n"           /* 4 */
	    "  \"c\" ]\n"                /* 5 */
	    "\n"                         /* 6 */
	    "memory = 5; vcpus = 3; bogus_key = \"x\"\n", err), -1); /* 7 */
	assert_string_equal(err, "site/x.cfg:7: unknown property 'bogus_key'");

	/* A quote inside a comment opens no string. */
	assert_int_equal(parse_str(&q,
	    "# the operator's qube\n"
	    "name = \"work\" # it's \"mine\n"
	    "memroy = 5 # don't\n", err), -1);
	assert_string_equal(err, "site/x.cfg:3: unknown property 'memroy'");

	/* The first unknown key is the one reported. */
	assert_int_equal(parse_str(&q, "first = 1\nname = \"a\"\nsecond = 2\n", err), -1);
	assert_string_equal(err, "site/x.cfg:1: unknown property 'first'");

	/* A prefix or extension of a known key is not that key. */
	assert_int_equal(parse_str(&q, "name = \"a\"\nnames = \"b\"\n", err), -1);
	assert_string_equal(err, "site/x.cfg:2: unknown property 'names'");
	assert_int_equal(parse_str(&q, "name = \"a\"\nnam = \"b\"\n", err), -1);
	assert_string_equal(err, "site/x.cfg:2: unknown property 'nam'");

	/* Reported even when the known values are fine and complete. */
	assert_int_equal(parse_str(&q,
	    "name = \"work\"\nlabel = \"blue\"\ntemplate = \"d\"\nkernel = \"vmlinuz\"\n", err),
	    -1);
	assert_string_equal(err, "site/x.cfg:4: unknown property 'kernel'");
}

/* libxlutil accepts keys with dots ([a-z][._0-9a-z]*); a misspelt dotted key
 * must be reported like any other, not silently ignored. */
static void
test_parse_unknown_dotted_key(void **state)
{
	struct qube q;
	char err[ERRLEN];

	assert_int_equal(parse_str(&q,
	    "name = \"work\"\nlabel = \"blue\"\ntemplate = \"d\"\nmemory.max = 64\n", err), -1);
	assert_string_equal(err, "site/x.cfg:4: unknown property 'memory.max'");
}

static void
test_parse_strings_hide_comment_and_separator(void **state)
{
	struct qube q;
	char err[ERRLEN];

	/* A '#' inside a string starts no comment: the key after it counts. */
	assert_int_equal(parse_str(&q, "name = \"w#x\"; memroy = 5\n", err), -1);
	assert_string_equal(err, "site/x.cfg:1: unknown property 'memroy'");
	assert_int_equal(parse_str(&q, "name = 'w#x'; memroy = 5\n", err), -1);
	assert_string_equal(err, "site/x.cfg:1: unknown property 'memroy'");
	/* A ';' or a newline-free "key =" inside a string starts no statement. */
	assert_int_equal(parse_str(&q, "name = \"w; memroy = 5\"\nlabel = \"red\"\n", err), -1);
	assert_non_null(strstr(err, "invalid name"));
	assert_null(strstr(err, "unknown"));
	assert_int_equal(parse_str(&q, "name = 'w; memroy = 5'\nlabel = \"red\"\n", err), -1);
	assert_null(strstr(err, "unknown"));
	/* The parser sees the string, not a comment, so '#' reaches the value. */
	assert_int_equal(parse_str(&q, "name = \"w#x\"\nlabel = \"red\"\n", err), -1);
	assert_non_null(strstr(err, "'w#x'"));
}

/* libxlutil ignores a lexical error in the last token of input that does not
 * end in a newline, so "memory = 512M" would silently become 512. A file's
 * meaning must not depend on its final newline. */
static void
test_parse_lexical_error_at_eof(void **state)
{
	static const char head[] = "name = \"t\"\nclass = \"template\"\nlabel = \"red\"\n";
	static const char *const tails[] = { "memory = 512M", "vcpus = 4 ~", "~", "memory = 64;@" };
	struct qube q;
	char err[ERRLEN], text[256];

	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(text, sizeof(text), "%s%s\n", head, tails[i]);
		assert_int_equal(parse_str(&q, text, err), -1);
		assert_non_null(strstr(err, "site/x.cfg:4:"));
		text[strlen(text) - 1] = '\0';
		if (parse_str(&q, text, err) != -1)
			fail_msg("'%s' at the end of a file without a final newline is accepted "
			    "(memory %ld, vcpus %ld)", tails[i], q.memory, q.vcpus);
		assert_non_null(strstr(err, "site/x.cfg:4:"));
	}
	/* Fine without a final newline when there is no error. */
	snprintf(text, sizeof(text), "%smemory = 512", head);
	assert_int_equal(parse_str(&q, text, err), 0);
	assert_int_equal(q.memory, 512);
}

static void
test_parse_list_for_scalar(void **state)
{
	struct qube q;
	char err[ERRLEN];

	assert_int_equal(parse_str(&q,
	    "name = \"work\"\nlabel = \"blue\"\ntemplate = \"d\"\nmemory = [ 512 ]\n", err), -1);
	assert_non_null(strstr(err, "site/x.cfg"));
	assert_non_null(strstr(err, "'memory'"));
	assert_non_null(strstr(err, "list"));
	assert_int_equal(parse_str(&q, "name = [ \"a\", \"b\" ]\nlabel = \"blue\"\n", err), -1);
	assert_non_null(strstr(err, "'name'"));
	assert_non_null(strstr(err, "list"));
	assert_int_equal(parse_str(&q, "name = \"a\"\nlabel = []\n", err), -1);
	assert_non_null(strstr(err, "'label'"));
}

static void
test_parse_bad_values(void **state)
{
	struct qube q;
	char err[ERRLEN];

	assert_int_equal(parse_str(&q, "name = \"work\"\nlabel = \"blue\"\ntemplate = \"d\"\n"
	    "memory = 31\n", err), -1);
	assert_true(strncmp(err, "site/x.cfg: ", 12) == 0);
	assert_err_names(err, "memory", "31");
	assert_int_equal(parse_str(&q, "name = \"9work\"\nlabel = \"blue\"\n", err), -1);
	assert_err_names(err, "name", "9work");
	assert_int_equal(parse_str(&q, "name = \"work\"\nlabel = \"pink\"\n", err), -1);
	assert_err_names(err, "label", "pink");
	assert_int_equal(parse_str(&q, "name = \"work\"\nlabel = \"red\"\nvcpus = 0x10\n", err),
	    -1);
	assert_err_names(err, "vcpus", "0x10");

	/* qube_check runs on the result. */
	assert_int_equal(parse_str(&q, "name = \"work\"\nlabel = \"blue\"\n", err), -1);
	assert_true(strncmp(err, "site/x.cfg: ", 12) == 0);
	assert_non_null(strstr(err, "template"));
	assert_int_equal(parse_str(&q, "name = \"work\"\ntemplate = \"d\"\n", err), -1);
	assert_non_null(strstr(err, "label"));
	assert_int_equal(parse_str(&q, "name = \"work\"\nlabel = \"red\"\ntemplate = \"work\"\n",
	    err), -1);
	assert_non_null(strstr(err, "'work'"));
	assert_int_equal(parse_str(&q, "name = \"t\"\nclass = \"template\"\nlabel = \"red\"\n"
	    "template = \"d\"\n", err), -1);
	assert_non_null(strstr(err, "template"));

	/* Empty and comment-only files have no name. */
	assert_int_equal(parse(&q, "", 0, err), -1);
	assert_non_null(strstr(err, "site/x.cfg"));
	assert_non_null(strstr(err, "name"));
	assert_int_equal(parse_str(&q, "# nothing\n\n", err), -1);
	assert_non_null(strstr(err, "name"));
}

static void
test_parse_nul_byte(void **state)
{
	static const char text[] = "name = \"work\"\nlabel = \"blue\"\0\ntemplate = \"d\"\n";
	static const char last[] = "name = \"t\"\nclass = \"template\"\nlabel = \"red\"\n";
	static const char instr[] = "name = \"w\0x\"\nlabel = \"red\"\ntemplate = \"d\"\n";
	struct qube q;
	char err[ERRLEN];

	/* Without the NUL, and the part before it, it is fine. */
	assert_int_equal(parse_str(&q, "name = \"work\"\nlabel = \"blue\"\ntemplate = \"d\"\n", err),
	    0);
	assert_int_equal(parse(&q, text, sizeof(text) - 1, err), -1);
	assert_non_null(strstr(err, "site/x.cfg"));
	assert_non_null(strstr(err, "NUL"));
	/* A NUL as the very last byte too (sizeof counts the terminator). */
	assert_int_equal(parse_str(&q, last, err), 0);
	assert_int_equal(parse(&q, last, sizeof(last), err), -1);
	assert_non_null(strstr(err, "NUL"));
	/* And a NUL inside a string. */
	assert_int_equal(parse(&q, instr, sizeof(instr) - 1, err), -1);
	assert_non_null(strstr(err, "NUL"));
}

/* A valid qube padded with comment lines to exactly len bytes. */
static char *
padded_file(size_t len)
{
	static const char head[] = "name = \"t\"\nclass = \"template\"\nlabel = \"red\"\n";
	char *buf = malloc(len);
	size_t at;

	assert_non_null(buf);
	assert_true(len > sizeof(head) + 2);
	memcpy(buf, head, sizeof(head) - 1);
	at = sizeof(head) - 1;
	memset(buf + at, 'x', len - at);
	while (at < len) {
		size_t line = len - at > 80 ? 80 : len - at;
		buf[at] = '#';
		buf[at + line - 1] = '\n';
		at += line;
	}
	return buf;
}

static void
test_parse_size_limit(void **state)
{
	struct qube q;
	char err[ERRLEN], *buf;

	buf = padded_file(QUBE_CFG_MAX);
	if (qube_parse_cfg(&q, buf, QUBE_CFG_MAX, "big.cfg", err, sizeof(err)) != 0)
		fail_msg("a file of exactly QUBE_CFG_MAX bytes is refused: %s", err);
	assert_string_equal(q.name, "t");
	free(buf);

	buf = padded_file(QUBE_CFG_MAX + 1);
	assert_int_equal(qube_parse_cfg(&q, buf, QUBE_CFG_MAX + 1, "big.cfg", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "big.cfg"));
	assert_non_null(strstr(err, "larger"));
	free(buf);
}

static void
test_parse_last_assignment_wins(void **state)
{
	struct qube q;
	char err[ERRLEN];

	assert_int_equal(parse_str(&q, "name = \"a\"\nlabel = \"red\"\nclass = \"template\"\n"
	    "memory = 64\nmemory = 128\n", err), 0);
	assert_int_equal(q.memory, 128);
}

/* ---- uuids ---- */

static int
cmp_uuid(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void
test_new_uuid(void **state)
{
	enum { N = 1000 };
	char (*u)[QUBE_UUID_LEN + 1] = calloc(N, sizeof(*u));
	struct qube q;
	char err[ERRLEN];

	assert_non_null(u);
	good_app(&q);
	for (int n = 0; n < N; n++) {
		memset(u[n], 'Z', sizeof(u[n]));
		qube_new_uuid(u[n]);
		assert_int_equal(strlen(u[n]), QUBE_UUID_LEN);
		for (int i = 0; i < QUBE_UUID_LEN; i++) {
			char c = u[n][i];
			if (i == 8 || i == 13 || i == 18 || i == 23) {
				if (c != '-')
					fail_msg("uuid %s: no '-' at %d", u[n], i);
			} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				fail_msg("uuid %s: not lower-case hex at %d", u[n], i);
		}
		if (u[n][14] != '4')
			fail_msg("uuid %s: not version 4", u[n]);
		if (strchr("89ab", u[n][19]) == NULL)
			fail_msg("uuid %s: not the RFC 4122 variant", u[n]);
		assert_int_equal(qube_set(&q, "uuid", u[n], err, sizeof(err)), 0);
	}
	qsort(u, N, sizeof(*u), cmp_uuid);
	for (int n = 1; n < N; n++)
		if (strcmp(u[n - 1], u[n]) == 0)
			fail_msg("uuid %s generated twice", u[n]);
	free(u);
}


/* ---- firewall rules ---- */

static void
fw_add_ok(struct qube *q, int pos, const char *rule)
{
	char err[ERRLEN];

	if (qube_fw_add(q, pos, rule, err, sizeof(err)) != 0)
		fail_msg("'%s': %s", rule, err);
}

static void
test_fw_defaults(void **state)
{
	struct qube q;
	char buf[64], err[ERRLEN];

	memset(&q, 0xa5, sizeof(q));
	qube_init(&q);
	assert_int_equal(q.fw.n, 0);
	assert_int_equal(q.fw.policy, FWRULE_ACCEPT);
	assert_null(qube_fw_rule(&q, 0));
	assert_int_equal(qube_get(&q, "firewall_policy", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "accept");
	assert_int_equal(qube_get(&q, "firewall", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(qube_set(&q, "firewall_policy", "drop", err, sizeof(err)), 0);
	assert_int_equal(q.fw.policy, FWRULE_DROP);
	assert_int_equal(qube_set(&q, "firewall_policy", "deny", err, sizeof(err)), -1);
	assert_err_names(err, "firewall_policy", "deny");
	assert_int_equal(q.fw.policy, FWRULE_DROP);
	/* In text form, "firewall" appends one rule, like tags. */
	assert_int_equal(qube_set(&q, "firewall", "accept  proto=udp", err, sizeof(err)), 0);
	assert_int_equal(qube_set(&q, "firewall", "drop", err, sizeof(err)), 0);
	assert_int_equal(qube_get(&q, "firewall", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "accept proto=udp\ndrop");
	assert_int_equal(qube_set(&q, "firewall", "drop proto=tcp dstports=70000", err,
	    sizeof(err)), -1);
	assert_err_names(err, "dstports", "70000");
	assert_int_equal(q.fw.n, 2);
}

static void
test_fw_edit(void **state)
{
	struct qube q, before;
	char err[ERRLEN];

	good_app(&q);
	fw_add_ok(&q, -1, "accept dsthost=b.example");
	fw_add_ok(&q, -1, "drop");
	fw_add_ok(&q, 0, "accept  proto=udp   dstports=53  specialtarget=dns");
	fw_add_ok(&q, 2, "accept dst4=10.0.0.0/8");
	assert_int_equal(q.fw.n, 4);
	assert_string_equal(qube_fw_rule(&q, 0), "accept proto=udp specialtarget=dns dstports=53");
	assert_string_equal(qube_fw_rule(&q, 1), "accept dsthost=b.example");
	assert_string_equal(qube_fw_rule(&q, 2), "accept dst4=10.0.0.0/8");
	assert_string_equal(qube_fw_rule(&q, 3), "drop");
	assert_null(qube_fw_rule(&q, 4));
	assert_null(qube_fw_rule(&q, -1));

	/* Bad positions and rules leave the qube as it was. */
	before = q;
	assert_int_equal(qube_fw_add(&q, 5, "drop", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "position 6"));
	assert_int_equal(qube_fw_add(&q, 0, "drop dsthost=a*b", err, sizeof(err)), -1);
	assert_err_names(err, "dsthost", "a*b");
	assert_int_equal(qube_fw_del(&q, 4), -1);
	assert_int_equal(qube_fw_del(&q, -1), -1);
	assert_memory_equal(&q, &before, sizeof(q));

	/* Deleting restores the exact bytes (the text is zeroed behind). */
	assert_int_equal(qube_fw_del(&q, 2), 0);
	assert_int_equal(qube_fw_del(&q, 0), 0);
	assert_int_equal(q.fw.n, 2);
	assert_string_equal(qube_fw_rule(&q, 0), "accept dsthost=b.example");
	assert_string_equal(qube_fw_rule(&q, 1), "drop");
	{
		struct qube fresh;
		good_app(&fresh);
		fw_add_ok(&fresh, -1, "accept dsthost=b.example");
		fw_add_ok(&fresh, -1, "drop");
		assert_memory_equal(&q, &fresh, sizeof(q));
	}
	q.fw.policy = FWRULE_DROP;
	qube_fw_reset(&q);
	assert_int_equal(q.fw.n, 0);
	assert_int_equal(q.fw.policy, FWRULE_ACCEPT);
	{
		struct qube fresh;
		good_app(&fresh);
		assert_memory_equal(&q, &fresh, sizeof(q));
	}
}

static void
test_fw_limits(void **state)
{
	struct qube q, before;
	char err[ERRLEN], rule[FWRULE_TEXT_MAX], c[FWRULE_COMMENT_MAX + 1];
	int n = 0;

	/* QUBE_FW_RULES_MAX rules, and not one more. */
	good_app(&q);
	for (int i = 0; i < QUBE_FW_RULES_MAX; i++) {
		snprintf(rule, sizeof(rule), "accept proto=tcp dstports=%d", i + 1);
		fw_add_ok(&q, -1, rule);
	}
	before = q;
	assert_int_equal(qube_fw_add(&q, -1, "drop", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too many firewall rules (at most 128)"));
	assert_memory_equal(&q, &before, sizeof(q));
	assert_string_equal(qube_fw_rule(&q, QUBE_FW_RULES_MAX - 1),
	    "accept proto=tcp dstports=128");

	/* Long rules run into the text limit first. */
	good_app(&q);
	memset(c, 'x', FWRULE_COMMENT_MAX);
	c[FWRULE_COMMENT_MAX] = '\0';
	for (;;) {
		snprintf(rule, sizeof(rule), "accept dsthost=host%d.%.200s proto=tcp dstports=%d "
		    "comment=%s", n, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
		    n + 1, c);
		if (qube_fw_add(&q, -1, rule, err, sizeof(err)) != 0)
			break;
		n++;
	}
	assert_non_null(strstr(err, "firewall rules too long"));
	assert_true(n > 50 && n < QUBE_FW_RULES_MAX);
	assert_true(q.fw.used <= QUBE_FW_TEXT_MAX);
	assert_int_equal(q.fw.n, n);
	/* Short ones still fit until the text is full. */
	fw_add_ok(&q, 0, "drop");
	assert_string_equal(qube_fw_rule(&q, 0), "drop");
	assert_true(sizeof(struct qube) <= 24 * 1024);

	/* The fullest file form (every comment all backslashes, each doubled
	 * in the file) stays under QUBE_CFG_MAX and parses back. */
	good_app(&q);
	memset(c, '\\', FWRULE_COMMENT_MAX);
	snprintf(rule, sizeof(rule), "drop comment=%s", c);
	for (int i = 0; i < QUBE_FW_RULES_MAX; i++)
		fw_add_ok(&q, -1, rule);
	{
		char *text = qube_format_cfg(&q);
		size_t len = strlen(text);
		free(text);
		assert_true(len < QUBE_CFG_MAX);
	}
	assert_roundtrip(&q);
}

static void
test_fw_parse(void **state)
{
	static const char text[] =
	    "name = \"work\"\n"
	    "label = \"blue\"\n"
	    "template = \"debian\"\n"
	    "firewall_policy = 'drop'\n"
	    "firewall = [ \"accept proto=tcp dsthost=Example.org dstports=443\",\n"
	    "             \"accept specialtarget=dns\", # a comment\n"
	    "             'accept dst6=2001:db8::/32 comment=it\\'s a \\\\ path',\n"
	    "             \"drop\" ]\n";
	struct qube q;
	char err[ERRLEN], *out;

	if (parse_str(&q, text, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(q.fw.policy, FWRULE_DROP);
	assert_int_equal(q.fw.n, 4);
	assert_string_equal(qube_fw_rule(&q, 0), "accept dsthost=example.org proto=tcp dstports=443");
	assert_string_equal(qube_fw_rule(&q, 1), "accept specialtarget=dns");
	assert_string_equal(qube_fw_rule(&q, 2), "accept dst6=2001:db8::/32 comment=it's a \\ path");
	assert_string_equal(qube_fw_rule(&q, 3), "drop");
	assert_roundtrip(&q);
	out = qube_format_cfg(&q);
	assert_non_null(strstr(out, "\nfirewall_policy = \"drop\"\n"));
	assert_non_null(strstr(out, "\nfirewall = [\n"
	    "    \"accept dsthost=example.org proto=tcp dstports=443\",\n"
	    "    \"accept specialtarget=dns\",\n"
	    "    \"accept dst6=2001:db8::/32 comment=it's a \\\\ path\",\n"
	    "    \"drop\"\n"
	    "    ]\n"));
	free(out);

	/* No rules: no firewall line; an empty list is no rules. */
	assert_int_equal(parse_str(&q, "name=\"t\";class=\"template\";label=\"red\";firewall=[]", err),
	    0);
	assert_int_equal(q.fw.n, 0);
	assert_int_equal(q.fw.policy, FWRULE_ACCEPT);
	out = qube_format_cfg(&q);
	assert_null(strstr(out, "firewall = "));
	assert_non_null(strstr(out, "\nfirewall_policy = \"accept\"\n"));
	free(out);
	assert_roundtrip(&q);
}

static void
test_fw_parse_errors(void **state)
{
	static const char head[] = "name = \"work\"\nlabel = \"blue\"\ntemplate = \"debian\"\n";
	char text[65536], err[ERRLEN];
	struct qube q;
	size_t off;

	snprintf(text, sizeof(text), "%sfirewall = [ \"drop specialtarget=dns\", "
	    "\"accept proto=tcp dstports=70000\" ]\n", head);
	assert_int_equal(parse_str(&q, text, err), -1);
	assert_string_equal(err, "site/x.cfg: invalid firewall rule 2: invalid dstports '70000' "
	    "(expected 1-65535 or N-M)");

	snprintf(text, sizeof(text), "%sfirewall = [ \"allow\" ]\n", head);
	assert_int_equal(parse_str(&q, text, err), -1);
	assert_string_equal(err, "site/x.cfg: invalid firewall rule 1: invalid action 'allow' "
	    "(a rule starts with accept or drop, or has action=accept|drop)");

	/* An escaped newline in the file is a newline in the rule: refused. */
	snprintf(text, sizeof(text), "%sfirewall = [ \"drop\", \"drop comment=a\\nb\" ]\n", head);
	assert_int_equal(parse_str(&q, text, err), -1);
	assert_non_null(strstr(err, "site/x.cfg: invalid firewall rule 2: invalid byte 0x0a"));

	snprintf(text, sizeof(text), "%sfirewall = \"drop\"\n", head);
	assert_int_equal(parse_str(&q, text, err), -1);
	assert_string_equal(err, "site/x.cfg: property 'firewall' must be a list of strings");

	snprintf(text, sizeof(text), "%sfirewall = [ \"drop\", [ \"drop\" ] ]\n", head);
	assert_int_equal(parse_str(&q, text, err), -1);
	assert_string_equal(err, "site/x.cfg: invalid firewall rule 2: not a string");

	snprintf(text, sizeof(text), "%sfirewall_policy = \"deny\"\n", head);
	assert_int_equal(parse_str(&q, text, err), -1);
	assert_non_null(strstr(err, "site/x.cfg: invalid firewall_policy 'deny'"));

	snprintf(text, sizeof(text), "%sfirewall_policy = [ \"drop\" ]\n", head);
	assert_int_equal(parse_str(&q, text, err), -1);
	assert_non_null(strstr(err, "firewall_policy"));

	snprintf(text, sizeof(text), "%sfirewal = [ \"drop\" ]\n", head);
	assert_int_equal(parse_str(&q, text, err), -1);
	assert_string_equal(err, "site/x.cfg:4: unknown property 'firewal'");

	/* 129 rules. */
	off = (size_t)snprintf(text, sizeof(text), "%sfirewall = [ ", head);
	for (int i = 0; i <= QUBE_FW_RULES_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s\"drop\"", i ? ", " : "");
	snprintf(text + off, sizeof(text) - off, " ]\n");
	assert_int_equal(parse_str(&q, text, err), -1);
	assert_string_equal(err, "site/x.cfg: too many firewall rules (129; at most 128)");
}

/* An escaped quote does not end a string when unknown keys are looked for. */
static void
test_parse_escaped_quote(void **state)
{
	struct qube q;
	char err[ERRLEN];

	assert_int_equal(parse_str(&q, "name = \"work\"\nlabel = \"bl\\\"ue\"\nbogus = 1\n", err), -1);
	assert_string_equal(err, "site/x.cfg:3: unknown property 'bogus'");
}

/* virt_mode and private_size: defaults, values, bounds, the file form. */
static void
test_virt_mode_private_size(void **state)
{
	struct qube q;
	char err[ERRLEN], val[64], *cfg;

	qube_init(&q);
	qube_get(&q, "virt_mode", val, sizeof(val));
	assert_string_equal(val, "pvh");
	qube_get(&q, "private_size", val, sizeof(val));
	assert_string_equal(val, "2048");
	assert_true(qube_prop_find("virt_mode")->halted_only);
	assert_true(qube_prop_find("private_size")->halted_only);
	assert_int_equal(qube_set(&q, "virt_mode", "pv", err, sizeof(err)), 0);
	assert_int_equal(q.virt_mode, VIRT_PV);
	assert_int_equal(qube_set(&q, "virt_mode", "hvm", err, sizeof(err)), -1);
	assert_err_names(err, "virt_mode", "hvm");
	assert_int_equal(q.virt_mode, VIRT_PV);
	assert_int_equal(qube_set(&q, "virt_mode", "PVH", err, sizeof(err)), -1);
	assert_int_equal(qube_set(&q, "private_size", "64", err, sizeof(err)), 0);
	assert_int_equal(q.private_size, 64);
	assert_int_equal(qube_set(&q, "private_size", "1048576", err, sizeof(err)), 0);
	assert_int_equal(qube_set(&q, "private_size", "63", err, sizeof(err)), -1);
	assert_err_names(err, "private_size", "63");
	assert_int_equal(qube_set(&q, "private_size", "1048577", err, sizeof(err)), -1);
	assert_int_equal(qube_set(&q, "private_size", "2G", err, sizeof(err)), -1);
	assert_int_equal(q.private_size, 1048576);

	assert_int_equal(parse_str(&q, "name = \"work\"\nlabel = \"blue\"\ntemplate = \"debian\"\n"
	    "virt_mode = \"pv\"\nprivate_size = 512\n", err), 0);
	assert_int_equal(q.virt_mode, VIRT_PV);
	assert_int_equal(q.private_size, 512);
	cfg = qube_format_cfg(&q);
	assert_non_null(strstr(cfg, "virt_mode = \"pv\"\n"));
	assert_non_null(strstr(cfg, "private_size = 512\n"));
	free(cfg);
	assert_int_equal(parse_str(&q, "name = \"work\"\nlabel = \"blue\"\nvirt_mode = \"hvm\"\n", err),
	    -1);
	assert_err_names(err, "virt_mode", "hvm");
}

/* pids_max and uid_base (ns): defaults, bounds, the file form; uid_base is
 * domd's, not the user's, and absent from the file until given. */
static void
test_pids_max_uid_base(void **state)
{
	struct qube q;
	char err[ERRLEN], val[64], *cfg;

	qube_init(&q);
	qube_get(&q, "pids_max", val, sizeof(val));
	assert_string_equal(val, "1024");
	assert_true(qube_prop_find("pids_max")->settable);
	assert_false(qube_prop_find("uid_base")->settable);
	assert_int_equal(qube_set(&q, "pids_max", "16", err, sizeof(err)), 0);
	assert_int_equal(qube_set(&q, "pids_max", "15", err, sizeof(err)), -1);
	assert_err_names(err, "pids_max", "15");
	assert_int_equal(q.pids_max, 16);
	assert_int_equal(q.uid_base, 0);
	cfg = qube_format_cfg(&q);
	assert_null(strstr(cfg, "uid_base"));
	free(cfg);
	/* A multiple of 65536 from 2^29 on, or 0. */
	assert_int_equal(qube_set(&q, "uid_base", "536936448", err, sizeof(err)), 0);
	assert_int_equal(q.uid_base, 536936448L);
	assert_int_equal(qube_set(&q, "uid_base", "536936449", err, sizeof(err)), -1);
	assert_err_names(err, "uid_base", "536936449");
	assert_int_equal(qube_set(&q, "uid_base", "65536", err, sizeof(err)), -1);
	assert_int_equal(qube_set(&q, "uid_base", "4294901760", err, sizeof(err)), -1);
	assert_int_equal(q.uid_base, 536936448L);
	cfg = qube_format_cfg(&q);
	assert_non_null(strstr(cfg, "uid_base = 536936448\n"));
	assert_non_null(strstr(cfg, "pids_max = 16\n"));
	free(cfg);
	assert_int_equal(qube_set(&q, "uid_base", "0", err, sizeof(err)), 0);
	assert_int_equal(q.uid_base, 0);
}

/* listen: TCP ports and ranges, checked; a bad value keeps the old one. */
static void
test_listen(void **state)
{
	struct qube_ports pr[QUBE_LISTEN_MAX];
	struct qube q;
	char err[256], buf[64];

	(void)state;
	assert_int_equal(qube_listen_parse("", pr), 0);
	assert_int_equal(qube_listen_parse("22", pr), 1);
	assert_int_equal(pr[0].lo, 22);
	assert_int_equal(pr[0].hi, 22);
	assert_int_equal(qube_listen_parse("22,5900-5931,65535", pr), 3);
	assert_int_equal(pr[1].lo, 5900);
	assert_int_equal(pr[1].hi, 5931);
	assert_int_equal(pr[2].lo, 65535);
	assert_int_equal(qube_listen_parse("1,2,3,4,5,6,7,8", pr), 8);
	assert_int_equal(qube_listen_parse("1,2,3,4,5,6,7,8,9", pr), -1);
	assert_int_equal(qube_listen_parse("0", pr), -1);
	assert_int_equal(qube_listen_parse("65536", pr), -1);
	assert_int_equal(qube_listen_parse("100000", pr), -1);
	assert_int_equal(qube_listen_parse("30-20", pr), -1);
	assert_int_equal(qube_listen_parse("22,", pr), -1);
	assert_int_equal(qube_listen_parse("22 ", pr), -1);
	assert_int_equal(qube_listen_parse("-22", pr), -1);
	assert_int_equal(qube_listen_parse("ssh", pr), -1);
	qube_init(&q);
	assert_int_equal(qube_set(&q, "listen", "22,8022", err, sizeof(err)), 0);
	assert_int_equal(qube_set(&q, "listen", "22x", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid listen '22x'"));
	qube_get(&q, "listen", buf, sizeof(buf));
	assert_string_equal(buf, "22,8022");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virt_mode_private_size),
		cmocka_unit_test(test_pids_max_uid_base),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_name_every_char),
		cmocka_unit_test(test_prop_table),
		cmocka_unit_test(test_init_defaults),
		cmocka_unit_test(test_set_get_table),
		cmocka_unit_test(test_set_fields),
		cmocka_unit_test(test_set_error_text),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_labels_classes),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_without_uuid),
		cmocka_unit_test(test_format_text),
		cmocka_unit_test(test_parse_example),
		cmocka_unit_test(test_parse_syntax_error),
		cmocka_unit_test(test_parse_unknown_key),
		cmocka_unit_test(test_parse_unknown_dotted_key),
		cmocka_unit_test(test_parse_strings_hide_comment_and_separator),
		cmocka_unit_test(test_parse_lexical_error_at_eof),
		cmocka_unit_test(test_parse_list_for_scalar),
		cmocka_unit_test(test_parse_bad_values),
		cmocka_unit_test(test_parse_nul_byte),
		cmocka_unit_test(test_parse_size_limit),
		cmocka_unit_test(test_parse_last_assignment_wins),
		cmocka_unit_test(test_new_uuid),
		cmocka_unit_test(test_fw_defaults),
		cmocka_unit_test(test_fw_edit),
		cmocka_unit_test(test_fw_limits),
		cmocka_unit_test(test_fw_parse),
		cmocka_unit_test(test_fw_parse_errors),
		cmocka_unit_test(test_parse_escaped_quote),
		cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
