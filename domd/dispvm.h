/* Disposable qubes: made from an AppVM with template_for_dispvms for one
 * call, destroyed with their private data when it ends. */
#ifndef BULKHEAD_DOMD_DISPVM_H
#define BULKHEAD_DOMD_DISPVM_H

#include <stddef.h>

#include "vm.h"

/* Creates and starts a DispVM from base; NULL with err. */
struct vm *dispvm_create(const char *base, char *err, size_t errlen);
/* Its call ended: stop it (it is destroyed once halted). */
void dispvm_release(const char *name);
/* A private image is written by one qube or read by any number, never
 * both: a DispVM does not start while its base runs, nor the base while
 * one of its DispVMs runs. 0, or -1 with err set. */
int dispvm_private_free(const struct vm *vm, char *err, size_t errlen);
/* A halted DispVM: remove it from the store and free it. */
void dispvm_destroy(struct vm *vm);

#endif
