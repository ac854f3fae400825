/*
 * File copy, sending side: walks the paths given by the user (trusted) and
 * writes the stream described in filecopy.h. Everything is checked against
 * the receiver's rules before it is written, so a well-behaved sender never
 * makes a receiver fail half-way except when files change under it.
 */
#include "filecopy.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define PACK_BUFSIZE (256 * 1024)
#define SENDFILE_MIN (64 * 1024) /* smaller files go through the buffer */
#define SENDFILE_CHUNK (1 << 30)

struct packer {
	int out;            /* -1: scan only, nothing is written */
	bool out_is_pipe;   /* sendfile() into it: no copy through user space */
	unsigned char *buf; /* output buffer: headers, names and file data */
	size_t used;
	char name[FILECOPY_MAX_PATH + 1]; /* entry name being sent */
	size_t namelen;
	struct filecopy_stats st;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int
fail(struct packer *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err != NULL && p->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *
shown(struct packer *p, char *buf, size_t size)
{
	return filecopy_printable(buf, size, p->name, p->namelen);
}

static int
flush(struct packer *p)
{
	size_t off = 0;

	while (off < p->used) {
		ssize_t n = write(p->out, p->buf + off, p->used - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(p, "cannot write the stream: %s", strerror(errno));
		}
		off += (size_t)n;
	}
	p->used = 0;
	return 0;
}

static int
emit(struct packer *p, const void *data, size_t len)
{
	const unsigned char *d = data;

	while (len > 0) {
		size_t take = PACK_BUFSIZE - p->used;

		if (take == 0) {
			if (flush(p) == -1)
				return -1;
			continue;
		}
		if (take > len)
			take = len;
		memcpy(p->buf + p->used, d, take);
		p->used += take;
		d += take;
		len -= take;
	}
	return 0;
}

static int
emit_hdr(struct packer *p, uint32_t type, uint32_t mode, uint32_t namelen, uint64_t size,
    const struct timespec *mtime)
{
	struct filecopy_entry_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = htole32(type);
	h.untrusted_mode = htole32(mode);
	h.untrusted_namelen = htole32(namelen);
	h.untrusted_size = htole64(size);
	if (mtime != NULL) {
		h.untrusted_mtime_sec = (int64_t)htole64((uint64_t)mtime->tv_sec);
		h.untrusted_mtime_nsec = htole32((uint32_t)mtime->tv_nsec);
	}
	if (emit(p, &h, sizeof(h)) == -1)
		return -1;
	return emit(p, p->name, namelen);
}

/* Sends the open regular file fd of st->st_size bytes. */
static int
send_data(struct packer *p, int fd, uint64_t size)
{
	char sh[80];

	/* Into a pipe, the file's pages can go without a copy (the receiver
	 * splices them out); read/write when the kernel will not. */
	if (p->out_is_pipe && size >= SENDFILE_MIN) {
		if (flush(p) == -1)
			return -1;
		while (size > 0) {
			ssize_t n = sendfile(p->out, fd, NULL,
			    size < SENDFILE_CHUNK ? (size_t)size : SENDFILE_CHUNK);

			if (n > 0) {
				size -= (uint64_t)n;
				continue;
			}
			if (n == 0)
				return fail(p, "'%s' shrank while it was being sent",
				    shown(p, sh, sizeof(sh)));
			if (errno == EINTR)
				continue;
			if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
				p->out_is_pipe = false; /* read/write from here on */
				break;
			}
			return fail(p, "cannot send '%s': %s", shown(p, sh, sizeof(sh)), strerror(errno));
		}
	}
	while (size > 0) {
		size_t want = PACK_BUFSIZE - p->used;
		ssize_t n;

		if (want == 0) {
			if (flush(p) == -1)
				return -1;
			continue;
		}
		if (want > size)
			want = (size_t)size;
		n = read(fd, p->buf + p->used, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(p, "cannot read '%s': %s", shown(p, sh, sizeof(sh)), strerror(errno));
		}
		if (n == 0)
			return fail(p, "'%s' shrank while it was being sent", shown(p, sh, sizeof(sh)));
		p->used += (size_t)n;
		size -= (uint64_t)n;
	}
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int pack_entry(struct packer *p, int dirfd, const char *comp);

/* Sends what the directory open as fd holds, in name order. */
static int
pack_children(struct packer *p, int fd)
{
	char sh[80], **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	int dfd, rc = -1;
	DIR *d;

	dfd = dup(fd);
	if (dfd == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return fail(p, "cannot read directory '%s': %s", shown(p, sh, sizeof(sh)), strerror(errno));
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **nn;

			cap = cap ? cap * 2 : 32;
			nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL)
				goto nomem;
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
		errno = 0;
	}
	if (errno != 0) {
		fail(p, "cannot read directory '%s': %s", shown(p, sh, sizeof(sh)), strerror(errno));
		goto out;
	}
	closedir(d);
	d = NULL;
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++)
		if (pack_entry(p, fd, names[i]) == -1)
			goto out;
	rc = 0;
	goto out;
nomem:
	fail(p, "out of memory reading directory '%s'", shown(p, sh, sizeof(sh)));
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int
pack_file(struct packer *p, int dirfd, const char *comp)
{
	char sh[80];
	struct stat st;
	int fd, rc = -1;

	fd = openat(dirfd, comp, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return fail(p, "cannot open '%s': %s", shown(p, sh, sizeof(sh)), strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		fail(p, "'%s' changed while it was being sent", shown(p, sh, sizeof(sh)));
		goto out;
	}
	if ((uint64_t)st.st_size > FILECOPY_MAX_FILE) {
		fail(p, "'%s' is too large (%lld bytes, at most %llu)", shown(p, sh, sizeof(sh)),
		    (long long)st.st_size, (unsigned long long)FILECOPY_MAX_FILE);
		goto out;
	}
	if (p->out != -1) {
		if (emit_hdr(p, FILECOPY_FILE, st.st_mode & 0777, (uint32_t)p->namelen,
		    (uint64_t)st.st_size, &st.st_mtim) == -1 ||
		    send_data(p, fd, (uint64_t)st.st_size) == -1)
			goto out;
	}
	p->st.files++;
	p->st.bytes += (uint64_t)st.st_size;
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
pack_dir(struct packer *p, int dirfd, const char *comp, const struct stat *st)
{
	char sh[80];
	int fd, rc;

	fd = openat(dirfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return fail(p, "cannot open directory '%s': %s", shown(p, sh, sizeof(sh)),
		    strerror(errno));
	rc = 0;
	if (p->out != -1)
		rc = emit_hdr(p, FILECOPY_DIR, st->st_mode & 0777, (uint32_t)p->namelen, 0,
		    &st->st_mtim);
	if (rc == 0) {
		p->st.dirs++;
		p->st.entries++; /* before the children, as the receiver counts */
		rc = pack_children(p, fd);
	}
	close(fd);
	return rc;
}

static int
pack_symlink(struct packer *p, int dirfd, const char *comp, const struct stat *st)
{
	char target[FILECOPY_MAX_LINK + 1], sh[80], why[256];
	ssize_t n;

	n = readlinkat(dirfd, comp, target, sizeof(target));
	if (n < 0)
		return fail(p, "cannot read symlink '%s': %s", shown(p, sh, sizeof(sh)), strerror(errno));
	if (filecopy_link_check(p->name, target, (size_t)n, why, sizeof(why)) == -1)
		return fail(p, "cannot send: %s (copy what it points to instead)", why);
	if (p->out != -1) {
		if (emit_hdr(p, FILECOPY_SYMLINK, st->st_mode & 0777, (uint32_t)p->namelen,
		    (uint64_t)n, &st->st_mtim) == -1 || emit(p, target, (size_t)n) == -1)
			return -1;
	}
	p->st.symlinks++;
	return 0;
}

/* Sends comp (a name in dirfd) as p->name + "/" + comp. */
static int
pack_entry(struct packer *p, int dirfd, const char *comp)
{
	size_t saved = p->namelen, clen = strlen(comp);
	char sh[80], why[256];
	struct stat st;
	int rc;

	if (p->namelen + (saved ? 1 : 0) + clen > FILECOPY_MAX_PATH) {
		char csh[80];

		p->name[p->namelen] = '\0';
		return fail(p, "cannot send '%s/%s': name longer than %d bytes",
		    shown(p, sh, sizeof(sh)), filecopy_printable(csh, sizeof(csh), comp, clen),
		    FILECOPY_MAX_PATH);
	}
	if (saved)
		p->name[p->namelen++] = '/';
	memcpy(p->name + p->namelen, comp, clen);
	p->namelen += clen;
	p->name[p->namelen] = '\0';

	if (filecopy_name_check(p->name, p->namelen, why, sizeof(why)) == -1) {
		rc = fail(p, "cannot send: %s", why);
		goto out;
	}
	if (fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		rc = fail(p, "cannot send '%s': %s", shown(p, sh, sizeof(sh)), strerror(errno));
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		rc = pack_file(p, dirfd, comp);
		if (rc == 0)
			p->st.entries++;
	} else if (S_ISDIR(st.st_mode)) {
		rc = pack_dir(p, dirfd, comp, &st);
	} else if (S_ISLNK(st.st_mode)) {
		rc = pack_symlink(p, dirfd, comp, &st);
		if (rc == 0)
			p->st.entries++;
	} else {
		rc = fail(p, "cannot send '%s': not a regular file, directory or symlink",
		    shown(p, sh, sizeof(sh)));
	}
out:
	p->namelen = saved;
	p->name[saved] = '\0';
	return rc;
}

/* A path from the command line: sent under its basename. */
static int
pack_top(struct packer *p, const char *path)
{
	char buf[PATH_MAX], sh[80], *real = NULL, *slash;
	const char *parent, *base;
	size_t len = strlen(path);
	int dirfd, rc;

	filecopy_printable(sh, sizeof(sh), path, len);
	if (len == 0)
		return fail(p, "cannot send '': empty path");
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len >= sizeof(buf))
		return fail(p, "cannot send '%s': path too long", sh);
	memcpy(buf, path, len);
	buf[len] = '\0';
	base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	if (!strcmp(base, ".") || !strcmp(base, "..")) {
		/* Send "." under the directory's real name. */
		real = realpath(buf, NULL);
		if (real == NULL)
			return fail(p, "cannot send '%s': %s", sh, strerror(errno));
		if (strlen(real) >= sizeof(buf)) {
			free(real);
			return fail(p, "cannot send '%s': path too long", sh);
		}
		strcpy(buf, real);
		free(real);
	}
	slash = strrchr(buf, '/');
	if (slash == NULL) {
		parent = ".";
		base = buf;
	} else if (slash == buf) {
		parent = "/";
		base = buf + 1;
	} else {
		*slash = '\0';
		parent = buf;
		base = slash + 1;
	}
	if (*base == '\0')
		return fail(p, "cannot send '%s': it has no name (the root directory?)", sh);
	dirfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1)
		return fail(p, "cannot send '%s': %s", sh, strerror(errno));
	p->namelen = 0;
	p->name[0] = '\0';
	rc = pack_entry(p, dirfd, base);
	close(dirfd);
	return rc;
}

static int
pack(int out_fd, const char *const *paths, size_t n, struct filecopy_stats *st, char *err,
    size_t errlen)
{
	struct packer *p;
	size_t i;
	int rc = -1;

	p = calloc(1, sizeof(*p));
	if (p == NULL || (out_fd != -1 && (p->buf = malloc(PACK_BUFSIZE)) == NULL)) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		free(p);
		return -1;
	}
	p->out = out_fd;
	if (out_fd != -1) {
		struct stat ost;

		p->out_is_pipe = fstat(out_fd, &ost) == 0 && S_ISFIFO(ost.st_mode);
	}
	p->err = err;
	p->errlen = errlen;
	if (out_fd != -1) {
		struct filecopy_stream_hdr h = {
			.magic = htole32(FILECOPY_MAGIC),
			.version = htole32(FILECOPY_VERSION),
		};

		if (emit(p, &h, sizeof(h)) == -1)
			goto out;
	}
	for (i = 0; i < n; i++)
		if (pack_top(p, paths[i]) == -1)
			goto out;
	if (out_fd != -1) {
		struct filecopy_end e = {
			.untrusted_entries = htole64(p->st.entries),
			.untrusted_bytes = htole64(p->st.bytes),
		};

		if (emit_hdr(p, FILECOPY_END, 0, 0, 0, NULL) == -1 || emit(p, &e, sizeof(e)) == -1 ||
		    flush(p) == -1)
			goto out;
	}
	rc = 0;
out:
	if (rc == -1 && out_fd != -1 && p->used > 0) {
		/* Best effort: the complete entries still reach the receiver,
		 * which sees no END record and reports the failure. */
		size_t off = 0;
		ssize_t w;

		while (off < p->used && ((w = write(out_fd, p->buf + off, p->used - off)) > 0 ||
		    (w < 0 && errno == EINTR)))
			off += w > 0 ? (size_t)w : 0;
	}
	if (st != NULL)
		*st = p->st;
	free(p->buf);
	free(p);
	return rc;
}

int
filecopy_send_stats(int out_fd, const char *const *paths, size_t n, struct filecopy_stats *st,
    char *err, size_t errlen)
{
	if (out_fd < 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "bad output descriptor");
		return -1;
	}
	return pack(out_fd, paths, n, st, err, errlen);
}

int
filecopy_send(int out_fd, const char *const *paths, size_t n, char *err, size_t errlen)
{
	return filecopy_send_stats(out_fd, paths, n, NULL, err, errlen);
}

int
filecopy_scan(const char *const *paths, size_t n, struct filecopy_stats *st, char *err,
    size_t errlen)
{
	return pack(-1, paths, n, st, err, errlen);
}
