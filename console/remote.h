/* The admin API from inside a qube: a bridge process that speaks the admin
 * socket's protocol to the CLI and makes each request an RPC call of
 * bulkhead.admin.METHOD (remote.c). */
#ifndef BULKHEAD_REMOTE_H
#define BULKHEAD_REMOTE_H

#include <stdbool.h>
#include <sys/types.h>

/* The socket path that means "through RPC" (--socket, $BULKHEAD_SOCKET). */
#define CLIENT_REMOTE_PATH "rpc:"
#define CLIENT_REMOTE_MAX_LINE (1024 * 1024)
/* Where a qube's control socket is: its presence means "in a qube". */
#define CLIENT_REMOTE_CONTROL "/dev/bulkhead/control.sock"

/* The admin socket to use: opt, else $BULKHEAD_SOCKET, else dom0's socket
 * when it exists, else rpc: inside a qube. */
const char *remote_admin_path(const char *opt);
bool remote_wanted(const char *path);
/* Starts the bridge; the CLI's end of it, or -1/errno. *pid: the bridge. */
int remote_bridge_open(pid_t *pid);

#endif
