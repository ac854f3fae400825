/* The encrypted, compressed stream of a backup (backup_stream.h). */
#include "backup_stream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>

#include "backup_le.h"

_Static_assert(BK_ABYTES == crypto_secretstream_xchacha20poly1305_ABYTES, "ABYTES");
_Static_assert(BK_SALT_LEN == crypto_pwhash_SALTBYTES, "salt length");
_Static_assert(BK_SS_HEADER_LEN == crypto_secretstream_xchacha20poly1305_HEADERBYTES,
    "secretstream header length");
_Static_assert(BK_KEY_LEN == crypto_secretstream_xchacha20poly1305_KEYBYTES, "key length");

__attribute__((format(printf, 3, 4))) static int
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

/* Offsets in the header. */
#define H_VERSION 8
#define H_CHUNK 12
#define H_OPS 16
#define H_MEM 24
#define H_SALT 32
#define H_SS (H_SALT + BK_SALT_LEN)
_Static_assert(H_SS + BK_SS_HEADER_LEN == BK_HEADER_LEN, "header layout");

int
bk_key_derive(const struct bk_header *h, const char *pass, size_t passlen,
    uint8_t key[BK_KEY_LEN], char *err, size_t errlen)
{
	if (sodium_init() < 0)
		return fail(err, errlen, "cannot initialise libsodium");
	if (crypto_pwhash(key, BK_KEY_LEN, pass, passlen, h->salt, h->ops, (size_t)h->mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return fail(err, errlen, "cannot derive the key (out of memory for Argon2id?)");
	return 0;
}

int
bk_header_new(struct bk_header *h, uint64_t ops, uint64_t mem, const char *pass,
    size_t passlen, uint8_t key[BK_KEY_LEN], char *err, size_t errlen)
{
	if (sodium_init() < 0)
		return fail(err, errlen, "cannot initialise libsodium");
	memset(h, 0, sizeof(*h));
	h->ops = ops;
	h->mem = mem;
	randombytes_buf(h->salt, sizeof(h->salt));
	/* The secretstream header is filled in by bk_out_new. */
	return bk_key_derive(h, pass, passlen, key, err, errlen);
}

int
bk_header_parse(struct bk_header *h, const uint8_t untrusted_raw[BK_HEADER_LEN],
    char *err, size_t errlen)
{
	uint32_t untrusted_version = bk_get32(untrusted_raw + H_VERSION);
	uint32_t untrusted_chunk = bk_get32(untrusted_raw + H_CHUNK);
	uint64_t untrusted_ops = bk_get64(untrusted_raw + H_OPS);
	uint64_t untrusted_mem = bk_get64(untrusted_raw + H_MEM);

	if (memcmp(untrusted_raw, BK_MAGIC, 8) != 0)
		return fail(err, errlen, "not a bulkhead backup (bad magic)");
	if (untrusted_version != BK_VERSION)
		return fail(err, errlen, "unsupported backup version %u (this reads %u)",
		    untrusted_version, BK_VERSION);
	if (untrusted_chunk != BK_CHUNK)
		return fail(err, errlen, "unsupported chunk size %u", untrusted_chunk);
	if (untrusted_ops < crypto_pwhash_OPSLIMIT_MIN || untrusted_ops > BK_OPS_MAX)
		return fail(err, errlen, "Argon2id opslimit %llu out of range",
		    (unsigned long long)untrusted_ops);
	if (untrusted_mem < crypto_pwhash_MEMLIMIT_MIN || untrusted_mem > BK_MEM_MAX)
		return fail(err, errlen, "Argon2id memlimit %llu out of range",
		    (unsigned long long)untrusted_mem);
	h->ops = untrusted_ops;
	h->mem = untrusted_mem;
	memcpy(h->salt, untrusted_raw + H_SALT, BK_SALT_LEN);
	memcpy(h->ss, untrusted_raw + H_SS, BK_SS_HEADER_LEN);
	memcpy(h->raw, untrusted_raw, BK_HEADER_LEN);
	return 0;
}

/* ---- writer ---- */

static int
compress_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 2 ? 2 : n > 4 ? 4 : (int)n;
}

struct bk_out {
	bk_write_fn wr;
	void *arg;
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t ad[BK_HEADER_LEN];
	ZSTD_CCtx *z;
	uint8_t *zbuf;   /* compressed bytes waiting for a chunk */
	size_t zlen;
	uint8_t *cbuf;   /* 4 + BK_CHUNK + ABYTES */
	uint64_t bytes;
};

static int
out_chunk(struct bk_out *o, unsigned char tag, char *err, size_t errlen)
{
	unsigned long long clen;

	crypto_secretstream_xchacha20poly1305_push(&o->st, o->cbuf + 4, &clen, o->zbuf, o->zlen,
	    o->ad, sizeof(o->ad), tag);
	bk_put32(o->cbuf, (uint32_t)clen);
	if (o->wr(o->arg, o->cbuf, 4 + (size_t)clen) < 0)
		return fail(err, errlen, "cannot write the backup: %s",
		    errno == EINTR ? "interrupted" : strerror(errno));
	o->bytes += 4 + clen;
	o->zlen = 0;
	return 0;
}

struct bk_out *
bk_out_new(bk_write_fn wr, void *arg, const struct bk_header *h, const uint8_t key[BK_KEY_LEN],
    int level, char *err, size_t errlen)
{
	struct bk_out *o = calloc(1, sizeof(*o));
	uint8_t *raw;

	if (o == NULL || (o->zbuf = malloc(BK_CHUNK)) == NULL ||
	    (o->cbuf = malloc(4 + BK_CHUNK + BK_ABYTES)) == NULL ||
	    (o->z = ZSTD_createCCtx()) == NULL) {
		fail(err, errlen, "out of memory");
		goto bad;
	}
	ZSTD_CCtx_setParameter(o->z, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(o->z, ZSTD_c_checksumFlag, 1);
	/* Workers compress while this thread reads and encrypts: one per
	 * CPU, from 2 to 4. A library built without threads refuses, and
	 * then this thread compresses. */
	ZSTD_CCtx_setParameter(o->z, ZSTD_c_nbWorkers, compress_workers());
	o->wr = wr;
	o->arg = arg;
	raw = o->ad;
	memcpy(raw, BK_MAGIC, 8);
	bk_put32(raw + H_VERSION, BK_VERSION);
	bk_put32(raw + H_CHUNK, BK_CHUNK);
	bk_put64(raw + H_OPS, h->ops);
	bk_put64(raw + H_MEM, h->mem);
	memcpy(raw + H_SALT, h->salt, BK_SALT_LEN);
	crypto_secretstream_xchacha20poly1305_init_push(&o->st, raw + H_SS, key);
	if (wr(arg, raw, BK_HEADER_LEN) < 0) {
		fail(err, errlen, "cannot write the backup: %s",
		    errno == EINTR ? "interrupted" : strerror(errno));
		goto bad;
	}
	o->bytes = BK_HEADER_LEN;
	return o;
bad:
	bk_out_free(o);
	return NULL;
}

static int
out_compress(struct bk_out *o, const void *buf, size_t len, ZSTD_EndDirective mode,
    char *err, size_t errlen)
{
	ZSTD_inBuffer in = { buf, len, 0 };

	for (;;) {
		ZSTD_outBuffer out = { o->zbuf, BK_CHUNK, o->zlen };
		size_t r = ZSTD_compressStream2(o->z, &out, &in, mode);

		if (ZSTD_isError(r))
			return fail(err, errlen, "compression failed: %s", ZSTD_getErrorName(r));
		o->zlen = out.pos;
		if (o->zlen == BK_CHUNK &&
		    out_chunk(o, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE, err, errlen) < 0)
			return -1;
		if (mode == ZSTD_e_continue ? in.pos == in.size : r == 0)
			return 0;
	}
}

int
bk_out_write(struct bk_out *o, const void *buf, size_t len, char *err, size_t errlen)
{
	return out_compress(o, buf, len, ZSTD_e_continue, err, errlen);
}

int
bk_out_finish(struct bk_out *o, char *err, size_t errlen)
{
	if (out_compress(o, NULL, 0, ZSTD_e_end, err, errlen) < 0)
		return -1;
	return out_chunk(o, crypto_secretstream_xchacha20poly1305_TAG_FINAL, err, errlen);
}

uint64_t
bk_out_bytes(const struct bk_out *o)
{
	return o->bytes;
}

void
bk_out_free(struct bk_out *o)
{
	if (o == NULL)
		return;
	sodium_memzero(&o->st, sizeof(o->st));
	ZSTD_freeCCtx(o->z);
	free(o->zbuf);
	free(o->cbuf);
	free(o);
}

/* ---- reader ---- */

struct bk_in {
	bk_read_fn rd;
	void *arg;
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t ad[BK_HEADER_LEN];
	ZSTD_DCtx *z;
	uint8_t *cbuf;   /* a chunk as read */
	uint8_t *pbuf;   /* its plaintext (compressed bytes) */
	size_t plen, ppos;
	uint64_t chunks, bytes;
	bool final;      /* the FINAL chunk has been authenticated */
	bool frame_done; /* the zstd frame ended */
	bool bad;        /* an error was reported: nothing more */
};

struct bk_in *
bk_in_new(bk_read_fn rd, void *arg, const struct bk_header *h, const uint8_t key[BK_KEY_LEN])
{
	struct bk_in *in = calloc(1, sizeof(*in));

	if (in == NULL || (in->cbuf = malloc(BK_CHUNK + BK_ABYTES)) == NULL ||
	    (in->pbuf = malloc(BK_CHUNK)) == NULL || (in->z = ZSTD_createDCtx()) == NULL ||
	    sodium_init() < 0) {
		bk_in_free(in);
		return NULL;
	}
	ZSTD_DCtx_setParameter(in->z, ZSTD_d_windowLogMax, 27);
	in->rd = rd;
	in->arg = arg;
	memcpy(in->ad, h->raw, BK_HEADER_LEN);
	in->bytes = BK_HEADER_LEN;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&in->st, h->ss, key) != 0) {
		bk_in_free(in);
		return NULL;
	}
	return in;
}

/* n bytes exactly: n, less at the end, -1 on a read error. */
static ssize_t
read_full(struct bk_in *in, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = in->rd(in->arg, buf + got, n - got);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	in->bytes += got;
	return (ssize_t)got;
}

/* Reads and authenticates the next chunk into pbuf. */
static int
in_chunk(struct bk_in *in, char *err, size_t errlen)
{
	uint8_t lenb[4], probe;
	uint32_t untrusted_len;
	unsigned long long plen;
	unsigned char tag;
	ssize_t r;

	if ((r = read_full(in, lenb, 4)) < 0)
		return fail(err, errlen, "cannot read the backup: %s",
		    errno == EINTR ? "interrupted" : strerror(errno));
	if (r < 4)
		return fail(err, errlen, "backup truncated: it ends after %llu chunks without "
		    "its final chunk", (unsigned long long)in->chunks);
	untrusted_len = bk_get32(lenb);
	if (untrusted_len < BK_ABYTES || untrusted_len > BK_CHUNK + BK_ABYTES)
		return fail(err, errlen, "chunk %llu has an impossible length %u",
		    (unsigned long long)in->chunks + 1, untrusted_len);
	if ((r = read_full(in, in->cbuf, untrusted_len)) < 0)
		return fail(err, errlen, "cannot read the backup: %s",
		    errno == EINTR ? "interrupted" : strerror(errno));
	if ((size_t)r < untrusted_len)
		return fail(err, errlen, "backup truncated in chunk %llu",
		    (unsigned long long)in->chunks + 1);
	if (crypto_secretstream_xchacha20poly1305_pull(&in->st, in->pbuf, &plen, &tag, in->cbuf,
	    untrusted_len, in->ad, sizeof(in->ad)) != 0) {
		if (in->chunks == 0)
			return fail(err, errlen, "wrong passphrase, or the backup's first chunk is "
			    "damaged");
		return fail(err, errlen, "chunk %llu fails authentication: the backup was changed, "
		    "damaged or reordered", (unsigned long long)in->chunks + 1);
	}
	in->chunks++;
	in->plen = (size_t)plen;
	in->ppos = 0;
	if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		in->final = true;
		if ((r = read_full(in, &probe, 1)) != 0)
			return fail(err, errlen, "data follows the final chunk %llu",
			    (unsigned long long)in->chunks);
	} else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
		return fail(err, errlen, "chunk %llu has an unexpected tag %u",
		    (unsigned long long)in->chunks, tag);
	return 0;
}

ssize_t
bk_in_read(struct bk_in *in, void *buf, size_t len, char *err, size_t errlen)
{
	ZSTD_outBuffer out = { buf, len, 0 };

	if (in->bad)
		return fail(err, errlen, "backup stream already failed");
	while (out.pos == 0 && len > 0) {
		ZSTD_inBuffer zin = { in->pbuf, in->plen, in->ppos };
		size_t r;

		if (in->ppos == in->plen) {
			if (in->final) {
				if (!in->frame_done)
					goto incomplete;
				return 0;
			}
			if (in_chunk(in, err, errlen) < 0)
				goto bad;
			continue;
		}
		if (in->frame_done) {
			fail(err, errlen, "data follows the end of the compressed stream");
			goto bad;
		}
		r = ZSTD_decompressStream(in->z, &out, &zin);
		in->ppos = zin.pos;
		if (ZSTD_isError(r)) {
			fail(err, errlen, "cannot decompress the backup: %s", ZSTD_getErrorName(r));
			goto bad;
		}
		if (r == 0)
			in->frame_done = true;
	}
	return (ssize_t)out.pos;
incomplete:
	fail(err, errlen, "the compressed stream ends early");
bad:
	in->bad = true;
	return -1;
}

uint64_t
bk_in_bytes(const struct bk_in *in)
{
	return in->bytes;
}

void
bk_in_free(struct bk_in *in)
{
	if (in == NULL)
		return;
	sodium_memzero(&in->st, sizeof(in->st));
	ZSTD_freeDCtx(in->z);
	free(in->cbuf);
	free(in->pbuf);
	free(in);
}
