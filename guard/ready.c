/* The agent's ready pipe (ns): the agent writes "R" once its qube's file
 * systems are up and rc.local has started. What comes on it is the
 * guest's, so it is read here and domd hears GUARD_READY or
 * GUARD_READY_BAD; the pipe is closed after its first bytes or at its end
 * (the agent died before it was ready: domd learns that from the monitor). */
#include <errno.h>
#include <unistd.h>

#include "guard.h"

static struct guard_watch watch;
static bool open_ = true;

static void
ready_io(struct guard_watch *w)
{
	struct guard_msg m = { .type = GUARD_READY, .conn = 1 };
	char untrusted[16];
	ssize_t n;

	if (!open_)
		return;
	n = read(GUARD_READY_FD, untrusted, sizeof(untrusted));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	guard_watch_del(GUARD_READY_FD);
	close(GUARD_READY_FD);
	open_ = false;
	if (n <= 0)
		return;
	if (n != 1 || untrusted[0] != 'R')
		m.type = GUARD_READY_BAD;
	guard_tell_domd(&m, -1);
}

void
ready_init(void)
{
	watch.fn = ready_io;
	guard_watch_add(GUARD_READY_FD, &watch);
}
