/* The encrypted, compressed stream of a backup (backup_format.h): a writer
 * that compresses and encrypts, a reader that authenticates each chunk
 * before it decompresses a byte of it. Errors are one line in err. */
#ifndef BULKHEAD_BACKUP_STREAM_H
#define BULKHEAD_BACKUP_STREAM_H

#include <stdbool.h>

#include "backup_format.h"

/* A new header with a random salt, and the key for it. */
int bk_header_new(struct bk_header *h, uint64_t ops, uint64_t mem, const char *pass,
    size_t passlen, uint8_t key[BK_KEY_LEN], char *err, size_t errlen);
/* Checks a header read from a file; -1 with the reason. */
int bk_header_parse(struct bk_header *h, const uint8_t untrusted_raw[BK_HEADER_LEN],
    char *err, size_t errlen);
int bk_key_derive(const struct bk_header *h, const char *pass, size_t passlen,
    uint8_t key[BK_KEY_LEN], char *err, size_t errlen);

struct bk_out;
/* Writes the header at once; the key is copied. */
struct bk_out *bk_out_new(bk_write_fn wr, void *arg, const struct bk_header *h,
    const uint8_t key[BK_KEY_LEN], int level, char *err, size_t errlen);
int bk_out_write(struct bk_out *o, const void *buf, size_t len, char *err, size_t errlen);
/* Ends the compressed frame and writes the FINAL chunk. */
int bk_out_finish(struct bk_out *o, char *err, size_t errlen);
uint64_t bk_out_bytes(const struct bk_out *o); /* bytes written so far */
void bk_out_free(struct bk_out *o);

struct bk_in;
/* The header has been read and checked; rd yields the chunks after it. */
struct bk_in *bk_in_new(bk_read_fn rd, void *arg, const struct bk_header *h,
    const uint8_t key[BK_KEY_LEN]);
/* Plaintext (decompressed) bytes: > 0, 0 at the authenticated end, -1 with
 * the reason (authentication, truncation, framing, decompression). */
ssize_t bk_in_read(struct bk_in *in, void *buf, size_t len, char *err, size_t errlen);
uint64_t bk_in_bytes(const struct bk_in *in); /* encrypted bytes read so far */
void bk_in_free(struct bk_in *in);

#endif
