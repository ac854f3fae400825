/* libFuzzer harness for the file-copy receiver: the stream comes from another
 * qube, so no input may crash it, and nothing may ever appear outside the
 * destination. Layout, made once in a temporary sandbox:
 *
 *   SANDBOX/victim        "precious\n", 0600: must stay as it is
 *   SANDBOX/a/b/c/dest/   a fresh destination for each input
 *
 * After each input: SANDBOX, a, b and c hold exactly what they held, victim
 * is unchanged, everything in dest has a sanitised mode and a symlink target
 * that stays inside dest; then dest is removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "filecopy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sandbox[PATH_MAX];
static int sandfd = -1, afd = -1, bfd = -1, cfd = -1, memfd = -1;

static void
cleanup(void)
{
	char err[256];
	char *slash = strrchr(sandbox, '/');
	int parent;

	if (slash == NULL)
		return;
	*slash = '\0';
	parent = open(sandbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent >= 0) {
		filecopy_remove_at(parent, slash + 1, err, sizeof(err));
		close(parent);
	}
}

static int
open_dir(int dirfd, const char *name)
{
	int fd;

	if (mkdirat(dirfd, name, 0755) == -1 && errno != EEXIST)
		__builtin_trap();
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		__builtin_trap();
	return fd;
}

static void
init(void)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	int fd;

	snprintf(sandbox, sizeof(sandbox), "%s/fuzz_filecopy.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(sandbox) == NULL)
		__builtin_trap();
	atexit(cleanup);
	sandfd = open(sandbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sandfd == -1)
		__builtin_trap();
	fd = openat(sandfd, "victim", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, "precious\n", 9) != 9)
		__builtin_trap();
	close(fd);
	afd = open_dir(sandfd, "a");
	bfd = open_dir(afd, "b");
	cfd = open_dir(bfd, "c");
	memfd = memfd_create("fuzz_filecopy", MFD_CLOEXEC);
	if (memfd == -1)
		__builtin_trap();
}

/* The directory holds exactly the names given (NULL-terminated, sorted). */
static void
expect_only(int dirfd, const char *const *names)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	size_t n = 0, want = 0;
	DIR *d;

	if (fd == -1 || (d = fdopendir(fd)) == NULL)
		__builtin_trap();
	while (names[want] != NULL)
		want++;
	while ((de = readdir(d)) != NULL) {
		size_t i;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (i = 0; i < want; i++)
			if (!strcmp(de->d_name, names[i]))
				break;
		if (i == want)
			__builtin_trap(); /* something appeared outside dest */
		n++;
	}
	closedir(d);
	if (n != want)
		__builtin_trap();
}

/* Independent of the receiver's own rule: the kernel resolves the symlink
 * (path, relative to dest) and says EXDEV if that would leave dest. */
static void
check_contained(int destfd, const char *path)
{
#ifdef SYS_openat2
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, destfd, path, &how, sizeof(how));
	if (fd >= 0)
		close((int)fd);
	else if (errno == EXDEV)
		__builtin_trap(); /* this symlink leads out of dest */
#else
	(void)destfd;
	(void)path;
#endif
}

static int dest_fd = -1;

/* What the receiver created: sanitised modes, contained symlinks. */
static void
check_tree(int dirfd, char *path, size_t len)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd == -1 || (d = fdopendir(fd)) == NULL)
		__builtin_trap();
	while ((de = readdir(d)) != NULL) {
		size_t nlen = strlen(de->d_name);
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (len + nlen + 2 > FILECOPY_MAX_PATH + 64)
			__builtin_trap();
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			__builtin_trap();
		snprintf(path + len, FILECOPY_MAX_PATH + 64 - len, "%s%s", len ? "/" : "", de->d_name);
		if (S_ISREG(st.st_mode)) {
			if ((st.st_mode & 07777) != 0644 && (st.st_mode & 07777) != 0755)
				__builtin_trap();
		} else if (S_ISDIR(st.st_mode)) {
			int sub;

			if ((st.st_mode & 07777) != 0755)
				__builtin_trap();
			sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1)
				__builtin_trap();
			check_tree(sub, path, strlen(path));
			close(sub);
		} else if (S_ISLNK(st.st_mode)) {
			char target[FILECOPY_MAX_LINK + 1], err[256];
			ssize_t n = readlinkat(dirfd, de->d_name, target, sizeof(target));

			/* Names in dest may carry a ".N" suffix: same depth, same rule. */
			if (n <= 0 || n > FILECOPY_MAX_LINK ||
			    filecopy_link_check(path, target, (size_t)n, err, sizeof(err)) != 0)
				__builtin_trap();
			check_contained(dest_fd, path);
		} else {
			__builtin_trap();
		}
		path[len] = '\0';
	}
	closedir(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const top[] = { "a", "victim", NULL };
	static const char *const in_a[] = { "b", NULL };
	static const char *const in_b[] = { "c", NULL };
	static const char *const in_c[] = { "dest", NULL };
	char err[512], path[FILECOPY_MAX_PATH + 64] = "", victim[16];
	struct filecopy_limits lim;
	struct filecopy_stats st;
	struct stat vs;
	int destfd, rc, fd, in, p[2];

	if (memfd == -1)
		init();
	if ((size & 2) && size <= 65536) {
		/* A pipe, as from the agent (its default size holds the input). */
		if (pipe2(p, O_CLOEXEC) == -1 ||
		    (size > 0 && write(p[1], data, size) != (ssize_t)size))
			__builtin_trap();
		close(p[1]);
		in = p[0];
	} else {
		if (ftruncate(memfd, 0) == -1 ||
		    (size > 0 && pwrite(memfd, data, size, 0) != (ssize_t)size) ||
		    lseek(memfd, 0, SEEK_SET) != 0)
			__builtin_trap();
		in = memfd;
	}
	if (mkdirat(cfd, "dest", 0700) == -1)
		__builtin_trap();
	destfd = openat(cfd, "dest", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (destfd == -1)
		__builtin_trap();

	filecopy_limits_init(&lim);
	lim.max_file = 1 << 20;
	lim.max_entries = 4096;
	lim.no_openat2 = size & 1; /* both ways of resolving parents */
	memset(err, 'X', sizeof(err));
	rc = filecopy_recv(in, destfd, &lim, &st, err, sizeof(err));
	if (in != memfd)
		close(in);
	if (rc != 0 && rc != -1)
		__builtin_trap();
	if (memchr(err, '\0', sizeof(err)) == NULL || strchr(err, '\n') != NULL)
		__builtin_trap();
	if (rc == -1 && err[0] == '\0')
		__builtin_trap();
	if (st.bytes > size || st.entries != st.files + st.dirs + st.symlinks)
		__builtin_trap();

	expect_only(sandfd, top);
	expect_only(afd, in_a);
	expect_only(bfd, in_b);
	expect_only(cfd, in_c);
	fd = openat(sandfd, "victim", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &vs) == -1 || read(fd, victim, sizeof(victim)) != 9 ||
	    memcmp(victim, "precious\n", 9) != 0 || (vs.st_mode & 07777) != 0600)
		__builtin_trap();
	close(fd);
	dest_fd = destfd;
	check_tree(destfd, path, 0);

	close(destfd);
	if (filecopy_remove_at(cfd, "dest", err, sizeof(err)) != 0)
		__builtin_trap();
	return 0;
}
