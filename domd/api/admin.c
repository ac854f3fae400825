#include "admin.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "dispvm.h"
#include "events.h"
#include "domd.h"
#include "log.h"
#include "peerlimits.h"
#include "refuse.h"
#include "rpc.h"
#include "rpc_proto.h"
#include "store.h"
#include "xalloc.h"

static int listen_fd = -1;
static void admin_accept(void *arg, uint32_t events);
static void client_io(void *arg, uint32_t events);
static void send_event(const char *line, const char *vm);

static struct watch listen_watch = { admin_accept, NULL };
static struct client *clients;
static unsigned long next_serial = 1;

int
admin_listen(char *err, size_t errlen)
{
	struct sockaddr_un sun;
	const char *path = domd.paths.socket_path;

	events_set_sink(send_event);
	api_remote_init();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		goto fail;
	/* A socket file left by a killed domd: remove it only if nobody answers. */
	if (connect(listen_fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		snprintf(err, errlen, "another bulkhead-domd is listening on %s", path);
		close(listen_fd);
		listen_fd = -1;
		return -1;
	}
	close(listen_fd);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(path);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(listen_fd, 64) < 0)
		goto fail;
	/* Everyone may connect; SO_PEERCRED decides what each peer may do. */
	chmod(path, 0666);
	watch_add(listen_fd, EPOLLIN, &listen_watch);
	return 0;
fail:
	snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
	return -1;
}

void
admin_close(void)
{
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(domd.paths.socket_path);
	}
}

/* Root, or a member of group "bulkhead" (primary or supplementary). */
static bool
peer_may_modify(uid_t uid, gid_t gid, pid_t pid)
{
	struct group *gr;
	char path[64], line[4096];
	FILE *f;
	bool ok = false;

	if (uid == 0)
		return true; /* before the group lookup, which NSS makes slow */
	if ((gr = getgrnam("bulkhead")) == NULL)
		return false;
	if (gid == gr->gr_gid)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p, *end;
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (p = line + 7;; p = end) {
			long g = strtol(p, &end, 10);
			if (end == p)
				break;
			if ((gid_t)g == gr->gr_gid)
				ok = true;
		}
	}
	fclose(f);
	return ok;
}

/* Past its uid's limit a peer gets one error line and the door. Root has
 * a limit of its own, higher: it can stop domd anyway, so its limit only
 * keeps a runaway script from taking every descriptor domd has. */
static bool
refused(int fd, uid_t uid)
{
	int limit = uid == 0 ? domd.limits.admin_conns_root : domd.limits.admin_conns, n = 0;
	char who[32], msg[160], *line;

	for (struct client *c = clients; c != NULL; c = c->next)
		if (c->uid == uid)
			n++;
	if (n < limit)
		return false;
	snprintf(who, sizeof(who), "uid %u", (unsigned)uid);
	snprintf(msg, sizeof(msg), "too many connections from uid %u (%s is %d)",
	    (unsigned)uid, uid == 0 ? "admin_max_connections_root" : "admin_max_connections",
	    limit);
	line = api_error_line("limit", msg);
	if (send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the peer is gone already */
	}
	free(line);
	limit_refused(who, "too many connections on the admin socket", limit);
	refuse_linger(fd, who);
	return true;
}

/* A new client on fd, watched for events (EPOLLIN, or 0: write only). */
static struct client *
client_add(int fd, uid_t uid, pid_t pid, bool may_modify, uint32_t events)
{
	struct client *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->serial = next_serial++;
	c->uid = uid;
	c->pid = pid;
	c->may_modify = may_modify;
	c->w = (struct watch){ client_io, c };
	linebuf_init(&c->in, ADMIN_MAX_LINE);
	c->next = clients;
	clients = c;
	watch_add(fd, events, &c->w);
	return c;
}

static void
admin_accept(void *arg, uint32_t events)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	int fd;

	fd = accept_shed(listen_fd);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != EMFILE)
			log_warn("accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn("SO_PEERCRED");
		close(fd);
		return;
	}
	if (refused(fd, cred.uid))
		return;
	c = client_add(fd, cred.uid, cred.pid, peer_may_modify(cred.uid, cred.gid, cred.pid),
	    EPOLLIN);
	log_debug("%s: client %lu uid %d pid %d", __func__, c->serial, (int)cred.uid,
	    (int)cred.pid);
}

static void
client_free(struct client *c)
{
	for (struct client **p = &clients; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	watch_del(c->fd);
	close(c->fd);
	for (int i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	if (c->dispvm[0] != '\0')
		dispvm_release(c->dispvm);
	linebuf_free(&c->in);
	free(c->out);
	free(c);
}

struct client *
client_by_serial(unsigned long serial)
{
	for (struct client *c = clients; c != NULL; c = c->next)
		if (c->serial == serial)
			return c;
	return NULL;
}

static void
update_interest(struct client *c)
{
	/* A remote call's channel is read by its guard, never by domd. */
	uint32_t ev = c->closing || c->blocked || c->remote[0] ? 0 : EPOLLIN;

	if (c->outlen > 0)
		ev |= EPOLLOUT;
	watch_mod(c->fd, ev, &c->w);
}

static void
queue_bytes(struct client *c, const char *s, size_t n)
{
	if (c->outlen + n > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap < c->outlen + n)
			cap *= 2;
		c->out = xrealloc(c->out, cap);
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, s, n);
	c->outlen += n;
}

/* A data frame's header (rpc_proto.h), for a remote call's channel. */
static void
queue_frame_hdr(struct client *c, uint32_t type, size_t len)
{
	struct rpc_data_hdr h = { htole32(type), htole32((uint32_t)len) };

	queue_bytes(c, (const char *)&h, sizeof(h));
}

static void
queue_line(struct client *c, const char *line)
{
	size_t len = strlen(line);

	if (c->outlen + len > ADMIN_MAX_OUT) {
		log_warnx("client %lu (pid %d) does not read its replies; dropped", c->serial,
		    (int)c->pid);
		c->closing = true;
		c->outlen = 0;
		return;
	}
	if (c->remote[0])
		queue_frame_hdr(c, RPC_DATA_STDOUT, len + 1);
	queue_bytes(c, line, len);
	queue_bytes(c, "\n", 1);
	update_interest(c);
}

/* The end of a remote call after its reply: end of output, exit code. */
static void
queue_remote_end(struct client *c, bool ok)
{
	uint32_t code = htole32(ok ? 0 : 1);

	queue_frame_hdr(c, RPC_DATA_STDOUT, 0);
	queue_frame_hdr(c, RPC_DATA_EXIT, sizeof(code));
	queue_bytes(c, (const char *)&code, sizeof(code));
	c->closing = true;
	update_interest(c);
}

void
client_send(struct client *c, json_object *obj)
{
	json_object *ok;

	queue_line(c, json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	if (c->remote[0] && !c->subscribed && !c->closing)
		queue_remote_end(c, json_object_object_get_ex(obj, "ok", &ok) &&
		    json_object_get_boolean(ok));
}

/* The event sink (events.h): every subscribed client gets the line; a
 * qube's stream only the events about qubes the policy lets it see. */
static void
send_event(const char *line, const char *vm)
{
	for (struct client *c = clients; c != NULL; c = c->next) {
		if (!c->subscribed || c->closing)
			continue;
		if (c->remote[0] && (vm == NULL || vm_find(vm) == NULL ||
		    !rpc_admin_allows(c->remote, "events.subscribe", vm)))
			continue;
		if (c->outlen + strlen(line) > ADMIN_MAX_EVENT_BACKLOG) {
			log_warnx("event subscriber %lu (pid %d) lags; dropped", c->serial,
			    (int)c->pid);
			c->closing = true;
			c->outlen = 0;
			update_interest(c);
			continue;
		}
		queue_line(c, line);
	}
}

static void
process_lines(struct client *c)
{
	char *line;
	int r;

	while (!c->blocked && !c->closing && (r = linebuf_next(&c->in, &line)) != 0) {
		if (r < 0) {
			api_reply_bad_line(c, "request longer than 1 MiB");
			c->closing = true;
			break;
		}
		api_handle_line(c, line);
	}
	update_interest(c);
}

int
client_take_fd(struct client *c)
{
	int fd;

	if (c->nfds == 0)
		return -1;
	fd = c->fds[0];
	memmove(c->fds, c->fds + 1, sizeof(int) * (size_t)(--c->nfds));
	return fd;
}

void
admin_client_own_dispvm(unsigned long serial, const char *name)
{
	struct client *c = client_by_serial(serial);

	if (c != NULL)
		snprintf(c->dispvm, sizeof(c->dispvm), "%s", name);
	else
		dispvm_release(name);
}

struct client *
client_new_remote(int fd, const char *caller, uint32_t id)
{
	/* uid -1 counts against no peer's limit; the policy allowed the call. */
	struct client *c = client_add(fd, (uid_t)-1, -1, true, 0);

	snprintf(c->remote, sizeof(c->remote), "%s", caller);
	c->remote_id = id;
	return c;
}

void
client_remote_gone(const char *caller, uint32_t id)
{
	for (struct client *c = clients; c != NULL; c = c->next)
		if (c->remote_id == id && !strcmp(c->remote, caller)) {
			client_free(c);
			return;
		}
}

void
client_unblock(struct client *c)
{
	c->blocked = false;
	process_lines(c);
}

static void
flush_out(struct client *c)
{
	while (c->outlen > 0) {
		ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			c->outlen = 0;
			c->closing = true;
			return;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
}

static void
client_io(void *arg, uint32_t events)
{
	struct client *c = arg;

	if (events & EPOLLIN) {
		ssize_t n = linebuf_fill_fds(&c->in, c->fd, c->fds, &c->nfds,
		    (int)(sizeof(c->fds) / sizeof(c->fds[0])));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			/* A deferred operation goes on; its reply has nowhere to go. */
			client_free(c);
			return;
		}
		process_lines(c);
	}
	if (events & (EPOLLOUT | EPOLLIN))
		flush_out(c);
	if (events & (EPOLLHUP | EPOLLERR) && !(events & EPOLLIN)) {
		client_free(c);
		return;
	}
	if (c->closing && c->outlen == 0) {
		client_free(c);
		return;
	}
	update_interest(c);
}
