/* The qubes' network: addresses, links between clients and netvms (through
 * the backend), and what each netvm's bulkhead-firewall is told. */
#ifndef BULKHEAD_DOMD_NET_H
#define BULKHEAD_DOMD_NET_H

#include <stddef.h>

#include "vm.h"

/* Qubes' range: every qube that uses or provides network gets one address
 * of 10.137.0.0/16, kept in its file. */
#define NET_RANGE "10.137.0.0"
#define NET_RANGE_PREFIX 16

/* Gives vm an address if it has none (and saves it): 0 or -1 with err. */
int net_assign_ip(struct vm *vm, char *err, size_t errlen);
/* The link name of a client in its netvm ("vif5" for 10.137.0.5). */
const char *net_vif_name(const struct vm *client);
/* The whole message for netvm's bulkhead-firewall (lib/netcfg.h); caller frees. */
char *net_config_text(const struct vm *netvm, size_t *len);

/* Hooks: a qube became running (or was adopted), halted. */
void net_vm_running(struct vm *vm);
void net_vm_halted(struct vm *vm);
/* A running qube's netvm changed from old_netvm ("" for none) to its
 * current one: re-link it. */
void net_netvm_changed(struct vm *vm, const char *old_netvm);
/* Its rules changed: tell its netvm. The message number to wait for, 0 if
 * nothing was sent (not running, no netvm). */
unsigned long net_rules_changed(struct vm *vm, struct vm **netvm);
/* vm's listen property changed: its netvms' forwards are sent again. */
void net_listen_changed(struct vm *vm);

#endif
