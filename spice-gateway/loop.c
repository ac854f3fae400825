#include "loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

struct SpiceWatch {
	int fd;
	int mask;
	bool dead; /* removed while events for it may still be pending */
	SpiceWatchFunc func;
	void *opaque;
	SpiceWatch *next_dead;
};

struct SpiceTimer {
	SpiceTimerFunc func;
	void *opaque;
	uint64_t due_ms; /* 0: not armed */
	SpiceTimer *next;
};

static int epfd = -1;
static SpiceTimer *timers;
static SpiceWatch *dead_watches;
static bool quitting;
static int quit_status;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t
epoll_mask(int mask)
{
	return ((mask & SPICE_WATCH_EVENT_READ) ? EPOLLIN : 0) |
	    ((mask & SPICE_WATCH_EVENT_WRITE) ? EPOLLOUT : 0);
}

SpiceWatch *
loop_watch_add(int fd, int event_mask, SpiceWatchFunc func, void *opaque)
{
	SpiceWatch *w = xcalloc(1, sizeof(*w));
	struct epoll_event ev = { .events = epoll_mask(event_mask), .data.ptr = w };

	w->fd = fd;
	w->mask = event_mask;
	w->func = func;
	w->opaque = opaque;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		fatal("%s: epoll_ctl add %d", __func__, fd);
	return w;
}

void
loop_watch_update(SpiceWatch *w, int event_mask)
{
	struct epoll_event ev = { .events = epoll_mask(event_mask), .data.ptr = w };

	w->mask = event_mask;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		log_warn("%s: epoll_ctl mod %d", __func__, w->fd);
}

void
loop_watch_remove(SpiceWatch *w)
{
	if (w == NULL)
		return;
	/* The fd may already be closed by the caller: EBADF is fine. */
	epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = true;
	w->next_dead = dead_watches;
	dead_watches = w;
}

SpiceTimer *
loop_timer_add(SpiceTimerFunc func, void *opaque)
{
	SpiceTimer *t = xcalloc(1, sizeof(*t));

	t->func = func;
	t->opaque = opaque;
	t->next = timers;
	timers = t;
	return t;
}

void
loop_timer_start(SpiceTimer *t, uint32_t ms)
{
	t->due_ms = now_ms() + ms + 1; /* never 0 */
}

void
loop_timer_cancel(SpiceTimer *t)
{
	t->due_ms = 0;
}

void
loop_timer_remove(SpiceTimer *t)
{
	for (SpiceTimer **pp = &timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			free(t);
			return;
		}
	}
}

static void
channel_event(int event, SpiceChannelEventInfo *info)
{
	log_debug("%s: event %d channel type %d id %d", __func__, event, info->type, info->id);
}

static SpiceCoreInterface core = {
	.base = {
		.type = SPICE_INTERFACE_CORE,
		.description = "bulkhead gateway loop",
		.major_version = SPICE_INTERFACE_CORE_MAJOR,
		.minor_version = SPICE_INTERFACE_CORE_MINOR,
	},
	.timer_add = loop_timer_add,
	.timer_start = loop_timer_start,
	.timer_cancel = loop_timer_cancel,
	.timer_remove = loop_timer_remove,
	.watch_add = loop_watch_add,
	.watch_update_mask = loop_watch_update,
	.watch_remove = loop_watch_remove,
	.channel_event = channel_event,
};

void
loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		fatal("epoll_create1");
}

SpiceCoreInterface *
loop_core(void)
{
	return &core;
}

void
loop_quit(int status)
{
	quitting = true;
	quit_status = status;
}

/* Runs due timers; a callback may re-arm, add or remove timers, so the walk
 * restarts after each one. Returns the wait until the next one (-1: none). */
static int
run_timers(void)
{
	for (;;) {
		uint64_t now = now_ms(), next = 0;
		SpiceTimer *due = NULL;

		for (SpiceTimer *t = timers; t; t = t->next) {
			if (t->due_ms == 0)
				continue;
			if (t->due_ms <= now) {
				due = t;
				break;
			}
			if (next == 0 || t->due_ms < next)
				next = t->due_ms;
		}
		if (due == NULL)
			return next == 0 ? -1 : (int)(next - now);
		due->due_ms = 0;
		due->func(due->opaque);
	}
}

int
loop_run(void)
{
	struct epoll_event evs[64];

	while (!quitting) {
		int timeout = run_timers();
		int n = epoll_wait(epfd, evs, 64, quitting ? 0 : timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			SpiceWatch *w = evs[i].data.ptr;
			int mask = 0;

			if (w->dead)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				mask |= SPICE_WATCH_EVENT_READ;
			if (evs[i].events & (EPOLLOUT | EPOLLERR))
				mask |= SPICE_WATCH_EVENT_WRITE;
			mask &= w->mask;
			if (mask)
				w->func(w->fd, mask, w->opaque);
		}
		while (dead_watches) {
			SpiceWatch *w = dead_watches;
			dead_watches = w->next_dead;
			free(w);
		}
	}
	return quit_status;
}
