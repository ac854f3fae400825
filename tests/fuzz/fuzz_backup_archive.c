/* libFuzzer harness for a backup's archive parser, after decryption: the
 * entries are placed (bk_layout_check) and written (bk_extract) as a
 * restore does, under SANDBOX/dest/QUBE/. Whatever the input, nothing may
 * crash, and nothing may appear outside dest: after each input SANDBOX
 * holds exactly victim (unchanged) and dest, which is then removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup_archive.h"
#include "backup_extract.h"
#include "backup_layout.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sandbox[PATH_MAX], dest[PATH_MAX + 8];

struct mem {
	const uint8_t *p;
	size_t len, pos;
};

static ssize_t
mem_read(void *arg, void *buf, size_t len)
{
	struct mem *m = arg;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;

	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
check_sandbox(void)
{
	char buf[64];
	struct dirent *de;
	DIR *d = opendir(sandbox);
	int n = 0, fd;
	ssize_t r;

	CHECK(d != NULL, "sandbox gone");
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		CHECK(!strcmp(de->d_name, "victim") || !strcmp(de->d_name, "dest"),
		    "%s appeared in the sandbox", de->d_name);
		n++;
	}
	closedir(d);
	CHECK(n == 2, "%d entries in the sandbox", n);
	snprintf(buf, sizeof(buf), "victim");
	fd = openat(AT_FDCWD, sandbox, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0, "sandbox");
	{
		int v = openat(fd, "victim", O_RDONLY | O_NOFOLLOW);
		CHECK(v >= 0, "victim gone");
		r = read(v, buf, sizeof(buf));
		CHECK(r == 9 && !memcmp(buf, "precious\n", 9), "victim changed");
		close(v);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct mem m = { data, size, 0 };
	struct bk_layout *lay = malloc(sizeof(*lay));
	struct bk_entry *e = malloc(sizeof(*e));
	struct bk_ar ar;
	char err[512];
	int destfd, qfd = -1, r;

	if (!ready) {
		char tmpl[] = "/tmp/fuzz-backup.XXXXXX";
		FILE *f;

		CHECK(mkdtemp(tmpl) != NULL, "mkdtemp");
		snprintf(sandbox, sizeof(sandbox), "%s", tmpl);
		snprintf(dest, sizeof(dest), "%s/dest", sandbox);
		f = fopen(strcat(strcpy(err, sandbox), "/victim"), "w");
		CHECK(f != NULL, "victim");
		fputs("precious\n", f);
		fclose(f);
		ready = 1;
	}
	CHECK(mkdir(dest, 0700) == 0, "mkdir dest: %s", strerror(errno));
	destfd = open(dest, O_RDONLY | O_DIRECTORY);
	CHECK(destfd >= 0, "dest");
	bk_layout_init(lay);
	bk_ar_init(&ar, mem_read, &m, err, sizeof(err));
	while ((r = bk_ar_next(&ar, e)) > 0) {
		enum bk_kind kind;
		const char *qube, *rest;

		if (bk_layout_check(lay, e, &kind, &qube, &rest, err, sizeof(err)) < 0)
			break;
		if (kind == BK_K_POLICY)
			continue;
		if (kind == BK_K_CFG) {
			if (qfd >= 0)
				close(qfd);
			CHECK(mkdirat(destfd, qube, 0700) == 0, "a qube twice: %s", qube);
			qfd = openat(destfd, qube, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			CHECK(qfd >= 0, "qube folder");
			continue;
		}
		CHECK(qfd >= 0, "an entry of a qube before its qube.cfg");
		if (bk_extract(qfd, rest, e, &ar, err, sizeof(err)) < 0)
			break;
	}
	if (qfd >= 0)
		close(qfd);
	close(destfd);
	check_sandbox();
	nftw(dest, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(lay);
	free(e);
	return 0;
}
