/*
 * The backup format (bulkhead backup; see bulkhead(1), "BACKUP FORMAT").
 *
 * A backup file, all integers little-endian:
 *
 *   header (BK_HEADER_LEN bytes, in clear):
 *     magic "BHBACKUP", u32 version (1), u32 chunk size (BK_CHUNK),
 *     u64 Argon2id opslimit, u64 Argon2id memlimit, salt[16],
 *     secretstream header[24]
 *   chunks, each: u32 length (ciphertext bytes, BK_ABYTES..BK_CHUNK+BK_ABYTES),
 *     then that many bytes of crypto_secretstream_xchacha20poly1305 output,
 *     with the whole file header as additional data; the last chunk is
 *     tagged FINAL and nothing may follow it.
 *
 * The key is Argon2id(passphrase, salt, opslimit, memlimit). The secretstream
 * numbers its chunks, so a changed, dropped, repeated or reordered chunk fails
 * authentication, and a stream that ends without the FINAL chunk is truncated.
 *
 * The plaintext of the chunks, concatenated, is one zstd frame; decompressed
 * it is the archive: entries, each a 40-byte header
 *
 *   u32 magic "BHAE", u8 type, u8 0, u16 name length, u32 mode (07777 bits),
 *   u32 uid, u32 gid, u32 0, u64 size, i64 mtime
 *
 * then the name (a relative path, filecopy_name_check's rules), then for a
 * FILE size bytes of data, for a SYMLINK a target of size bytes, for a DIR
 * nothing; an END entry (every other field 0) closes the archive.
 *
 * What the archive holds (bulkhead backup create writes, restore accepts):
 *   qubes/NAME/qube.cfg       the qube's settings (tags, firewall included)
 *   qubes/NAME/private.img    its private volume, as an opaque file
 *   qubes/NAME/root.img       a template's or standalone's root image
 *   qubes/NAME/private/...    the first contents of a never-started qube
 *   qubes/NAME/root/...       a template's or standalone's root tree
 *   policy.d/FILE             the RPC policy files
 * A qube's entries are together, qube.cfg first; templates come first.
 */
#ifndef BULKHEAD_BACKUP_FORMAT_H
#define BULKHEAD_BACKUP_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BK_MAGIC "BHBACKUP"
#define BK_VERSION 1u
#define BK_CHUNK (1u << 20)        /* plaintext bytes in a chunk, at most */
#define BK_ABYTES 17u              /* crypto_secretstream_xchacha20poly1305_ABYTES */
#define BK_SALT_LEN 16u            /* crypto_pwhash_SALTBYTES */
#define BK_SS_HEADER_LEN 24u       /* crypto_secretstream_xchacha20poly1305_HEADERBYTES */
#define BK_KEY_LEN 32u
#define BK_HEADER_LEN (8u + 4u + 4u + 8u + 8u + BK_SALT_LEN + BK_SS_HEADER_LEN)
/* What a reader accepts of the KDF parameters (a DoS bound, not a floor:
 * whoever wrote the file chose how hard it is to guess). */
#define BK_OPS_MAX 32u
#define BK_MEM_MAX (2ULL << 30)

#define BK_ENTRY_MAGIC 0x45414842u /* "BHAE" */
#define BK_ENTRY_HDR_LEN 40u
#define BK_NAME_MAX 4096u
#define BK_LINK_MAX 4095u
#define BK_FILE_MAX (1ULL << 44)   /* 16 TiB: no file of a qube is larger */

enum bk_type { BK_FILE = 1, BK_DIR = 2, BK_SYMLINK = 3, BK_END = 4 };

struct bk_header {
	uint64_t ops, mem;
	uint8_t salt[BK_SALT_LEN];
	uint8_t ss[BK_SS_HEADER_LEN];
	uint8_t raw[BK_HEADER_LEN]; /* as read or written: the chunks' additional data */
};

/* Reads up to len bytes: > 0, 0 at the end, -1 with errno. */
typedef ssize_t (*bk_read_fn)(void *arg, void *buf, size_t len);
/* Writes all len bytes: 0, or -1 with errno. */
typedef int (*bk_write_fn)(void *arg, const void *buf, size_t len);

#endif
