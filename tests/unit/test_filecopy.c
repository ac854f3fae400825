/* Unit tests for lib/filecopy.h: a tree sent and received byte for byte, and
 * hostile streams built by hand, each of which must be refused with a reason
 * while nothing outside the destination changes. Every stream is received
 * twice: through openat2 and through the O_NOFOLLOW walk. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filecopy.h"

/* ---- growing buffers: streams and listings ---- */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void
buf_put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n > 0)
		memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char line[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(line));
	buf_put(b, line, (size_t)n);
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- hand-built streams ---- */

static void
s_start_v(struct buf *s, uint32_t magic, uint32_t version)
{
	uint32_t h[2] = { htole32(magic), htole32(version) };

	buf_put(s, h, sizeof(h));
}

static void
s_start(struct buf *s)
{
	s_start_v(s, FILECOPY_MAGIC, FILECOPY_VERSION);
}

static void
s_hdr(struct buf *s, uint32_t type, uint32_t mode, uint32_t namelen, uint64_t size, int64_t sec,
    uint32_t nsec)
{
	struct filecopy_entry_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = htole32(type);
	h.untrusted_mode = htole32(mode);
	h.untrusted_namelen = htole32(namelen);
	h.untrusted_size = htole64(size);
	h.untrusted_mtime_sec = (int64_t)htole64((uint64_t)sec);
	h.untrusted_mtime_nsec = htole32(nsec);
	buf_put(s, &h, sizeof(h));
}

/* An entry whose name may hold NULs (namelen given). */
static void
s_entry_n(struct buf *s, uint32_t type, uint32_t mode, const char *name, size_t namelen,
    const void *data, size_t len)
{
	s_hdr(s, type, mode, (uint32_t)namelen, len, 1500000000, 0);
	buf_put(s, name, namelen);
	buf_put(s, data, len);
}

static void
s_file(struct buf *s, const char *name, uint32_t mode, const char *data)
{
	s_entry_n(s, FILECOPY_FILE, mode, name, strlen(name), data, strlen(data));
}

static void
s_dir(struct buf *s, const char *name)
{
	s_entry_n(s, FILECOPY_DIR, 0755, name, strlen(name), NULL, 0);
}

static void
s_link(struct buf *s, const char *name, const char *target)
{
	s_entry_n(s, FILECOPY_SYMLINK, 0777, name, strlen(name), target, strlen(target));
}

static void
s_end(struct buf *s, uint64_t entries, uint64_t bytes)
{
	uint64_t e[2] = { htole64(entries), htole64(bytes) };

	s_hdr(s, FILECOPY_END, 0, 0, 0, 0, 0);
	buf_put(s, e, sizeof(e));
}

/* ---- the fixture: T/victim, T/outside/, T/src/, T/a/b/dest/ ---- */

struct fx {
	char root[1024];
	char dest[PATH_MAX];
	char src[PATH_MAX];
	int destfd;
	struct buf before; /* listing of T without dest */
	bool no_openat2;
	bool use_pipe; /* streams through a pipe (splice), else a memfd (read) */
};

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Appends a line per entry under dirfd/rel (recursively), skipping skip. */
static void
list_tree(struct buf *out, int dirfd, const char *rel, const char *skip)
{
	struct dirent **names;
	int n, i, fd;

	fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	n = scandirat(fd, ".", &names, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		char path[PATH_MAX], target[PATH_MAX];
		struct stat st;

		if (!strcmp(nm, ".") || !strcmp(nm, "..")) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", rel, nm);
		free(names[i]);
		if (skip != NULL && !strcmp(path, skip))
			continue;
		assert_int_equal(fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
		if (S_ISDIR(st.st_mode)) {
			buf_printf(out, "d %s %o\n", path, st.st_mode & 07777);
			list_tree(out, dirfd, path, skip);
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t l = readlinkat(dirfd, path, target, sizeof(target) - 1);

			assert_true(l >= 0);
			target[l] = '\0';
			buf_printf(out, "l %s -> %s\n", path, target);
		} else {
			unsigned long sum = 0;
			unsigned char b[65536];
			int ffd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			ssize_t r;

			assert_true(ffd >= 0);
			while ((r = read(ffd, b, sizeof(b))) > 0)
				for (ssize_t k = 0; k < r; k++)
					sum = sum * 31 + b[k];
			close(ffd);
			buf_printf(out, "f %s %o %lld %lx\n", path, st.st_mode & 07777,
			    (long long)st.st_size, sum);
		}
	}
	free(names);
	close(fd);
}

static unsigned long
checksum(const char *data)
{
	unsigned long sum = 0;

	for (const unsigned char *p = (const unsigned char *)data; *p; p++)
		sum = sum * 31 + *p;
	return sum;
}

/* The line list_tree writes for a regular file holding data. */
static const char *
fl(char *line, size_t size, const char *path, unsigned mode, const char *data)
{
	snprintf(line, size, "f %s %o %zu %lx\n", path, mode, strlen(data), checksum(data));
	return line;
}

static void
snapshot(struct fx *f, struct buf *out)
{
	int fd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	out->len = 0;
	buf_put(out, "", 0);
	list_tree(out, fd, ".", "./a/b/dest");
	close(fd);
}

/* After a test made its sources: they are part of "outside" too. */
static void
resnap(struct fx *f)
{
	snapshot(f, &f->before);
}

/* Empties dest. */
static void
clear_dest(struct fx *f)
{
	struct dirent **names;
	char err[256];
	int n, i;

	n = scandirat(f->destfd, ".", &names, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
			if (filecopy_remove_at(f->destfd, names[i]->d_name, err, sizeof(err)) != 0)
				fail_msg("clear_dest: %s", err);
		free(names[i]);
	}
	free(names);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char p[PATH_MAX + 32];

	if (f == NULL)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/test_filecopy.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(f->root) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/victim", f->root);
	write_file(p, "precious\n", 9, 0600);
	snprintf(p, sizeof(p), "%s/outside", f->root);
	mkdir(p, 0700);
	snprintf(f->src, sizeof(f->src), "%s/src", f->root);
	mkdir(f->src, 0755);
	snprintf(p, sizeof(p), "%s/a", f->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a/b", f->root);
	mkdir(p, 0755);
	snprintf(f->dest, sizeof(f->dest), "%s/a/b/dest", f->root);
	if (mkdir(f->dest, 0755) == -1)
		return -1;
	f->destfd = open(f->dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->destfd < 0)
		return -1;
	snapshot(f, &f->before);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char err[256];
	int fd;

	close(f->destfd);
	fd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		char *slash = strrchr(f->root, '/');

		close(fd);
		*slash = '\0';
		fd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		filecopy_remove_at(fd, slash + 1, err, sizeof(err));
		close(fd);
	}
	buf_free(&f->before);
	free(f);
	return 0;
}

/* Receives the bytes of s into dest, from a memfd or, with f->use_pipe,
 * from a pipe fed by a child process (as the channel would). */
static int
recv_bytes(struct fx *f, const void *data, size_t len, const struct filecopy_limits *lim,
    struct filecopy_stats *st, char *err, size_t errlen)
{
	struct filecopy_limits l;
	pid_t pid = -1;
	int fd, rc;

	if (f->use_pipe) {
		int p[2];

		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			const unsigned char *d = data;
			size_t off = 0;
			ssize_t w;

			signal(SIGPIPE, SIG_IGN); /* the receiver may stop early */
			close(p[0]);
			while (off < len && (w = write(p[1], d + off, len - off)) > 0)
				off += (size_t)w;
			_exit(0);
		}
		close(p[1]);
		fd = p[0];
	} else {
		fd = memfd_create("stream", MFD_CLOEXEC);
		assert_true(fd >= 0);
		if (len > 0)
			assert_int_equal(write(fd, data, len), (ssize_t)len);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	}
	if (lim != NULL)
		l = *lim;
	else
		filecopy_limits_init(&l);
	l.no_openat2 = f->no_openat2;
	rc = filecopy_recv(fd, f->destfd, &l, st, err, errlen);
	close(fd);
	if (pid > 0) {
		int status;

		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	return rc;
}

/* Nothing outside dest may differ from the snapshot taken at setup. */
static void
assert_outside_unchanged(struct fx *f)
{
	struct buf now = { 0 };

	snapshot(f, &now);
	if (strcmp((char *)now.p, (char *)f->before.p) != 0)
		fail_msg("the tree outside dest changed:\nbefore:\n%s\nafter:\n%s", f->before.p, now.p);
	buf_free(&now);
}

static void
assert_dest_listing(struct fx *f, const char *want)
{
	struct buf now = { 0 };

	buf_put(&now, "", 0);
	list_tree(&now, f->destfd, ".", NULL);
	if (strcmp((char *)now.p, want) != 0)
		fail_msg("dest holds:\n%s\nexpected:\n%s", now.p, want);
	buf_free(&now);
}

/* Receives s twice, from a memfd with openat2 and from a pipe with the
 * walk, expecting a refusal that mentions why. */
static void
expect_reject_lim(struct fx *f, const struct buf *s, const char *why,
    const struct filecopy_limits *lim, const char *dest_after)
{
	for (int pass = 0; pass < 2; pass++) {
		char err[512] = "";
		struct filecopy_stats st;
		int rc;

		f->no_openat2 = pass == 1;
		f->use_pipe = pass == 1;
		rc = recv_bytes(f, s->p, s->len, lim, &st, err, sizeof(err));
		if (rc != -1)
			fail_msg("stream accepted (pass %d), expected a refusal with '%s'", pass, why);
		if (strstr(err, why) == NULL)
			fail_msg("refused with '%s', expected '%s'", err, why);
		assert_null(strchr(err, '\n'));
		assert_outside_unchanged(f);
		if (dest_after != NULL)
			assert_dest_listing(f, dest_after);
		clear_dest(f);
	}
	f->no_openat2 = false;
	f->use_pipe = false;
}

static void
expect_reject(struct fx *f, const struct buf *s, const char *why)
{
	expect_reject_lim(f, s, why, NULL, NULL);
}

/* ---- checks in isolation ---- */

static void
test_name_check(void **state)
{
	static const char *good[] = { "a", "a/b", "a b/c.d", ".hidden", "a/..b", "...", "\xc3\xa9t\xc3\xa9", NULL };
	static const char *bad[] = { "", "/a", "a/", "a//b", ".", "..", "a/.", "a/./b", "../x",
		"a/../../x", "a\nb", "a\x7f", NULL };
	char err[256], big[FILECOPY_MAX_PATH + 2];
	size_t i;

	(void)state;
	for (i = 0; good[i]; i++)
		if (filecopy_name_check(good[i], strlen(good[i]), err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i], err);
	for (i = 0; bad[i]; i++)
		if (filecopy_name_check(bad[i], strlen(bad[i]), err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(filecopy_name_check("a\0b", 3, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL"));

	/* 4096 bytes of 255-byte components is fine, 4097 is not. */
	for (i = 0; i < FILECOPY_MAX_PATH + 1; i++)
		big[i] = i % 256 == 255 ? '/' : 'x';
	big[FILECOPY_MAX_PATH - 1] = 'x';
	big[4000] = '/';
	assert_int_equal(filecopy_name_check(big, FILECOPY_MAX_PATH, err, sizeof(err)), 0);
	assert_int_equal(filecopy_name_check(big, FILECOPY_MAX_PATH + 1, err, sizeof(err)), -1);
	memset(big, 'x', 256);
	assert_int_equal(filecopy_name_check(big, 255, err, sizeof(err)), 0);
	assert_int_equal(filecopy_name_check(big, 256, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "component"));
}

static void
test_link_check(void **state)
{
	static const struct {
		const char *name, *target;
		bool ok;
	} cases[] = {
		{ "l", "x", true },
		{ "l", "./x/", true },
		{ "l", "..", false },
		{ "l", "../x", false },
		{ "l", "/etc/passwd", false },
		{ "d/l", "..", true },
		{ "d/l", "../x", true },
		{ "d/l", "../../x", false },
		{ "d/e/l", "../../x/y", true },
		{ "d/e/l", "../../../x", false },
		{ "d/l", "x/../y", false },  /* ".." after a name: x may be a symlink */
		{ "d/e/l", "../x/..", false },
		{ "d/l", "./../x", true },
		{ NULL, NULL, false },
	};
	char err[256], big[FILECOPY_MAX_LINK + 2];

	(void)state;
	for (size_t i = 0; cases[i].name; i++) {
		int rc = filecopy_link_check(cases[i].name, cases[i].target, strlen(cases[i].target),
		    err, sizeof(err));

		if ((rc == 0) != cases[i].ok)
			fail_msg("%s -> %s: got %d (%s)", cases[i].name, cases[i].target, rc,
			    rc ? err : "");
	}
	assert_int_equal(filecopy_link_check("l", "a\0b", 3, err, sizeof(err)), -1);
	assert_int_equal(filecopy_link_check("l", "", 0, err, sizeof(err)), -1);
	memset(big, 'a', sizeof(big));
	assert_int_equal(filecopy_link_check("l", big, FILECOPY_MAX_LINK, err, sizeof(err)), 0);
	assert_int_equal(filecopy_link_check("l", big, FILECOPY_MAX_LINK + 1, err, sizeof(err)), -1);
}

static void
test_source_name(void **state)
{
	(void)state;
	assert_true(filecopy_source_name_valid("work"));
	assert_true(filecopy_source_name_valid("sys-net_2"));
	assert_true(filecopy_source_name_valid("a234567890123456789012345678901")); /* 31 */
	assert_false(filecopy_source_name_valid("a2345678901234567890123456789012")); /* 32 */
	assert_false(filecopy_source_name_valid(""));
	assert_false(filecopy_source_name_valid(NULL));
	assert_false(filecopy_source_name_valid("1work"));
	assert_false(filecopy_source_name_valid("-work"));
	assert_false(filecopy_source_name_valid("../x"));
	assert_false(filecopy_source_name_valid("a/b"));
	assert_false(filecopy_source_name_valid("a.b"));
	assert_false(filecopy_source_name_valid("a b"));
}

static void
test_printable(void **state)
{
	char b[8];

	(void)state;
	assert_string_equal(filecopy_printable(b, sizeof(b), "a\nb\x80", 4), "a?b?");
	assert_string_equal(filecopy_printable(b, sizeof(b), "abcdefgh", 8), "abcd...");
	assert_string_equal(filecopy_printable(b, sizeof(b), "abcdefg", 7), "abcdefg");
}

/* ---- round trips ---- */

static void
make_tree(struct fx *f)
{
	char p[PATH_MAX + 64];
	unsigned char *big;
	size_t i, bigsz = 1024 * 1024 + 1;

	snprintf(p, sizeof(p), "%s/tree", f->src);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/tree/empty", f->src);
	write_file(p, "", 0, 0644);
	snprintf(p, sizeof(p), "%s/tree/one", f->src);
	write_file(p, "1", 1, 0600);
	big = malloc(bigsz);
	assert_non_null(big);
	for (i = 0; i < bigsz; i++)
		big[i] = (unsigned char)(i * 7 + i / 251);
	snprintf(p, sizeof(p), "%s/tree/big", f->src);
	write_file(p, big, bigsz, 0640);
	free(big);
	snprintf(p, sizeof(p), "%s/tree/run.sh", f->src);
	write_file(p, "#!/bin/sh\n", 10, 0750);
	snprintf(p, sizeof(p), "%s/tree/setuid", f->src);
	write_file(p, "s", 1, 04755);
	snprintf(p, sizeof(p), "%s/tree/emptydir", f->src);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/tree/n1", f->src);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/tree/n1/n2", f->src);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/tree/n1/n2/n3", f->src);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/tree/n1/n2/n3/deep.txt", f->src);
	write_file(p, "deep\n", 5, 0644);
	snprintf(p, sizeof(p), "%s/tree/n1/link", f->src);
	assert_int_equal(symlink("n2/n3/deep.txt", p), 0);
	snprintf(p, sizeof(p), "%s/tree/n1/n2/up", f->src);
	assert_int_equal(symlink("../../one", p), 0);
	snprintf(p, sizeof(p), "%s/solo", f->src);
	write_file(p, "solo\n", 5, 0644);
	snprintf(p, sizeof(p), "%s/toplink", f->src);
	assert_int_equal(symlink("solo", p), 0);
}

/* Compares a received tree with its source: contents, links, mtimes. */
static void
compare_trees(int sfd, const char *srel, int dfd, const char *drel)
{
	struct stat ss, ds;

	assert_int_equal(fstatat(sfd, srel, &ss, AT_SYMLINK_NOFOLLOW), 0);
	if (fstatat(dfd, drel, &ds, AT_SYMLINK_NOFOLLOW) != 0)
		fail_msg("'%s' missing in dest", drel);
	assert_int_equal(ss.st_mode & S_IFMT, ds.st_mode & S_IFMT);
	if (S_ISREG(ss.st_mode)) {
		mode_t want = ss.st_mode & 0111 ? 0755 : 0644;
		int a = openat(sfd, srel, O_RDONLY | O_CLOEXEC), b = openat(dfd, drel, O_RDONLY | O_CLOEXEC);
		static unsigned char x[65536], y[65536];
		ssize_t n, m;

		if ((ds.st_mode & 07777) != want)
			fail_msg("'%s': mode %o, expected %o", drel, ds.st_mode & 07777, want);
		assert_int_equal(ss.st_size, ds.st_size);
		assert_int_equal(ss.st_mtim.tv_sec, ds.st_mtim.tv_sec);
		assert_int_equal(ss.st_mtim.tv_nsec, ds.st_mtim.tv_nsec);
		assert_true(a >= 0 && b >= 0);
		do {
			n = read(a, x, sizeof(x));
			m = read(b, y, sizeof(y));
			assert_int_equal(n, m);
			assert_true(n < 0 || memcmp(x, y, (size_t)n) == 0);
		} while (n > 0);
		close(a);
		close(b);
	} else if (S_ISLNK(ss.st_mode)) {
		char t1[PATH_MAX], t2[PATH_MAX];
		ssize_t l1 = readlinkat(sfd, srel, t1, sizeof(t1)), l2 = readlinkat(dfd, drel, t2, sizeof(t2));

		assert_int_equal(l1, l2);
		assert_memory_equal(t1, t2, (size_t)l1);
	} else {
		struct dirent **names;
		int n = scandirat(sfd, srel, &names, NULL, alphasort), k, cnt = 0;
		struct dirent **dnames;
		int dn = scandirat(dfd, drel, &dnames, NULL, alphasort);

		if ((ds.st_mode & 07777) != 0755)
			fail_msg("'%s': directory mode %o", drel, ds.st_mode & 07777);
		assert_true(n >= 0 && dn >= 0);
		assert_int_equal(n, dn); /* nothing more, nothing less */
		for (k = 0; k < n; k++) {
			const char *nm = names[k]->d_name;

			if (strcmp(nm, ".") && strcmp(nm, "..")) {
				char sp[PATH_MAX], dp[PATH_MAX];

				snprintf(sp, sizeof(sp), "%s/%s", srel, nm);
				snprintf(dp, sizeof(dp), "%s/%s", drel, nm);
				compare_trees(sfd, sp, dfd, dp);
				cnt++;
			}
			free(names[k]);
			free(dnames[k]);
		}
		free(names);
		free(dnames);
		(void)cnt;
	}
}

/* Sends paths from a child process through a pipe, receives them here. */
static int
send_recv_pipe(struct fx *f, const char *const *paths, size_t n, struct filecopy_stats *st,
    char *err, size_t errlen)
{
	struct filecopy_limits lim;
	int p[2], status, rc;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char e[256];

		close(p[0]);
		_exit(filecopy_send(p[1], paths, n, e, sizeof(e)) == 0 ? 0 : 1);
	}
	close(p[1]);
	filecopy_limits_init(&lim);
	lim.no_openat2 = f->no_openat2;
	rc = filecopy_recv(p[0], f->destfd, &lim, st, err, errlen);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return rc;
}

static void
roundtrip(struct fx *f, bool no_openat2)
{
	char tree[PATH_MAX + 16], solo[PATH_MAX + 16], toplink[PATH_MAX + 16], err[512];
	const char *paths[] = { tree, solo, toplink };
	struct filecopy_stats sent, got;
	int sfd;

	f->no_openat2 = no_openat2;
	make_tree(f);
	resnap(f);
	snprintf(tree, sizeof(tree), "%s/tree/", f->src); /* a trailing '/' is fine */
	snprintf(solo, sizeof(solo), "%s/solo", f->src);
	snprintf(toplink, sizeof(toplink), "%s/toplink", f->src);
	assert_int_equal(filecopy_scan(paths, 3, &sent, err, sizeof(err)), 0);
	assert_int_equal(sent.files, 7);
	assert_int_equal(sent.dirs, 5);
	assert_int_equal(sent.symlinks, 3);
	assert_int_equal(sent.entries, 15);
	assert_int_equal(sent.bytes, 0 + 1 + 1024 * 1024 + 1 + 10 + 1 + 5 + 5);

	if (send_recv_pipe(f, paths, 3, &got, err, sizeof(err)) != 0)
		fail_msg("round trip failed: %s", err);
	assert_memory_equal(&sent, &got, sizeof(sent));
	sfd = open(f->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sfd >= 0);
	compare_trees(sfd, "tree", f->destfd, "tree");
	compare_trees(sfd, "solo", f->destfd, "solo");
	compare_trees(sfd, "toplink", f->destfd, "toplink");

	/* The same again: nothing is overwritten, all arrives as NAME.1. */
	if (send_recv_pipe(f, paths, 3, &got, err, sizeof(err)) != 0)
		fail_msg("second round trip failed: %s", err);
	compare_trees(sfd, "tree", f->destfd, "tree");
	compare_trees(sfd, "tree", f->destfd, "tree.1");
	compare_trees(sfd, "solo", f->destfd, "solo.1");
	compare_trees(sfd, "toplink", f->destfd, "toplink.1");
	close(sfd);
	assert_outside_unchanged(f);
}

static void
test_roundtrip(void **state)
{
	roundtrip(*state, false);
}

static void
test_roundtrip_walk(void **state)
{
	roundtrip(*state, true);
}

static void
test_send_errors(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX + 32], err[512];
	const char *paths[1] = { p };
	struct filecopy_stats st;

	snprintf(p, sizeof(p), "%s/missing", f->src);
	assert_int_equal(filecopy_scan(paths, 1, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));

	snprintf(p, sizeof(p), "%s/fifo", f->src);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(filecopy_scan(paths, 1, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(p);

	snprintf(p, sizeof(p), "%s/d", f->src);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/d/abs", f->src);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/d", f->src);
	assert_int_equal(filecopy_scan(paths, 1, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "absolute target"));
	snprintf(p, sizeof(p), "%s/d/abs", f->src);
	unlink(p);
	snprintf(p, sizeof(p), "%s/d/esc", f->src);
	assert_int_equal(symlink("../../victim", p), 0);
	snprintf(p, sizeof(p), "%s/d", f->src);
	assert_int_equal(filecopy_scan(paths, 1, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "points outside"));
	snprintf(p, sizeof(p), "%s/d/esc", f->src);
	unlink(p);

	snprintf(p, sizeof(p), "%s/d/bad\nname", f->src);
	write_file(p, "", 0, 0644);
	snprintf(p, sizeof(p), "%s/d", f->src);
	assert_int_equal(filecopy_scan(paths, 1, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "control character"));
	assert_null(strchr(err, '\n'));

	paths[0] = "/";
	assert_int_equal(filecopy_scan(paths, 1, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no name"));
}

/* "." is sent under the directory's real name. */
static void
test_send_dot(void **state)
{
	struct fx *f = *state;
	char cwd[PATH_MAX], err[512], p[PATH_MAX + 32];
	const char *paths[] = { "." };
	struct filecopy_stats st;
	struct stat sb;
	int m;

	snprintf(p, sizeof(p), "%s/d", f->src);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/d/x", f->src);
	write_file(p, "x", 1, 0644);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(p, sizeof(p), "%s/d", f->src);
	assert_int_equal(chdir(p), 0);
	m = memfd_create("s", MFD_CLOEXEC);
	assert_int_equal(filecopy_send(m, paths, 1, err, sizeof(err)), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(lseek(m, 0, SEEK_SET), 0);
	assert_int_equal(filecopy_recv(m, f->destfd, NULL, &st, err, sizeof(err)), 0);
	close(m);
	assert_int_equal(fstatat(f->destfd, "d/x", &sb, AT_SYMLINK_NOFOLLOW), 0);
}

static void
test_remove(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX + 32], err[256];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/r", f->src);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/r/sub", f->src);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/r/sub/f", f->src);
	write_file(p, "f", 1, 0);
	snprintf(p, sizeof(p), "%s/r/out", f->src);
	assert_int_equal(symlink(f->root, p), 0); /* must not be followed */
	snprintf(p, sizeof(p), "%s/r/", f->src);
	assert_int_equal(filecopy_remove_path(p, err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/r", f->src);
	assert_int_equal(lstat(p, &sb), -1);
	assert_outside_unchanged(f);
	assert_int_equal(filecopy_remove_path(".", err, sizeof(err)), -1);
}

/* ---- hostile streams ---- */

static void
test_bad_header(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };

	s_start_v(&s, 0x12345678, FILECOPY_VERSION);
	s_end(&s, 0, 0);
	expect_reject(f, &s, "magic");
	s.len = 0;
	s_start_v(&s, FILECOPY_MAGIC, 2);
	s_end(&s, 0, 0);
	expect_reject(f, &s, "version 2");
	s.len = 0;
	expect_reject(f, &s, "empty stream");
	s_start(&s);
	expect_reject(f, &s, "without its end record");
	buf_free(&s);
}

static void
test_traversal(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };

	s_start(&s);
	s_file(&s, "../x", 0644, "evil");
	s_end(&s, 1, 4);
	expect_reject(f, &s, "'..' component");

	s.len = 0;
	s_start(&s);
	s_dir(&s, "a");
	s_file(&s, "a/../../x", 0644, "evil");
	s_end(&s, 2, 4);
	expect_reject_lim(f, &s, "'..' component", NULL, "d ./a 755\n");

	s.len = 0;
	s_start(&s);
	s_file(&s, "a/../../../victim", 0644, "evil");
	s_end(&s, 1, 4);
	expect_reject(f, &s, "'..' component");
	buf_free(&s);
}

static void
test_absolute(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };
	char name[PATH_MAX + 16];

	snprintf(name, sizeof(name), "%s/victim", f->root);
	s_start(&s);
	s_file(&s, name, 0644, "evil");
	s_end(&s, 1, 4);
	expect_reject(f, &s, "absolute name");
	buf_free(&s);
}

static void
test_symlink_escape(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };
	char abs[PATH_MAX + 16];

	/* Out of the copy root, then a file written through the link. */
	s_start(&s);
	s_dir(&s, "d");
	s_link(&s, "d/l", "../../../../victim");
	s_file(&s, "d/l", 0644, "evil");
	s_end(&s, 3, 4);
	expect_reject_lim(f, &s, "points outside", NULL, "d ./d 755\n");

	s.len = 0;
	s_start(&s);
	s_link(&s, "l", "..");
	s_file(&s, "l/victim", 0644, "evil");
	s_end(&s, 2, 4);
	expect_reject(f, &s, "points outside");

	snprintf(abs, sizeof(abs), "%s/outside", f->root);
	s.len = 0;
	s_start(&s);
	s_link(&s, "l", abs);
	s_file(&s, "l/x", 0644, "evil");
	s_end(&s, 2, 4);
	expect_reject(f, &s, "absolute target");

	/* ".." after a name: "l1" could be a symlink to ".", escaping. */
	s.len = 0;
	s_start(&s);
	s_dir(&s, "d");
	s_link(&s, "d/l1", ".");
	s_link(&s, "d/l2", "l1/../../x");
	s_end(&s, 3, 0);
	expect_reject_lim(f, &s, "'..' after a name", NULL, "d ./d 755\nl ./d/l1 -> .\n");

	s.len = 0;
	s_start(&s);
	s_dir(&s, "d");
	s_entry_n(&s, FILECOPY_SYMLINK, 0777, "d/l", 3, "a\0b", 3);
	s_end(&s, 2, 0);
	expect_reject(f, &s, "NUL");
	buf_free(&s);
}

/* A symlink (a valid one) used as a directory by a later record. */
static void
test_symlink_component(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };

	s_start(&s);
	s_dir(&s, "d");
	s_dir(&s, "d/sub");
	s_link(&s, "d/l", "sub");
	s_file(&s, "d/l/f", 0644, "through");
	s_end(&s, 4, 7);
	expect_reject_lim(f, &s, "symlink or not a directory", NULL,
	    "d ./d 755\nl ./d/l -> sub\nd ./d/sub 755\n");

	s.len = 0;
	s_start(&s);
	s_dir(&s, "d");
	s_link(&s, "d/l", "..");
	s_dir(&s, "d/l/x");
	s_end(&s, 3, 0);
	expect_reject_lim(f, &s, "symlink or not a directory", NULL, "d ./d 755\nl ./d/l -> ..\n");

	/* A file as a directory. */
	s.len = 0;
	s_start(&s);
	s_dir(&s, "d");
	s_file(&s, "d/f", 0644, "");
	s_file(&s, "d/f/g", 0644, "");
	s_end(&s, 3, 0);
	expect_reject(f, &s, "not a directory");
	buf_free(&s);
}

/* A symlink made by someone else in dest is never followed either. */
static void
test_planted_symlink(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };
	char abs[PATH_MAX + 16], err[512], l1[300], l2[300];
	struct buf want = { 0 };
	struct filecopy_stats st;

	snprintf(abs, sizeof(abs), "%s/outside", f->root);
	for (int pass = 0; pass < 2; pass++) {
		f->no_openat2 = pass;
		assert_int_equal(symlinkat(abs, f->destfd, "evil"), 0);
		assert_int_equal(symlinkat(abs, f->destfd, "evil.1"), 0);
		s.len = 0;
		s_start(&s);
		s_dir(&s, "evil");
		s_file(&s, "evil/x", 0644, "data");
		s_file(&s, "evil.1", 0644, "data");
		s_end(&s, 3, 8);
		if (recv_bytes(f, s.p, s.len, NULL, &st, err, sizeof(err)) != 0)
			fail_msg("refused: %s", err);
		assert_outside_unchanged(f);
		/* "evil" and "evil.1" taken: evil.2/x and evil.1.1. */
		want.len = 0;
		buf_printf(&want, "l ./evil -> %s\nl ./evil.1 -> %s\n%sd ./evil.2 755\n%s", abs, abs,
		    fl(l1, sizeof(l1), "./evil.1.1", 0644, "data"),
		    fl(l2, sizeof(l2), "./evil.2/x", 0644, "data"));
		assert_dest_listing(f, (char *)want.p);
		clear_dest(f);

		assert_int_equal(symlinkat(abs, f->destfd, "evil"), 0);
		s.len = 0;
		s_start(&s);
		s_file(&s, "evil/x", 0644, "data");
		s_end(&s, 1, 4);
		assert_int_equal(recv_bytes(f, s.p, s.len, NULL, &st, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "not inside"));
		assert_outside_unchanged(f);
		clear_dest(f);

		/* A file record named like a symlink to a file outside. */
		snprintf(abs, sizeof(abs), "%s/victim", f->root);
		assert_int_equal(symlinkat(abs, f->destfd, "v"), 0);
		s.len = 0;
		s_start(&s);
		s_file(&s, "v", 0644, "evil");
		s_end(&s, 1, 4);
		if (recv_bytes(f, s.p, s.len, NULL, &st, err, sizeof(err)) != 0)
			fail_msg("refused: %s", err);
		want.len = 0;
		buf_printf(&want, "l ./v -> %s\n%s", abs, fl(l1, sizeof(l1), "./v.1", 0644, "evil"));
		assert_dest_listing(f, (char *)want.p);
		assert_outside_unchanged(f);
		clear_dest(f);
		snprintf(abs, sizeof(abs), "%s/outside", f->root);
	}
	f->no_openat2 = false;
	buf_free(&s);
	buf_free(&want);
}

static void
test_long_names(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };
	char *name = malloc(10000);

	assert_non_null(name);
	memset(name, 'a', 10000);
	s_start(&s);
	s_entry_n(&s, FILECOPY_FILE, 0644, name, 10000, "x", 1);
	s_end(&s, 1, 1);
	expect_reject(f, &s, "name length 10000");

	for (int i = 0; i < 10000; i++)
		name[i] = i % 2 ? '/' : 'a';
	s.len = 0;
	s_start(&s);
	s_hdr(&s, FILECOPY_FILE, 0644, 10000, 1, 0, 0);
	buf_put(&s, name, 10000);
	expect_reject(f, &s, "name length 10000");

	/* 256 bytes in one component. */
	memset(name, 'b', 256);
	s.len = 0;
	s_start(&s);
	s_entry_n(&s, FILECOPY_FILE, 0644, name, 256, "x", 1);
	s_end(&s, 1, 1);
	expect_reject(f, &s, "component of 256 bytes");

	s.len = 0;
	s_start(&s);
	s_entry_n(&s, FILECOPY_FILE, 0644, "", 0, "x", 1);
	s_end(&s, 1, 1);
	expect_reject(f, &s, "name length 0");
	free(name);
	buf_free(&s);
}

static void
test_bad_bytes_in_name(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };

	s_start(&s);
	s_entry_n(&s, FILECOPY_FILE, 0644, "ok\0../../victim", 15, "x", 1);
	s_end(&s, 1, 1);
	expect_reject(f, &s, "NUL");

	s.len = 0;
	s_start(&s);
	s_file(&s, "line\nbreak", 0644, "");
	s_end(&s, 1, 0);
	expect_reject(f, &s, "control character");

	static const char *bad[] = { "a//b", "a/", "./x", "x/.", ".", NULL };
	for (int i = 0; bad[i]; i++) {
		s.len = 0;
		s_start(&s);
		s_dir(&s, "a");
		s_file(&s, bad[i], 0644, "");
		s_end(&s, 2, 0);
		expect_reject(f, &s, "name '");
	}
	buf_free(&s);
}

/* The prefix of a valid stream, cut at every byte: always refused, nothing
 * outside dest, and every regular file left in dest is complete. */
static void
test_truncated_everywhere(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX + 32], err[512];
	const char *paths[] = { p };
	struct filecopy_stats st;
	unsigned char *stream;
	off_t len;
	int m;

	snprintf(p, sizeof(p), "%s/t", f->src);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/t/a", f->src);
	write_file(p, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 71, 0644);
	snprintf(p, sizeof(p), "%s/t/e", f->src);
	write_file(p, "", 0, 0755);
	snprintf(p, sizeof(p), "%s/t/s", f->src);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/t/s/b", f->src);
	write_file(p, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 33, 0644);
	snprintf(p, sizeof(p), "%s/t/s/l", f->src);
	assert_int_equal(symlink("../a", p), 0);
	snprintf(p, sizeof(p), "%s/t", f->src);
	resnap(f);

	m = memfd_create("s", MFD_CLOEXEC);
	assert_int_equal(filecopy_send(m, paths, 1, err, sizeof(err)), 0);
	len = lseek(m, 0, SEEK_END);
	assert_true(len > 0);
	stream = malloc((size_t)len);
	assert_non_null(stream);
	assert_int_equal(pread(m, stream, (size_t)len, 0), len);
	close(m);

	for (off_t cut = 0; cut <= len; cut++) {
		int rc;

		f->no_openat2 = cut % 2;
		f->use_pipe = cut % 3 == 0;
		err[0] = '\0';
		rc = recv_bytes(f, stream, (size_t)cut, NULL, &st, err, sizeof(err));
		if (cut < len) {
			if (rc != -1)
				fail_msg("stream cut at %lld of %lld accepted", (long long)cut, (long long)len);
			if (err[0] == '\0' || strchr(err, '\n') != NULL)
				fail_msg("cut at %lld: bad reason '%s'", (long long)cut, err);
		} else if (rc != 0) {
			fail_msg("whole stream refused: %s", err);
		}
		assert_outside_unchanged(f);
		{
			struct stat sb;

			/* Files are there whole, or not at all. */
			if (fstatat(f->destfd, "t/a", &sb, AT_SYMLINK_NOFOLLOW) == 0)
				assert_int_equal(sb.st_size, 71);
			if (fstatat(f->destfd, "t/s/b", &sb, AT_SYMLINK_NOFOLLOW) == 0)
				assert_int_equal(sb.st_size, 33);
			assert_int_equal(st.bytes, (fstatat(f->destfd, "t/a", &sb, 0) == 0 ? 71 : 0) +
			    (fstatat(f->destfd, "t/s/b", &sb, 0) == 0 ? 33 : 0));
		}
		clear_dest(f);
	}
	f->no_openat2 = false;
	f->use_pipe = false;
	free(stream);
}

static void
test_size_larger_than_data(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };
	char line[300];

	s_start(&s);
	s_file(&s, "whole", 0644, "kept");
	s_hdr(&s, FILECOPY_FILE, 0644, 4, 100, 0, 0);
	buf_put(&s, "part", 4);
	buf_put(&s, "only ten b", 10);
	/* The partial file is removed, the complete one stays. */
	expect_reject_lim(f, &s, "truncated in 'part' (10 of 100 bytes)", NULL,
	    fl(line, sizeof(line), "./whole", 0644, "kept"));

	/* Large enough to be spliced out of a pipe: 1 MiB said, 300 KiB sent. */
	{
		size_t sent = 300 * 1024;
		char *chunk = calloc(1, sent);

		assert_non_null(chunk);
		s.len = 0;
		s_start(&s);
		s_file(&s, "whole", 0644, "kept");
		s_hdr(&s, FILECOPY_FILE, 0644, 3, 1024 * 1024, 0, 0);
		buf_put(&s, "big", 3);
		buf_put(&s, chunk, sent);
		free(chunk);
		expect_reject_lim(f, &s, "truncated in 'big' (307200 of 1048576 bytes)", NULL,
		    fl(line, sizeof(line), "./whole", 0644, "kept"));
	}

	/* Smaller than the data: the rest is read as a record. */
	s.len = 0;
	s_start(&s);
	s_hdr(&s, FILECOPY_FILE, 0644, 1, 2, 0, 0);
	buf_put(&s, "f", 1);
	buf_put(&s, "more data than said, more data than said, more data than said", 61);
	s_end(&s, 1, 2);
	expect_reject(f, &s, "record");
	buf_free(&s);
}

static void
test_overwrite(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };
	char err[512], want[1024], l1[300], l2[300], l3[300];
	struct filecopy_stats st;
	int fd;

	/* Below the top level a name exists only if sent twice. */
	s_start(&s);
	s_dir(&s, "d");
	s_file(&s, "d/f", 0644, "AAA");
	s_file(&s, "d/f", 0644, "BBB");
	s_end(&s, 3, 6);
	snprintf(want, sizeof(want), "d ./d 755\n%s", fl(l1, sizeof(l1), "./d/f", 0644, "AAA"));
	expect_reject_lim(f, &s, "'d/f' already exists", NULL, want);

	s.len = 0;
	s_start(&s);
	s_dir(&s, "d");
	s_dir(&s, "d/s");
	s_file(&s, "d/s", 0644, "BBB");
	s_end(&s, 3, 3);
	expect_reject(f, &s, "already exists");

	/* At the top level: NAME.1, never the old file. */
	fd = openat(f->destfd, "f", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old", 3), 3);
	close(fd);
	s.len = 0;
	s_start(&s);
	s_file(&s, "f", 0644, "AAA");
	s_file(&s, "f", 0644, "BBB");
	s_end(&s, 2, 6);
	assert_int_equal(recv_bytes(f, s.p, s.len, NULL, &st, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s%s%s", fl(l1, sizeof(l1), "./f", 0600, "old"),
	    fl(l2, sizeof(l2), "./f.1", 0644, "AAA"), fl(l3, sizeof(l3), "./f.2", 0644, "BBB"));
	assert_dest_listing(f, want);
	assert_outside_unchanged(f);
	clear_dest(f);
	buf_free(&s);
}

static void
test_modes(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };
	char err[512];
	struct filecopy_stats st;
	static const uint32_t bad[] = { 04755, 02755, 01777, 0100644, 0xffffffffu, 0 };

	for (int i = 0; bad[i]; i++) {
		s.len = 0;
		s_start(&s);
		s_file(&s, "f", bad[i], "x");
		s_end(&s, 1, 1);
		expect_reject(f, &s, "setuid, setgid, sticky");
		s.len = 0;
		s_start(&s);
		s_entry_n(&s, FILECOPY_DIR, bad[i], "d", 1, NULL, 0);
		s_end(&s, 1, 0);
		expect_reject(f, &s, "setuid, setgid, sticky");
	}

	/* Sanitised: 0644, 0755 with any x bit, 0755 directories. */
	s.len = 0;
	s_start(&s);
	s_file(&s, "a", 0, "");
	s_file(&s, "b", 0777, "");
	s_file(&s, "c", 0001, "");
	s_file(&s, "e", 0600, "");
	s_entry_n(&s, FILECOPY_DIR, 0, "d", 1, NULL, 0);
	s_entry_n(&s, FILECOPY_DIR, 0777, "d2", 2, NULL, 0);
	s_end(&s, 6, 0);
	umask(077);
	assert_int_equal(recv_bytes(f, s.p, s.len, NULL, &st, err, sizeof(err)), 0);
	umask(022);
	assert_dest_listing(f, "f ./a 644 0 0\nf ./b 755 0 0\nf ./c 755 0 0\nd ./d 755\n"
	    "d ./d2 755\nf ./e 644 0 0\n");
	clear_dest(f);
	buf_free(&s);
}

static void
test_bad_records(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };
	char line[300];

	s_start(&s);
	s_hdr(&s, 9, 0644, 1, 0, 0, 0);
	buf_put(&s, "x", 1);
	s_end(&s, 1, 0);
	expect_reject(f, &s, "unknown type 9");

	s.len = 0;
	s_start(&s);
	s_hdr(&s, FILECOPY_FILE, 0644, 1, 0, 0, 0);
	s.p[8 + 12] = 1; /* reserved */
	buf_put(&s, "x", 1);
	s_end(&s, 1, 0);
	expect_reject(f, &s, "reserved");

	s.len = 0;
	s_start(&s);
	s_hdr(&s, FILECOPY_DIR, 0755, 1, 5, 0, 0);
	buf_put(&s, "d", 1);
	s_end(&s, 1, 0);
	expect_reject(f, &s, "directory record with a size");

	s.len = 0;
	s_start(&s);
	s_hdr(&s, FILECOPY_FILE, 0644, 1, 0, 0, 1000000000u);
	buf_put(&s, "f", 1);
	s_end(&s, 1, 0);
	expect_reject(f, &s, "modification time");

	s.len = 0;
	s_start(&s);
	s_file(&s, "f", 0644, "abc");
	s_end(&s, 2, 3);
	expect_reject_lim(f, &s, "end record counts 2 entries", NULL,
	    fl(line, sizeof(line), "./f", 0644, "abc"));

	s.len = 0;
	s_start(&s);
	s_file(&s, "f", 0644, "abc");
	s_end(&s, 1, 4);
	expect_reject(f, &s, "end record counts 1 entries, 4 bytes");

	s.len = 0;
	s_start(&s);
	s_hdr(&s, FILECOPY_END, 0, 3, 0, 0, 0);
	expect_reject(f, &s, "malformed end record");

	s.len = 0;
	s_start(&s);
	s_hdr(&s, FILECOPY_END, 0, 0, 0, 0, 0);
	buf_put(&s, "12345678", 8);
	expect_reject(f, &s, "truncated in the end record");

	/* Symlink targets: empty, too long. */
	s.len = 0;
	s_start(&s);
	s_entry_n(&s, FILECOPY_SYMLINK, 0777, "l", 1, NULL, 0);
	s_end(&s, 1, 0);
	expect_reject(f, &s, "target length 0");
	s.len = 0;
	s_start(&s);
	s_hdr(&s, FILECOPY_SYMLINK, 0777, 1, 4096, 0, 0);
	buf_put(&s, "l", 1);
	expect_reject(f, &s, "target length 4096");

	/* Order: deeper names belong to the top-level directory just sent. */
	s.len = 0;
	s_start(&s);
	s_dir(&s, "a");
	s_file(&s, "b", 0644, "");
	s_file(&s, "a/x", 0644, "");
	s_end(&s, 3, 0);
	expect_reject(f, &s, "'a/x' is not inside");

	s.len = 0;
	s_start(&s);
	s_file(&s, "a/x", 0644, "");
	s_end(&s, 1, 0);
	expect_reject(f, &s, "not inside");

	s.len = 0;
	s_start(&s);
	s_dir(&s, "a");
	s_file(&s, "a/b/c", 0644, "");
	s_end(&s, 2, 0);
	expect_reject(f, &s, "was not sent");
	buf_free(&s);
}

static void
test_limits(void **state)
{
	struct fx *f = *state;
	struct buf s = { 0 };
	struct filecopy_limits lim;

	filecopy_limits_init(&lim);
	assert_int_equal(lim.max_file, FILECOPY_MAX_FILE);

	s_start(&s);
	s_hdr(&s, FILECOPY_FILE, 0644, 1, FILECOPY_MAX_FILE + 1, 0, 0);
	buf_put(&s, "f", 1);
	expect_reject(f, &s, "over the limit");
	s.len = 0;
	s_start(&s);
	s_hdr(&s, FILECOPY_FILE, 0644, 1, UINT64_MAX, 0, 0);
	buf_put(&s, "f", 1);
	expect_reject(f, &s, "over the limit");

	lim.max_file = 10;
	s.len = 0;
	s_start(&s);
	s_file(&s, "ok", 0644, "0123456789");
	s_file(&s, "big", 0644, "0123456789a");
	s_end(&s, 2, 21);
	expect_reject_lim(f, &s, "size 11 is over the limit of 10", &lim, NULL);

	filecopy_limits_init(&lim);
	lim.max_total = 15;
	expect_reject_lim(f, &s, "over the limit of 15", &lim, NULL);

	filecopy_limits_init(&lim);
	lim.max_entries = 1;
	expect_reject_lim(f, &s, "more than 1 entries", &lim, NULL);
	buf_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_link_check),
		cmocka_unit_test(test_source_name),
		cmocka_unit_test(test_printable),
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_dot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_traversal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_escape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_component, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bytes_in_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_larger_than_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overwrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
