/* The guard's confinement (lib/confine.h): everything domd's child had is
 * given up before the first byte from the qube is read. */
#include <fcntl.h>

#include "confine.h"
#include "guard.h"

#define ALWAYS(name) { name, -1, 0, 0 }

/* What the loop in conns.c calls, and what the C library and the
 * sanitiser runtimes call on its behalf (memory, time, their reports).
 * Anything else kills the guard. */
static const struct confine_rule allowed[] = {
	ALWAYS("read"), ALWAYS("write"), ALWAYS("writev"), ALWAYS("close"),
	/* Only to read a peer's stat under /proc. */
	{ "openat", 2, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY },
	ALWAYS("fstat"), ALWAYS("newfstatat"), ALWAYS("lseek"), ALWAYS("fcntl"),
	ALWAYS("accept4"), ALWAYS("recvmsg"), ALWAYS("sendmsg"), ALWAYS("getsockopt"),
	ALWAYS("shutdown"), ALWAYS("epoll_create1"), ALWAYS("epoll_wait"), ALWAYS("epoll_pwait"),
	ALWAYS("epoll_ctl"), ALWAYS("brk"), ALWAYS("mmap"), ALWAYS("munmap"), ALWAYS("mremap"),
	ALWAYS("madvise"), ALWAYS("mprotect"), ALWAYS("clock_gettime"), ALWAYS("gettimeofday"),
	ALWAYS("getpid"), ALWAYS("gettid"), ALWAYS("rt_sigreturn"), ALWAYS("rt_sigprocmask"),
	ALWAYS("sigaltstack"), ALWAYS("futex"), ALWAYS("sched_yield"), ALWAYS("exit"),
	ALWAYS("exit_group"),
};

int
guard_confine(const struct guard_opts *o, char *err, size_t errlen)
{
	return confine_process(o->root, o->uid, allowed, sizeof(allowed) / sizeof(allowed[0]),
	    err, errlen);
}
