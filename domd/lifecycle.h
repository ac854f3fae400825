/* Qube lifecycle on top of the backend: start (netvm first), ready, exit,
 * shutdown with timeout, kill, pause; and who waits for what. */
#ifndef BULKHEAD_DOMD_LIFECYCLE_H
#define BULKHEAD_DOMD_LIFECYCLE_H

#include <stddef.h>

#include "api.h"
#include "vm.h"

/* Starts vm (and its halted netvm first). d, if not NULL, is answered when
 * the qube runs or fails. -1 with err when it cannot even begin. */
int vm_start(struct vm *vm, struct request *req, char *code, char *err, size_t errlen);
/* Asks the guest to stop; kills it after timeout seconds. req (optional) is
 * answered once halted. */
int vm_shutdown(struct vm *vm, int timeout, struct request *req, char *err, size_t errlen);
/* Stops the qube at once; req (optional) is answered once it is halted. */
int vm_kill(struct vm *vm, struct request *req, char *err, size_t errlen);

void lifecycle_tick(void);
/* At domd start: adopt running qubes, then start the autostart ones. */
void lifecycle_adopt_all(void);
void lifecycle_autostart(void);
/* Sets state, records the reason and emits the event. */
void vm_set_state(struct vm *vm, enum vm_state st, const char *reason);

#endif
