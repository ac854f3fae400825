/* Admin calls over RPC (lib/admin_rpc.h): domd hands the guard its end of
 * an allowed call's data channel; the guard reads the caller's arguments
 * (lib/admin_rpc_in.h) and tells domd (GUARD_ADMIN_ARGS), then reads on,
 * dropping what comes, only to see the caller go (GUARD_ADMIN_GONE). domd
 * writes the replies on its own copy of the channel and never reads it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_rpc_in.h"
#include "guard.h"
#include "log.h"
#include "xalloc.h"

#define ADMIN_CALLS_MAX 64 /* open at once: a qube's event streams and requests */

struct admin_call {
	struct guard_watch w; /* first */
	int fd;
	uint32_t id;
	struct admin_rpc_in in;
	struct admin_call *next;
};

static struct admin_call *calls;
static int ncalls;

static void
call_free(struct admin_call *a)
{
	for (struct admin_call **p = &calls; *p != NULL; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			break;
		}
	guard_watch_del(a->fd);
	close(a->fd);
	ncalls--;
	free(a);
}

static void
tell(uint32_t id, uint32_t type, const struct admin_rpc_args *args)
{
	struct guard_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.conn = id;
	if (args != NULL)
		m.admin = *args;
	guard_tell_domd(&m, -1);
}

static void
admin_io(struct guard_watch *w)
{
	struct admin_call *a = (struct admin_call *)w;
	struct admin_rpc_args args;
	size_t room;
	void *p = admin_rpc_in_room(&a->in, &room);
	ssize_t n = read(a->fd, p, room);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* The caller is done (or gone): domd lets go of the call. */
		tell(a->id, GUARD_ADMIN_GONE, NULL);
		call_free(a);
		return;
	}
	if (admin_rpc_in_took(&a->in, (size_t)n, &args) == 1)
		tell(a->id, GUARD_ADMIN_ARGS, &args);
}

void
guard_admin_open(uint32_t id, uint32_t method, int fd)
{
	struct admin_call *a;

	if (ncalls >= ADMIN_CALLS_MAX || method >= admin_rpc_nmethods) {
		close(fd);
		tell(id, GUARD_ADMIN_GONE, NULL);
		return;
	}
	a = xcalloc(1, sizeof(*a));
	a->w.fn = admin_io;
	a->fd = fd;
	a->id = id;
	admin_rpc_in_init(&a->in, method);
	a->next = calls;
	calls = a;
	ncalls++;
	guard_watch_add(fd, &a->w);
}
