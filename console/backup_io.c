/* Where a backup goes and comes from: a file in dom0, or a file in a qube
 * (VM:PATH), reached by commands run there through vm.run; the qube sees
 * only the encrypted stream. And the progress shown on a terminal. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "fdio.h"
#include "qube.h"
#include "run_output.h"

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

void
bk_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a blocked read or write returns, and the command
	 * removes what it wrote on its way out. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

bool
bk_interrupted(void)
{
	return interrupted != 0;
}

int
bk_fd_write(void *arg, const void *buf, size_t len)
{
	if (interrupted) {
		errno = EINTR;
		return -1;
	}
	return fd_write_all(*(int *)arg, buf, len);
}

/* VM:PATH: a qube's name, a colon, a path. */
static bool
split_vm(const char *spec, struct bk_end *e)
{
	const char *colon = strchr(spec, ':');
	size_t n;

	if (colon == NULL || (strchr(spec, '/') != NULL && strchr(spec, '/') < colon))
		return false;
	n = (size_t)(colon - spec);
	if (n == 0 || n >= sizeof(e->vm))
		return false;
	memcpy(e->vm, spec, n);
	e->vm[n] = '\0';
	return qube_name_valid(e->vm);
}

/* PATH in single quotes for the qube's shell. */
static char *
shell_quote(const char *s)
{
	size_t n = 3;
	char *q, *p;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	p = q = malloc(n);
	if (q == NULL)
		return NULL;
	*p++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else
			*p++ = *c;
	}
	*p++ = '\'';
	*p = '\0';
	return q;
}

static int
check_path(struct bk_end *e, const char *path, char *err, size_t errlen)
{
	if (*path == '\0' || strlen(path) >= sizeof(e->path) - 8) {
		snprintf(err, errlen, "invalid path '%.200s'", path);
		return -1;
	}
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			snprintf(err, errlen, "the path has a control character");
			return -1;
		}
	snprintf(e->path, sizeof(e->path), "%s", path);
	return 0;
}

/* Runs "command" in e->vm from a child with its own connection to domd,
 * its stdin from in_fd and its stdout to out_fd (-1: ours/none). */
static pid_t
spawn_vm_command(struct cmd_ctx *ctx, const char *vm, const char *command, int in_fd,
    int out_fd, int close_fd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	{
		struct cmd_ctx c = *ctx;
		struct run_output out;
		json_object *args = json_object_new_object();
		int code;

		if (close_fd >= 0)
			close(close_fd);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		c.client = NULL;
		json_object_object_add(args, "autostart", json_object_new_boolean(1));
		run_output_fds(&out, out_fd >= 0 ? out_fd : 2, 2, RUN_FILTER_ON);
		if (out_fd >= 0)
			out.filter[1] = false;
		code = cmd_run_in(&c, vm, command, args, in_fd, &out);
		run_output_free(&out);
		_exit(code > 255 ? 1 : code);
	}
}

/* Runs a short command in the qube and waits: its exit status. */
static int
vm_command(struct cmd_ctx *ctx, const char *vm, const char *fmt, const char *a, const char *b)
{
	char *qa = shell_quote(a), *qb = b ? shell_quote(b) : NULL, *cmd = NULL;
	int status = -1;
	pid_t pid;

	if (qa == NULL || (b != NULL && qb == NULL) || asprintf(&cmd, fmt, qa, qb ? qb : "") < 0)
		goto out;
	if ((pid = spawn_vm_command(ctx, vm, cmd, -1, -1, -1)) < 0)
		goto out;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
out:
	free(qa);
	free(qb);
	free(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* e->fd becomes a pipe into (writing) or out of the command fmt (with
 * path quoted for %s) run in e->vm. */
static int
vm_pipe(struct cmd_ctx *ctx, struct bk_end *e, const char *fmt, const char *path, bool writing,
    char *err, size_t errlen)
{
	char *q = shell_quote(path), *cmd = NULL;
	int p[2];

	if (q == NULL || asprintf(&cmd, fmt, q) < 0) {
		free(q);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(q);
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(cmd);
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	/* The child keeps the qube's end; we keep ours. */
	if (writing)
		e->pid = spawn_vm_command(ctx, e->vm, cmd, p[0], -1, p[1]);
	else
		e->pid = spawn_vm_command(ctx, e->vm, cmd, -1, p[1], p[0]);
	free(cmd);
	close(writing ? p[0] : p[1]);
	if (e->pid < 0) {
		close(writing ? p[1] : p[0]);
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	e->fd = writing ? p[1] : p[0];
	if (writing)
		signal(SIGPIPE, SIG_IGN);
	return 0;
}

int
bk_dest_open(struct cmd_ctx *ctx, const char *spec, struct bk_end *e, char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if (split_vm(spec, e)) {
		if (check_path(e, strchr(spec, ':') + 1, err, errlen) < 0)
			return -1;
		snprintf(e->tmp, sizeof(e->tmp), "%s.part", e->path);
		return vm_pipe(ctx, e, "cat > %s", e->tmp, true, err, errlen);
	}
	if (check_path(e, spec, err, errlen) < 0)
		return -1;
	if (access(spec, F_OK) == 0) {
		snprintf(err, errlen, "%.200s exists already: a backup is never written over a file",
		    spec);
		return -1;
	}
	{
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", spec);
		snprintf(e->tmp, sizeof(e->tmp), "%s/.%s.part-%d", dirname(dir),
		    basename(e->path), (int)getpid());
	}
	if ((e->fd = open(e->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		snprintf(err, errlen, "cannot create %.200s: %s", e->tmp, strerror(errno));
		return -1;
	}
	return 0;
}

static int
wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
bk_dest_commit(struct cmd_ctx *ctx, struct bk_end *e, char *err, size_t errlen)
{
	if (e->vm[0] != '\0') {
		int code;

		close(e->fd);
		e->fd = -1;
		code = wait_child(e->pid);
		e->pid = 0;
		if (code != 0) {
			snprintf(err, errlen, "writing %.200s in %s failed (exit status %d)", e->tmp,
			    e->vm, code);
			bk_dest_abort(ctx, e);
			return -1;
		}
		if (vm_command(ctx, e->vm, "mv -f %s %s", e->tmp, e->path) != 0) {
			snprintf(err, errlen, "cannot rename %.200s in %s", e->tmp, e->vm);
			bk_dest_abort(ctx, e);
			return -1;
		}
		return 0;
	}
	if (fsync(e->fd) < 0 || close(e->fd) < 0) {
		snprintf(err, errlen, "cannot write %.200s: %s", e->tmp, strerror(errno));
		e->fd = -1;
		bk_dest_abort(ctx, e);
		return -1;
	}
	e->fd = -1;
	/* link(), not rename(): a file made meanwhile is not replaced. */
	if (link(e->tmp, e->path) < 0) {
		snprintf(err, errlen, "cannot create %.200s: %s", e->path, strerror(errno));
		bk_dest_abort(ctx, e);
		return -1;
	}
	unlink(e->tmp);
	return 0;
}

void
bk_dest_abort(struct cmd_ctx *ctx, struct bk_end *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	if (e->vm[0] != '\0') {
		if (e->pid > 0)
			wait_child(e->pid);
		e->pid = 0;
		vm_command(ctx, e->vm, "rm -f %s", e->tmp, NULL);
	} else if (e->tmp[0] != '\0')
		unlink(e->tmp);
}

int
bk_src_open(struct cmd_ctx *ctx, const char *spec, struct bk_end *e, char *err, size_t errlen)
{
	struct stat st;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if (split_vm(spec, e)) {
		if (check_path(e, strchr(spec, ':') + 1, err, errlen) < 0)
			return -1;
		return vm_pipe(ctx, e, "cat %s", e->path, false, err, errlen);
	}
	if (check_path(e, spec, err, errlen) < 0)
		return -1;
	if ((e->fd = open(spec, O_RDONLY | O_CLOEXEC)) < 0 || fstat(e->fd, &st) < 0) {
		snprintf(err, errlen, "cannot open %.200s: %s", spec, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%.200s is not a file", spec);
		return -1;
	}
	e->size = (uint64_t)st.st_size;
	return 0;
}

int
bk_src_close(struct bk_end *e, bool complete, char *err, size_t errlen)
{
	int code = 0;

	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	if (e->pid > 0) {
		if (!complete)
			kill(e->pid, SIGTERM);
		code = wait_child(e->pid);
		e->pid = 0;
	}
	if (complete && code != 0) {
		snprintf(err, errlen, "reading %.200s in %s failed (exit status %d)", e->path,
		    e->vm, code);
		return -1;
	}
	return 0;
}

/* ---- progress ---- */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *
bk_size_text(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", v, unit[u]);
	return buf;
}

bool bk_progress_lines;

void
bk_progress_init(struct bk_progress *p, const char *verb, uint64_t total, bool on)
{
	memset(p, 0, sizeof(*p));
	p->lines = bk_progress_lines;
	p->on = on && (p->lines || isatty(2));
	p->verb = verb;
	p->total = total;
	p->start = p->last = now();
}

static void
show(struct bk_progress *p, double t)
{
	char a[32], b[32], r[32], eta[32] = "";
	double el = t - p->start, rate = el > 0 ? (double)p->done / el : 0;
	const char *cr = p->lines ? "" : "\r", *eol = p->lines ? "\n" : "\033[K";

	if (p->total > p->done && rate > 0) {
		long s = (long)((double)(p->total - p->done) / rate);
		snprintf(eta, sizeof(eta), "  ETA %ld:%02ld", s / 60, s % 60);
	}
	if (p->total > 0)
		fprintf(stderr, "%s%s: %s of %s  %s/s%s%s", cr, p->verb,
		    bk_size_text(p->done, a, sizeof(a)), bk_size_text(p->total, b, sizeof(b)),
		    bk_size_text((uint64_t)rate, r, sizeof(r)), eta, eol);
	else
		fprintf(stderr, "%s%s: %s  %s/s%s", cr, p->verb, bk_size_text(p->done, a, sizeof(a)),
		    bk_size_text((uint64_t)rate, r, sizeof(r)), eol);
}

void
bk_progress_add(struct bk_progress *p, uint64_t n)
{
	double t;

	p->done += n;
	if (!p->on || (t = now()) - p->last < 0.25)
		return;
	p->last = t;
	show(p, t);
}

void
bk_progress_end(struct bk_progress *p)
{
	if (!p->on)
		return;
	show(p, now());
	bk_progress_break(p);
}

void
bk_progress_break(struct bk_progress *p)
{
	if (p->on && !p->lines)
		fputc('\n', stderr);
}

int
bk_qubes_dir(struct cmd_ctx *ctx, char *buf, size_t len)
{
	json_object *info;
	int rc;

	if ((rc = cmd_call(ctx, "daemon.info", NULL, NULL, &info)) != BH_EXIT_OK)
		return rc;
	snprintf(buf, len, "%s/qubes", cmd_member_text(info, "state_dir"));
	json_object_put(info);
	return BH_EXIT_OK;
}
