/* Client side of domd's admin API (domd/api/API.md): one JSON object per line. */
#ifndef BULKHEAD_CLIENT_H
#define BULKHEAD_CLIENT_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#define CLIENT_MAX_LINE (1024 * 1024)

enum client_status {
	CLIENT_OK,       /* "ok":true; the result is returned */
	CLIENT_REFUSED,  /* "ok":false; error code and message are returned */
	CLIENT_BADREPLY, /* domd sent something that is not a valid reply */
	CLIENT_LOST,     /* write failed or the connection closed before the reply */
	CLIENT_EVENT,    /* client_parse_line: the line is an event, not a reply */
};

struct client_error {
	char *code;    /* domd's error code; locally "unreachable" (CLIENT_LOST)
	                * or "bad-reply" (CLIENT_BADREPLY) */
	char *message; /* one line, for the operator */
};

struct client;

/* Connects to the admin socket at path; NULL with errno set on failure. */
struct client *client_open(const char *path);
void client_close(struct client *c);
const char *client_path(const struct client *c);

/* Sends {"id":N,"method":…,"vm":…,"args":…} (vm omitted when NULL). Takes
 * ownership of args (NULL: {}). Returns the id, or -1 with errno set. */
int64_t client_send(struct client *c, const char *method, const char *vm, json_object *args);
/* The same, passing a descriptor along with the request (vm.run). */
int64_t client_send_fd(struct client *c, const char *method, const char *vm, json_object *args,
    int pass_fd);

/* Reads replies until the one for id; event lines are skipped. On CLIENT_OK
 * *result holds a reference to the result (json null when absent) unless
 * result is NULL; otherwise err is filled (free with client_error_free). */
enum client_status client_recv(struct client *c, int64_t id, json_object **result,
    struct client_error *err);
/* client_send and client_recv. */
enum client_status client_call(struct client *c, const char *method, const char *vm,
    json_object *args, json_object **result, struct client_error *err);

void client_error_free(struct client_error *err);

/* Next line from domd (e.g. an event after events.subscribe), valid until the
 * next call. While waiting, the signal mask is replaced by waitmask (NULL:
 * unchanged) so that blocked signals can interrupt the wait. Returns 1: a
 * line, 0: the connection was closed, -1: an error (errno; EINTR when a signal
 * was caught, EMSGSIZE for a line over CLIENT_MAX_LINE). */
int client_read_line(struct client *c, const sigset_t *waitmask, char **line);

/* For callers that poll several connections (the console): the socket,
 * one read(2) into the line buffer (>0 bytes read, 0 at EOF, -1 on error with
 * errno, EAGAIN on a non-blocking socket with nothing to read), and the next
 * complete buffered line without reading (1: a line valid until the next
 * call, 0: none yet, -1: a line over CLIENT_MAX_LINE). */
int client_fd(const struct client *c);
ssize_t client_fill(struct client *c);
int client_next_line(struct client *c, char **line);

/* Interprets one line from domd. An event (an object with "event" and no
 * "ok") returns CLIENT_EVENT with a reference in *event. A reply returns
 * CLIENT_OK (*result as client_recv) or CLIENT_REFUSED (err filled), with
 * its id in *id: -1 for id null, 0 for an id that is not a number. Anything
 * else returns CLIENT_BADREPLY with err filled. */
enum client_status client_parse_line(const char *line, json_object **event, int64_t *id,
    json_object **result, struct client_error *err);

#endif
