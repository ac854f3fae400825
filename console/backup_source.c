/* An opened backup: its header checked, the key derived, the archive
 * reader over the authenticated, decompressed stream. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "backup.h"

static ssize_t
raw_read(void *arg, void *buf, size_t len)
{
	struct bk_source *s = arg;
	ssize_t n;

	do
		n = bk_interrupted() ? (errno = EINTR, -1) : read(s->end.fd, buf, len);
	while (n < 0 && errno == EINTR && !bk_interrupted());
	if (n > 0)
		bk_progress_add(&s->prog, (uint64_t)n);
	return n;
}

static ssize_t
plain_read(void *arg, void *buf, size_t len)
{
	struct bk_source *s = arg;

	return bk_in_read(s->in, buf, len, s->err, sizeof(s->err));
}

int
bk_source_open(struct cmd_ctx *ctx, struct bk_source *s, const char *spec,
    const char *passfile, const char *verb)
{
	uint8_t raw[BK_HEADER_LEN], key[BK_KEY_LEN];
	char pass[BK_PASS_MAX];
	size_t got = 0;
	int n;

	memset(s, 0, sizeof(*s));
	s->end.fd = -1;
	if (bk_src_open(ctx, spec, &s->end, s->err, sizeof(s->err)) < 0)
		return -1;
	bk_progress_init(&s->prog, verb, s->end.size, !ctx->json);
	while (got < sizeof(raw)) {
		ssize_t r = raw_read(s, raw + got, sizeof(raw) - got);
		if (r < 0) {
			snprintf(s->err, sizeof(s->err), "cannot read %s: %s", spec,
			    bk_interrupted() ? "interrupted" : strerror(errno));
			return -1;
		}
		if (r == 0) {
			snprintf(s->err, sizeof(s->err), "%s is too short to be a backup", spec);
			return -1;
		}
		got += (size_t)r;
	}
	if (bk_header_parse(&s->h, raw, s->err, sizeof(s->err)) < 0)
		return -1;
	if ((n = bk_passphrase(passfile, false, pass, sizeof(pass), s->err, sizeof(s->err))) < 0)
		return -1;
	if (bk_key_derive(&s->h, pass, (size_t)n, key, s->err, sizeof(s->err)) < 0) {
		sodium_memzero(pass, sizeof(pass));
		return -1;
	}
	sodium_memzero(pass, sizeof(pass));
	/* The rate counts from here, not from before the passphrase. */
	bk_progress_init(&s->prog, verb, s->end.size, !ctx->json);
	s->prog.done = BK_HEADER_LEN;
	s->in = bk_in_new(raw_read, s, &s->h, key);
	sodium_memzero(key, sizeof(key));
	if (s->in == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return -1;
	}
	bk_ar_init(&s->ar, plain_read, s, s->err, sizeof(s->err));
	return 0;
}

int
bk_source_end(struct bk_source *s)
{
	uint8_t c;
	ssize_t r = bk_in_read(s->in, &c, 1, s->err, sizeof(s->err));

	if (r < 0)
		return -1;
	if (r > 0) {
		snprintf(s->err, sizeof(s->err), "data follows the archive's END entry");
		return -1;
	}
	bk_progress_end(&s->prog);
	return bk_src_close(&s->end, true, s->err, sizeof(s->err));
}

void
bk_source_close(struct bk_source *s, bool complete)
{
	char err[64];

	if (!complete)
		bk_progress_break(&s->prog);
	bk_src_close(&s->end, complete, err, sizeof(err));
	bk_in_free(s->in);
	s->in = NULL;
}
