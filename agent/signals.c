/*
 * Init sleeps in one signalfd: no handlers, so no async-signal-safety
 * worries and no lost wake-ups.  Blocked signals are queued even for the
 * init of a pid namespace, which otherwise ignores signals it has no
 * handler for.
 */
#include "agent.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const int handled[] = { SIGCHLD, SIGTERM, SIGINT, SIGPWR };

/* Blocks the signals init handles and returns a signalfd for them. */
int
signals_init(void)
{
	sigset_t set;
	size_t i;
	int sfd;

	sigemptyset(&set);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		sigaddset(&set, handled[i]);
		/* An inherited SIG_IGN for SIGCHLD would make the kernel auto-reap. */
		signal(handled[i], SIG_DFL);
	}
	/* A launcher that went away must cost us an EPIPE, not our life. */
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		fatal("sigprocmask");
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd == -1)
		fatal("signalfd");
	return sfd;
}

/*
 * Waits up to timeout_ms (-1: for ever) for one signal; returns its number,
 * or 0 on timeout.
 */
int
signals_read(int sfd, int timeout_ms)
{
	struct signalfd_siginfo si;
	struct pollfd pfd = { .fd = sfd, .events = POLLIN };
	ssize_t n;
	int r;

	r = poll(&pfd, 1, timeout_ms);
	if (r == 0)
		return 0;
	if (r == -1) {
		if (errno == EINTR)
			return 0;
		fatal("poll signalfd");
	}
	n = read(sfd, &si, sizeof(si));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n != (ssize_t)sizeof(si))
		fatal("read signalfd");
	return (int)si.ssi_signo;
}

int
signals_is_stop(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGPWR;
}

/* In a freshly forked child: give it the signal state a program expects. */
void
signals_reset_child(void)
{
	sigset_t empty;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
}
