/* bulkhead-guard: the guest-facing side of one running qube. domd makes
 * the qube's control socket (and its agent's ready pipe, and a netvm's
 * firewall socket) and starts a guard for it; the guard drops every privilege, accepts the qube's
 * connections, parses what they send (rpc_msg_parse, netcfg_parse_answer)
 * and passes domd only checked fixed-size messages (guard_proto.h), with
 * the connection's descriptor so that domd can write without reading. */
#ifndef BULKHEAD_GUARD_H
#define BULKHEAD_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guard_proto.h"

#define GUARD_LISTEN_FD 3   /* the qube's control socket, listening */
#define GUARD_DOMD_FD 4     /* a SOCK_SEQPACKET socket to domd */
#define GUARD_FIREWALL_FD 5 /* a netvm's firewall socket, listening (--firewall) */
#define GUARD_READY_FD 6    /* the agent's ready pipe, read end (--ready) */

struct guard_opts {
	const char *qube;
	const char *root;  /* an empty directory to chroot into */
	uid_t uid;         /* the guard's own uid and gid */
	int max_conns;     /* qube_max_connections: the agent not counted */
	bool firewall;     /* fd 5 is there */
	bool ready;        /* fd 6 is there */
};

/* An epoll entry of the loop: first member of what it serves. */
struct guard_watch {
	void (*fn)(struct guard_watch *w);
};

/* confine.c: chroot, no capabilities, its uid, no new privileges, seccomp.
 * 0, or -1 with err. */
int guard_confine(const struct guard_opts *o, char *err, size_t errlen);

/* conns.c: the control socket's connections, and the loop: serves until
 * domd goes. procfd: /proc, opened before the chroot, for the agent's
 * parent. */
int guard_serve(const struct guard_opts *o, int procfd);
void guard_watch_add(int fd, struct guard_watch *w);
/* Out of epoll before the close: domd holds the same socket, so a close
 * alone would leave it registered. */
void guard_watch_del(int fd);
/* A new connection's number (never 0). */
uint32_t guard_conn_id(void);
/* Sends domd m (fd attached if >= 0), waiting while it is busy; exits when
 * domd has gone. */
void guard_tell_domd(const struct guard_msg *m, int fd);

/* firewall.c: the netvm's bulkhead-firewall connection, one at a time. */
void firewall_init(void);
/* domd's GUARD_CLOSE: true if id was the firewall's connection. */
bool firewall_close(uint32_t id);

/* admin.c: the data channel of an allowed admin call (domd's
 * GUARD_ADMIN_OPEN), until its arguments are read and its caller goes. */
void guard_admin_open(uint32_t id, uint32_t method, int fd);

/* ready.c: the agent's ready pipe, until its first bytes. */
void ready_init(void);

#endif
