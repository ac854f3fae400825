/* The qube store: STATE/qubes/NAME/ holds qube.cfg (xl.cfg syntax), private/
 * (persistent /rw), root/ (templates and standalones; a template's older
 * and running generations next to it, rootgen.h) and console.log.
 * A qube exists exactly when its directory NAME/ with a qube.cfg exists:
 * new qubes are assembled under .new-NAME and renamed into place, removed
 * ones are renamed to .del-NAME before deletion, so a crash at any point
 * leaves each qube wholly present or wholly absent. .restore-PID/ is the
 * staging folder of a backup restore (vm.restore), removed at load when
 * that process is gone. */
#ifndef BULKHEAD_DOMD_STORE_H
#define BULKHEAD_DOMD_STORE_H

#include <stddef.h>

#include "vm.h"

int store_init(char *err, size_t errlen);
/* Loads every qube; broken files are logged and skipped, never deleted. */
void store_load(void);

struct vm *vm_find(const char *name);
/* Adds to the in-memory list, sorted by name. */
void vm_insert(struct vm *vm);
void vm_unlink(struct vm *vm);

/* Paths of a qube's files (static buffers, one per kind). */
const char *vm_dir(const char *name);
const char *vm_private_dir(const char *name);
const char *vm_root_dir(const char *name);
/* Disk images in a qube's folder (xen backend): the root of a template or
 * standalone, the persistent private volume, the per-start volatile disk. */
#define ROOT_IMAGE "root.img"
#define PRIVATE_IMAGE "private.img"
#define VOLATILE_IMAGE "volatile.img"
const char *vm_log_path(const char *name);

/* Writes the qube's file atomically; -1 with errno. */
int store_save(const struct vm *vm);
/* Creates the qube's directory from a staging directory prepared with
 * store_stage(); the rename is the commit point. */
const char *store_stage(const char *name);
int store_prepare_stage(const struct qube *q, char *err, size_t errlen);
int store_commit_stage(const struct qube *q, char *err, size_t errlen);
void store_discard_stage(const char *name);
/* Renames the qube's directory away (the commit point) and deletes it in
 * the background. */
int store_remove(const char *name, char *err, size_t errlen);

#endif
