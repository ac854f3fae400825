/* Qube lifecycle on top of the backend: start (netvm first), ready, exit,
 * shutdown with timeout, kill, pause; and who waits for what. */
#ifndef BULKHEAD_DOMD_LIFECYCLE_H
#define BULKHEAD_DOMD_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

#include "vm.h"

/* Called once, from the event loop, when a qube someone waits on settles:
 * reached is true if it got where it was sent (running; halted), false if
 * it ended in the other state (vm->reason says why). */
typedef void vm_settled_fn(struct vm *vm, bool reached, void *arg);

/* Starts vm (and its halted netvm first); done (optional) is called when the
 * qube runs or fails. 0, or -1 with code and err when it cannot even begin. */
int vm_start(struct vm *vm, vm_settled_fn *done, void *arg, char *code, char *err,
    size_t errlen);
/* Asks the guest to stop; kills it after timeout seconds. 0: done (optional)
 * is called once it is halted; 1: it is halted already (done is not called);
 * -1 with err. */
int vm_shutdown(struct vm *vm, int timeout, vm_settled_fn *done, void *arg, char *err,
    size_t errlen);
/* Stops the qube at once; returns as vm_shutdown does. */
int vm_kill(struct vm *vm, vm_settled_fn *done, void *arg, char *err, size_t errlen);

void lifecycle_tick(void);
/* At domd start: adopt running qubes, then start the autostart ones. */
void lifecycle_adopt_all(void);
void lifecycle_autostart(void);
/* Sets state, records the reason and emits the event. */
void vm_set_state(struct vm *vm, enum vm_state st, const char *reason);
/* The guest's agent said it is ready (its guard read it): a starting qube
 * runs, once the launch pipe gave its init's pid. */
void lifecycle_guest_ready(struct vm *vm);

#endif
