/* The archive inside a backup (backup_format.h): entry headers written,
 * and read back from a decrypted stream that is treated as hostile: every
 * field is untrusted_* until bk_ar_next() has checked it. */
#ifndef BULKHEAD_BACKUP_ARCHIVE_H
#define BULKHEAD_BACKUP_ARCHIVE_H

#include "backup_format.h"

struct bk_entry {
	enum bk_type type;
	char name[BK_NAME_MAX + 1];   /* checked: relative, no "." or "..", no NUL */
	char target[BK_LINK_MAX + 1]; /* SYMLINK: its target, no NUL */
	uint32_t mode;                /* permission bits (07777) */
	uint32_t uid, gid;
	uint64_t size;                /* FILE: data bytes; SYMLINK: target length */
	int64_t mtime;
};

/* The header of e (name and target follow it). */
void bk_ar_encode(const struct bk_entry *e, uint8_t out[BK_ENTRY_HDR_LEN]);
/* Writes e's header, name and, for a symlink, its target. */
int bk_ar_put(bk_write_fn wr, void *arg, const struct bk_entry *e);

struct bk_ar {
	bk_read_fn rd;
	void *arg;
	uint64_t left;    /* data bytes of the current FILE not yet read */
	uint64_t entries; /* entries read */
	char *err;
	size_t errlen;
};

void bk_ar_init(struct bk_ar *ar, bk_read_fn rd, void *arg, char *err, size_t errlen);
/* The next entry (skipping what is left of the current file's data): 1, 0
 * at END, -1 with the reason in err. */
int bk_ar_next(struct bk_ar *ar, struct bk_entry *e);
/* Data of the current FILE: > 0 bytes, 0 when all read, -1 on error. */
ssize_t bk_ar_data(struct bk_ar *ar, void *buf, size_t len);

#endif
