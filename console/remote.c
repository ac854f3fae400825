/* The admin API from inside a management qube (lib/admin_rpc.h): the CLI
 * and the console talk to this bridge as they would to domd's socket; it
 * turns each request line into a call `bulkhead-rpc TARGET
 * bulkhead.admin.METHOD[+ARG]` with the arguments on its stdin, and sends
 * back the reply line with the request's id (and, for events.subscribe,
 * the event lines that follow). A call the policy refuses comes back as an
 * error "denied", with bulkhead-rpc's reason. */
#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "admin_rpc.h"
#include "cmd.h"
#include "fdio.h"
#include "linebuf.h"
#include "rpc_proto.h"
#include "xalloc.h"

#define CALLS_MAX 32

/* A request, from its line to its reply; the replies go out in the order
 * of the requests, as on domd's socket (the console counts on it). */
struct call {
	bool used;
	uint64_t seq;   /* the request's place in line */
	json_object *id;
	char what[160]; /* "METHOD on TARGET", for its error */
	pid_t pid;      /* bulkhead-rpc; 0 when none, or reaped */
	int out, err;   /* its stdout and stderr, -1 once at EOF */
	struct linebuf lb;
	char errline[256];
	size_t errlen;
	char *reply;    /* the reply line, once known, until it goes out */
	bool sent;      /* it went out: events follow it straight */
	char *held;     /* events that came before the reply went out */
	size_t heldlen;
};

static struct call calls[CALLS_MAX];
static uint64_t next_seq, next_send;
static int cli = -1;

static void
send_line(const char *line, size_t len)
{
	if (fd_write_all(cli, line, len) < 0)
		_exit(0); /* the CLI is gone */
}

static struct call *
call_new(json_object *id)
{
	for (int i = 0; i < CALLS_MAX; i++)
		if (!calls[i].used) {
			struct call *k = &calls[i];
			memset(k, 0, sizeof(*k));
			k->used = true;
			k->seq = next_seq++;
			k->id = id ? json_object_get(id) : NULL;
			k->out = k->err = -1;
			linebuf_init(&k->lb, CLIENT_REMOTE_MAX_LINE);
			return k;
		}
	return NULL;
}

static bool
slot_free(void)
{
	for (int i = 0; i < CALLS_MAX; i++)
		if (!calls[i].used)
			return true;
	return false;
}

/* A call whose reply went out and whose bulkhead-rpc has ended. */
static void
call_release(struct call *k)
{
	if (!k->sent || k->pid != 0 || k->out >= 0 || k->err >= 0)
		return;
	json_object_put(k->id);
	linebuf_free(&k->lb);
	free(k->reply);
	free(k->held);
	memset(k, 0, sizeof(*k));
}

/* The replies that are next in line go out, each with the events its call
 * had for it. */
static void
flush(void)
{
	for (;;) {
		struct call *k = NULL;
		for (int i = 0; i < CALLS_MAX; i++)
			if (calls[i].used && calls[i].seq == next_send)
				k = &calls[i];
		if (k == NULL || k->reply == NULL)
			return;
		send_line(k->reply, strlen(k->reply));
		if (k->heldlen > 0)
			send_line(k->held, k->heldlen);
		free(k->reply);
		free(k->held);
		k->reply = k->held = NULL;
		k->heldlen = 0;
		k->sent = true;
		next_send++;
		call_release(k);
	}
}

static void
set_reply(struct call *k, json_object *o)
{
	json_object_object_add(o, "id", k->id ? json_object_get(k->id) : NULL);
	k->reply = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	flush();
}

static void
reply_error(struct call *k, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reply_error(struct call *k, const char *code, const char *fmt, ...)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", e);
	set_reply(k, o);
	json_object_put(o);
}

static pid_t
spawn(const char *target, const char *service, const char *payload, int *out, int *err)
{
	int in[2], o[2], e[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	if ((pid = fork()) == 0) {
		const char *prog = getenv("BULKHEAD_RPC");
		dup2(in[0], 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		prog = prog != NULL && *prog != '\0' ? prog : "bulkhead-rpc";
		execlp(prog, prog, "--", target, service, (char *)NULL);
		fprintf(stderr, "bulkhead-rpc: cannot run %s: %s\n", prog, strerror(errno));
		_exit(124);
	}
	close(in[0]);
	close(o[1]);
	close(e[1]);
	if (pid > 0 && payload[0] != '\0')
		fd_write_all(in[1], payload, strlen(payload)); /* within a pipe's buffer */
	close(in[1]);
	if (pid < 0) {
		close(o[0]);
		close(e[0]);
		return -1;
	}
	*out = o[0];
	*err = e[0];
	return pid;
}

/* One request line from the CLI: a call of bulkhead.admin.METHOD. */
static void
request(const char *line)
{
	json_object *req = json_tokener_parse(line), *id = NULL, *v, *args, *payload = NULL;
	const char *method, *vm = NULL, *prop = NULL, *target = "dom0";
	char service[RPC_SERVICE_MAX + RPC_ARG_MAX + 2];
	const struct admin_rpc_method *m;
	struct call *k;
	uint32_t index;

	if (req != NULL && json_object_is_type(req, json_type_object))
		json_object_object_get_ex(req, "id", &id);
	k = call_new(id); /* the caller made sure of a free slot */
	if (req == NULL || !json_object_is_type(req, json_type_object)) {
		reply_error(k, "bad-request", "request is not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(req, "method", &v) || !json_object_is_type(v, json_type_string)) {
		reply_error(k, "bad-request", "request has no \"method\" string");
		goto out;
	}
	method = json_object_get_string(v);
	if (json_object_object_get_ex(req, "vm", &v) && json_object_is_type(v, json_type_string))
		vm = json_object_get_string(v);
	payload = json_object_new_object();
	if (json_object_object_get_ex(req, "args", &args) && json_object_is_type(args, json_type_object)) {
		json_object_object_foreach(args, key, val) {
			if (!strcmp(key, "prop") && json_object_is_type(val, json_type_string))
				prop = json_object_get_string(val);
			else
				json_object_object_add(payload, key, json_object_get(val));
		}
	}
	snprintf(service, sizeof(service), ADMIN_RPC_PREFIX "%s", method);
	if ((m = admin_rpc_find(service, &index)) == NULL) {
		reply_error(k, "not-remote", "%s is not available from a qube: run it in dom0",
		    method);
		goto out;
	}
	if (m->target != ADMIN_RPC_ON_DOM0 && vm == NULL) {
		reply_error(k, "bad-request", "%s needs a \"vm\" string", method);
		goto out;
	}
	if (m->arg_is_prop && prop == NULL) {
		reply_error(k, "bad-request", "%s needs \"prop\"", method);
		goto out;
	}
	if (m->target == ADMIN_RPC_ON_QUBE)
		target = vm;
	if (m->arg_is_prop || m->target == ADMIN_RPC_CREATES)
		snprintf(service + strlen(service), sizeof(service) - strlen(service), "+%s",
		    m->arg_is_prop ? prop : vm);
	snprintf(k->what, sizeof(k->what), "%s on %s", method, target);
	k->pid = spawn(target, service, json_object_object_length(payload) == 0 ? "" :
	    json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE), &k->out, &k->err);
	if (k->pid < 0) {
		k->pid = 0;
		reply_error(k, "unreachable", "cannot run bulkhead-rpc: %s", strerror(errno));
	}
out:
	json_object_put(payload);
	json_object_put(req);
}

/* A line of a call's output: its first reply gets the request's id; the
 * rest are events (events.subscribe). */
static void
output_line(struct call *k, const char *line)
{
	json_object *o = json_tokener_parse(line), *ok;
	size_t len = strlen(line);

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return; /* not domd's */
	}
	if (json_object_object_get_ex(o, "ok", &ok) && k->reply == NULL && !k->sent)
		set_reply(k, o);
	else if (k->sent) {
		send_line(line, len);
		send_line("\n", 1);
	} else {
		k->held = xrealloc(k->held, k->heldlen + len + 1);
		memcpy(k->held + k->heldlen, line, len);
		k->held[k->heldlen + len] = '\n';
		k->heldlen += len + 1;
	}
	json_object_put(o);
}

/* bulkhead-rpc ended: without a reply, its exit status and first line
 * on stderr say why. */
static void
call_end(struct call *k)
{
	int status = 0;
	char *msg = k->errline;

	while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
		;
	k->pid = 0;
	if (k->reply == NULL && !k->sent) {
		k->errline[k->errlen] = '\0';
		if (!strncmp(msg, "bulkhead-rpc: ", 14))
			msg += 14;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
			reply_error(k, "denied", "%s", msg[0] ? msg : "denied by policy");
		else
			reply_error(k, "unreachable", "%s: %s", k->what,
			    msg[0] ? msg : "no reply from domd");
	}
	call_release(k);
}

static void
read_out(struct call *k)
{
	char *line;
	ssize_t n = linebuf_fill(&k->lb, k->out);

	if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN))) {
		close(k->out);
		k->out = -1;
	}
	while (linebuf_next(&k->lb, &line) > 0)
		output_line(k, line);
}

static void
read_err(struct call *k)
{
	char buf[256];
	ssize_t n = read(k->err, buf, sizeof(buf));

	if (n <= 0 && !(n < 0 && errno == EINTR)) {
		close(k->err);
		k->err = -1;
		return;
	}
	/* Its first line says why it failed. */
	for (ssize_t i = 0; i < n && k->errlen + 1 < sizeof(k->errline); i++) {
		if (buf[i] == '\n')
			k->errlen = sizeof(k->errline) - 1;
		else
			k->errline[k->errlen++] = buf[i];
	}
}

static void
quit(void)
{
	for (int i = 0; i < CALLS_MAX; i++)
		if (calls[i].used && calls[i].pid > 0)
			kill(calls[i].pid, SIGTERM);
	_exit(0);
}

static void
serve(void)
{
	struct linebuf in;
	char *line;

	linebuf_init(&in, CLIENT_REMOTE_MAX_LINE);
	for (;;) {
		struct pollfd p[1 + 2 * CALLS_MAX];
		struct call *who[1 + 2 * CALLS_MAX];
		int n = 1;

		/* Requests already read wait for a free slot, and so do new ones. */
		while (slot_free() && linebuf_next(&in, &line) > 0)
			request(line);
		p[0] = (struct pollfd){ cli, slot_free() ? POLLIN : 0, 0 };
		for (int i = 0; i < CALLS_MAX; i++) {
			if (!calls[i].used)
				continue;
			if (calls[i].out >= 0) {
				who[n] = &calls[i];
				p[n++] = (struct pollfd){ calls[i].out, POLLIN, 0 };
			}
			if (calls[i].err >= 0) {
				who[n] = &calls[i];
				p[n++] = (struct pollfd){ calls[i].err, POLLIN, 0 };
			}
		}
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			quit();
		}
		for (int i = 1; i < n; i++) {
			if (p[i].revents == 0)
				continue;
			if (p[i].fd == who[i]->out)
				read_out(who[i]);
			else
				read_err(who[i]);
		}
		for (int i = 0; i < CALLS_MAX; i++)
			if (calls[i].used && calls[i].pid > 0 && calls[i].out < 0 && calls[i].err < 0)
				call_end(&calls[i]);
		if (p[0].revents != 0) {
			ssize_t r = linebuf_fill(&in, cli);
			if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
				quit();
		}
	}
}

/* What the bridge inherits from the CLI that is not its own: the CLI's
 * signal handlers and mask. */
static void
reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN); /* the CLI decides when to stop */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int
remote_bridge_open(pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if ((*pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (*pid == 0) {
		reset_signals();
		close(sv[0]);
		cli = sv[1];
		serve();
	}
	close(sv[1]);
	return sv[0];
}

bool
remote_wanted(const char *path)
{
	return !strcmp(path, CLIENT_REMOTE_PATH);
}

const char *
remote_admin_path(const char *opt)
{
	const char *path = opt;

	if (path == NULL || *path == '\0')
		path = getenv("BULKHEAD_SOCKET");
	if (path != NULL && *path != '\0')
		return path;
	if (access(BH_DEFAULT_SOCKET, F_OK) < 0 && access(CLIENT_REMOTE_CONTROL, F_OK) == 0)
		return CLIENT_REMOTE_PATH;
	return BH_DEFAULT_SOCKET;
}
