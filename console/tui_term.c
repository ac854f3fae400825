/* The console's terminal: curses set-up, and giving the terminal back in
 * its original state on every way out, as htop's fail() does:
 *  - a normal return, and exit() from anywhere (fatal(), fatalx(): atexit);
 *  - SIGTERM, SIGINT, SIGHUP, SIGQUIT: the main loop ends and restores; a
 *    second signal, or no exit within 2 s (e.g. a serial line stopped by
 *    XOFF), restores with async-signal-safe calls only and _exits;
 *  - SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT and sanitizer reports: the same
 *    safe restore, then the previous handler runs (core dump, ASan report).
 * While the screen is ours, stderr (when it is the terminal) goes to a
 * memory file that is copied back after restoring, so that a fatal message
 * is readable instead of painted over the screen.
 *
 * Keys: ISIG and IEXTEN are off, so Ctrl-C, Ctrl-Z and Ctrl-\ arrive as keys
 * (the console decides; nothing suspends it or drops to a shell); IXON stays
 * on for XON/XOFF flow control on serial lines. */
#include "tui.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

/* Present only in sanitizer builds. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static struct {
	int active;
	int have_saved;
	struct termios saved;       /* the terminal as we found it */
	SCREEN *screen;
	int wake[2];
	volatile sig_atomic_t winch;
	volatile sig_atomic_t quit_sig;
	char reset[512];            /* written by the async-signal-safe restore */
	size_t reset_len;
	int err_fd;                 /* the real stderr while it is captured, or -1 */
	int cap_fd;                 /* the capture */
	struct sigaction old[NSIG];
} term = { .wake = { -1, -1 }, .err_fd = -1, .cap_fd = -1 };

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
static const int quit_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };

static void
add_reset(const char *cap)
{
	size_t n;

	if (cap == NULL || cap == (char *)-1)
		return;
	n = strlen(cap);
	if (term.reset_len + n < sizeof(term.reset)) {
		memcpy(term.reset + term.reset_len, cap, n);
		term.reset_len += n;
	}
}

/* The bytes that put the terminal back as endwin() would: attributes off,
 * cursor visible, keypad off, the normal screen, cursor on the last line. */
static void
build_reset(void)
{
	term.reset_len = 0;
	add_reset(tigetstr("sgr0"));
	add_reset(tigetstr("cnorm"));
	add_reset(tigetstr("rmkx"));
	if (tigetstr("cup") != NULL && tigetstr("cup") != (char *)-1)
		add_reset(tiparm(tigetstr("cup"), LINES - 1, 0));
	add_reset(tigetstr("rmcup"));
	add_reset("\r\n");
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Gives stderr back and copies what was captured to it. Async-signal-safe. */
static void
release_stderr(void)
{
	char buf[4096];
	ssize_t n;

	if (term.err_fd < 0)
		return;
	dup2(term.err_fd, STDERR_FILENO);
	close(term.err_fd);
	term.err_fd = -1;
	if (lseek(term.cap_fd, 0, SEEK_SET) == 0)
		while ((n = read(term.cap_fd, buf, sizeof(buf))) > 0)
			write_all(STDERR_FILENO, buf, (size_t)n);
	close(term.cap_fd);
	term.cap_fd = -1;
}

/* The restore for signal handlers: only async-signal-safe calls. */
static void
emergency_restore(void)
{
	if (term.active) {
		term.active = 0;
		write_all(STDOUT_FILENO, term.reset, term.reset_len);
		if (term.have_saved)
			tcsetattr(STDIN_FILENO, TCSANOW, &term.saved);
	}
	release_stderr();
}

static void
on_quit(int sig)
{
	int saved = errno;

	if (term.quit_sig != 0) {
		emergency_restore();
		_exit(128 + term.quit_sig);
	}
	term.quit_sig = sig;
	if (term.wake[1] >= 0)
		(void)!write(term.wake[1], "q", 1);
	alarm(2); /* the main loop restores; if it cannot, SIGALRM does */
	errno = saved;
}

static void
on_alarm(int sig)
{
	if (term.quit_sig == 0)
		return;
	emergency_restore();
	_exit(128 + term.quit_sig);
}

static void
on_winch(int sig)
{
	int saved = errno;

	term.winch = 1;
	if (term.wake[1] >= 0)
		(void)!write(term.wake[1], "w", 1);
	errno = saved;
}

static void
on_crash(int sig)
{
	emergency_restore();
	/* The previous handler (the default: a core dump; or a sanitizer's)
	 * takes it from here: re-raised now, or when the faulting instruction
	 * runs again after this returns. */
	sigaction(sig, &term.old[sig], NULL);
	raise(sig);
}

static void
on_sanitizer_death(void)
{
	emergency_restore();
}

static void
at_exit(void)
{
	tui_term_restore();
}

static void
set_handler(int sig, void (*fn)(int), int save)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, save ? &term.old[sig] : NULL);
}

static void
capture_stderr(void)
{
	int cap, saved;

	if (!isatty(STDERR_FILENO))
		return;
	if ((cap = memfd_create("bulkhead-console-stderr", MFD_CLOEXEC)) == -1)
		return;
	if ((saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) == -1) {
		close(cap);
		return;
	}
	fflush(stderr);
	term.cap_fd = cap;
	term.err_fd = saved;
	dup2(cap, STDERR_FILENO);
}

/* Asked before newterm(), which does not free its set-up when the type
 * has no terminfo entry. */
static int
term_known(const char *name)
{
	int err = 0;

	if (setupterm(name, STDOUT_FILENO, &err) != OK)
		return 0;
	del_curterm(cur_term);
	return 1;
}

int
tui_term_init(struct tui *t)
{
	static int once;
	struct termios tio;
	size_t i;
	const char *name;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		log_warnx("console: standard input and output must be a terminal "
		    "(for a listing, try 'bulkhead ls')");
		return -1;
	}
	if (tcgetattr(STDIN_FILENO, &term.saved) == 0)
		term.have_saved = 1;
	if (pipe2(term.wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("console: pipe");
		return -1;
	}

	/* Before newterm(), so that curses installs none of its own. */
	for (i = 0; i < sizeof(quit_signals) / sizeof(quit_signals[0]); i++)
		set_handler(quit_signals[i], on_quit, 0);
	set_handler(SIGALRM, on_alarm, 0);
	set_handler(SIGWINCH, on_winch, 0);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		set_handler(crash_signals[i], on_crash, 1);
	if (__sanitizer_set_death_callback != NULL)
		__sanitizer_set_death_callback(on_sanitizer_death);
	if (!once) {
		atexit(at_exit);
		once = 1;
	}

	name = t->opts.term != NULL ? t->opts.term : getenv("TERM");
	if (!term_known(t->opts.term) ||
	    (term.screen = newterm(t->opts.term, stdout, stdin)) == NULL) {
		log_warnx("console: unknown terminal type '%s' (no terminfo entry)",
		    name != NULL ? name : "(TERM unset)");
		return -1;
	}
	term.active = 1;
	capture_stderr();
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(150);
	curs_set(0);
	/* Ctrl-C, Ctrl-Z, Ctrl-\, Ctrl-V arrive as keys; XON/XOFF stays. */
	if (tcgetattr(STDIN_FILENO, &tio) == 0) {
		tio.c_lflag &= ~(tcflag_t)(ISIG | IEXTEN);
		tcsetattr(STDIN_FILENO, TCSANOW, &tio);
		def_prog_mode();
	}
	build_reset();

	t->colour = has_colors() && getenv("NO_COLOR") == NULL;
	tui_keys_init();
	return 0;
}

void
tui_term_restore(void)
{
	if (term.active) {
		term.active = 0;
		curs_set(1);
		endwin();
		if (term.have_saved)
			tcsetattr(STDIN_FILENO, TCSANOW, &term.saved);
		delscreen(term.screen);
		term.screen = NULL;
	}
	release_stderr();
	fflush(stdout);
}

void
tui_term_tick(void)
{
	struct stat st;

	/* Keep the capture of stderr bounded (e.g. -v logs every request):
	 * past 1 MiB it starts again. fd 2 shares the capture's offset. */
	if (term.cap_fd >= 0 && fstat(term.cap_fd, &st) == 0 && st.st_size > 1024 * 1024) {
		if (ftruncate(term.cap_fd, 0) == 0) {
			lseek(term.cap_fd, 0, SEEK_SET);
			write_all(term.cap_fd, "[earlier messages dropped]\n", 27);
		}
	}
}

int
tui_term_resize_pending(void)
{
	return term.winch;
}

void
tui_term_resize(void)
{
	struct winsize ws;

	term.winch = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	/* What the terminal shows after its own reflow is unknown: repaint. */
	clearok(curscr, TRUE);
	build_reset();
}

int
tui_term_size_unknown(void)
{
	struct winsize ws;
	struct stat st;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == -1 || ws.ws_row == 0 || ws.ws_col == 0)
		return 1;
	/* Linux's pseudo-terminals are majors 136-143 (Unix98 pty slaves);
	 * anything else (ttyS, hvc, a text console) hears of no resize. */
	if (fstat(STDOUT_FILENO, &st) == -1 || !S_ISCHR(st.st_mode))
		return 0;
	return major(st.st_rdev) < 136 || major(st.st_rdev) > 143;
}

int
tui_term_set_size(int rows, int cols)
{
	struct winsize ws;
	const char *csr = tigetstr("csr");

	if (rows == LINES && cols == COLS)
		return 0;
	resizeterm(rows, cols);
	/* curses set the scroll region for the old size at start and does
	 * not again: the terminal would keep cursor moves above the old last
	 * row. The repaint that follows puts the cursor back. */
	if (csr != NULL && csr != (char *)-1)
		tui_term_write(tiparm(csr, 0, rows - 1));
	/* As resize(1) does: what runs on the line after us (the shell)
	 * learns the size too. Our own SIGWINCH for it is no news. */
	memset(&ws, 0, sizeof(ws));
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	if (ioctl(STDOUT_FILENO, TIOCSWINSZ, &ws) == 0)
		term.winch = 0;
	build_reset();
	return 1;
}

void
tui_term_write(const char *s)
{
	write_all(STDOUT_FILENO, s, strlen(s));
}

int
tui_term_quit_signal(void)
{
	return term.quit_sig;
}

int
tui_term_wakeup_fd(void)
{
	return term.wake[0];
}

void
tui_term_drain_wakeup(void)
{
	char buf[64];

	while (read(term.wake[0], buf, sizeof(buf)) > 0)
		;
}
