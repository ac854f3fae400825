/* Unit tests for lib/backup_archive.h and lib/backup_layout.h: entries
 * written and read back, hostile entries refused with a reason (bad
 * magic, reserved bits, unknown types, traversal and absolute names, mode
 * bits, NULs, sizes, truncation), and the places entries may take. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_archive.h"
#include "backup_layout.h"

struct mem {
	uint8_t p[1 << 16];
	size_t len, pos;
};

static int
mem_write(void *arg, const void *buf, size_t len)
{
	struct mem *m = arg;

	assert_true(m->len + len <= sizeof(m->p));
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

static ssize_t
mem_read(void *arg, void *buf, size_t len)
{
	struct mem *m = arg;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;

	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static struct bk_entry *
entry(enum bk_type t, const char *name, const char *target, uint32_t mode, uint64_t size)
{
	static struct bk_entry e;

	memset(&e, 0, sizeof(e));
	e.type = t;
	snprintf(e.name, sizeof(e.name), "%s", name);
	snprintf(e.target, sizeof(e.target), "%s", target ? target : "");
	e.mode = mode;
	e.uid = 1000;
	e.gid = 1001;
	e.size = size;
	e.mtime = 1700000000;
	return &e;
}

static void
test_round_trip(void **state)
{
	struct mem *m = calloc(1, sizeof(*m));
	struct bk_entry e;
	struct bk_ar ar;
	char err[256], data[16];

	bk_ar_put(mem_write, m, entry(BK_DIR, "qubes/a/root", NULL, 0755, 0));
	bk_ar_put(mem_write, m, entry(BK_FILE, "qubes/a/root/f", NULL, 04750, 5));
	mem_write(m, "hello", 5);
	bk_ar_put(mem_write, m, entry(BK_SYMLINK, "qubes/a/root/l", "/etc/x", 0777, 0));
	bk_ar_put(mem_write, m, entry(BK_FILE, "qubes/a/root/skipped", NULL, 0644, 3));
	mem_write(m, "abc", 3);
	bk_ar_put(mem_write, m, entry(BK_END, "", NULL, 0, 0));
	bk_ar_init(&ar, mem_read, m, err, sizeof(err));
	assert_int_equal(bk_ar_next(&ar, &e), 1);
	assert_int_equal(e.type, BK_DIR);
	assert_string_equal(e.name, "qubes/a/root");
	assert_int_equal(e.mode, 0755);
	assert_int_equal(bk_ar_next(&ar, &e), 1);
	assert_int_equal(e.type, BK_FILE);
	assert_int_equal(e.mode, 04750);
	assert_int_equal(e.uid, 1000);
	assert_int_equal(e.gid, 1001);
	assert_int_equal(e.mtime, 1700000000);
	assert_int_equal(bk_ar_data(&ar, data, sizeof(data)), 5);
	assert_memory_equal(data, "hello", 5);
	assert_int_equal(bk_ar_data(&ar, data, sizeof(data)), 0);
	assert_int_equal(bk_ar_next(&ar, &e), 1);
	assert_int_equal(e.type, BK_SYMLINK);
	assert_string_equal(e.target, "/etc/x");
	assert_int_equal(bk_ar_next(&ar, &e), 1);
	/* its data unread: skipped by the next call */
	assert_int_equal(bk_ar_next(&ar, &e), 0);
	free(m);
}

/* A raw entry header with the fields given. */
static void
raw(struct mem *m, uint32_t magic, uint8_t type, uint8_t r1, uint16_t namelen, uint32_t mode,
    uint32_t r2, uint64_t size)
{
	uint8_t h[BK_ENTRY_HDR_LEN] = { 0 };

	for (int i = 0; i < 4; i++) {
		h[i] = (uint8_t)(magic >> (8 * i));
		h[8 + i] = (uint8_t)(mode >> (8 * i));
		h[20 + i] = (uint8_t)(r2 >> (8 * i));
	}
	h[4] = type;
	h[5] = r1;
	h[6] = (uint8_t)namelen;
	h[7] = (uint8_t)(namelen >> 8);
	for (int i = 0; i < 8; i++)
		h[24 + i] = (uint8_t)(size >> (8 * i));
	mem_write(m, h, sizeof(h));
}

/* The stream in m is refused with a reason containing why. */
static void
refused(struct mem *m, const char *why)
{
	struct bk_entry e;
	struct bk_ar ar;
	char err[256] = "";
	int r;

	m->pos = 0;
	bk_ar_init(&ar, mem_read, m, err, sizeof(err));
	while ((r = bk_ar_next(&ar, &e)) > 0) {
		char buf[64];
		while (bk_ar_data(&ar, buf, sizeof(buf)) > 0)
			;
	}
	assert_int_equal(r, -1);
	if (strstr(err, why) == NULL)
		fail_msg("reason '%s' lacks '%s'", err, why);
	m->len = m->pos = 0;
}

static void
test_hostile(void **state)
{
	struct mem *m = calloc(1, sizeof(*m));
	char longname[5000];

	raw(m, 0x12345678, BK_FILE, 0, 1, 0644, 0, 0);
	mem_write(m, "a", 1);
	refused(m, "bad magic");
	raw(m, BK_ENTRY_MAGIC, BK_FILE, 1, 1, 0644, 0, 0);
	refused(m, "reserved");
	raw(m, BK_ENTRY_MAGIC, BK_FILE, 0, 1, 0644, 7, 0);
	refused(m, "reserved");
	raw(m, BK_ENTRY_MAGIC, 9, 0, 1, 0644, 0, 0);
	refused(m, "unknown type");
	raw(m, BK_ENTRY_MAGIC, BK_END, 0, 0, 0644, 0, 0);
	refused(m, "END entry with fields");
	raw(m, BK_ENTRY_MAGIC, BK_FILE, 0, 10, 0644, 0, 0);
	mem_write(m, "a/../../b/", 10);
	refused(m, "'..'");
	raw(m, BK_ENTRY_MAGIC, BK_FILE, 0, 4, 0644, 0, 0);
	mem_write(m, "/etc", 4);
	refused(m, "absolute");
	raw(m, BK_ENTRY_MAGIC, BK_FILE, 0, 3, 0644, 0, 0);
	mem_write(m, "a\0b", 3);
	refused(m, "entry 1");
	raw(m, BK_ENTRY_MAGIC, BK_FILE, 0, 0, 0644, 0, 0);
	refused(m, "name of 0 bytes");
	memset(longname, 'a', sizeof(longname));
	raw(m, BK_ENTRY_MAGIC, BK_FILE, 0, 5000, 0644, 0, 0);
	mem_write(m, longname, 5000);
	refused(m, "name of 5000 bytes");
	raw(m, BK_ENTRY_MAGIC, BK_FILE, 0, 1, 0100644, 0, 0);
	mem_write(m, "a", 1);
	refused(m, "mode");
	raw(m, BK_ENTRY_MAGIC, BK_FILE, 0, 1, 0644, 0, 1ULL << 60);
	mem_write(m, "a", 1);
	refused(m, "over the bound");
	raw(m, BK_ENTRY_MAGIC, BK_DIR, 0, 1, 0755, 0, 5);
	mem_write(m, "a", 1);
	refused(m, "directory with a size");
	raw(m, BK_ENTRY_MAGIC, BK_SYMLINK, 0, 1, 0777, 0, 0);
	mem_write(m, "a", 1);
	refused(m, "symlink target of 0 bytes");
	raw(m, BK_ENTRY_MAGIC, BK_SYMLINK, 0, 1, 0777, 0, 3);
	mem_write(m, "ax\0y", 4);
	refused(m, "NUL");
	raw(m, BK_ENTRY_MAGIC, BK_FILE, 0, 1, 0644, 0, 100);
	mem_write(m, "abcd", 4);
	refused(m, "ends inside the data");
	raw(m, BK_ENTRY_MAGIC, BK_FILE, 0, 8, 0644, 0, 0);
	mem_write(m, "abc", 3);
	refused(m, "ends inside the name");
	mem_write(m, "BHAE\1", 5);
	refused(m, "ends inside the header");
	refused(m, "ends inside the header"); /* empty: no END */
	free(m);
}

static int
check(struct bk_layout *l, enum bk_type t, const char *name, uint64_t size, enum bk_kind *kind,
    char *err)
{
	const char *q, *rest;
	struct bk_entry *e = entry(t, name, "x", 0644, size);

	return bk_layout_check(l, e, kind, &q, &rest, err, 256);
}

static void
test_layout(void **state)
{
	struct bk_layout *l = malloc(sizeof(*l));
	enum bk_kind k;
	char err[256];

	bk_layout_init(l);
	assert_int_equal(check(l, BK_FILE, "qubes/work/private.img", 1, &k, err), -1);
	assert_non_null(strstr(err, "before its qube.cfg"));
	assert_int_equal(check(l, BK_FILE, "qubes/work/qube.cfg", 100, &k, err), 0);
	assert_int_equal(k, BK_K_CFG);
	assert_int_equal(check(l, BK_FILE, "qubes/work/private.img", 1, &k, err), 0);
	assert_int_equal(k, BK_K_PRIVATE_IMG);
	assert_int_equal(check(l, BK_DIR, "qubes/work/private.img", 0, &k, err), -1);
	assert_int_equal(check(l, BK_FILE, "qubes/work/root", 0, &k, err), -1);
	assert_int_equal(check(l, BK_DIR, "qubes/work/root", 0, &k, err), 0);
	assert_int_equal(check(l, BK_SYMLINK, "qubes/work/root/bin", 0, &k, err), 0);
	assert_int_equal(k, BK_K_TREE);
	assert_int_equal(check(l, BK_FILE, "qubes/work/rootx", 0, &k, err), -1);
	assert_int_equal(check(l, BK_FILE, "qubes/work/console.log", 0, &k, err), -1);
	assert_int_equal(check(l, BK_FILE, "qubes/other/root.img", 0, &k, err), -1);
	assert_non_null(strstr(err, "not with the rest"));
	assert_int_equal(check(l, BK_FILE, "qubes/other/qube.cfg", 70000, &k, err), -1);
	assert_int_equal(check(l, BK_FILE, "qubes/9bad/qube.cfg", 10, &k, err), -1);
	assert_int_equal(check(l, BK_FILE, "qubes/other/qube.cfg", 10, &k, err), 0);
	assert_int_equal(check(l, BK_FILE, "qubes/work/qube.cfg", 10, &k, err), -1);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(check(l, BK_FILE, "policy.d/50-x.policy", 10, &k, err), 0);
	assert_int_equal(k, BK_K_POLICY);
	assert_int_equal(check(l, BK_FILE, "policy.d/sub/x.policy", 10, &k, err), -1);
	assert_int_equal(check(l, BK_DIR, "policy.d/x.policy", 0, &k, err), -1);
	/* after the policy, a qube's entries may not come back */
	assert_int_equal(check(l, BK_FILE, "qubes/other/private.img", 1, &k, err), -1);
	assert_int_equal(check(l, BK_FILE, "elsewhere", 1, &k, err), -1);
	free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
