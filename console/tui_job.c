/* A long CLI command run by the console (a backup, a restore): the child
 * is the CLI itself (tui_proc.c), so the console shares its code and its
 * checks; a pager shows its progress, its messages and how it ended. The
 * operator may close the pager meanwhile: the command goes on, and its end
 * is told on the message line. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "xalloc.h"

#define JOB_OUT_MAX (1u << 20)
#define JOB_TIMEOUT (7 * 24 * 3600) /* seconds: a backup's length has no bound here */
#define BACKUP_ARGS_MAX 80

struct job {
	unsigned long view;      /* the pager */
	char what[256];
	char progress[256];      /* the last line of progress */
	char why[256];           /* the last message */
	bool lines;              /* each progress line is also added to the pager */
};

/* A line of the pager, wrapped at the screen's width (messages are long). */
static void
add_wrapped(struct tui_pager *p, const char *s, int attr)
{
	char lines[8][256];
	int i, n = tui_wrap(s, COLS > 20 ? COLS - 1 : 79, lines, 8);

	for (i = 0; i < n; i++)
		tui_pager_add(p, lines[i], attr);
}

static void
job_line(struct tui *t, void *arg, const char *line)
{
	struct job *j = arg;
	struct tui_pager *p = tui_pager_find(t, j->view);
	const char *msg;

	if (strncmp(line, "bulkhead: ", 10) == 0) {
		/* "bulkhead: backup: why" */
		msg = strstr(line + 10, ": ");
		tui_safe_copy(j->why, sizeof(j->why), msg != NULL ? msg + 2 : line + 10);
		if (p != NULL)
			add_wrapped(p, line, tui_attr(t, TC_ERROR));
	} else {
		tui_safe_copy(j->progress, sizeof(j->progress), line);
		if (p != NULL)
			tui_pager_set_info(p, j->progress);
		if (p != NULL && j->lines)
			add_wrapped(p, line, A_NORMAL);
	}
	tui_redraw(t);
}

static void
job_done(struct tui *t, void *arg, int status, const char *out, size_t outlen,
    const char *err)
{
	struct job *j = arg;
	struct tui_pager *p = tui_pager_find(t, j->view);
	int ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	char line[512];
	const char *s = out, *nl;

	if (status == -1) /* not run, or killed: err says why */
		tui_safe_copy(j->why, sizeof(j->why), err);
	else if (!ok && j->why[0] == '\0')
		snprintf(j->why, sizeof(j->why), "exit status %d",
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (p != NULL) {
		while (s < out + outlen) {
			nl = memchr(s, '\n', (size_t)(out + outlen - s));
			snprintf(line, sizeof(line), "%.*s", (int)((nl ? nl : out + outlen) - s), s);
			tui_pager_add(p, line, A_NORMAL);
			s = nl ? nl + 1 : out + outlen;
		}
		if (j->progress[0] != '\0')
			tui_pager_add(p, j->progress, A_NORMAL);
		tui_pager_add(p, "", A_NORMAL);
		if (ok)
			tui_pager_add(p, "Done. Esc goes back.", A_BOLD);
		else {
			snprintf(line, sizeof(line), "Failed: %s. Esc goes back.", j->why);
			add_wrapped(p, line, tui_attr(t, TC_ERROR) | A_BOLD);
		}
		tui_pager_set_info(p, ok ? "done" : "failed");
	}
	if (ok)
		model_info(&t->m, "%s: done", j->what);
	else
		model_error(&t->m, "%s: failed: %s", j->what, j->why);
	free(j);
	tui_redraw(t);
}

int
tui_split_words(char *s, const char **out, int max)
{
	char *save = NULL, *w;
	int n = 0;

	for (w = strtok_r(s, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return -1;
		out[n++] = w;
	}
	return n;
}

static void
job_start(struct tui *t, const char *title, const char *what, const char *const argv[],
    const char *input, size_t inlen, bool lines)
{
	struct tui_pager *p = tui_pager_new(title, NULL, NULL);
	struct job *j = xcalloc(1, sizeof(*j));
	char line[300];

	j->lines = lines;
	tui_safe_copy(j->what, sizeof(j->what), what);
	snprintf(line, sizeof(line), "%s...", j->what);
	tui_pager_add(p, line, A_BOLD);
	tui_pager_add(p, "", A_NORMAL);
	tui_pager_follow(p, 1);
	tui_pager_set_info(p, "starting");
	tui_push(t, tui_pager_view(p));
	j->view = tui_pager_id(p);
	model_info(&t->m, "%s...", j->what);
	tui_proc_run_io(t, "/proc/self/exe", argv, input, inlen, JOB_OUT_MAX, JOB_TIMEOUT,
	    job_line, job_done, j);
}

void
tui_job_run(struct tui *t, const char *title, const char *what, const char *const argv[],
    const char *input, size_t inlen)
{
	job_start(t, title, what, argv, input, inlen, false);
}

void
tui_job_run_lines(struct tui *t, const char *title, const char *what, const char *const argv[])
{
	job_start(t, title, what, argv, NULL, 0, true);
}

void
tui_backup_job(struct tui *t, struct tui_form *f, const char *title, const char *what,
    const char *sub, const char *const args[])
{
	const char *argv[BACKUP_ARGS_MAX + 9] = { "bulkhead", "backup", sub, "--passphrase-file",
	    "/dev/stdin", "--progress-lines", "--socket", tui_socket_path(t) };
	char input[TUI_FORM_TEXT_MAX + 2], desc[256];
	size_t a = 8, i;

	for (i = 0; args[i] != NULL && i < BACKUP_ARGS_MAX; i++)
		argv[a++] = args[i];
	argv[a] = NULL;
	snprintf(input, sizeof(input), "%s\n", tui_form_get(f, "passphrase"));
	tui_safe_copy(desc, sizeof(desc), what);
	if (t->top == tui_form_view(f))
		tui_pop(t); /* wipes the form's fields */
	tui_job_run(t, title, desc, argv, input, strlen(input));
	explicit_bzero(input, sizeof(input));
}
