#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "domd.h"
#include "job.h"
#include "log.h"
#include "rootgen.h"
#include "xalloc.h"

#define QUBE_CFG "qube.cfg"

static const char *
path_of(char *buf, size_t len, const char *name, const char *leaf)
{
	if ((size_t)snprintf(buf, len, "%s/%s%s%s", domd.paths.qubes_dir, name,
	    leaf ? "/" : "", leaf ? leaf : "") >= len)
		fatalx("path too long for qube %s", name);
	return buf;
}

const char *
vm_dir(const char *name)
{
	static char buf[4096];
	return path_of(buf, sizeof(buf), name, NULL);
}

const char *
vm_private_dir(const char *name)
{
	static char buf[4096];
	return path_of(buf, sizeof(buf), name, "private");
}

const char *
vm_root_dir(const char *name)
{
	static char buf[4096];
	return path_of(buf, sizeof(buf), name, "root");
}

const char *
vm_log_path(const char *name)
{
	static char buf[4096];
	return path_of(buf, sizeof(buf), name, "console.log");
}

const char *
store_stage(const char *name)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/.new-%s", domd.paths.qubes_dir, name);
	return buf;
}

static int
mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
store_init(char *err, size_t errlen)
{
	if (mkdir_p(domd.paths.qubes_dir, 0700) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", domd.paths.qubes_dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
remove_tree_bg(const char *path)
{
	char *argv[] = { "/bin/rm", "-rf", "--one-file-system", (char *)path, NULL };
	job_spawn(argv, NULL, NULL);
}

static int
read_small_file(const char *path, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size > QUBE_CFG_MAX) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	*data = xmalloc((size_t)st.st_size + 1);
	n = read(fd, *data, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*data);
		errno = EIO;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/* .restore-PID: bulkhead backup restore's staging folder, abandoned when
 * that process is gone. */
static bool
restore_abandoned(const char *pid)
{
	char *end;
	long n = strtol(pid, &end, 10);

	return *end == '\0' && n > 0 && n < INT32_MAX && kill((pid_t)n, 0) < 0 && errno == ESRCH;
}

void
store_load(void)
{
	DIR *d = opendir(domd.paths.qubes_dir);
	struct dirent *de;

	if (d == NULL)
		fatal("opendir %s", domd.paths.qubes_dir);
	while ((de = readdir(d)) != NULL) {
		char path[4096], err[512], *data;
		size_t len;
		struct vm *vm;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!strncmp(de->d_name, ".new-", 5) || !strncmp(de->d_name, ".del-", 5)) {
			/* Left by a crash before or after a commit point. */
			snprintf(path, sizeof(path), "%s/%s", domd.paths.qubes_dir, de->d_name);
			log_info("removing leftover %s", path);
			remove_tree_bg(path);
			continue;
		}
		if (!strncmp(de->d_name, ".restore-", 9) && restore_abandoned(de->d_name + 9)) {
			/* A backup restore that ended without cleaning up. */
			snprintf(path, sizeof(path), "%s/%s", domd.paths.qubes_dir, de->d_name);
			log_info("removing leftover %s", path);
			remove_tree_bg(path);
			continue;
		}
		if (de->d_name[0] == '.')
			continue;
		if (!qube_name_valid(de->d_name)) {
			log_warnx("%s/%s: not a qube name, ignored", domd.paths.qubes_dir,
			    de->d_name);
			continue;
		}
		/* A temp file of an interrupted write: the old file stands. */
		snprintf(path, sizeof(path), "%s/%s/." QUBE_CFG ".tmp", domd.paths.qubes_dir,
		    de->d_name);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s/" QUBE_CFG, domd.paths.qubes_dir, de->d_name);
		if (read_small_file(path, &data, &len) < 0) {
			log_warn("%s: ignored", path);
			continue;
		}
		vm = vm_alloc();
		if (qube_parse_cfg(&vm->q, data, len, path, err, sizeof(err)) < 0) {
			log_warnx("%s; qube ignored", err);
			free(vm);
		} else if (strcmp(vm->q.name, de->d_name) != 0) {
			log_warnx("%s: name '%s' does not match its directory; qube ignored",
			    path, vm->q.name);
			free(vm);
		} else {
			vm_insert(vm);
			if (vm->q.cls == QUBE_TEMPLATE)
				rootgen_load(vm);
		}
		free(data);
	}
	closedir(d);
}

struct vm *
vm_find(const char *name)
{
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next)
		if (!strcmp(vm->q.name, name))
			return vm;
	return NULL;
}

void
vm_insert(struct vm *vm)
{
	struct vm **p = &domd.vms;

	while (*p != NULL && strcmp((*p)->q.name, vm->q.name) < 0)
		p = &(*p)->next;
	vm->next = *p;
	*p = vm;
}

void
vm_unlink(struct vm *vm)
{
	for (struct vm **p = &domd.vms; *p != NULL; p = &(*p)->next)
		if (*p == vm) {
			*p = vm->next;
			return;
		}
}

int
store_save(const struct vm *vm)
{
	char *cfg = qube_format_cfg(&vm->q);
	int r = atomic_write_file(vm_dir(vm->q.name), QUBE_CFG, cfg, strlen(cfg), 0644);

	free(cfg);
	return r;
}

/* Moves a tree out of the way (a rename, so it is atomic) and deletes it
 * in the background. */
static int
discard_tree(const char *path)
{
	static unsigned long seq;
	char gone[4096];

	snprintf(gone, sizeof(gone), "%s/.del-%d.%lu", domd.paths.qubes_dir, (int)getpid(),
	    ++seq);
	if (rename(path, gone) < 0)
		return errno == ENOENT ? 0 : -1;
	remove_tree_bg(gone);
	return 0;
}

int
store_prepare_stage(const struct qube *q, char *err, size_t errlen)
{
	const char *stage = store_stage(q->name);
	char sub[4200];

	if (discard_tree(stage) < 0 || mkdir(stage, 0700) < 0)
		goto fail;
	snprintf(sub, sizeof(sub), "%s/private/home", stage);
	if (mkdir_p(sub, 0755) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot prepare %s: %s", stage, strerror(errno));
	return -1;
}

int
store_commit_stage(const struct qube *q, char *err, size_t errlen)
{
	const char *stage = store_stage(q->name);
	char *cfg = qube_format_cfg(q);
	int r = atomic_write_file(stage, QUBE_CFG, cfg, strlen(cfg), 0644);

	free(cfg);
	if (r == 0)
		r = rename(stage, vm_dir(q->name));
	if (r == 0)
		r = fsync_dir(domd.paths.qubes_dir);
	if (r < 0) {
		snprintf(err, errlen, "cannot write qube %s: %s", q->name, strerror(errno));
		return -1;
	}
	return 0;
}

void
store_discard_stage(const char *name)
{
	if (discard_tree(store_stage(name)) < 0)
		log_warn("cannot discard %s", store_stage(name));
}

int
store_remove(const char *name, char *err, size_t errlen)
{
	if (discard_tree(vm_dir(name)) < 0 || fsync_dir(domd.paths.qubes_dir) < 0) {
		snprintf(err, errlen, "cannot remove qube %s: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}
