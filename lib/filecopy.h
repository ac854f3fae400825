/*
 * File copy between qubes (service bulkhead.Filecopy), in the spirit of
 * Qubes' qfile-agent / qfile-unpacker.
 *
 * The stream, all integers little-endian:
 *
 *   struct filecopy_stream_hdr            magic "BHFC", version 1
 *   for each entry, in pre-order (a directory before what it holds):
 *     struct filecopy_entry_hdr           type, mode, name length, size, mtime
 *     name                                untrusted_namelen bytes, no NUL
 *     data                                FILE: untrusted_size bytes of content
 *                                         SYMLINK: untrusted_size bytes of target
 *                                         DIR: nothing (untrusted_size is 0)
 *   struct filecopy_entry_hdr             type END, every other field 0
 *   struct filecopy_end                   entries and file bytes sent
 *
 * Names are paths relative to the copy root, '/'-separated, each top-level
 * argument of the sender under its basename. Rules (filecopy_name_check):
 * 1..FILECOPY_MAX_PATH bytes, components 1..FILECOPY_MAX_COMPONENT bytes, no
 * empty, "." or ".." component, no leading or trailing '/', no NUL and no
 * control character (0x01-0x1f, 0x7f). An entry of more than one component
 * must lie inside the top-level directory sent most recently (the sender's
 * pre-order walk does that), and its parent must be a directory sent before.
 *
 * Symlink targets (filecopy_link_check): 1..FILECOPY_MAX_LINK bytes, no NUL,
 * relative; ".." only as leading components, no more of them than the depth of
 * the link's directory below the copy root. Every symlink then stays inside
 * the copy root however the kernel resolves it (a ".." is never applied after
 * a component that might itself be a symlink).
 *
 * Modes: the sender sends st_mode & 0777; the receiver refuses any other bit
 * (setuid, setgid, sticky, file type) and sets files to 0644, or 0755 when an
 * x bit was set, and directories to 0755, whatever its umask. Files and
 * symlinks get the sent mtime; directories keep the time they were received.
 *
 * The receiver (filecopy_recv) treats every byte as hostile: each length,
 * name, mode and size is untrusted_* until checked in one place
 * (check_header, check_entry and check_target in filecopy_unpack.c, which
 * use filecopy_name_check and filecopy_link_check) into a trusted entry.
 * It creates everything with *at() calls relative to dest_dirfd, walks only
 * through directories it created in this transfer (openat2 with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or a component-by-component walk with
 * O_NOFOLLOW where openat2 is missing), and creates with O_CREAT|O_EXCL|
 * O_NOFOLLOW / mkdirat / symlinkat, so it never follows a symlink and never
 * writes outside dest_dirfd.
 *
 * Existing files are never overwritten:
 *   - a top-level entry whose name is taken in dest_dirfd (by an earlier
 *     transfer, or earlier in this one) is received as "NAME.1", "NAME.2", ...
 *     (up to FILECOPY_MAX_SUFFIX), with everything under it;
 *   - below the top level everything is new, so a name that already exists
 *     means the stream sent it twice: the transfer fails.
 *
 * Failures: a bad record anywhere, a truncated stream or a declared size
 * larger than the data make filecopy_recv return -1 with a one-line reason.
 * What was fully received stays; the file being received when the stream
 * failed is removed, so every regular file left is complete.
 */
#ifndef BULKHEAD_FILECOPY_H
#define BULKHEAD_FILECOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FILECOPY_MAGIC 0x43464842u /* "BHFC" as little-endian bytes */
#define FILECOPY_VERSION 1u

#define FILECOPY_MAX_PATH 4096      /* bytes in an entry's name */
#define FILECOPY_MAX_COMPONENT 255  /* bytes in one component of a name */
#define FILECOPY_MAX_LINK 4095      /* bytes in a symlink target */
#define FILECOPY_MAX_SUFFIX 999     /* "NAME.999" is the last name tried */
#ifndef FILECOPY_MAX_FILE
#define FILECOPY_MAX_FILE (1ULL << 40) /* default bound of one file: 1 TiB */
#endif

#define FILECOPY_SERVICE "bulkhead.Filecopy"
#define FILECOPY_SOURCE_MAX 31 /* qube names: [A-Za-z][A-Za-z0-9_-]{0,30} (QUBE_NAME_MAX) */

enum filecopy_type {
	FILECOPY_FILE = 1,
	FILECOPY_DIR = 2,
	FILECOPY_SYMLINK = 3,
	FILECOPY_END = 4,
};

/* First 8 bytes of a stream. */
struct filecopy_stream_hdr {
	uint32_t magic;   /* FILECOPY_MAGIC */
	uint32_t version; /* FILECOPY_VERSION */
};

/* Starts every record. */
struct filecopy_entry_hdr {
	uint32_t type;               /* enum filecopy_type */
	uint32_t untrusted_mode;     /* permission bits only (<= 0777) */
	uint32_t untrusted_namelen;  /* 1..FILECOPY_MAX_PATH; 0 for END */
	uint32_t reserved;           /* 0 */
	uint64_t untrusted_size;     /* FILE: data bytes; SYMLINK: target bytes; else 0 */
	int64_t untrusted_mtime_sec; /* seconds since the epoch; 0 for END */
	uint32_t untrusted_mtime_nsec; /* < 1000000000 */
	uint32_t reserved2;          /* 0 */
};

/* Follows the END record's header: what the sender sent, so truncation and
 * dropped records are detected. */
struct filecopy_end {
	uint64_t untrusted_entries; /* records before END (files, dirs, symlinks) */
	uint64_t untrusted_bytes;   /* sum of the FILE records' sizes */
};

_Static_assert(sizeof(struct filecopy_stream_hdr) == 8, "stream header is 8 bytes");
_Static_assert(sizeof(struct filecopy_entry_hdr) == 40, "entry header is 40 bytes");
_Static_assert(sizeof(struct filecopy_end) == 16, "end record is 16 bytes");

struct filecopy_limits {
	uint64_t max_file;    /* bytes in one file; 0 means FILECOPY_MAX_FILE */
	uint64_t max_total;   /* bytes of file data in the stream; 0: no bound */
	uint64_t max_entries; /* records in the stream; 0: no bound */
	bool no_openat2;      /* tests: always use the O_NOFOLLOW walk */
};

struct filecopy_stats {
	uint64_t files, dirs, symlinks;
	uint64_t entries; /* files + dirs + symlinks */
	uint64_t bytes;   /* file data */
};

/* Default limits (what a NULL lim means). */
void filecopy_limits_init(struct filecopy_limits *lim);

/* Checks an entry name as received (see the rules above); len excludes any
 * NUL. Returns 0, or -1 with a reason in err. */
int filecopy_name_check(const char *untrusted_name, size_t untrusted_len, char *err, size_t errlen);

/* Checks a symlink target for a link named name (already checked). Returns 0,
 * or -1 with a reason in err. */
int filecopy_link_check(const char *name, const char *untrusted_target, size_t untrusted_len,
    char *err, size_t errlen);

/* A calling qube's name: [A-Za-z][A-Za-z0-9_-]{0,30}, as qube_name_valid(). */
bool filecopy_source_name_valid(const char *name);

/* Copies len bytes of s into buf as printable ASCII (others become '?'),
 * shortened with "..." to fit bufsize; for names in messages. Returns buf. */
char *filecopy_printable(char *buf, size_t bufsize, const char *s, size_t len);

/*
 * Sender. Writes a stream of the given paths (files, directories recursively,
 * symlinks as symlinks; each under its basename; "." and ".." are resolved
 * to their real name) to out_fd, reading and writing in 256 KiB blocks.
 * Checks every entry before writing it: on an error (a name the receiver
 * would refuse, a symlink pointing outside the copied tree, a special file,
 * a file that shrank while being read, a write error) it stops without the
 * END record, so the receiver sees a truncated stream and fails. Run
 * filecopy_scan first to refuse bad sources before anything is sent.
 * SIGPIPE should be ignored by the caller. Returns 0 or -1 with err.
 */
int filecopy_send(int out_fd, const char *const *paths, size_t n, char *err, size_t errlen);
/* The same, and fills st (if not NULL) with what was sent. */
int filecopy_send_stats(int out_fd, const char *const *paths, size_t n, struct filecopy_stats *st,
    char *err, size_t errlen);
/* Walks the paths as filecopy_send would, without sending: every check, and
 * the totals into st (if not NULL). Returns 0 or -1 with err. */
int filecopy_scan(const char *const *paths, size_t n, struct filecopy_stats *st, char *err,
    size_t errlen);

/*
 * Receiver. Reads a stream from in_fd (hostile) and creates its entries
 * under dest_dirfd. lim may be NULL (defaults). st (if not NULL) counts what
 * was created, also on failure. Returns 0 after a complete, consistent
 * stream; -1 with a one-line reason in err otherwise (nothing is left of
 * the entry that failed; earlier complete entries stay). Bytes after the END
 * record are ignored: it does not wait for EOF.
 */
int filecopy_recv(int in_fd, int dest_dirfd, const struct filecopy_limits *lim,
    struct filecopy_stats *st, char *err, size_t errlen);

/* Removes name under dirfd, recursively, never following a symlink (like
 * rm -rf of that one name). Returns 0 or -1 with err. */
int filecopy_remove_at(int dirfd, const char *name, char *err, size_t errlen);
/* The same for a path given by a user (its parent directories may be
 * symlinks; the last component is removed, not followed). */
int filecopy_remove_path(const char *path, char *err, size_t errlen);

#endif
