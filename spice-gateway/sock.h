/* Listening sockets of the gateway (qubes' and viewers'). */
#ifndef BULKHEAD_GW_SOCK_H
#define BULKHEAD_GW_SOCK_H

/* A non-blocking Unix listening socket at path (replacing a stale one),
 * mode 0600. -1 with a warning naming who. */
int sock_listen_unix(const char *path, const char *who);
/* One non-blocking connection from a readable listening socket, or -1
 * (nothing pending, or a warning naming who). */
int sock_accept(int fd, const char *who);

#endif
