/* The admin socket: peers checked with SO_PEERCRED, one JSON object per
 * line each way. A bad request closes that connection only (vmd control.c). */
#ifndef BULKHEAD_DOMD_ADMIN_H
#define BULKHEAD_DOMD_ADMIN_H

#include <stdbool.h>
#include <json-c/json.h>
#include <sys/types.h>

#include "linebuf.h"
#include "loop.h"

#define ADMIN_MAX_LINE (1024 * 1024)
#define ADMIN_MAX_OUT (8 * 1024 * 1024)       /* queued replies */
#define ADMIN_MAX_EVENT_BACKLOG (1024 * 1024) /* a subscriber that lags more is dropped */

struct client {
	int fd;
	unsigned long serial;
	struct watch w;
	uid_t uid;
	pid_t pid;
	bool may_modify;
	bool subscribed;
	bool blocked;   /* a deferred reply is outstanding: read no further */
	bool closing;   /* close once the output is flushed */
	struct linebuf in;
	int fds[4];     /* descriptors passed with requests (vm.run) */
	int nfds;
	char dispvm[32]; /* a DispVM made for this client: gone with it */
	/* A call of the admin API from this qube (api_remote.c): domd writes
	 * its reply (and events) as data frames, never reads, and ends the
	 * call after the reply unless it subscribed. "" for socket clients. */
	char remote[32];
	uint32_t remote_id;
	char *out;
	size_t outlen, outcap;
	struct client *next;
};

struct request {
	struct client *c;
	json_object *id;
	const char *method;
	const char *vm_name;
	json_object *args;
	struct vm *vm;
};

int admin_listen(char *err, size_t errlen);
void admin_close(void);

struct client *client_by_serial(unsigned long serial);
/* Queues one line for the client (the object is not consumed). */
void client_send(struct client *c, json_object *obj);
/* After a deferred reply: read on. */
void client_unblock(struct client *c);
/* The oldest descriptor the client passed, or -1. */
int client_take_fd(struct client *c);
void admin_client_own_dispvm(unsigned long serial, const char *name);
/* A client for an allowed admin call from qube caller on domd's end fd of
 * its data channel (taken). */
struct client *client_new_remote(int fd, const char *caller, uint32_t id);
/* The caller of remote call id went away: its client goes. */
void client_remote_gone(const char *caller, uint32_t id);

#endif
