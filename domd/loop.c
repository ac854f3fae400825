/* domd's event loop (loop.h). */
#include <errno.h>
#include <stddef.h>
#include <sys/epoll.h>

#include "log.h"
#include "loop.h"

static int epfd = -1;

void
loop_init(void)
{
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fatal("epoll_create1");
}

void
watch_add(int fd, uint32_t events, struct watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		fatal("epoll_ctl add");
}

void
watch_mod(int fd, uint32_t events, struct watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		fatal("epoll_ctl mod");
}

void
watch_del(int fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

void
loop_run(const bool *quit)
{
	while (!*quit) {
		/* One event per wait: any callback may free what a later event
		 * in a batch would point to (a client, a connection, a DispVM). */
		struct epoll_event ev;
		int n = epoll_wait(epfd, &ev, 1, -1);

		if (n < 0 && errno != EINTR)
			fatal("epoll_wait");
		if (n == 1) {
			struct watch *w = ev.data.ptr;

			w->fn(w->arg, ev.events);
		}
	}
}
