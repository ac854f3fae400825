/* vm.restore: a qube restored from a backup becomes a new qube. The CLI
 * has written its folder under STATE/qubes/.restore-PID/NAME (its settings
 * as backed up, its private volume, its root); here its settings are read
 * and checked like a new qube's, given a new uuid, address and id range,
 * and the folder is renamed into the store (the commit point). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "domd.h"
#include "events.h"
#include "refs.h"
#include "store.h"
#include "xalloc.h"

static const char *const restore_args[] = { "path", "template", NULL };

/* PATH is QUBES/.restore-N/NAME for this qube's NAME. */
static bool
staging_path(const char *path, const char *name)
{
	size_t n = strlen(domd.paths.qubes_dir);
	const char *p = path + n + strlen("/.restore-"), *slash;

	if (strncmp(path, domd.paths.qubes_dir, n) != 0 || strncmp(path + n, "/.restore-", 10) != 0)
		return false;
	if ((slash = strchr(p, '/')) == NULL || slash == p)
		return false;
	for (const char *c = p; c < slash; c++)
		if (*c < '0' || *c > '9')
			return false;
	return !strcmp(slash + 1, name);
}

static char *
read_cfg(int dirfd, size_t *len)
{
	int fd = openat(dirfd, "qube.cfg", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *data;
	ssize_t n;

	if (fd < 0)
		return NULL;
	data = xmalloc(QUBE_CFG_MAX + 1);
	n = read(fd, data, QUBE_CFG_MAX + 1);
	close(fd);
	if (n < 0 || n > QUBE_CFG_MAX) {
		free(data);
		return NULL;
	}
	data[n] = '\0';
	*len = (size_t)n;
	return data;
}

static enum api_result
vm_restore(struct request *req)
{
	const char *path = NULL, *tmpl = NULL;
	struct vm *vm = NULL;
	struct stat st;
	char err[512], code[32], *data = NULL;
	size_t len;
	int dfd = -1;

	if (arg_string(req, "path", &path) < 0 || arg_string(req, "template", &tmpl) < 0)
		return API_DONE;
	if (req->vm != NULL) {
		reply_error(req, "exists", "a qube named '%s' exists already", req->vm_name);
		return API_DONE;
	}
	if (path == NULL || !staging_path(path, req->vm_name)) {
		reply_error(req, "invalid", "vm.restore needs \"path\": the qube's staging folder "
		    "%s/.restore-N/%s", domd.paths.qubes_dir, req->vm_name);
		return API_DONE;
	}
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (data = read_cfg(dfd, &len)) == NULL) {
		reply_error(req, "invalid", "%s holds no readable qube.cfg", path);
		goto out;
	}
	vm = vm_alloc();
	if (qube_parse_cfg(&vm->q, data, len, "qube.cfg of the backup", err, sizeof(err)) < 0 ||
	    qube_set(&vm->q, "name", req->vm_name, err, sizeof(err)) < 0 ||
	    (tmpl != NULL && qube_set(&vm->q, "template", tmpl, err, sizeof(err)) < 0)) {
		reply_error(req, "invalid", "%s", err);
		goto out;
	}
	qube_new_uuid(vm->q.uuid);
	vm->q.ip[0] = '\0';  /* an address of its own at its first start */
	vm->q.uid_base = 0;  /* and ids of its own (ns) */
	vm->q.autostart = false;
	if (vm->q.netvm[0] != '\0' && vm_find(vm->q.netvm) == NULL)
		vm->q.netvm[0] = '\0';
	if (vm->q.default_dispvm[0] != '\0' && vm_find(vm->q.default_dispvm) == NULL)
		vm->q.default_dispvm[0] = '\0';
	if (qube_check(&vm->q, err, sizeof(err)) < 0) {
		reply_error(req, "invalid", "%s", err);
		goto out;
	}
	if (refs_check(&vm->q, code, err, sizeof(err)) < 0) {
		reply_error(req, code, "%s", err);
		goto out;
	}
	if ((vm->q.cls == QUBE_TEMPLATE || vm->q.cls == QUBE_STANDALONE) &&
	    mkdirat(dfd, "root", 0755) < 0 && errno != EEXIST) {
		reply_error(req, "internal", "cannot create the root of %s: %s", req->vm_name,
		    strerror(errno));
		goto out;
	}
	if (fstatat(dfd, PRIVATE_IMAGE, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    fstatat(dfd, "private", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    (mkdirat(dfd, "private", 0755) < 0 || mkdirat(dfd, "private/home", 0755) < 0)) {
		reply_error(req, "internal", "cannot create the private folder of %s: %s",
		    req->vm_name, strerror(errno));
		goto out;
	}
	store_discard_stage(req->vm_name);
	if (rename(path, store_stage(req->vm_name)) < 0) {
		reply_error(req, "internal", "cannot move %s into the store: %s", path,
		    strerror(errno));
		goto out;
	}
	if (store_commit_stage(&vm->q, err, sizeof(err)) < 0) {
		store_discard_stage(req->vm_name);
		reply_error(req, "internal", "%s", err);
		goto out;
	}
	vm_insert(vm);
	event_simple("created", vm->q.name);
	reply_ok(req, vm_to_json(vm));
	vm = NULL;
out:
	if (dfd >= 0)
		close(dfd);
	free(data);
	free(vm);
	return API_DONE;
}

const struct api_method api_vm_restore = { "vm.restore", API_TAKES_VM | API_MODIFIES,
	restore_args, vm_restore };
