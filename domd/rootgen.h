/* Root generations: templates change while their qubes run, as in Qubes.
 *
 * A template's root (on ns the tree root/, on xen the image root.img) is
 * the generation its AppVMs and DispVMs start from; its number is in the
 * file root-generation (absent: 0). A template never writes it: each start
 * of the template copies it to root.new (root.new.img), which the template
 * runs from. When the template stops on its own or by a shutdown, that copy
 * becomes the next generation: root is renamed root.N while qubes still run
 * from it, root.new becomes root, root-generation says N+1. A kill, a failed
 * start or a dom0 crash discards root.new, so an interrupted update leaves
 * the previous generation in place. root.N is deleted once no qube runs
 * from it. A qube that runs from an older generation than its template's
 * is outdated: restarting it gives it the new root. */
#ifndef BULKHEAD_DOMD_ROOTGEN_H
#define BULKHEAD_DOMD_ROOTGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "job.h"
#include "vm.h"

/* The template whose root the qube starts from (an AppVM's template, a
 * DispVM's base's template), or NULL for a template or standalone. */
struct vm *rootgen_template_of(const struct vm *vm);

/* The root a qube of this owner runs from: tag "" the current generation
 * (or a standalone's own root), "new" a template's running copy. */
const char *rootgen_path(const char *owner, const char *tag);

/* At load: reads the template's generation and finishes or rolls back a
 * commit that a crash cut short. */
void rootgen_load(struct vm *t);

/* Before a template starts: copies its root to root.new in a job, then
 * done(arg, ok, what). 1 when there is nothing to copy (a xen template
 * whose image is not made yet: the start makes root.new.img), 0 when the
 * job runs, -1 with err. */
int rootgen_begin(struct vm *t, job_done_fn done, void *arg, char *err, size_t errlen);

/* A template halted: its root.new becomes the next generation if commit,
 * else it is deleted. */
void rootgen_end(struct vm *t, bool commit);

/* A qube of a template starts / was adopted / halted. */
void rootgen_started(struct vm *vm);
void rootgen_adopted(struct vm *vm);
void rootgen_halted(struct vm *vm);

/* After every qube was adopted at domd's start: deletes what no running
 * qube uses (a halted template's root.new, unused older generations). */
void rootgen_collect_all(void);

/* Runs from an older generation than its template's. */
bool rootgen_outdated(const struct vm *vm);

#endif
