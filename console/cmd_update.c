/* update: templates' packages, through the netvm's updates proxy (each
 * template's apt reaches bulkhead.UpdatesProxy; it has no network of its
 * own). A template that was halted is started, updated and shut down, so
 * that its AppVMs get the new root at their next start; one whose update
 * failed, or that had nothing to change, is killed instead, which keeps
 * the root its AppVMs have (domd's root generations). */
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apt_summary.h"
#include "run_output.h"
#include "xalloc.h"

enum { OPT_ALL = 1, OPT_DRY_RUN, OPT_LOG_DIR, OPT_PROGRESS_LINES };

#define DEFAULT_LOG_DIR "/var/log/bulkhead"
#define APT "DEBIAN_FRONTEND=noninteractive apt-get -q -o Dpkg::Use-Pty=0 " \
	"-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "
#define STEPS 5 /* start, look, lists, upgrade, stop */

enum result { R_UPDATED, R_CURRENT, R_WOULD, R_NOTHING, R_FAILED };
static const char *const result_key[] = { "updated", "up-to-date", "would-update",
	"nothing-to-update", "failed" };

struct outcome {
	const char *name;
	enum result result;
	long packages;
	char why[256];
	char log[4200];
};

struct progress {
	bool bar;       /* stdout is a terminal: a bar under the step lines */
	bool quiet;     /* --json: no step lines */
	bool lines;     /* --progress-lines: each step on stderr too (the console) */
	int done, total;
};

static void
step(struct progress *p, const char *name, const char *what)
{
	int width = 30, fill;

	p->done++;
	if (p->lines)
		fprintf(stderr, "%s: %s (step %d of %d)\n", name, what, p->done, p->total);
	if (p->quiet)
		return;
	if (p->bar)
		printf("\r\033[K");
	printf("%s: %s\n", name, what);
	if (p->bar) {
		fill = p->total > 0 ? p->done * width / p->total : width;
		printf("[%.*s%*s] %d/%d", fill, "##############################", width - fill, "",
		    p->done, p->total);
	}
	fflush(stdout);
}

/* A child that copies what comes on the pipe's read end to the log and to
 * stderr (--progress-lines: the console's view follows apt's output), there
 * each line indented, so that none passes for the CLI's own "bulkhead: "
 * messages; its pid, with *fd the pipe's write end; -1 when it cannot be
 * made. */
static pid_t
tee_to_stderr(int log_fd, int *fd)
{
	char buf[4096], out[3 * sizeof(buf)];
	bool line_start = true;
	size_t o;
	int p[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		while ((n = read(p[0], buf, sizeof(buf))) > 0) {
			if (write(log_fd, buf, (size_t)n) < 0)
				break;
			for (ssize_t i = o = 0; i < n; i++) {
				if (line_start) {
					out[o++] = ' ';
					out[o++] = ' ';
				}
				out[o++] = buf[i];
				line_start = buf[i] == '\n';
			}
			if (write(2, out, o) < 0)
				break;
		}
		_exit(0);
	}
	close(p[0]);
	*fd = p[1];
	return pid;
}

/* Runs command as root in the template, its output (filtered) into the
 * log, and to stderr with --progress-lines; the command's exit status or a
 * BH_EXIT_* of the call. */
static int
run_step(struct cmd_ctx *ctx, const struct progress *p, const char *vm, int log_fd,
    const char *command)
{
	json_object *args = json_object_new_object();
	struct run_output out;
	char head[512];
	int n, code, fd = log_fd;
	pid_t tee = -1;

	n = snprintf(head, sizeof(head), "== %s\n", command);
	if (write(log_fd, head, (size_t)n) < 0) {
		json_object_put(args);
		return BH_EXIT_FAIL;
	}
	if (p->lines && (tee = tee_to_stderr(log_fd, &fd)) < 0)
		fd = log_fd;
	json_object_object_add(args, "user", json_object_new_string("root"));
	run_output_fds(&out, fd, fd, RUN_FILTER_ON);
	code = cmd_run_in(ctx, vm, command, args, -1, &out);
	run_output_free(&out);
	if (tee > 0) {
		close(fd);
		waitpid(tee, NULL, 0);
	}
	return code;
}

/* The packages the last apt-get run in the log changes, or -1. */
static long
log_changes(const char *path)
{
	static char buf[262144];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t n;

	if (fd < 0)
		return -1;
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, size > (off_t)sizeof(buf) ? size - (off_t)sizeof(buf) : 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 ? apt_summary_changes(buf, (size_t)n) : -1;
}

static void
fail(struct outcome *o, const char *fmt, const char *arg)
{
	o->result = R_FAILED;
	snprintf(o->why, sizeof(o->why), fmt, arg);
}

/* The template's package work, once it runs. */
static void
update_packages(struct cmd_ctx *ctx, struct progress *p, struct outcome *o, int log_fd,
    bool dry_run)
{
	int rc;

	step(p, o->name, "looking for a package manager");
	if (run_step(ctx, p, o->name, log_fd, "command -v apt-get >/dev/null") != 0) {
		o->result = R_NOTHING;
		snprintf(o->why, sizeof(o->why), "no package manager (apt-get)");
		p->done += 2;
		return;
	}
	step(p, o->name, "apt-get update (package lists, through the updates proxy)");
	if ((rc = run_step(ctx, p, o->name, log_fd, APT "update")) != 0) {
		fail(o, "apt-get update failed", NULL);
		p->done++;
		return;
	}
	step(p, o->name, dry_run ? "apt-get --simulate dist-upgrade" : "apt-get dist-upgrade");
	rc = run_step(ctx, p, o->name, log_fd, dry_run ? APT "-s dist-upgrade" : APT "-y dist-upgrade");
	o->packages = log_changes(o->log);
	if (rc != 0)
		fail(o, "apt-get dist-upgrade failed", NULL);
	else if (o->packages < 0)
		fail(o, "apt-get printed no summary line", NULL);
	else if (o->packages == 0)
		o->result = R_CURRENT;
	else
		o->result = dry_run ? R_WOULD : R_UPDATED;
}

/* Whether the template's stop made a new root generation (a shutdown that
 * timed out ends in a kill, which keeps the old one). */
static bool
new_generation(struct cmd_ctx *ctx, json_object *before, const char *name)
{
	json_object *now = NULL;
	bool changed;

	if (cmd_call(ctx, "vm.get", name, NULL, &now) != BH_EXIT_OK)
		return false;
	changed = strcmp(cmd_member_text(now, "root_generation"),
	    cmd_member_text(before, "root_generation")) != 0;
	json_object_put(now);
	return changed;
}

static void
update_one(struct cmd_ctx *ctx, struct progress *p, json_object *vm, const char *log_dir,
    bool dry_run, struct outcome *o)
{
	bool was_running = strcmp(cmd_member_text(vm, "state"), "halted") != 0;
	int log_fd, start = p->done;

	o->packages = -1;
	snprintf(o->log, sizeof(o->log), "%s/update-%s.log", log_dir, o->name);
	if ((log_fd = open(o->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
		fail(o, "cannot write its log: %s", strerror(errno));
		o->log[0] = '\0';
		p->done = start + STEPS;
		return;
	}
	if (!was_running) {
		step(p, o->name, "starting (from a copy of its root)");
		if (cmd_call(ctx, "vm.start", o->name, NULL, NULL) != BH_EXIT_OK) {
			fail(o, "it did not start", NULL);
			close(log_fd);
			p->done = start + STEPS;
			return;
		}
	} else
		p->done++;
	update_packages(ctx, p, o, log_fd, dry_run);
	close(log_fd);
	if (was_running) {
		/* Its run goes on: its qubes get the change once it stops. */
		p->done++;
		return;
	}
	if (o->result == R_UPDATED) {
		step(p, o->name, "shutting down: its qubes get the new root at their next start");
		if (cmd_call(ctx, "vm.shutdown", o->name, cmd_shutdown_args(1, -1), NULL) !=
		    BH_EXIT_OK || !new_generation(ctx, vm, o->name))
			fail(o, "it did not shut down cleanly; the update is discarded", NULL);
	} else {
		step(p, o->name, "stopping: nothing to keep, its root stays as it was");
		cmd_call(ctx, "vm.kill", o->name, NULL, NULL);
	}
}

static void
print_table(struct outcome *o, int n)
{
	printf("\n%-20s  %s\n", "TEMPLATE", "RESULT");
	for (int i = 0; i < n; i++) {
		printf("%-20s  ", o[i].name);
		switch (o[i].result) {
		case R_UPDATED:
			printf("updated (%ld package%s)\n", o[i].packages, o[i].packages == 1 ? "" : "s");
			break;
		case R_WOULD:
			printf("would update %ld package%s\n", o[i].packages,
			    o[i].packages == 1 ? "" : "s");
			break;
		case R_CURRENT:
			printf("up to date\n");
			break;
		case R_NOTHING:
			printf("nothing to update: %s\n", o[i].why);
			break;
		case R_FAILED:
			printf("failed: %s%s%s\n", o[i].why, o[i].log[0] ? "; log: " : "", o[i].log);
			break;
		}
	}
}

static void
print_json(struct outcome *o, int n)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < n; i++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "template", json_object_new_string(o[i].name));
		json_object_object_add(e, "result", json_object_new_string(result_key[o[i].result]));
		json_object_object_add(e, "packages", json_object_new_int64(o[i].packages));
		json_object_object_add(e, "reason", json_object_new_string(o[i].why));
		json_object_object_add(e, "log", json_object_new_string(o[i].log));
		json_object_array_add(a, e);
	}
	cmd_print_json(a);
	json_object_put(a);
}

static json_object *
find_template(struct cmd_ctx *ctx, json_object *list, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *vm = json_object_array_get_idx(list, i);
		if (strcmp(cmd_member_text(vm, "name"), name) != 0)
			continue;
		if (strcmp(cmd_member_text(vm, "class"), "template") == 0)
			return vm;
		cmd_error(ctx, name, "'%s' is not a template", name);
		return NULL;
	}
	cmd_error(ctx, name, "no qube named '%s'", name);
	return NULL;
}

static int
cmd_update_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "log-dir", required_argument, NULL, OPT_LOG_DIR },
		{ "progress-lines", no_argument, NULL, OPT_PROGRESS_LINES },
		CMD_COMMON_OPTIONS
	};
	const char *log_dir = DEFAULT_LOG_DIR;
	struct progress p = { 0 };
	json_object *list, *picked = json_object_new_array(), *vm;
	struct outcome *o = NULL;
	bool all = false, dry_run = false;
	int c, rc, n = 0;
	struct stat st;

	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case OPT_ALL:
			all = true;
			break;
		case OPT_DRY_RUN:
			dry_run = true;
			break;
		case OPT_LOG_DIR:
			log_dir = optarg;
			break;
		case OPT_PROGRESS_LINES:
			p.lines = true;
			break;
		default:
			json_object_put(picked);
			return ctx->exit;
		}
	}
	p.quiet = ctx->json;
	p.bar = !ctx->json && isatty(STDOUT_FILENO);
	if (all == (optind < argc)) {
		json_object_put(picked);
		return cmd_usage_error(ctx, "name the templates, or give --all");
	}
	if (mkdir(log_dir, 0750) < 0 && errno != EEXIST) {
		cmd_error(ctx, NULL, "cannot make the log folder %s: %s", log_dir, strerror(errno));
		json_object_put(picked);
		return BH_EXIT_FAIL;
	}
	if (stat(log_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		cmd_error(ctx, NULL, "--log-dir %s is not a folder", log_dir);
		json_object_put(picked);
		return BH_EXIT_FAIL;
	}
	if ((rc = cmd_call(ctx, "vm.list", NULL, NULL, &list)) != BH_EXIT_OK) {
		json_object_put(picked);
		return rc;
	}
	for (size_t i = 0; all && json_object_is_type(list, json_type_array) &&
	    i < json_object_array_length(list); i++)
		if (!strcmp(cmd_member_text(vm = json_object_array_get_idx(list, i), "class"),
		    "template"))
			json_object_array_add(picked, json_object_get(vm));
	for (int i = optind; !all && i < argc; i++) {
		if ((vm = find_template(ctx, list, argv[i])) == NULL) {
			rc = BH_EXIT_FAIL;
			goto done;
		}
		json_object_array_add(picked, json_object_get(vm));
	}
	n = (int)json_object_array_length(picked);
	o = xcalloc((size_t)(n ? n : 1), sizeof(*o));
	p.total = n * STEPS;
	for (int i = 0; i < n; i++) {
		vm = json_object_array_get_idx(picked, i);
		o[i].name = cmd_member_text(vm, "name");
		update_one(ctx, &p, vm, log_dir, dry_run, &o[i]);
		if (o[i].result == R_FAILED)
			rc = BH_EXIT_FAIL;
	}
	if (p.bar)
		printf("\r\033[K");
	if (ctx->json)
		print_json(o, n);
	else if (n == 0)
		printf("no templates\n");
	else
		print_table(o, n);
done:
	free(o);
	json_object_put(picked);
	json_object_put(list);
	return rc;
}

const struct cmd_entry cmd_update_entry = {
	.name = "update",
	.alias = NULL,
	.usage = "TEMPLATE... | --all [--dry-run] [--log-dir DIR] [--progress-lines]",
	.summary = "update templates' packages through the updates proxy",
	.help = "Updates the packages of each named template (or of every template, "
	    "--all): a halted template is started (from a copy of its root), runs "
	    "apt-get update and apt-get dist-upgrade as root, non-interactively, "
	    "through its netvm's updates proxy (bulkhead.UpdatesProxy; templates have "
	    "no network of their own), and is shut down, so that its AppVMs get the "
	    "new root at their next start (`ls` marks the running ones; `restart "
	    "--outdated`). A template with nothing to change, or whose update failed, "
	    "is killed instead: its root stays as it was. A template that was running "
	    "is left running. A template without apt-get has nothing to update. Shows "
	    "a line per step (and a bar on a terminal), then a table: updated (N "
	    "packages), up to date, nothing to update, or failed with why and the "
	    "log. --dry-run simulates the upgrade (apt-get -s) and keeps nothing. Each "
	    "template's output goes to DIR/update-TEMPLATE.log (default "
	    DEFAULT_LOG_DIR "). --progress-lines also writes each step, and the "
	    "templates' output, on stderr (what the console's view follows). Exit status 1 if any failed. With --json prints "
	    "[{\"template\", \"result\", \"packages\", \"reason\", \"log\"}].",
	.flags = CMD_MODIFIES,
	.exec = cmd_update_exec,
};
