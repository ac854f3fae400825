/* The archive inside a backup (backup_archive.h). */
#include "backup_archive.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backup_le.h"
#include "filecopy.h"

__attribute__((format(printf, 2, 3))) static int
fail(struct bk_ar *ar, const char *fmt, ...)
{
	va_list ap;

	if (ar->err != NULL && ar->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(ar->err, ar->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void
bk_ar_encode(const struct bk_entry *e, uint8_t out[BK_ENTRY_HDR_LEN])
{
	size_t nl = e->type == BK_END ? 0 : strlen(e->name);

	memset(out, 0, BK_ENTRY_HDR_LEN);
	bk_put32(out, BK_ENTRY_MAGIC);
	out[4] = (uint8_t)e->type;
	put16(out + 6, (uint16_t)nl);
	if (e->type == BK_END)
		return;
	bk_put32(out + 8, e->mode & 07777);
	bk_put32(out + 12, e->uid);
	bk_put32(out + 16, e->gid);
	bk_put64(out + 24, e->type == BK_SYMLINK ? strlen(e->target) : e->type == BK_FILE ? e->size : 0);
	bk_put64(out + 32, (uint64_t)e->mtime);
}

int
bk_ar_put(bk_write_fn wr, void *arg, const struct bk_entry *e)
{
	uint8_t hdr[BK_ENTRY_HDR_LEN];

	bk_ar_encode(e, hdr);
	if (wr(arg, hdr, sizeof(hdr)) < 0)
		return -1;
	if (e->type == BK_END)
		return 0;
	if (wr(arg, e->name, strlen(e->name)) < 0)
		return -1;
	if (e->type == BK_SYMLINK && wr(arg, e->target, strlen(e->target)) < 0)
		return -1;
	return 0;
}

void
bk_ar_init(struct bk_ar *ar, bk_read_fn rd, void *arg, char *err, size_t errlen)
{
	memset(ar, 0, sizeof(*ar));
	ar->rd = rd;
	ar->arg = arg;
	ar->err = err;
	ar->errlen = errlen;
}

/* n bytes exactly, or a failure naming what was being read. A read error
 * has already put its reason in err. */
static int
read_exact(struct bk_ar *ar, void *buf, size_t n, const char *what)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = ar->rd(ar->arg, (uint8_t *)buf + got, n - got);
		if (r < 0)
			return -1;
		if (r == 0)
			return fail(ar, "archive ends inside %s of entry %llu", what,
			    (unsigned long long)ar->entries + 1);
		got += (size_t)r;
	}
	return 0;
}

/* The only place an entry's header is looked at. */
static int
check_header(struct bk_ar *ar, const uint8_t untrusted_hdr[BK_ENTRY_HDR_LEN], struct bk_entry *e)
{
	unsigned long long n = (unsigned long long)ar->entries + 1;
	uint32_t untrusted_type = untrusted_hdr[4];
	uint32_t untrusted_namelen = (uint32_t)untrusted_hdr[6] | (uint32_t)untrusted_hdr[7] << 8;
	uint32_t untrusted_mode = bk_get32(untrusted_hdr + 8);
	uint64_t untrusted_size = bk_get64(untrusted_hdr + 24);

	if (bk_get32(untrusted_hdr) != BK_ENTRY_MAGIC)
		return fail(ar, "entry %llu: bad magic", n);
	if (untrusted_hdr[5] != 0 || bk_get32(untrusted_hdr + 20) != 0)
		return fail(ar, "entry %llu: reserved fields are not zero", n);
	switch (untrusted_type) {
	case BK_END:
		for (size_t i = 6; i < BK_ENTRY_HDR_LEN; i++)
			if (untrusted_hdr[i] != 0)
				return fail(ar, "entry %llu: END entry with fields set", n);
		e->type = BK_END;
		return 0;
	case BK_FILE:
		if (untrusted_size > BK_FILE_MAX)
			return fail(ar, "entry %llu: file size %llu over the bound of %llu", n,
			    (unsigned long long)untrusted_size, (unsigned long long)BK_FILE_MAX);
		break;
	case BK_DIR:
		if (untrusted_size != 0)
			return fail(ar, "entry %llu: directory with a size", n);
		break;
	case BK_SYMLINK:
		if (untrusted_size == 0 || untrusted_size > BK_LINK_MAX)
			return fail(ar, "entry %llu: symlink target of %llu bytes (1..%u)", n,
			    (unsigned long long)untrusted_size, BK_LINK_MAX);
		break;
	default:
		return fail(ar, "entry %llu: unknown type %u", n, untrusted_type);
	}
	if (untrusted_namelen == 0 || untrusted_namelen > BK_NAME_MAX)
		return fail(ar, "entry %llu: name of %u bytes (1..%u)", n, untrusted_namelen,
		    BK_NAME_MAX);
	if (untrusted_mode & ~(uint32_t)07777)
		return fail(ar, "entry %llu: mode %#o has bits other than permissions", n,
		    untrusted_mode);
	e->type = (enum bk_type)untrusted_type;
	e->mode = untrusted_mode;
	e->uid = bk_get32(untrusted_hdr + 12);
	e->gid = bk_get32(untrusted_hdr + 16);
	e->size = untrusted_size;
	e->mtime = (int64_t)bk_get64(untrusted_hdr + 32);
	e->name[0] = '\0';
	e->target[0] = '\0';
	/* The name's length, kept in e->size's place until the name is read. */
	ar->left = untrusted_namelen;
	return 1;
}

int
bk_ar_next(struct bk_ar *ar, struct bk_entry *e)
{
	uint8_t hdr[BK_ENTRY_HDR_LEN], skip[65536];
	char why[256], untrusted_name[BK_NAME_MAX + 1];
	size_t namelen;
	int r;

	while (ar->left > 0) {
		ssize_t n = bk_ar_data(ar, skip, sizeof(skip));
		if (n < 0)
			return -1;
	}
	if (read_exact(ar, hdr, sizeof(hdr), "the header") < 0)
		return -1;
	if ((r = check_header(ar, hdr, e)) <= 0)
		return r;
	namelen = (size_t)ar->left;
	ar->left = 0;
	if (read_exact(ar, untrusted_name, namelen, "the name") < 0)
		return -1;
	untrusted_name[namelen] = '\0';
	if (filecopy_name_check(untrusted_name, namelen, why, sizeof(why)) < 0)
		return fail(ar, "entry %llu: %s", (unsigned long long)ar->entries + 1, why);
	memcpy(e->name, untrusted_name, namelen + 1);
	if (e->type == BK_SYMLINK) {
		if (read_exact(ar, e->target, (size_t)e->size, "the link target") < 0)
			return -1;
		e->target[e->size] = '\0';
		if (strlen(e->target) != e->size)
			return fail(ar, "entry %llu: symlink target with a NUL byte",
			    (unsigned long long)ar->entries + 1);
	} else if (e->type == BK_FILE)
		ar->left = e->size;
	ar->entries++;
	return 1;
}

ssize_t
bk_ar_data(struct bk_ar *ar, void *buf, size_t len)
{
	ssize_t r;

	if (ar->left == 0)
		return 0;
	if (len > ar->left)
		len = (size_t)ar->left;
	if ((r = ar->rd(ar->arg, buf, len)) < 0)
		return -1;
	if (r == 0)
		return fail(ar, "archive ends inside the data of entry %llu",
		    (unsigned long long)ar->entries);
	ar->left -= (uint64_t)r;
	return r;
}
