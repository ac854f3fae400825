/* Client side of domd's admin API: connect, send one request line, read reply
 * lines (at most CLIENT_MAX_LINE each) until the one with our id. */
#include "client.h"

#include "fdio.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linebuf.h"
#include "log.h"
#include "remote.h"
#include "xalloc.h"

struct client {
	int fd;
	pid_t bridge; /* rpc: the bridge process (remote.c), else 0 */
	char *path;
	struct linebuf lb;
	int64_t next_id;
};

struct client *
client_open(const char *path)
{
	struct sockaddr_un sun;
	struct client *c;
	int fd, saved;

	if (remote_wanted(path)) {
		pid_t pid;
		if ((fd = remote_bridge_open(&pid)) < 0)
			return NULL;
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->bridge = pid;
		c->path = xstrdup(path);
		c->next_id = 1;
		linebuf_init(&c->lb, CLIENT_MAX_LINE);
		return c;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->path = xstrdup(path);
	c->next_id = 1;
	linebuf_init(&c->lb, CLIENT_MAX_LINE);
	log_debug("%s: connected to %s", __func__, path);
	return c;
}

void
client_close(struct client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	/* The bridge ends at the end of its socket. */
	while (c->bridge > 0 && waitpid(c->bridge, NULL, 0) < 0 && errno == EINTR)
		;
	linebuf_free(&c->lb);
	free(c->path);
	free(c);
}

const char *
client_path(const struct client *c)
{
	return c->path;
}

/* The first byte of the line carries the descriptor (SCM_RIGHTS). */
static int
send_with_fd(int sock, const char *line, int pass_fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { (void *)line, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
		.msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *c;
	ssize_t n;

	memset(&cm, 0, sizeof(cm));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return -1;
	return fd_write_all(sock, line + 1, strlen(line + 1));
}

int64_t
client_send(struct client *c, const char *method, const char *vm, json_object *args)
{
	return client_send_fd(c, method, vm, args, -1);
}

int64_t
client_send_fd(struct client *c, const char *method, const char *vm, json_object *args, int pass_fd)
{
	json_object *req;
	char *line;
	int64_t id = c->next_id++;
	int r;

	req = json_object_new_object();
	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (vm != NULL)
		json_object_object_add(req, "vm", json_object_new_string(vm));
	json_object_object_add(req, "args", args != NULL ? args : json_object_new_object());

	line = xasprintf("%s\n", json_object_to_json_string_ext(req,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(req);
	log_debug("%s: -> %.*s", __func__, (int)strlen(line) - 1, line);
	r = pass_fd >= 0 ? send_with_fd(c->fd, line, pass_fd) : fd_write_all(c->fd, line, strlen(line));
	free(line);
	return r == -1 ? -1 : id;
}

int
client_read_line(struct client *c, const sigset_t *waitmask, char **line)
{
	struct pollfd pfd;
	ssize_t n;
	int r;

	for (;;) {
		r = linebuf_next(&c->lb, line);
		if (r == 1)
			return 1;
		if (r == -1) {
			errno = EMSGSIZE;
			return -1;
		}
		if (waitmask != NULL) {
			pfd.fd = c->fd;
			pfd.events = POLLIN;
			if (ppoll(&pfd, 1, NULL, waitmask) == -1)
				return -1; /* EINTR: a caught signal */
		}
		n = linebuf_fill(&c->lb, c->fd);
		if (n == 0) {
			if (linebuf_pending(&c->lb) > 0)
				log_debug("%s: %zu bytes without a newline before EOF",
				    __func__, linebuf_pending(&c->lb));
			return 0;
		}
		if (n == -1)
			return -1;
	}
}

static void
set_error(struct client_error *err, const char *code, const char *fmt, ...)
    PRINTFLIKE(3, 4);

static void
set_error(struct client_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&err->message, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	err->code = xstrdup(code);
}

void
client_error_free(struct client_error *err)
{
	free(err->code);
	free(err->message);
	err->code = err->message = NULL;
}

/* The line as one JSON object with nothing after it, or NULL. */
static json_object *
parse_line(const char *line)
{
	struct json_tokener *tok;
	json_object *obj;
	size_t len = strlen(line);

	tok = json_tokener_new();
	if (tok == NULL)
		fatalx("out of memory");
	obj = json_tokener_parse_ex(tok, line, (int)len);
	if (obj != NULL && json_tokener_get_parse_end(tok) < len &&
	    strspn(line + json_tokener_get_parse_end(tok), " \t\r") !=
	    len - json_tokener_get_parse_end(tok)) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	if (obj != NULL && !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
	}
	return obj;
}

enum client_status
client_parse_line(const char *line, json_object **event, int64_t *id,
    json_object **result, struct client_error *err)
{
	json_object *reply, *rid, *ok, *v, *e, *code, *msg;
	enum client_status st;

	memset(err, 0, sizeof(*err));
	*event = NULL;
	if (result != NULL)
		*result = NULL;
	if ((reply = parse_line(line)) == NULL) {
		set_error(err, "bad-reply", "domd sent a line that is not a JSON object");
		return CLIENT_BADREPLY;
	}
	/* Events carry "event" and no "ok" (an ask event has an "id" of its
	 * own: the ask's, not a request's). */
	if (json_object_object_get_ex(reply, "event", NULL) &&
	    !json_object_object_get_ex(reply, "ok", NULL)) {
		*event = reply;
		return CLIENT_EVENT;
	}
	ok = NULL;
	json_object_object_get_ex(reply, "ok", &ok);
	if (!json_object_is_type(ok, json_type_boolean)) {
		json_object_put(reply);
		set_error(err, "bad-reply", "domd sent a reply without \"ok\"");
		return CLIENT_BADREPLY;
	}
	/* A request domd could not parse is answered with id null (-1 here). */
	rid = NULL;
	json_object_object_get_ex(reply, "id", &rid);
	if (rid == NULL || json_object_is_type(rid, json_type_null))
		*id = -1;
	else if (json_object_is_type(rid, json_type_int))
		*id = json_object_get_int64(rid);
	else
		*id = 0; /* not one of ours */

	if (json_object_get_boolean(ok)) {
		st = CLIENT_OK;
		if (result != NULL) {
			v = NULL;
			if (!json_object_object_get_ex(reply, "result", &v) || v == NULL)
				*result = NULL;
			else
				*result = json_object_get(v);
		}
	} else {
		st = CLIENT_REFUSED;
		e = code = msg = NULL;
		json_object_object_get_ex(reply, "error", &e);
		json_object_object_get_ex(e, "code", &code);
		json_object_object_get_ex(e, "message", &msg);
		err->code = xstrdup(json_object_is_type(code, json_type_string) ?
		    json_object_get_string(code) : "internal");
		if (json_object_is_type(msg, json_type_string) &&
		    *json_object_get_string(msg) != '\0')
			err->message = xstrdup(json_object_get_string(msg));
		else
			err->message = xasprintf("refused (%s)", err->code);
	}
	json_object_put(reply);
	return st;
}

enum client_status
client_recv(struct client *c, int64_t id, json_object **result, struct client_error *err)
{
	json_object *event;
	enum client_status st;
	int64_t rid;
	char *line;
	int r;

	for (;;) {
		memset(err, 0, sizeof(*err));
		r = client_read_line(c, NULL, &line);
		if (r == 0) {
			set_error(err, "unreachable", "domd closed the connection before replying");
			return CLIENT_LOST;
		}
		if (r == -1 && errno == EMSGSIZE) {
			set_error(err, "bad-reply", "reply from domd longer than %d bytes",
			    CLIENT_MAX_LINE);
			return CLIENT_BADREPLY;
		}
		if (r == -1) {
			set_error(err, "unreachable", "reading from %s: %s", c->path,
			    strerror(errno));
			return CLIENT_LOST;
		}
		log_debug("%s: <- %s", __func__, line);
		st = client_parse_line(line, &event, &rid, result, err);
		if (st == CLIENT_EVENT) {
			json_object_put(event);
			continue;
		}
		if (st == CLIENT_BADREPLY)
			return st;
		/* Replies come in request order: a reply with id null (a
		 * request domd could not parse) answers ours when it is an
		 * error. */
		if (rid == -1 ? st == CLIENT_OK : rid != id) {
			log_debug("%s: skipping a reply to another request", __func__);
			if (result != NULL) {
				json_object_put(*result);
				*result = NULL;
			}
			client_error_free(err);
			continue;
		}
		return st;
	}
}

int
client_fd(const struct client *c)
{
	return c->fd;
}

ssize_t
client_fill(struct client *c)
{
	return linebuf_fill(&c->lb, c->fd);
}

int
client_next_line(struct client *c, char **line)
{
	int r = linebuf_next(&c->lb, line);

	if (r == 1)
		log_debug("%s: <- %s", __func__, *line);
	return r;
}

enum client_status
client_call(struct client *c, const char *method, const char *vm, json_object *args,
    json_object **result, struct client_error *err)
{
	int64_t id;

	if ((id = client_send(c, method, vm, args)) == -1) {
		memset(err, 0, sizeof(*err));
		set_error(err, "unreachable", "writing to %s: %s", c->path, strerror(errno));
		return CLIENT_LOST;
	}
	return client_recv(c, id, result, err);
}
