#include "peerlimits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define BURSTS 32       /* peers refused at once that get lines of their own */
#define BURST_QUIET 5   /* seconds without a refusal end a burst */
#define BURST_REMIND 60 /* seconds between lines while a burst goes on */
#define NOFILE_WANTED 65536

struct burst {
	bool used;
	char who[48];
	const char *what; /* the caller's string constant */
	int limit;
	time_t last, logged;
	unsigned long refused, unlogged;
};

static struct burst bursts[BURSTS];
static int spare_fd = -1;

void
limits_init(void)
{
	struct rlimit rl;

	/* Every qube may hold qube_max_connections descriptors of domd's:
	 * the usual soft limit (1024) would be the first limit reached. 65536
	 * is enough for a thousand qubes; the qubes inherit it, and could
	 * raise theirs to the hard limit anyway. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < NOFILE_WANTED) {
		rl.rlim_cur = rl.rlim_max < NOFILE_WANTED ? rl.rlim_max : NOFILE_WANTED;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("setrlimit NOFILE");
	}
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* The burst of who for what, or a new one; the last slot takes everyone
 * once the others are taken, so that a flood from many peers is still
 * one line. */
static struct burst *
burst_of(const char *who, const char *what, int limit)
{
	struct burst *free_b = NULL, *b;

	for (int i = 0; i < BURSTS - 1; i++) {
		b = &bursts[i];
		if (b->used && !strcmp(b->who, who) && !strcmp(b->what, what))
			return b;
		if (!b->used && free_b == NULL)
			free_b = b;
	}
	b = free_b;
	if (b == NULL) {
		b = &bursts[BURSTS - 1];
		if (b->used)
			return b;
		who = "several peers";
	}
	memset(b, 0, sizeof(*b));
	b->used = true;
	snprintf(b->who, sizeof(b->who), "%s", who);
	b->what = what;
	b->limit = limit;
	return b;
}

void
limit_refused(const char *who, const char *what, int limit)
{
	struct burst *b = burst_of(who, what, limit);
	time_t now = time(NULL);

	b->last = now;
	if (b->refused++ == 0) {
		if (b->limit > 0)
			log_warnx("%s: %s (limit %d); refusing the newcomers", b->who, b->what,
			    b->limit);
		else
			log_warnx("%s: %s; refused", b->who, b->what);
		b->logged = now;
		return;
	}
	b->unlogged++;
}

void
limits_tick(void)
{
	time_t now = time(NULL);

	for (int i = 0; i < BURSTS; i++) {
		struct burst *b = &bursts[i];
		if (!b->used)
			continue;
		if (now - b->last >= BURST_QUIET) {
			if (b->refused > 1)
				log_warnx("%s: burst over: %lu refused in all (%s, limit %d)", b->who,
				    b->refused, b->what, b->limit);
			b->used = false;
		} else if (b->unlogged > 0 && now - b->logged >= BURST_REMIND) {
			log_warnx("%s: still refusing: %lu more in the last %ld s (%s, limit %d)",
			    b->who, b->unlogged, (long)(now - b->logged), b->what, b->limit);
			b->logged = now;
			b->unlogged = 0;
		}
	}
}

int
accept_shed(int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd >= 0 || (errno != EMFILE && errno != ENFILE))
		return fd;
	/* The pending connection would wake the loop again at once: take it
	 * in the spare descriptor's place and close it unanswered. */
	struct rlimit rl = { 0, 0 };

	getrlimit(RLIMIT_NOFILE, &rl);
	limit_refused("domd", "out of file descriptors: connections closed unanswered",
	    (int)rl.rlim_cur);
	if (spare_fd >= 0) {
		close(spare_fd);
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	errno = EMFILE;
	return -1;
}
