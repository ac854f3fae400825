/*
 * File copy, receiving side. The stream comes from another qube: every field
 * is untrusted_* until check_header() / check_entry() have bounded it, and
 * only the trusted struct entry they fill is used to touch the file system.
 *
 * Containment (see filecopy.h): a top-level entry is created in dest_dirfd
 * under a name that did not exist (O_EXCL, mkdirat, symlinkat; "NAME.N" when
 * taken); deeper entries are created in directories this transfer made,
 * reached with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) or an
 * openat(O_NOFOLLOW) walk; no call here follows a symlink.
 */
#include "filecopy.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#define UNPACK_BUFSIZE (256 * 1024)
#define SPLICE_MIN (64 * 1024) /* less than this goes through the buffer */
#define SPLICE_CHUNK (1024 * 1024)
#define TOP_MAX (FILECOPY_MAX_COMPONENT + 8) /* name + ".NNN" + NUL, rounded */

/* A checked record: what the file system calls are allowed to see. */
struct entry {
	enum filecopy_type type;
	mode_t mode;     /* sanitised: 0644/0755 files, 0755 dirs */
	uint64_t size;   /* FILE: data bytes (within limits); SYMLINK: target bytes */
	struct timespec mtime;
	const char *name; /* checked by filecopy_name_check */
	size_t namelen;
	const char *target; /* SYMLINK: checked by filecopy_link_check */
};

struct reader {
	int fd;
	bool is_pipe; /* file data can be spliced out of it */
	unsigned char *buf;
	size_t pos, len;
};

struct unpacker {
	struct reader rd;
	int dest;
	struct filecopy_limits lim;
	struct filecopy_stats st;
	char *err;
	size_t errlen;

	char untrusted_name[FILECOPY_MAX_PATH + 1];
	char untrusted_target[FILECOPY_MAX_LINK + 1];

	/* The most recent top-level entry: deeper names must lie inside it. */
	char top_orig[FILECOPY_MAX_COMPONENT + 1];
	char top_actual[TOP_MAX];
	bool top_is_dir;

	/* The last directory opened or created, as a path relative to dest
	 * (actual names); most entries go into the same one. */
	char path[FILECOPY_MAX_PATH + TOP_MAX];
	char cache_path[FILECOPY_MAX_PATH + TOP_MAX];
	int cache_fd;
};

static int openat2_missing; /* ENOSYS once: use the walk from then on */

__attribute__((format(printf, 2, 3))) static int
fail(struct unpacker *u, const char *fmt, ...)
{
	va_list ap;

	if (u->err != NULL && u->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(u->err, u->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Bytes buffered (reading more when none are): > 0, 0 at EOF, -1 on error. */
static ssize_t
rd_avail(struct reader *r)
{
	ssize_t n;

	if (r->pos < r->len)
		return (ssize_t)(r->len - r->pos);
	r->pos = r->len = 0;
	do
		n = read(r->fd, r->buf, UNPACK_BUFSIZE);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		r->len = (size_t)n;
	return n;
}

/* Copies up to n bytes to dst: returns n, less at EOF, -1 on a read error. */
static ssize_t
rd_exact(struct reader *r, void *dst, size_t n)
{
	unsigned char *d = dst;
	size_t got = 0;

	while (got < n) {
		ssize_t a = rd_avail(r);
		size_t take;

		if (a < 0)
			return -1;
		if (a == 0)
			break;
		take = (size_t)a < n - got ? (size_t)a : n - got;
		memcpy(d + got, r->buf + r->pos, take);
		r->pos += take;
		got += take;
	}
	return (ssize_t)got;
}

static int
read_or_fail(struct unpacker *u, void *dst, size_t n, const char *what)
{
	ssize_t got = rd_exact(&u->rd, dst, n);

	if (got < 0)
		return fail(u, "cannot read the stream: %s", strerror(errno));
	if ((size_t)got < n)
		return fail(u, "stream truncated in %s after %llu complete entries", what,
		    (unsigned long long)u->st.entries);
	return 0;
}

static const char *
shown(char *buf, size_t size, const char *s, size_t len)
{
	return filecopy_printable(buf, size, s, len);
}

/* ---- checks: the only place untrusted fields are looked at ---- */

/* The fixed fields; the name is not read yet. */
static int
check_header(struct unpacker *u, const struct filecopy_entry_hdr *untrusted_hdr)
{
	if (untrusted_hdr->reserved != 0 || untrusted_hdr->reserved2 != 0)
		return fail(u, "record %llu: reserved field is not 0",
		    (unsigned long long)u->st.entries + 1);
	switch (untrusted_hdr->type) {
	case FILECOPY_FILE:
	case FILECOPY_DIR:
	case FILECOPY_SYMLINK:
		break;
	case FILECOPY_END:
		if (untrusted_hdr->untrusted_mode != 0 || untrusted_hdr->untrusted_namelen != 0 ||
		    untrusted_hdr->untrusted_size != 0 || untrusted_hdr->untrusted_mtime_sec != 0 ||
		    untrusted_hdr->untrusted_mtime_nsec != 0)
			return fail(u, "malformed end record");
		return 0;
	default:
		return fail(u, "record %llu: unknown type %u", (unsigned long long)u->st.entries + 1,
		    untrusted_hdr->type);
	}
	if (untrusted_hdr->untrusted_namelen == 0 ||
	    untrusted_hdr->untrusted_namelen > FILECOPY_MAX_PATH)
		return fail(u, "record %llu: name length %u out of range (1..%d)",
		    (unsigned long long)u->st.entries + 1, untrusted_hdr->untrusted_namelen,
		    FILECOPY_MAX_PATH);
	if (u->lim.max_entries != 0 && u->st.entries >= u->lim.max_entries)
		return fail(u, "more than %llu entries", (unsigned long long)u->lim.max_entries);
	return 0;
}

/* The rest, with the name read into u->untrusted_name; fills e. */
static int
check_entry(struct unpacker *u, const struct filecopy_entry_hdr *untrusted_hdr, struct entry *e)
{
	size_t namelen = untrusted_hdr->untrusted_namelen; /* bounded by check_header */
	uint64_t untrusted_size = untrusted_hdr->untrusted_size;
	uint32_t untrusted_mode = untrusted_hdr->untrusted_mode;
	char why[256], sh[80];

	if (filecopy_name_check(u->untrusted_name, namelen, why, sizeof(why)) == -1)
		return fail(u, "%s", why);
	shown(sh, sizeof(sh), u->untrusted_name, namelen);
	if (untrusted_mode & ~(uint32_t)0777)
		return fail(u, "'%s': mode 0%o has setuid, setgid, sticky or file-type bits", sh,
		    untrusted_mode);
	if (untrusted_hdr->untrusted_mtime_nsec >= 1000000000u)
		return fail(u, "'%s': bad modification time", sh);

	memset(e, 0, sizeof(*e));
	e->type = (enum filecopy_type)untrusted_hdr->type;
	e->name = u->untrusted_name;
	e->namelen = namelen;
	e->mtime.tv_sec = (time_t)untrusted_hdr->untrusted_mtime_sec;
	e->mtime.tv_nsec = (long)untrusted_hdr->untrusted_mtime_nsec;
	switch (e->type) {
	case FILECOPY_FILE:
		if (untrusted_size > u->lim.max_file)
			return fail(u, "'%s': size %llu is over the limit of %llu bytes", sh,
			    (unsigned long long)untrusted_size, (unsigned long long)u->lim.max_file);
		if (u->lim.max_total != 0 && untrusted_size > u->lim.max_total - u->st.bytes)
			return fail(u, "'%s': the transfer goes over the limit of %llu bytes", sh,
			    (unsigned long long)u->lim.max_total);
		e->mode = untrusted_mode & 0111 ? 0755 : 0644;
		break;
	case FILECOPY_DIR:
		if (untrusted_size != 0)
			return fail(u, "'%s': directory record with a size", sh);
		e->mode = 0755;
		break;
	case FILECOPY_SYMLINK:
		if (untrusted_size == 0 || untrusted_size > FILECOPY_MAX_LINK)
			return fail(u, "'%s': symlink target length %llu out of range (1..%d)", sh,
			    (unsigned long long)untrusted_size, FILECOPY_MAX_LINK);
		break;
	default:
		return fail(u, "'%s': unexpected record type", sh);
	}
	e->size = untrusted_size;
	u->untrusted_name[namelen] = '\0';
	return 0;
}

/* The symlink target, read into u->untrusted_target. */
static int
check_target(struct unpacker *u, struct entry *e)
{
	char why[256];

	if (filecopy_link_check(e->name, u->untrusted_target, (size_t)e->size, why,
	    sizeof(why)) == -1)
		return fail(u, "%s", why);
	u->untrusted_target[e->size] = '\0';
	e->target = u->untrusted_target;
	return 0;
}

/* ---- file system ---- */

/* Opens path (relative to dest, no "." or ".." in it) as a directory without
 * following any symlink. */
static int
open_beneath(struct unpacker *u, const char *path)
{
	const char *p = path;
	int cur = u->dest;

#ifdef SYS_openat2
	if (!u->lim.no_openat2 && !openat2_missing && strlen(path) < PATH_MAX) {
		struct open_how how;
		long fd;

		memset(&how, 0, sizeof(how));
		how.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
		fd = syscall(SYS_openat2, u->dest, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS && errno != EPERM)
			return -1;
		openat2_missing = 1; /* old kernel, or a seccomp filter */
	}
#endif
	while (*p != '\0') {
		char comp[FILECOPY_MAX_COMPONENT + 8];
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		int next;

		if (len == 0 || len >= sizeof(comp)) {
			errno = EINVAL;
			next = -1;
		} else {
			memcpy(comp, p, len);
			comp[len] = '\0';
			next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (cur != u->dest) {
			int saved = errno;

			close(cur);
			errno = saved;
		}
		if (next == -1)
			return -1;
		cur = next;
		p += len;
		if (*p == '/')
			p++;
	}
	if (cur == u->dest) {
		errno = EINVAL;
		return -1;
	}
	return cur;
}

static void
cache_set(struct unpacker *u, int fd, const char *path)
{
	if (u->cache_fd != -1)
		close(u->cache_fd);
	u->cache_fd = fd;
	snprintf(u->cache_path, sizeof(u->cache_path), "%s", path);
}

/*
 * Finds the directory e goes into: dest for a top-level entry (*top set),
 * else the directory u->path inside the current top-level directory. Sets
 * *parent (not to be closed) and *last (the name to create in it).
 */
static int
place(struct unpacker *u, const struct entry *e, bool *top, int *parent, const char **last)
{
	const char *first = memchr(e->name, '/', e->namelen);
	const char *final = strrchr(e->name, '/');
	char sh[80];
	int fd;

	shown(sh, sizeof(sh), e->name, e->namelen);
	if (first == NULL) {
		*top = true;
		*parent = u->dest;
		*last = e->name;
		return 0;
	}
	*top = false;
	if (!u->top_is_dir || (size_t)(first - e->name) != strlen(u->top_orig) ||
	    memcmp(e->name, u->top_orig, (size_t)(first - e->name)) != 0)
		return fail(u, "'%s' is not inside the top-level directory sent before it", sh);
	/* top_actual + the components between the first and the last '/'. */
	snprintf(u->path, sizeof(u->path), "%s%.*s", u->top_actual, (int)(final - first), first);
	if (u->cache_fd != -1 && !strcmp(u->cache_path, u->path)) {
		*parent = u->cache_fd;
	} else {
		fd = open_beneath(u, u->path);
		if (fd == -1) {
			if (errno == ENOENT)
				return fail(u, "'%s': its directory was not sent before it", sh);
			if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)
				return fail(u, "'%s': a parent is a symlink or not a directory", sh);
			return fail(u, "'%s': cannot open its directory: %s", sh, strerror(errno));
		}
		cache_set(u, fd, u->path);
		*parent = fd;
	}
	*last = final + 1;
	return 0;
}

/* Creates e as name in parent, never following or replacing anything.
 * *fd gets the open file or directory (-1 for a symlink). errno is kept. */
static int
create_entry(int parent, const char *name, const struct entry *e, int *fd)
{
	int saved;

	*fd = -1;
	switch (e->type) {
	case FILECOPY_FILE:
		*fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY |
		    O_CLOEXEC, 0600);
		return *fd == -1 ? -1 : 0;
	case FILECOPY_DIR:
		if (mkdirat(parent, name, 0700) == -1)
			return -1;
		*fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (*fd == -1 || fchmod(*fd, e->mode) == -1)
			goto undo;
		return 0;
	case FILECOPY_SYMLINK: {
		struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, e->mtime };

		if (symlinkat(e->target, parent, name) == -1)
			return -1;
		(void)utimensat(parent, name, ts, AT_SYMLINK_NOFOLLOW); /* best effort */
		return 0;
	}
	default:
		errno = EINVAL;
		return -1;
	}
undo:
	saved = errno;
	if (*fd != -1)
		close(*fd);
	*fd = -1;
	unlinkat(parent, name, AT_REMOVEDIR);
	errno = saved;
	return -1;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The file's data, from the stream into fd. */
static int
receive_data(struct unpacker *u, const struct entry *e, int fd)
{
	uint64_t left = e->size;
	char sh[80];

	/* From a pipe, what is not buffered yet moves without a copy through
	 * here: first the buffered part, then splice() exactly what is left. */
	if (u->rd.is_pipe && left >= SPLICE_MIN) {
		size_t take = u->rd.len - u->rd.pos;

		if ((uint64_t)take > left)
			take = (size_t)left;
		if (take > 0 && write_all(fd, u->rd.buf + u->rd.pos, take) == -1)
			return fail(u, "cannot write '%s': %s", shown(sh, sizeof(sh), e->name, e->namelen),
			    strerror(errno));
		u->rd.pos += take;
		left -= take;
		while (left >= SPLICE_MIN) {
			ssize_t n = splice(u->rd.fd, NULL, fd, NULL,
			    left < SPLICE_CHUNK ? (size_t)left : SPLICE_CHUNK, SPLICE_F_MOVE);

			if (n > 0) {
				left -= (uint64_t)n;
				continue;
			}
			if (n == 0)
				return fail(u, "stream truncated in '%s' (%llu of %llu bytes)",
				    shown(sh, sizeof(sh), e->name, e->namelen),
				    (unsigned long long)(e->size - left), (unsigned long long)e->size);
			if (errno == EINTR)
				continue;
			if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
				u->rd.is_pipe = false; /* read/write from here on */
				break;
			}
			return fail(u, "cannot receive '%s': %s", shown(sh, sizeof(sh), e->name, e->namelen),
			    strerror(errno));
		}
	}
	while (left > 0) {
		ssize_t a = rd_avail(&u->rd);
		size_t take;

		if (a < 0)
			return fail(u, "cannot read the stream: %s", strerror(errno));
		if (a == 0)
			return fail(u, "stream truncated in '%s' (%llu of %llu bytes)",
			    shown(sh, sizeof(sh), e->name, e->namelen),
			    (unsigned long long)(e->size - left), (unsigned long long)e->size);
		take = (uint64_t)a < left ? (size_t)a : (size_t)left;
		if (write_all(fd, u->rd.buf + u->rd.pos, take) == -1)
			return fail(u, "cannot write '%s': %s", shown(sh, sizeof(sh), e->name, e->namelen),
			    strerror(errno));
		u->rd.pos += take;
		left -= take;
	}
	return 0;
}

static int
receive_entry(struct unpacker *u, const struct entry *e)
{
	char sh[80], actual[TOP_MAX];
	const char *last = NULL;
	bool top = false;
	int parent = -1, fd = -1;

	shown(sh, sizeof(sh), e->name, e->namelen);
	if (place(u, e, &top, &parent, &last) == -1)
		return -1;
	if (top) {
		int i;

		for (i = 0;; i++) {
			if (i > FILECOPY_MAX_SUFFIX)
				return fail(u, "'%s': no free name up to '.%d'", sh, FILECOPY_MAX_SUFFIX);
			if (i == 0)
				snprintf(actual, sizeof(actual), "%s", last);
			else
				snprintf(actual, sizeof(actual), "%s.%d", last, i);
			if (strlen(actual) > FILECOPY_MAX_COMPONENT)
				return fail(u, "'%s' exists, and a name with a suffix would be too long",
				    sh);
			if (create_entry(parent, actual, e, &fd) == 0)
				break;
			if (errno != EEXIST)
				return fail(u, "cannot create '%s': %s", sh, strerror(errno));
		}
		last = actual;
		snprintf(u->top_orig, sizeof(u->top_orig), "%s", e->name);
		snprintf(u->top_actual, sizeof(u->top_actual), "%s", actual);
		u->top_is_dir = e->type == FILECOPY_DIR;
	} else if (create_entry(parent, last, e, &fd) == -1) {
		if (errno == EEXIST)
			return fail(u, "'%s' already exists (sent twice?)", sh);
		return fail(u, "cannot create '%s': %s", sh, strerror(errno));
	}

	switch (e->type) {
	case FILECOPY_FILE: {
		struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, e->mtime };

		if (receive_data(u, e, fd) == -1)
			goto undo;
		if (fchmod(fd, e->mode) == -1) {
			fail(u, "cannot set the mode of '%s': %s", sh, strerror(errno));
			goto undo;
		}
		(void)futimens(fd, ts); /* best effort */
		if (close(fd) == -1) {
			fd = -1;
			fail(u, "cannot write '%s': %s", sh, strerror(errno));
			goto undo;
		}
		u->st.files++;
		u->st.bytes += e->size;
		break;
	}
	case FILECOPY_DIR:
		if (top)
			snprintf(u->path, sizeof(u->path), "%s", actual);
		else
			snprintf(u->path + strlen(u->path), sizeof(u->path) - strlen(u->path), "/%s",
			    last);
		cache_set(u, fd, u->path);
		u->st.dirs++;
		break;
	default:
		u->st.symlinks++;
		break;
	}
	u->st.entries++;
	return 0;
undo:
	/* Only complete files stay. */
	if (fd != -1)
		close(fd);
	unlinkat(parent, last, 0);
	return -1;
}

static void
decode_header(const unsigned char *raw, struct filecopy_entry_hdr *h)
{
	memcpy(h, raw, sizeof(*h));
	h->type = le32toh(h->type);
	h->untrusted_mode = le32toh(h->untrusted_mode);
	h->untrusted_namelen = le32toh(h->untrusted_namelen);
	h->reserved = le32toh(h->reserved);
	h->untrusted_size = le64toh(h->untrusted_size);
	h->untrusted_mtime_sec = (int64_t)le64toh((uint64_t)h->untrusted_mtime_sec);
	h->untrusted_mtime_nsec = le32toh(h->untrusted_mtime_nsec);
	h->reserved2 = le32toh(h->reserved2);
}

static int
unpack(struct unpacker *u)
{
	struct filecopy_stream_hdr sh;
	ssize_t got;

	got = rd_exact(&u->rd, &sh, sizeof(sh));
	if (got < 0)
		return fail(u, "cannot read the stream: %s", strerror(errno));
	if (got == 0)
		return fail(u, "empty stream");
	if ((size_t)got < sizeof(sh))
		return fail(u, "stream truncated in its header");
	if (le32toh(sh.magic) != FILECOPY_MAGIC)
		return fail(u, "not a file-copy stream (bad magic 0x%08x)", le32toh(sh.magic));
	if (le32toh(sh.version) != FILECOPY_VERSION)
		return fail(u, "unsupported stream version %u (this receiver reads %u)",
		    le32toh(sh.version), FILECOPY_VERSION);

	for (;;) {
		unsigned char raw[sizeof(struct filecopy_entry_hdr)];
		struct filecopy_entry_hdr untrusted_hdr;
		struct entry e;

		got = rd_exact(&u->rd, raw, sizeof(raw));
		if (got < 0)
			return fail(u, "cannot read the stream: %s", strerror(errno));
		if (got == 0)
			return fail(u, "stream ended without its end record after %llu entries",
			    (unsigned long long)u->st.entries);
		if ((size_t)got < sizeof(raw))
			return fail(u, "stream truncated in a record header after %llu entries",
			    (unsigned long long)u->st.entries);
		decode_header(raw, &untrusted_hdr);
		if (check_header(u, &untrusted_hdr) == -1)
			return -1;
		if (untrusted_hdr.type == FILECOPY_END) {
			struct filecopy_end untrusted_end;

			if (read_or_fail(u, &untrusted_end, sizeof(untrusted_end), "the end record") == -1)
				return -1;
			if (le64toh(untrusted_end.untrusted_entries) != u->st.entries ||
			    le64toh(untrusted_end.untrusted_bytes) != u->st.bytes)
				return fail(u, "end record counts %llu entries, %llu bytes, but %llu entries, "
				    "%llu bytes arrived",
				    (unsigned long long)le64toh(untrusted_end.untrusted_entries),
				    (unsigned long long)le64toh(untrusted_end.untrusted_bytes),
				    (unsigned long long)u->st.entries, (unsigned long long)u->st.bytes);
			return 0;
		}
		if (read_or_fail(u, u->untrusted_name, untrusted_hdr.untrusted_namelen,
		    "a name") == -1)
			return -1;
		if (check_entry(u, &untrusted_hdr, &e) == -1)
			return -1;
		if (e.type == FILECOPY_SYMLINK) {
			if (read_or_fail(u, u->untrusted_target, (size_t)e.size, "a symlink target") == -1 ||
			    check_target(u, &e) == -1)
				return -1;
		}
		if (receive_entry(u, &e) == -1)
			return -1;
	}
}

int
filecopy_recv(int in_fd, int dest_dirfd, const struct filecopy_limits *lim,
    struct filecopy_stats *st, char *err, size_t errlen)
{
	struct unpacker *u;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	u = calloc(1, sizeof(*u));
	if (u == NULL || (u->rd.buf = malloc(UNPACK_BUFSIZE)) == NULL) {
		free(u);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		if (st != NULL)
			memset(st, 0, sizeof(*st));
		return -1;
	}
	u->rd.fd = in_fd;
	{
		struct stat in;

		u->rd.is_pipe = fstat(in_fd, &in) == 0 && S_ISFIFO(in.st_mode);
	}
	u->dest = dest_dirfd;
	u->err = err;
	u->errlen = errlen;
	u->cache_fd = -1;
	if (lim != NULL)
		u->lim = *lim;
	else
		filecopy_limits_init(&u->lim);
	if (u->lim.max_file == 0)
		u->lim.max_file = FILECOPY_MAX_FILE;

	rc = unpack(u);

	if (u->cache_fd != -1)
		close(u->cache_fd);
	if (st != NULL)
		*st = u->st;
	free(u->rd.buf);
	free(u);
	return rc;
}
