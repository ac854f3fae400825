/* Unit tests for lib/atomicfile.h, including a crash (SIGKILL at random
 * points) during replacement: the file must hold the old or the new content,
 * never a torn or empty one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sys/syscall.h>

#include "atomicfile.h"

/* ---- tracing of fsync(2) and rename(2) ----
 * The crash test below kills a process, which loses nothing the kernel has
 * already accepted; it cannot tell whether data reach the disk. So these
 * definitions take the place of libc's for libbulkhead (the linker resolves
 * atomicfile.o's calls to them) and record the order of the calls, which is
 * what makes a replacement durable: the data, then the rename, then the
 * directory. */

static bool tracing;
static char trace_dir[PATH_MAX];
static char trace_log[4096];

/* Paths are logged relative to trace_dir ("." for the directory itself). */
static const char *
relative(const char *path)
{
	size_t n = strlen(trace_dir);

	if (strncmp(path, trace_dir, n) != 0)
		return path;
	if (path[n] == '\0')
		return ".";
	return path[n] == '/' ? path + n + 1 : path;
}

static void
trace_add(const char *what, const char *a, const char *b)
{
	size_t n = strlen(trace_log);

	snprintf(trace_log + n, sizeof(trace_log) - n, "%s %s%s%s; ", what, relative(a),
	    b != NULL ? " " : "", b != NULL ? relative(b) : "");
}

int
fsync(int fd)
{
	if (tracing) {
		char link[64], target[PATH_MAX];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		trace_add("fsync", target, NULL);
	}
	return (int)syscall(SYS_fsync, fd);
}

int
rename(const char *from, const char *to)
{
	if (tracing)
		trace_add("rename", from, to);
	return renameat(AT_FDCWD, from, AT_FDCWD, to);
}

struct fixture {
	char dir[1024];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	if ((size_t)snprintf(f->dir, sizeof(f->dir), "%s/test_atomicfile.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp") >= sizeof(f->dir) ||
	    mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* The test directories are flat, apart from one subdirectory level. */
static void
rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= sizeof(p))
			continue;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	rm_tree(f->dir);
	free(f);
	return 0;
}

static char *
path_of(const struct fixture *f, const char *name, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", f->dir, name) >= len)
		fail_msg("path too long");
	return buf;
}

/* Whole file into a malloc'd buffer; NULL if it does not exist. */
static char *
slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fd < 0)
		return NULL;
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return buf;
}

static void
assert_file(const struct fixture *f, const char *name, const void *data, size_t len)
{
	char p[PATH_MAX], *got;
	size_t n;

	got = slurp(path_of(f, name, p, sizeof(p)), &n);
	if (got == NULL)
		fail_msg("%s: %s", p, strerror(errno));
	if (n != len || memcmp(got, data, len) != 0)
		fail_msg("%s: %zu bytes, not the %zu written", p, n, len);
	free(got);
}

static unsigned
mode_of(const struct fixture *f, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	if (stat(path_of(f, name, p, sizeof(p)), &st) != 0)
		fail_msg("%s: %s", p, strerror(errno));
	return st.st_mode & 07777;
}

/* Number of directory entries (without . and ..); the names go to *names. */
static int
list_dir(const char *dir, char *names, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	names[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		strncat(names, " ", len - strlen(names) - 1);
		strncat(names, e->d_name, len - strlen(names) - 1);
	}
	closedir(d);
	return n;
}

static void
assert_only(const struct fixture *f, int count)
{
	char names[4096];
	int n = list_dir(f->dir, names, sizeof(names));

	if (n != count)
		fail_msg("expected %d entries in %s, found:%s", count, f->dir, names);
}

static void
test_write_read(void **state)
{
	struct fixture *f = *state;
	static const char bin[] = "a\0b\nc\xff";
	char *big;
	size_t biglen = 3 * 1024 * 1024 + 17;

	assert_int_equal(atomic_write_file(f->dir, "state.json", "{\"a\":1}\n", 8, 0600), 0);
	assert_file(f, "state.json", "{\"a\":1}\n", 8);
	assert_int_equal(mode_of(f, "state.json"), 0600);

	assert_int_equal(atomic_write_file(f->dir, "empty", "", 0, 0644), 0);
	assert_file(f, "empty", "", 0);

	assert_int_equal(atomic_write_file(f->dir, "bin", bin, sizeof(bin), 0644), 0);
	assert_file(f, "bin", bin, sizeof(bin));

	big = malloc(biglen);
	assert_non_null(big);
	for (size_t i = 0; i < biglen; i++)
		big[i] = (char)(i * 7 + i / 4096);
	assert_int_equal(atomic_write_file(f->dir, "big", big, biglen, 0644), 0);
	assert_file(f, "big", big, biglen);
	free(big);

	assert_only(f, 4);
}

static void
test_replace(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];
	struct stat before, after;
	char old[64];
	int fd;

	assert_int_equal(atomic_write_file(f->dir, "q.cfg", "old content\n", 12, 0640), 0);
	assert_int_equal(mode_of(f, "q.cfg"), 0640);
	assert_int_equal(stat(path_of(f, "q.cfg", p, sizeof(p)), &before), 0);
	/* A reader holding the old file keeps reading the old content. */
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);

	/* Same mode: kept; shorter content: no tail of the old one left. */
	assert_int_equal(atomic_write_file(f->dir, "q.cfg", "new\n", 4, 0640), 0);
	assert_file(f, "q.cfg", "new\n", 4);
	assert_int_equal(mode_of(f, "q.cfg"), 0640);
	assert_int_equal(stat(p, &after), 0);
	assert_true(before.st_ino != after.st_ino);
	assert_int_equal(read(fd, old, sizeof(old)), 12);
	assert_memory_equal(old, "old content\n", 12);
	close(fd);

	/* The mode asked for wins over the replaced file's, both ways. */
	assert_int_equal(atomic_write_file(f->dir, "q.cfg", "newer\n", 6, 0600), 0);
	assert_int_equal(mode_of(f, "q.cfg"), 0600);
	assert_file(f, "q.cfg", "newer\n", 6);
	assert_int_equal(atomic_write_file(f->dir, "q.cfg", "newest\n", 7, 0644), 0);
	assert_int_equal(mode_of(f, "q.cfg"), 0644);
	assert_file(f, "q.cfg", "newest\n", 7);

	assert_only(f, 1);
}

static void
test_no_temp_left(void **state)
{
	struct fixture *f = *state;
	char names[4096];

	for (int i = 0; i < 20; i++) {
		char name[32], data[64];
		int n = snprintf(data, sizeof(data), "generation %d\n", i);
		snprintf(name, sizeof(name), "f%d", i % 3);
		assert_int_equal(atomic_write_file(f->dir, name, data, (size_t)n, 0644), 0);
	}
	assert_int_equal(list_dir(f->dir, names, sizeof(names)), 3);
	assert_non_null(strstr(names, " f0"));
	assert_non_null(strstr(names, " f1"));
	assert_non_null(strstr(names, " f2"));
	assert_file(f, "f1", "generation 19\n", 14);
}

static void
test_missing_dir(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/does-not-exist", f->dir);
	errno = 0;
	assert_int_equal(atomic_write_file(dir, "x", "data", 4, 0644), -1);
	assert_int_equal(errno, ENOENT);
	assert_only(f, 0);

	errno = 0;
	assert_int_equal(fsync_dir(dir), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fsync_dir(f->dir), 0);
}

static void
test_dir_is_a_file(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];

	assert_int_equal(atomic_write_file(f->dir, "plain", "x", 1, 0644), 0);
	path_of(f, "plain", p, sizeof(p));
	errno = 0;
	assert_int_equal(atomic_write_file(p, "x", "data", 4, 0644), -1);
	assert_int_equal(errno, ENOTDIR);
	errno = 0;
	assert_int_equal(fsync_dir(p), -1);
	assert_int_equal(errno, ENOTDIR);
}

static void
test_name_too_long(void **state)
{
	struct fixture *f = *state;
	char *name = malloc(5000);

	assert_non_null(name);
	memset(name, 'n', 4999);
	name[4999] = '\0';
	errno = 0;
	assert_int_equal(atomic_write_file(f->dir, name, "data", 4, 0644), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	free(name);
	assert_only(f, 0);
}

/* A failed rename (the target is a directory) reports the error and leaves
 * no temp file behind. */
static void
test_failure_cleans_up(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];

	assert_int_equal(mkdir(path_of(f, "target", p, sizeof(p)), 0755), 0);
	errno = 0;
	assert_int_equal(atomic_write_file(f->dir, "target", "data", 4, 0644), -1);
	assert_int_equal(errno, EISDIR);
	assert_only(f, 1);
}

/* A write that fails half way (file size limit) keeps the old content. */
static void
test_short_write_keeps_old(void **state)
{
	struct fixture *f = *state;
	struct rlimit saved, lim;
	void (*oldsig)(int);
	char *big = calloc(1, 65536);
	int r, e;

	assert_non_null(big);
	assert_int_equal(atomic_write_file(f->dir, "s", "old", 3, 0644), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	lim = saved;
	lim.rlim_cur = 4096;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	errno = 0;
	r = atomic_write_file(f->dir, "s", big, 65536, 0644);
	e = errno;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, oldsig);
	free(big);
	assert_int_equal(r, -1);
	assert_int_equal(e, EFBIG);
	assert_file(f, "s", "old", 3);
	assert_only(f, 1);
}

/* Data, rename, directory: in that order, each synced. */
static void
test_sync_order(void **state)
{
	struct fixture *f = *state;
	char real[PATH_MAX];

	/* /proc shows the resolved path: trace with the same spelling. */
	assert_non_null(realpath(f->dir, real));
	snprintf(trace_dir, sizeof(trace_dir), "%s", real);
	trace_log[0] = '\0';
	tracing = true;
	assert_int_equal(atomic_write_file(real, "q.cfg", "x = 1\n", 6, 0644), 0);
	tracing = false;
	assert_string_equal(trace_log, "fsync .q.cfg.tmp; rename .q.cfg.tmp q.cfg; fsync .; ");

	trace_log[0] = '\0';
	tracing = true;
	assert_int_equal(fsync_dir(real), 0);
	tracing = false;
	assert_string_equal(trace_log, "fsync .; ");
}

/* The file gets the mode asked for, whatever the umask. */
static void
test_mode_exact(void **state)
{
	struct fixture *f = *state;
	mode_t old = umask(077);

	assert_int_equal(atomic_write_file(f->dir, "pub", "x", 1, 0644), 0);
	assert_int_equal(atomic_write_file(f->dir, "grp", "x", 1, 0640), 0);
	umask(0);
	assert_int_equal(atomic_write_file(f->dir, "own", "x", 1, 0600), 0);
	umask(old);
	assert_int_equal(mode_of(f, "pub"), 0644);
	assert_int_equal(mode_of(f, "grp"), 0640);
	assert_int_equal(mode_of(f, "own"), 0600);
}

/* A crash can leave the temp file behind (see the crash test). The next
 * write must still give the file the mode asked for: a secret written 0600
 * must not inherit the 0644 of a stale temp file. */
static void
test_stale_temp_mode(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];
	int fd;

	fd = open(path_of(f, ".secret.tmp", p, sizeof(p)), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "torn", 4), 4);
	close(fd);
	assert_int_equal(atomic_write_file(f->dir, "secret", "key material", 12, 0600), 0);
	assert_file(f, "secret", "key material", 12);
	if (mode_of(f, "secret") != 0600)
		fail_msg("secret written with mode 0600 has mode %04o (from the stale temp file)",
		    mode_of(f, "secret"));
	assert_only(f, 1);
}

/* ---- the crash test ---- */

#define CRASH_LEN (1024 * 1024)

/* Generation g: its own length and bytes, so old, new and any mix differ. */
static size_t
gen_fill(char *buf, unsigned g)
{
	size_t len = CRASH_LEN - (g % 2) * 4093;
	int n = snprintf(buf, 64, "generation %u\n", g);

	for (size_t i = (size_t)n; i < len; i++)
		buf[i] = (char)('a' + (g + i / 997) % 26);
	buf[len - 1] = '\n';
	return len;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t
spawn_writer(const char *dir, const char *buf, size_t len)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(atomic_write_file(dir, "state", buf, len, 0644) == 0 ? 0 : 1);
	return pid;
}

static void
test_crash_old_or_new(void **state)
{
	struct fixture *f = *state;
	char *cur = malloc(CRASH_LEN), *next = malloc(CRASH_LEN), *tmp, p[PATH_MAX], tp[PATH_MAX];
	size_t curlen, nextlen;
	unsigned g = 0, seed;
	const char *env = getenv("ATOMICFILE_SEED");
	double full = 0;
	int iters = 0, killed_old = 0, killed_new = 0, completed = 0, in_window = 0;

	assert_non_null(cur);
	assert_non_null(next);
	seed = env != NULL ? (unsigned)strtoul(env, NULL, 0) : (unsigned)time(NULL) ^ (unsigned)getpid();
	srandom(seed);
	path_of(f, "state", p, sizeof(p));
	path_of(f, ".state.tmp", tp, sizeof(tp));

	curlen = gen_fill(cur, g);
	assert_int_equal(atomic_write_file(f->dir, "state", cur, curlen, 0644), 0);

	/* How long a whole fork + write + exit takes, to spread the kills. */
	for (int i = 0; i < 3; i++) {
		double t0 = now();
		int st;
		pid_t pid = spawn_writer(f->dir, cur, curlen);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		full += (now() - t0) / 3;
	}

	/* At least 200 kills, and on until a few of them landed between the
	 * temp file's creation and the rename. */
	while (iters < 200 || (in_window < 5 && iters < 2000)) {
		size_t n;
		char *got;
		int st;
		pid_t pid;
		useconds_t delay = (useconds_t)((double)random() / RAND_MAX * full * 1e6);

		bool fresh;

		/* Every other time, start with no temp file left by the last
		 * kill: a temp file found after this kill is then this one's. */
		if (iters % 2 == 0)
			unlink(tp);
		fresh = access(tp, F_OK) != 0;
		nextlen = gen_fill(next, g + 1);
		pid = spawn_writer(f->dir, next, nextlen);
		if (delay > 0)
			usleep(delay);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		iters++;
		if (fresh && access(tp, F_OK) == 0)
			in_window++;

		got = slurp(p, &n);
		if (got == NULL)
			fail_msg("seed %u, kill %d: %s vanished", seed, iters, p);
		if (n == nextlen && memcmp(got, next, n) == 0) {
			tmp = cur, cur = next, next = tmp;
			curlen = nextlen;
			g++;
			if (WIFSIGNALED(st))
				killed_new++;
			else
				completed++;
		} else if (n == curlen && memcmp(got, cur, n) == 0) {
			if (!WIFSIGNALED(st))
				fail_msg("seed %u: writer succeeded but the old content stayed", seed);
			killed_old++;
		} else {
			fail_msg("seed %u, kill %d after %u us: torn file (%zu bytes, old %zu, new %zu)",
			    seed, iters, (unsigned)delay, n, curlen, nextlen);
		}
		free(got);
		assert_int_equal(mode_of(f, "state"), 0644);
	}
	print_message("crash test: seed %u, %d kills, full write %.1f ms: %d kept old, "
	    "%d left a temp file behind, %d had the new, %d completed\n", seed, iters, full * 1e3,
	    killed_old, in_window, killed_new, completed);
	/* The kills did hit the window that matters. */
	assert_true(in_window > 0);
	assert_true(killed_old > 0);

	/* Afterwards a write works and clears any leftover temp file. */
	nextlen = gen_fill(next, g + 1);
	assert_int_equal(atomic_write_file(f->dir, "state", next, nextlen, 0644), 0);
	assert_file(f, "state", next, nextlen);
	assert_only(f, 1);
	free(cur);
	free(next);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_temp_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_is_a_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_cleans_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_write_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_temp_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_old_or_new, setup, teardown),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
