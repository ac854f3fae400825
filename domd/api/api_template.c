/* template.import: a directory tree becomes the root of a new template, or
 * an ext2/3/4 image its root image (what the xen backend boots). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "domd.h"
#include "events.h"
#include "job.h"
#include "store.h"
#include "xalloc.h"

struct import {
	struct vm *vm;
	struct deferred d;
};

static void
import_done(void *arg, int ok, const char *what)
{
	struct import *im = arg;
	struct vm *vm = im->vm;
	char err[512];

	if (!ok || store_commit_stage(&vm->q, err, sizeof(err)) < 0) {
		if (!ok)
			snprintf(err, sizeof(err), "copying the template root failed (%s)", what);
		store_discard_stage(vm->q.name);
		deferred_error(&im->d, "internal", "%s", err);
		vm_unlink(vm);
		free(vm);
	} else {
		vm->busy = false;
		event_simple("created", vm->q.name);
		deferred_ok(&im->d, vm_to_json(vm));
	}
	free(im);
}

static const char *const import_args[] = { "path", "label", NULL };

/* An ext2/3/4 file system: its superblock's magic (0xEF53, at byte 1080). */
static bool
is_ext_image(const char *path)
{
	uint8_t m[2];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = pread(fd, m, 2, 1080) == 2 && m[0] == 0x53 && m[1] == 0xEF;
	close(fd);
	return ok;
}

static enum api_result
template_import(struct request *req)
{
	const char *path = NULL, *label = "black";
	struct import *im;
	struct vm *vm;
	struct stat st;
	char init[4200], dst[4200], err[512];

	if (arg_string(req, "path", &path) < 0 || arg_string(req, "label", &label) < 0)
		return API_DONE;
	if (req->vm != NULL) {
		reply_error(req, "exists", "a qube named '%s' exists already", req->vm_name);
		return API_DONE;
	}
	if (path == NULL || path[0] != '/') {
		reply_error(req, "invalid", "template.import needs an absolute \"path\"");
		return API_DONE;
	}
	if (stat(path, &st) < 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
		reply_error(req, "invalid", "invalid path '%.200s': not a readable directory "
		    "or image", path);
		return API_DONE;
	}
	if (S_ISREG(st.st_mode) && !is_ext_image(path)) {
		reply_error(req, "invalid", "invalid path '%.200s': not an ext2/3/4 image", path);
		return API_DONE;
	}
	snprintf(init, sizeof(init), "%s/sbin/init", path);
	if (S_ISDIR(st.st_mode) && access(init, X_OK) < 0) {
		reply_error(req, "invalid", "invalid path '%.200s': it has no executable sbin/init",
		    path);
		return API_DONE;
	}
	vm = vm_alloc();
	qube_set(&vm->q, "name", req->vm_name, err, sizeof(err));
	qube_set(&vm->q, "class", "template", err, sizeof(err));
	if (qube_set(&vm->q, "label", label, err, sizeof(err)) < 0) {
		reply_error(req, "invalid", "%s", err);
		free(vm);
		return API_DONE;
	}
	qube_new_uuid(vm->q.uuid);
	if (store_prepare_stage(&vm->q, err, sizeof(err)) < 0) {
		reply_error(req, "internal", "%s", err);
		free(vm);
		return API_DONE;
	}
	snprintf(dst, sizeof(dst), "%s/root", store_stage(vm->q.name));
	if (S_ISREG(st.st_mode)) {
		/* The image is the root; the tree stays empty. */
		if (mkdir(dst, 0755) < 0) {
			reply_error(req, "internal", "cannot create %s: %s", dst, strerror(errno));
			store_discard_stage(vm->q.name);
			free(vm);
			return API_DONE;
		}
		snprintf(dst, sizeof(dst), "%s/" ROOT_IMAGE, store_stage(vm->q.name));
	}
	vm->busy = true;
	vm_insert(vm);
	im = xcalloc(1, sizeof(*im));
	im->vm = vm;
	defer(req, &im->d);
	{
		char *argv[] = { "/bin/cp", "-a", "--reflink=auto", "--sparse=always", (char *)path,
			dst, NULL };
		job_spawn(argv, import_done, im);
	}
	return API_DEFERRED;
}

const struct api_method api_template_import = { "template.import", API_TAKES_VM | API_MODIFIES,
	import_args, template_import };
