/* Unit tests for lib/backup_stream.h: a round trip through compression and
 * encryption, and every way of damaging a backup — a wrong key, any flipped
 * byte, truncation anywhere, reordered, dropped or extra chunks, a bad
 * header — each refused with a reason. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "backup_stream.h"

struct mem {
	uint8_t *p;
	size_t len, cap, pos;
};

static int
mem_write(void *arg, const void *buf, size_t len)
{
	struct mem *m = arg;

	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->p = realloc(m->p, m->cap);
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

static ssize_t
mem_read(void *arg, void *buf, size_t len)
{
	struct mem *m = arg;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;

	/* Short reads on purpose: the reader must gather. */
	if (n > 777)
		n = 777 + (m->pos % 5000);
	if (n > m->len - m->pos)
		n = m->len - m->pos;
	if (n > len)
		n = len;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static uint8_t *plain;
static size_t plain_len = 3u * 1024 * 1024 + 12345;

/* A backup of plain[0..len) made with passphrase "pw". */
static struct mem
make(size_t len)
{
	struct bk_header h;
	uint8_t key[BK_KEY_LEN];
	struct mem m = { 0 };
	struct bk_out *o;
	char err[256];

	assert_int_equal(bk_header_new(&h, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
	    "pw", 2, key, err, sizeof(err)), 0);
	assert_non_null(o = bk_out_new(mem_write, &m, &h, key, 1, err, sizeof(err)));
	for (size_t off = 0; off < len; off += 100000)
		assert_int_equal(bk_out_write(o, plain + off, len - off < 100000 ? len - off : 100000,
		    err, sizeof(err)), 0);
	assert_int_equal(bk_out_finish(o, err, sizeof(err)), 0);
	assert_int_equal(bk_out_bytes(o), m.len);
	bk_out_free(o);
	return m;
}

/* Reads m back with passphrase pass: 0 and the plaintext equal to plain,
 * or -1 with the reason in err. */
static int
load(struct mem *m, const char *pass, size_t want, char *err, size_t errlen)
{
	struct bk_header h;
	uint8_t key[BK_KEY_LEN], *out = malloc(want + 1);
	struct bk_in *in;
	size_t got = 0;
	ssize_t n;
	int r = -1;

	m->pos = 0;
	if (m->len < BK_HEADER_LEN) {
		snprintf(err, errlen, "short");
		goto out;
	}
	if (bk_header_parse(&h, m->p, err, errlen) < 0 ||
	    bk_key_derive(&h, pass, strlen(pass), key, err, errlen) < 0)
		goto out;
	m->pos = BK_HEADER_LEN;
	assert_non_null(in = bk_in_new(mem_read, m, &h, key));
	while ((n = bk_in_read(in, out + got, want + 1 - got, err, errlen)) > 0) {
		got += (size_t)n;
		if (got > want) {
			snprintf(err, errlen, "too much data");
			n = -1;
			break;
		}
	}
	bk_in_free(in);
	if (n == 0) {
		assert_int_equal(got, want);
		assert_memory_equal(out, plain, want);
		r = 0;
	}
out:
	free(out);
	return r;
}

static void
test_round_trip(void **state)
{
	struct mem m = make(plain_len), e = make(0);
	char err[256];

	assert_true(m.len > 3 * (4 + BK_ABYTES)); /* several chunks */
	assert_memory_equal(m.p, BK_MAGIC, 8);
	assert_int_equal(load(&m, "pw", plain_len, err, sizeof(err)), 0);
	assert_int_equal(load(&e, "pw", 0, err, sizeof(err)), 0);
	free(m.p);
	free(e.p);
}

static void
test_wrong_passphrase(void **state)
{
	struct mem m = make(1000);
	char err[256];

	assert_int_equal(load(&m, "pW", 1000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "wrong passphrase"));
	free(m.p);
}

/* Every byte of a small backup, flipped one at a time. */
static void
test_every_flipped_byte(void **state)
{
	struct mem m = make(3000);
	char err[256];

	for (size_t i = 0; i < m.len; i++) {
		m.p[i] ^= 0x20;
		assert_int_equal(load(&m, "pw", 3000, err, sizeof(err)), -1);
		m.p[i] ^= 0x20;
	}
	assert_int_equal(load(&m, "pw", 3000, err, sizeof(err)), 0);
	free(m.p);
}

/* Cut anywhere: never accepted as complete. */
static void
test_truncation(void **state)
{
	struct mem m = make(plain_len);
	size_t full = m.len;
	char err[256];

	for (size_t cut = 0; cut < full; cut += full / 97 + 1) {
		m.len = cut;
		assert_int_equal(load(&m, "pw", plain_len, err, sizeof(err)), -1);
	}
	m.len = full - 1;
	assert_int_equal(load(&m, "pw", plain_len, err, sizeof(err)), -1);
	free(m.p);
}

/* The chunks' offsets in m. */
static size_t
chunks(const struct mem *m, size_t *off, size_t max)
{
	size_t n = 0, pos = BK_HEADER_LEN;

	while (pos < m->len && n < max) {
		uint32_t l = (uint32_t)m->p[pos] | (uint32_t)m->p[pos + 1] << 8 |
		    (uint32_t)m->p[pos + 2] << 16 | (uint32_t)m->p[pos + 3] << 24;
		off[n++] = pos;
		pos += 4 + l;
	}
	off[n] = pos;
	return n;
}

static void
test_reordered_dropped_extra(void **state)
{
	uint8_t *rand_plain = plain;
	struct mem m, r = { 0 };
	size_t off[64], n;
	char err[256];

	/* Incompressible data: one chunk per MiB. */
	randombytes_buf(rand_plain, plain_len);
	m = make(plain_len);
	n = chunks(&m, off, 63);
	assert_true(n >= 4);
	/* chunks 2 and 3 swapped */
	mem_write(&r, m.p, off[1]);
	mem_write(&r, m.p + off[2], off[3] - off[2]);
	mem_write(&r, m.p + off[1], off[2] - off[1]);
	mem_write(&r, m.p + off[3], m.len - off[3]);
	assert_int_equal(load(&r, "pw", plain_len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chunk 2 fails authentication"));
	/* a chunk dropped */
	r.len = 0;
	mem_write(&r, m.p, off[1]);
	mem_write(&r, m.p + off[2], m.len - off[2]);
	assert_int_equal(load(&r, "pw", plain_len, err, sizeof(err)), -1);
	/* the final chunk dropped */
	r.len = 0;
	mem_write(&r, m.p, off[n - 1]);
	assert_int_equal(load(&r, "pw", plain_len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "without its final chunk"));
	/* a chunk repeated */
	r.len = 0;
	mem_write(&r, m.p, off[2]);
	mem_write(&r, m.p + off[1], m.len - off[1]);
	assert_int_equal(load(&r, "pw", plain_len, err, sizeof(err)), -1);
	/* bytes after the final chunk */
	r.len = 0;
	mem_write(&r, m.p, m.len);
	mem_write(&r, "\0", 1);
	assert_int_equal(load(&r, "pw", plain_len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "follows the final chunk"));
	assert_int_equal(load(&m, "pw", plain_len, err, sizeof(err)), 0);
	free(m.p);
	free(r.p);
}

static void
test_header(void **state)
{
	struct mem m = make(10);
	struct bk_header h;
	uint8_t raw[BK_HEADER_LEN];
	char err[256];

	memcpy(raw, m.p, sizeof(raw));
	assert_int_equal(bk_header_parse(&h, raw, err, sizeof(err)), 0);
	raw[0] = 'X';
	assert_int_equal(bk_header_parse(&h, raw, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a bulkhead backup"));
	memcpy(raw, m.p, sizeof(raw));
	raw[8] = 2;
	assert_int_equal(bk_header_parse(&h, raw, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "version 2"));
	memcpy(raw, m.p, sizeof(raw));
	raw[12] = 1; /* chunk size */
	assert_int_equal(bk_header_parse(&h, raw, err, sizeof(err)), -1);
	memcpy(raw, m.p, sizeof(raw));
	memset(raw + 16, 0xff, 8); /* opslimit */
	assert_int_equal(bk_header_parse(&h, raw, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "opslimit"));
	memcpy(raw, m.p, sizeof(raw));
	memset(raw + 24, 0xff, 8); /* memlimit */
	assert_int_equal(bk_header_parse(&h, raw, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "memlimit"));
	free(m.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wrong_passphrase),
		cmocka_unit_test(test_every_flipped_byte),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_reordered_dropped_extra),
	};
	int r;

	plain = malloc(plain_len);
	for (size_t i = 0; i < plain_len; i++)
		plain[i] = (uint8_t)(i % 251 < 100 ? 'a' + i % 7 : i * 2654435761u >> 13);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	free(plain);
	return r;
}
