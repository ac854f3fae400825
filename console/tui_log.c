/* log (l, Enter): the selected qube's console log, read from
 * STATE/qubes/NAME/console.log (STATE: daemon.info's state_dir) until
 * domd's API serves it; admin calls (A): the calls of the admin API the
 * qube made, with domd's decisions (STATE/qubes/NAME/admin-calls.log).
 * Scrollable; follows new output at the end; reread once a second when
 * the file changed. What the guest wrote in its log is untrusted: escape
 * sequences are dropped and every other byte outside printable ASCII is
 * shown as '?', so nothing reaches the terminal raw. */
#include "tui.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

#define LOG_TAIL_MAX (1024 * 1024) /* the last MiB of the file */

struct logview {
	char vm[TUI_NAME_MAX];
	const char *file; /* in STATE/qubes/NAME */
	const char *what; /* "console log", "admin calls log" */
	char path[1200];
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
	int state;              /* 0: not read yet, 1: read, -1: cannot read */
	int err;
};

/* Appends the lines of untrusted_buf[0..len) to the pager: CSI and other
 * escape sequences removed, tabs expanded, lines wrapped at width. */
static void
add_lines(struct tui_pager *p, const char *untrusted_buf, size_t len, int width)
{
	char line[1024];
	size_t i, n = 0;
	unsigned char c;

	if (width < 20)
		width = 20;
	if (width > (int)sizeof(line) - 1)
		width = (int)sizeof(line) - 1;
	for (i = 0; i < len; i++) {
		c = (unsigned char)untrusted_buf[i];
		if (c == '\n') {
			line[n] = '\0';
			tui_pager_add(p, line, A_NORMAL);
			n = 0;
			continue;
		}
		if (c == '\r')
			continue;
		if (c == 0x1b) { /* ESC: skip the sequence */
			if (i + 1 < len && untrusted_buf[i + 1] == '[') {
				for (i += 2; i < len && !((unsigned char)untrusted_buf[i] >= 0x40 &&
				    (unsigned char)untrusted_buf[i] <= 0x7e); i++)
					;
			} else if (i + 1 < len && untrusted_buf[i + 1] == ']') {
				/* OSC: up to BEL or ESC \ */
				for (i += 2; i < len && untrusted_buf[i] != 0x07 &&
				    untrusted_buf[i] != 0x1b; i++)
					;
			} else
				i++;
			continue;
		}
		if (c == '\t') {
			do
				line[n++] = ' ';
			while (n % 8 != 0 && n < (size_t)width);
		} else
			line[n++] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
		if (n >= (size_t)width) {
			line[n] = '\0';
			tui_pager_add(p, line, A_NORMAL);
			n = 0;
		}
	}
	if (n > 0) {
		line[n] = '\0';
		tui_pager_add(p, line, A_NORMAL);
	}
}

static void
problem(struct tui_pager *p, struct logview *l, int err, const char *what)
{
	char line[1400];

	if (l->state == -1 && l->err == err)
		return;
	tui_pager_clear(p);
	tui_pager_add(p, "", A_NORMAL);
	snprintf(line, sizeof(line), "  %s", what);
	tui_pager_add(p, line, A_BOLD);
	if (*l->path != '\0') {
		snprintf(line, sizeof(line), "  %s: %s", l->path, strerror(err));
		tui_pager_add(p, line, A_NORMAL);
	}
	l->state = -1;
	l->err = err;
}

static void
load(struct tui *t, struct tui_pager *p)
{
	struct logview *l = tui_pager_ctx(p);
	char *untrusted_buf = NULL, info[64], msg[96];
	struct stat st;
	off_t off;
	ssize_t n;
	size_t len, got = 0;
	int fd = -1;
	int64_t mtime;

	if (t->m.state_dir[0] == '\0') {
		problem(p, l, EAGAIN, "domd has not said where its state directory is (yet)");
		return;
	}
	snprintf(l->path, sizeof(l->path), "%s/qubes/%s/%s", t->m.state_dir, l->vm, l->file);
	if ((fd = open(l->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(msg, sizeof(msg), errno == ENOENT ? "No %s yet." : "Cannot read the %s.",
		    l->what);
		problem(p, l, errno, msg);
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(msg, sizeof(msg), "The %s is not a regular file.", l->what);
		problem(p, l, fstat(fd, &st) == -1 ? errno : EINVAL, msg);
		goto out;
	}
	mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (l->state == 1 && st.st_dev == l->dev && st.st_ino == l->ino &&
	    st.st_size == l->size && mtime == l->mtime_ns)
		goto out; /* unchanged */
	off = st.st_size > LOG_TAIL_MAX ? st.st_size - LOG_TAIL_MAX : 0;
	len = (size_t)(st.st_size - off);
	if ((untrusted_buf = malloc(len + 1)) == NULL) {
		snprintf(msg, sizeof(msg), "Cannot read the %s.", l->what);
		problem(p, l, ENOMEM, msg);
		goto out;
	}
	while (got < len) {
		n = pread(fd, untrusted_buf + got, len - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	tui_pager_clear(p);
	if (off > 0) {
		/* Started mid-file: drop the partial first line. */
		char *nl = memchr(untrusted_buf, '\n', got);
		size_t skip = nl != NULL ? (size_t)(nl - untrusted_buf) + 1 : got;
		tui_pager_add(p, "[... earlier output not shown ...]", A_BOLD);
		add_lines(p, untrusted_buf + skip, got - skip, COLS);
	} else
		add_lines(p, untrusted_buf, got, COLS);
	if (tui_pager_lines(p) == 0) {
		snprintf(msg, sizeof(msg), "(the %s is empty)", l->what);
		tui_pager_add(p, msg, A_NORMAL);
	}
	snprintf(info, sizeof(info), "%lld bytes", (long long)st.st_size);
	tui_pager_set_info(p, info);
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->size = st.st_size;
	l->mtime_ns = mtime;
	l->state = 1;
	tui_redraw(t);
out:
	free(untrusted_buf);
	if (fd != -1)
		close(fd);
}

static void
log_tick(struct tui *t, struct tui_pager *p)
{
	load(t, p);
}

static void
open_view(struct tui *t, const char *vm, const char *file, const char *what,
    const char *title_fmt)
{
	struct logview *l = xcalloc(1, sizeof(*l));
	struct tui_pager *p;
	char title[96];

	tui_safe_copy(l->vm, sizeof(l->vm), vm);
	l->file = file;
	l->what = what;
	snprintf(title, sizeof(title), title_fmt, l->vm);
	p = tui_pager_new(title, log_tick, l);
	tui_pager_on_destroy(p, free);
	tui_pager_follow(p, 1);
	load(t, p);
	tui_push(t, tui_pager_view(p));
}

void
tui_log_open(struct tui *t, const char *vm)
{
	open_view(t, vm, "console.log", "console log", "Console log of %s");
}

static void
log_run(struct tui *t, struct tui_qube *q)
{
	tui_log_open(t, q->name);
}

const struct tui_action tui_act_log = {
	.name = "log",
	.label = "Log",
	.key = 'l',
	.keyname = "l, Enter",
	.help = "the selected qube's console log (scrollable, follows new output)",
	.flags = TUI_ACT_KIOSK | TUI_ACT_QUBE,
	.run = log_run,
};

static void
audit_run(struct tui *t, struct tui_qube *q)
{
	open_view(t, q->name, "admin-calls.log", "admin calls log", "Admin calls of %s");
}

const struct tui_action tui_act_admin_calls = {
	.name = "admin-calls",
	.label = "Calls",
	.key = 'A',
	.keyname = "A",
	.help = "the admin API calls the selected (management) qube made, with "
	    "domd's decisions",
	.flags = TUI_ACT_QUBE,
	.run = audit_run,
};
