/* The qubes the gateway shows: those given with --vm at start and, with
 * --new-qubes, any qube whose first stream arrives through RPC later (a
 * qube created after the gateway started), with the label domd gives for
 * it (bulkhead.GuiLabel). Each gets the next listening place: its Unix
 * socket, the next TCP port, or the next inherited socket while any is
 * left. */
#ifndef BULKHEAD_GW_VMS_H
#define BULKHEAD_GW_VMS_H

#include <stdbool.h>

#include "vm.h"

#define VMS_MAX 64

struct vms_cfg {
	uint32_t w, h;
	struct gui_limits lim;
	clip_policy_fn clip;
	struct listen_cfg listen; /* the first place; moved on by each display */
	int listen_fds;           /* LISTEN_FD: how many sockets were inherited */
	bool new_qubes;
};

void vms_init(const struct vms_cfg *cfg);
/* A qube from NAME:LABEL[:SOCKET]; exits on a malformed one. */
struct vm *vms_add_arg(const char *arg);
/* The next listening place for a display; false when none is left. */
bool vms_next_listen(struct listen_cfg *out);
/* Starts the displays of the qubes added so far. 0 or -1. */
int vms_start_all(void);
/* The qube of a stream that came through RPC, made now if it is new and
 * domd knows its label; NULL: refused. */
struct vm *vms_for_stream(const char *name);
void vms_disconnect_all(const char *why);
/* Reads again from the qubes that waited for their viewers. */
void vms_resume(void);

#endif
