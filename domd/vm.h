/* A qube as domd keeps it: the stored properties plus its run-time state. */
#ifndef BULKHEAD_DOMD_VM_H
#define BULKHEAD_DOMD_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "qube.h"
#include "loop.h"

enum vm_state { VM_HALTED, VM_STARTING, VM_RUNNING, VM_PAUSED, VM_HALTING };

/* How a running netvm reaches upstream: a link in it ("" for none) with,
 * optionally, an address and gateway to set, and resolvers (network byte
 * order). Filled by the backend's uplink_attach. */
struct net_uplink {
	char ifname[16];
	uint32_t addr, gw;
	int prefix;
	int nresolvers;
	uint32_t resolvers[2];
};

struct rpc_guard;

/* What the backend needs to remember about a running qube. */
struct vm_rt {
	pid_t monitor_pid;
	pid_t init_pid; /* host view */
	unsigned long long init_start; /* guards against pid reuse */
	int pidfd;      /* of the monitor: readable when the qube is gone */
	int ready_fd;   /* read end of the launch pipe (monitor and launcher), -1 once read */
	int guest_ready_fd; /* read end of the pipe its agent says ready on: its
	                     * guard's to read, domd's to pass on; -1 once ready */
	bool ready_early;   /* the guard said ready before the pipe gave init's pid */
	time_t started_at;
	char ready_buf[256]; /* checked: see lib/launchmsg.h */
	size_t ready_len;
};

struct vm {
	struct qube q;
	enum vm_state state;
	char reason[160];         /* why it last stopped, or why start failed */
	struct vm_rt rt;
	const char *stop_cause;   /* set when domd itself stops the qube */
	time_t deadline;          /* start or shutdown timeout, 0 if none */
	bool busy;                /* a copy job runs on its files */
	bool pending_start;       /* start once its netvm is running */
	bool root_copying;        /* a template: its start copies its root (rootgen.h) */
	bool start_cancelled;     /* stopped while its root was being copied */
	unsigned root_gen;        /* a template: its root's generation; a qube of
	                           * one: the generation it runs from (rootgen.h) */
	struct watch w_ready, w_exit;
	int ctl_fd;               /* its control socket (rpc/transport.c), -1 if none */
	struct rpc_guard *guard;  /* the process that reads it (rpc/guard.c), or NULL */
	void *agent;              /* its agent's connection, NULL until it says hello */
	struct netvm_chan *netchan; /* a running netvm: its firewall channel */
	bool net_attached;        /* linked to its running netvm */
	bool net_ipv6;            /* a running netvm: its ipv6 as it started */
	struct net_uplink uplink; /* a running netvm: how it reaches upstream */
	struct vm *next;
};

/* A new halted qube with qube_init() defaults. */
struct vm *vm_alloc(void);
const char *vm_state_name(enum vm_state s);
bool vm_is_active(const struct vm *vm); /* anything but halted */

#endif
