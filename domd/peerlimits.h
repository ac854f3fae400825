/* What one peer may hold in domd: connections per qube on its control
 * socket, per local uid on the admin socket, pending asks per calling qube
 * (the numbers come from domd.conf). The callers count; this file logs what
 * they refuse, once when a peer hits a limit and once when its burst is
 * over (at most once a minute between), so a flood cannot fill the log. */
#ifndef BULKHEAD_DOMD_PEERLIMITS_H
#define BULKHEAD_DOMD_PEERLIMITS_H

struct domd_limits {
	int qube_conns;      /* qube_max_connections: on a qube's control socket */
	int qube_asks;       /* qube_max_asks: pending asks made by one qube */
	int admin_conns;     /* admin_max_connections: per uid other than root */
	int admin_conns_root; /* admin_max_connections_root */
};

#define LIMIT_QUBE_CONNS 64
#define LIMIT_QUBE_ASKS 8
#define LIMIT_ADMIN_CONNS 32
#define LIMIT_ADMIN_CONNS_ROOT 256

/* Raises the soft descriptor limit to the hard one and keeps a spare
 * descriptor for accept_shed(). */
void limits_init(void);

/* who ("qube work", "uid 1000") was refused by a limit; what says which,
 * e.g. "too many connections on its control socket". limit 0: a refusal
 * by a rule rather than a count, logged the same way. */
void limit_refused(const char *who, const char *what, int limit);
/* Ends bursts that went quiet (with one line of totals). */
void limits_tick(void);

/* accept4() of a non-blocking, close-on-exec connection. Out of
 * descriptors, it takes the pending connection with the spare one and
 * closes it, so that a listener never keeps the loop awake; -1 then. */
int accept_shed(int listen_fd);

#endif
