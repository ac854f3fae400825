/*
 * Shutdown: SIGTERM to everybody, BULKHEAD_STOP_GRACE seconds to go, then
 * SIGKILL for the rest.  The launcher times the whole thing out too, but a
 * qube that stops by itself keeps its private volume consistent (sync).
 */
#include "agent.h"
#include "log.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define STOP_GRACE_DEFAULT 5
#define STOP_GRACE_MAX 3600
/* After SIGKILL only a process stuck in the kernel can linger; do not wait for ever. */
#define KILL_WAIT_MS 2000
/* Processes that entered with setns are not our children and send no SIGCHLD. */
#define POLL_MS 100

static int
stop_grace(void)
{
	const char *s = getenv("BULKHEAD_STOP_GRACE");
	char *end;
	long v;

	if (!s || !*s)
		return STOP_GRACE_DEFAULT;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > STOP_GRACE_MAX) {
		log_warnx("ignoring BULKHEAD_STOP_GRACE=\"%s\" (0-%d seconds), using %d",
		    s, STOP_GRACE_MAX, STOP_GRACE_DEFAULT);
		return STOP_GRACE_DEFAULT;
	}
	return (int)v;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reaps until nobody else is alive (returns 1) or the deadline passes (0). */
static int
wait_others(int sfd, int64_t deadline)
{
	int64_t left;

	for (;;) {
		if (!reap_children() && !others_alive())
			return 1;
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		/* Further stop signals are simply drained here. */
		signals_read(sfd, left < POLL_MS ? (int)left : POLL_MS);
	}
}

void
stop_all(int sfd)
{
	int grace = stop_grace();

	log_info("stopping");
	signal_others(SIGTERM);
	if (!wait_others(sfd, now_ms() + (int64_t)grace * 1000))
		log_warnx("processes left after %d s, sending SIGKILL", grace);
	signal_others(SIGKILL);
	if (!wait_others(sfd, now_ms() + KILL_WAIT_MS))
		log_warnx("processes left even after SIGKILL");
	sync();
	log_info("stopped");
}
