/* cgroups for the ns backend, v1 or v2, whichever the host has. A qube's
 * group is PARENT/NAME in every controller domd uses. */
#ifndef BULKHEAD_DOMD_NS_CGROUP_H
#define BULKHEAD_DOMD_NS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "backend.h"

/* favor_dynmods: on cgroup v1, make moving a process into a group cheap
 * (see cg_init). */
int cg_init(const char *parent, bool favor_dynmods, char *err, size_t errlen);
bool cg_is_v2(void);
struct cg_limits {
	long memory_mib, vcpus, pids_max;
	bool usb; /* may open USB device nodes (a qube with provides_usb) */
};

/* Creates the qube's group with its limits and its devices (a v1 list or a v2
 * BPF program, ns_devcg.h). */
int cg_create(const char *name, const struct cg_limits *lim, char *err, size_t errlen);
int cg_attach(const char *name, pid_t pid);
/* Removes the group; retries briefly while the kernel empties it. */
int cg_destroy(const char *name);
int cg_freeze(const char *name, bool frozen, char *err, size_t errlen);
bool cg_frozen(const char *name);
int cg_stats(const char *name, struct vm_stats *st);
int cg_set_limits(const char *name, long memory_mib, long vcpus);

#endif
