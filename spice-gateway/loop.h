/* The gateway's one event loop: epoll for fd watches, a list of one-shot
 * timers, and the SpiceCoreInterface that spice-server drives it through.
 * Everything here runs on the main thread only. */
#ifndef BULKHEAD_GW_LOOP_H
#define BULKHEAD_GW_LOOP_H

#include <spice.h>

void loop_init(void);
SpiceCoreInterface *loop_core(void);

/* The same watches and timers for the gateway's own fds. */
SpiceWatch *loop_watch_add(int fd, int event_mask, SpiceWatchFunc func, void *opaque);
void loop_watch_update(SpiceWatch *w, int event_mask);
void loop_watch_remove(SpiceWatch *w);
SpiceTimer *loop_timer_add(SpiceTimerFunc func, void *opaque);
void loop_timer_start(SpiceTimer *t, uint32_t ms);
void loop_timer_cancel(SpiceTimer *t);
void loop_timer_remove(SpiceTimer *t);

/* Runs until loop_quit(); returns its status. */
int loop_run(void);
void loop_quit(int status);

#endif
