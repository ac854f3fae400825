/*
 * bulkhead-agent: PID 1 of every qube, on both backends.  Each part lives in
 * its own small file; this header is the glue between them.
 */
#ifndef BULKHEAD_AGENT_H
#define BULKHEAD_AGENT_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#define AGENT_NAME "bulkhead-agent"

/* The user's boot hook in the private volume, as in Qubes. */
#define RC_LOCAL_PATH "/rw/config/rc.local"

/*
 * Non-zero when BULKHEAD_AGENT_TEST=1 let us run as an ordinary process:
 * nothing is mounted and only our own descendants are ever signalled, so a
 * test run as root cannot touch the host.
 */
extern int agent_test_mode;

/* mounts.c: the API filesystems; -1 if a required one could not be mounted. */
int mounts_setup(void);
/* loopback.c: brings lo up (a warning if it cannot). */
void loopback_up(void);

/* ready.c: the launcher's "init is up" pipe. */
int ready_fd_take(void);
void ready_signal(int fd);

/* signals.c: every signal init cares about arrives through one signalfd. */
int signals_init(void);
int signals_read(int sfd, int timeout_ms);
int signals_is_stop(int sig);
void signals_reset_child(void);

/* rclocal.c */
void rc_local_start(void);
int rc_local_exited(pid_t pid, int status);

/* reaper.c */
int reap_children(void);
int reaper_loop(int sfd);

/* procs.c: "everybody else" — the whole namespace, or our descendants in test mode. */
void signal_others(int sig);
int others_alive(void);

/* main.c: the init program */
int init_main(int argc, char **argv);

/* rpcd.c: the RPC endpoint, a supervised child of init */
void rpcd_start(void);
int rpcd_exited(pid_t pid, int status);
void rpcd_forget(void);

/* xen_chan.c: on Xen (BULKHEAD_CHAN=vchan, set by the guest's init) the
 * control channel is a vchan to dom0, turned into a local socket. */
int agent_on_xen(void);
int rpc_connect_vchan(void);

/* supervise.c: a program init restarts when it exits. */
struct supervised {
	const char *path, *name;
	pid_t pid;
	time_t started;
};
void supervise_spawn(struct supervised *s);
int supervise_exited(struct supervised *s, pid_t pid, int status);

/* netd.c: bulkhead-firewall, supervised, in qubes that serve as netvms */
void netd_start(void);
int netd_exited(pid_t pid, int status);
void netd_forget(void);

/* guid.c: the GUI agent, supervised, in qubes of X-capable templates */
void guid_start(void);
int guid_exited(pid_t pid, int status);
void guid_forget(void);

/* updates_forward.c: in templates, the package manager's proxy port,
 * supervised; also the program bulkhead-updates-forward */
void updates_forward_start(void);
int updates_forward_exited(pid_t pid, int status);
void updates_forward_forget(void);
int updates_forward_main(int argc, char **argv);

/* rpc_client.c, filecopy_*.c: programs in the same binary, by argv[0] */
int rpc_client_main(int argc, char **argv);
int filecopy_send_main(int argc, char **argv, bool move);
int filecopy_recv_main(int argc, char **argv);

/* stop.c */
void stop_all(int sfd);

#endif
