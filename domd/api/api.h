/* Admin API dispatch: one table of methods (see API.md), each in the file of
 * its area (api_daemon.c, api_vm.c, api_lifecycle.c, api_template.c). */
#ifndef BULKHEAD_DOMD_API_H
#define BULKHEAD_DOMD_API_H

#include <json-c/json.h>

#include "admin.h"

enum api_result { API_DONE, API_DEFERRED };

enum {
	API_NEEDS_VM = 1 << 0, /* "vm" must name an existing qube */
	API_MODIFIES = 1 << 1, /* needs root or group bulkhead */
	API_TAKES_VM = 1 << 2, /* "vm" names a qube to be created */
};

struct api_method {
	const char *name;
	int flags;
	const char *const *args; /* accepted keys of "args", NULL-terminated */
	enum api_result (*fn)(struct request *req);
};

extern const struct api_method api_daemon_info, api_vm_list, api_vm_get, api_vm_set,
    api_vm_create, api_vm_clone, api_vm_remove, api_vm_start, api_vm_shutdown,
    api_vm_kill, api_vm_pause, api_vm_unpause, api_vm_stats, api_template_import,
    api_events_subscribe, api_vm_run, api_ask_list, api_ask_answer, api_vm_tag;
extern const struct api_method api_vm_firewall, api_usb_list, api_vm_usb;
extern const struct api_method api_policy_list, api_policy_put, api_policy_remove;
extern const struct api_method api_vm_restore;

void api_handle_line(struct client *c, const char *line);
/* Answers the admin calls of qubes (api_remote.c) from now on. */
void api_remote_init(void);
/* Runs req (c, id, method and args set) on the qube vm_name (NULL: none),
 * after the checks every request gets; the reply goes to req->c. */
void api_run(struct request *req, const char *vm_name);
void api_reply_bad_line(struct client *c, const char *why);
/* An error line (id null) for a connection refused before any request;
 * the caller frees it. */
char *api_error_line(const char *code, const char *message);

/* Replies: result is consumed. */
void reply_ok(struct request *req, json_object *result);
void reply_error(struct request *req, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A reply that comes later: remembers the connection and id. */
struct deferred {
	unsigned long client;
	json_object *id;
};
void defer(struct request *req, struct deferred *d);
void deferred_ok(struct deferred *d, json_object *result);
void deferred_error(struct deferred *d, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Helpers for handlers. */
json_object *vm_to_json(const struct vm *vm);
/* Reads an optional typed argument; -1 after replying with an error. */
int arg_int(struct request *req, const char *key, long min, long max, long *out);
int arg_bool(struct request *req, const char *key, bool *out);
int arg_string(struct request *req, const char *key, const char **out);
/* The text form of a JSON scalar, as a config file would hold it. */
int json_scalar_text(json_object *v, char *buf, size_t len);

#endif
