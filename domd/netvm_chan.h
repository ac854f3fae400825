/* domd's side of the channel to each netvm's bulkhead-firewall. */
#ifndef BULKHEAD_DOMD_NETVM_CHAN_H
#define BULKHEAD_DOMD_NETVM_CHAN_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

struct netvm_chan;

/* The socket in the netvm's control directory (before its start, and when
 * it is adopted); removed when it halts. */
int netvm_listen(struct vm *vm, char *err, size_t errlen);
void netvm_unlisten(struct vm *vm);
/* The listening socket, for the netvm's guard; -1 if none. */
int netvm_listen_fd(const struct vm *vm);
/* What the netvm's guard saw on the firewall socket: its daemon connected
 * (fd: domd's to write to, taken), answered, or went (or was cut off). */
void netvm_chan_connected(struct vm *vm, uint32_t conn, int fd);
void netvm_chan_answer(struct vm *vm, uint32_t conn, bool applied, int nrules, const char *msg);
void netvm_chan_closed(struct vm *vm, uint32_t conn, bool malformed, bool too_long);
/* The netvm's guard died: domd lets go of the daemon's connection too. */
void netvm_chan_drop(struct vm *vm);
/* Sends the netvm's current configuration if its daemon is connected: the
 * message's number to wait for, or 0 when nothing was sent. */
unsigned long netvm_send(struct vm *netvm);
/* What the netvm last said (NULL if it is no netvm or not running). */
const char *netvm_status(const struct vm *vm);
/* Called once the netvm has answered message gen, or when it will not:
 * applied is what it said, or why no answer came. */
typedef void netvm_applied_fn(const char *applied, void *arg);
/* Waits for the answer to message gen. 0: fn is called later; 1: there is
 * nothing to wait for (gen 0, the netvm not connected), *now says why, and
 * fn is not called. */
int netvm_wait_applied(struct vm *netvm, unsigned long gen, netvm_applied_fn *fn, void *arg,
    const char **now);

void netvm_tick(void);

#endif
