/* Child processes of the console: a command whose output is read on the
 * event loop, as replies from domd are, so that a slow command never stalls
 * the screen. The child gets /dev/null for input (or a pipe holding what the
 * caller gave), a pipe for its output and one for its messages (handed to
 * the caller line by line as they come, if it asks), and the signal dispositions of a fresh process (the
 * console ignores SIGPIPE and the job-control signals). It is never waited
 * for: once both pipes are at their end the main loop polls for its exit
 * every few milliseconds; a child that outlives its time limit or writes
 * more than it may is killed. */
#include "tui.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tui_conn.h"
#include "xalloc.h"

#define ERR_MAX   4096          /* the last bytes of its messages kept */
#define OUT_FIRST 65536         /* the output buffer at first; doubled as needed */
#define REAP_NS   20000000LL    /* how often an ended child's exit is looked for */
#define LINE_MAX_ 512           /* a message line longer than this is cut */
#define INPUT_MAX 4096          /* fits an empty pipe: written before the child runs */

extern char **environ;

struct tui_proc {
	pid_t pid;
	int fd[2];               /* its output, its messages; -1 once at the end */
	int pidx[2];             /* where the loop polls fd[i], -1: not this turn */
	char *out;
	size_t outlen, outcap, max;
	char err[ERR_MAX + 1];
	size_t errlen;
	char why[128];           /* why the console killed it */
	int reaped;              /* its exit was collected (the console closing) */
	int64_t deadline_ns;
	tui_proc_fn fn;
	tui_proc_line_fn line_fn;
	char line[LINE_MAX_];
	size_t linelen;
	void *arg;
	struct tui_proc *next;
};

static void
fail(struct tui *t, tui_proc_fn fn, void *arg, const char *what, int error)
{
	char err[256];

	snprintf(err, sizeof(err), "%s: %s", what, strerror(error));
	fn(t, arg, -1, "", 0, err);
}

void
tui_proc_run(struct tui *t, const char *path, const char *const argv[], size_t max,
    int timeout_s, tui_proc_fn fn, void *arg)
{
	tui_proc_run_io(t, path, argv, NULL, 0, max, timeout_s, NULL, fn, arg);
}

/* A pipe already holding input, closed for writing: the child's stdin. */
static int
input_pipe(const char *input, size_t inlen, int *fd)
{
	int in[2], e;

	if (inlen > INPUT_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (pipe2(in, O_CLOEXEC) == -1)
		return -1;
	if (inlen > 0 && write(in[1], input, inlen) != (ssize_t)inlen) {
		e = errno;
		close(in[0]);
		close(in[1]);
		errno = e;
		return -1;
	}
	close(in[1]);
	*fd = in[0];
	return 0;
}

void
tui_proc_run_io(struct tui *t, const char *path, const char *const argv[], const char *input,
    size_t inlen, size_t max, int timeout_s, tui_proc_line_fn line_fn, tui_proc_fn fn,
    void *arg)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int out[2], err[2], in = -1, rc;
	struct tui_proc *p;
	pid_t pid;

	if (input != NULL && input_pipe(input, inlen, &in) == -1) {
		fail(t, fn, arg, "pipe", errno);
		return;
	}
	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) == -1) {
		rc = errno;
		if (in >= 0)
			close(in);
		fail(t, fn, arg, "pipe", rc);
		return;
	}
	if (pipe2(err, O_CLOEXEC | O_NONBLOCK) == -1) {
		rc = errno;
		close(out[0]);
		close(out[1]);
		if (in >= 0)
			close(in);
		fail(t, fn, arg, "pipe", rc);
		return;
	}
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	if (in >= 0)
		posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(&pid, path, &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(out[1]);
	close(err[1]);
	if (in >= 0)
		close(in);
	if (rc != 0) {
		close(out[0]);
		close(err[0]);
		fail(t, fn, arg, "cannot run it", rc);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->fd[0] = out[0];
	p->fd[1] = err[0];
	p->pidx[0] = p->pidx[1] = -1;
	p->max = max;
	p->outcap = max < OUT_FIRST ? max + 1 : OUT_FIRST;
	p->out = xmalloc(p->outcap + 1);
	p->deadline_ns = tui_now_ns() + (int64_t)timeout_s * 1000000000LL;
	p->fn = fn;
	p->line_fn = line_fn;
	p->arg = arg;
	p->next = t->procs;
	t->procs = p;
}

static void
end_fd(struct tui_proc *p, int i)
{
	if (p->fd[i] >= 0)
		close(p->fd[i]);
	p->fd[i] = -1;
}

static void
kill_proc(struct tui_proc *p, const char *why)
{
	if (p->why[0] == '\0')
		snprintf(p->why, sizeof(p->why), "%s", why);
	kill(p->pid, SIGKILL);
	end_fd(p, 0);
	end_fd(p, 1);
}

/* Keeps the last ERR_MAX bytes of its messages. */
static void
keep_err(struct tui_proc *p, const char *buf, size_t n)
{
	if (n >= ERR_MAX) {
		memcpy(p->err, buf + n - ERR_MAX, ERR_MAX);
		p->errlen = ERR_MAX;
		return;
	}
	if (p->errlen + n > ERR_MAX) {
		size_t drop = p->errlen + n - ERR_MAX;
		memmove(p->err, p->err + drop, p->errlen - drop);
		p->errlen -= drop;
	}
	memcpy(p->err + p->errlen, buf, n);
	p->errlen += n;
}

/* Hands its messages to line_fn a line at a time (cut at LINE_MAX_). */
static void
split_lines(struct tui *t, struct tui_proc *p, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (p->linelen + 1 < sizeof(p->line))
				p->line[p->linelen++] = buf[i];
			continue;
		}
		p->line[p->linelen] = '\0';
		p->linelen = 0;
		p->line_fn(t, p->arg, p->line);
	}
}

static void
read_fd(struct tui *t, struct tui_proc *p, int i)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		if (i == 0 && p->outlen == p->outcap) {
			/* Room for max + 1 bytes: one more than max tells. */
			p->outcap = p->outcap * 2 > p->max + 1 ? p->max + 1 : p->outcap * 2;
			p->out = xrealloc(p->out, p->outcap + 1);
		}
		if (i == 0)
			n = read(p->fd[0], p->out + p->outlen, p->outcap - p->outlen);
		else
			n = read(p->fd[1], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			end_fd(p, i);
			return;
		}
		if (i == 1) {
			keep_err(p, buf, (size_t)n);
			if (p->line_fn != NULL)
				split_lines(t, p, buf, (size_t)n);
			continue;
		}
		p->outlen += (size_t)n;
		if (p->outlen > p->max) {
			kill_proc(p, "it wrote more than the console reads");
			return;
		}
	}
}

size_t
tui_procs_poll(struct tui *t, struct pollfd *pfd)
{
	struct tui_proc *p;
	size_t n = 0;
	int i;

	for (p = t->procs; p != NULL; p = p->next) {
		for (i = 0; i < 2; i++) {
			p->pidx[i] = -1;
			if (p->fd[i] < 0)
				continue;
			pfd[n].fd = p->fd[i];
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			p->pidx[i] = (int)n++;
		}
	}
	return n;
}

size_t
tui_procs_nfds(struct tui *t)
{
	struct tui_proc *p;
	size_t n = 0;

	for (p = t->procs; p != NULL; p = p->next)
		n += (p->fd[0] >= 0) + (p->fd[1] >= 0);
	return n;
}

/* Both pipes at their end and the child gone: its callback, then free. */
static void
finish(struct tui *t, struct tui_proc *p, int status)
{
	struct tui_proc **pp;
	char err[ERR_MAX + 200];

	for (pp = &t->procs; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	p->out[p->outlen] = '\0';
	p->err[p->errlen] = '\0';
	if (p->why[0] != '\0') {
		snprintf(err, sizeof(err), "%s", p->why);
		status = -1;
	} else
		snprintf(err, sizeof(err), "%s", p->err);
	p->fn(t, p->arg, status, p->out, p->outlen, err);
	free(p->out);
	free(p);
}

void
tui_procs_ready(struct tui *t, const struct pollfd *pfd)
{
	struct tui_proc *p, *next;
	int64_t now = tui_now_ns();
	int i, status;
	pid_t r;

	for (p = t->procs; p != NULL; p = next) {
		next = p->next;
		for (i = 0; i < 2; i++)
			if (p->pidx[i] >= 0 && p->fd[i] >= 0 && pfd[p->pidx[i]].revents != 0)
				read_fd(t, p, i);
		if (p->fd[0] >= 0 || p->fd[1] >= 0) {
			if (now >= p->deadline_ns)
				kill_proc(p, "it took too long");
			else
				continue;
		}
		while ((r = waitpid(p->pid, &status, WNOHANG)) == -1 && errno == EINTR)
			;
		if (r == 0 && now >= p->deadline_ns)
			kill_proc(p, "it took too long");
		if (r == p->pid || r == -1)
			finish(t, p, r == p->pid ? status : -1);
	}
}

int64_t
tui_procs_deadline(struct tui *t)
{
	struct tui_proc *p;
	int64_t d = 0, now = tui_now_ns();

	for (p = t->procs; p != NULL; p = p->next) {
		int64_t when = p->fd[0] < 0 && p->fd[1] < 0 ? now + REAP_NS : p->deadline_ns;
		if (d == 0 || when < d)
			d = when;
	}
	return d;
}

#define TERM_WAIT_MS 5000 /* how long the children have to end on SIGTERM */

void
tui_procs_free(struct tui *t)
{
	struct tui_proc *p;
	int status, ms, running;

	/* SIGTERM first: a backup or restore removes what it wrote. */
	for (p = t->procs; p != NULL; p = p->next)
		kill(p->pid, SIGTERM);
	for (ms = 0; ms < TERM_WAIT_MS; ms += 10) {
		running = 0;
		for (p = t->procs; p != NULL; p = p->next)
			if (!p->reaped && waitpid(p->pid, &status, WNOHANG) != 0)
				p->reaped = 1;
			else
				running |= !p->reaped;
		if (!running)
			break;
		usleep(10000);
	}
	while (t->procs != NULL) {
		if (!t->procs->reaped) {
			kill_proc(t->procs, "the console is closing");
			while (waitpid(t->procs->pid, &status, 0) == -1 && errno == EINTR)
				;
		} else {
			snprintf(t->procs->why, sizeof(t->procs->why), "the console is closing");
			end_fd(t->procs, 0);
			end_fd(t->procs, 1);
		}
		finish(t, t->procs, -1);
	}
}
