/* The guard's confinement: everything domd's child had is given up before
 * the first byte from the qube is read. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "guard.h"

/* What the loop in conns.c calls, and what the C library and the
 * sanitiser runtimes call on its behalf (memory, time, their reports).
 * Anything else kills the guard. */
static const char *const allowed[] = {
	"read", "write", "writev", "close", "openat", "fstat", "newfstatat", "lseek",
	"fcntl", "accept4", "recvmsg", "sendmsg", "getsockopt", "shutdown",
	"epoll_create1", "epoll_wait", "epoll_pwait", "epoll_ctl", "brk", "mmap", "munmap", "mremap",
	"madvise", "mprotect", "clock_gettime", "gettimeofday", "getpid", "gettid",
	"rt_sigreturn", "rt_sigprocmask", "sigaltstack", "futex", "sched_yield",
	"exit", "exit_group",
};

static int
load_filter(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = 0;

	if (ctx == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	for (size_t i = 0; r == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if (nr == SCMP_SYS(openat))
			/* Only to read a peer's stat under /proc. */
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			    SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY));
		else
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		snprintf(err, errlen, "cannot load the seccomp filter: %s", strerror(-r));
		return -1;
	}
	return 0;
}

int
guard_confine(const struct guard_opts *o, char *err, size_t errlen)
{
	gid_t gid = (gid_t)o->uid;

	/* No files: an empty root, nothing of the store or the run dir. */
	if (chroot(o->root) < 0 || chdir("/") < 0) {
		snprintf(err, errlen, "cannot chroot into %s: %s", o->root, strerror(errno));
		return -1;
	}
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break; /* past the kernel's last capability */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "cannot clear ambient capabilities: %s", strerror(errno));
		return -1;
	}
	/* setresuid() away from 0 clears the permitted and effective sets. */
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(o->uid, o->uid, o->uid) < 0) {
		snprintf(err, errlen, "cannot become uid %u: %s", (unsigned)o->uid, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, errlen, "could become root again after dropping to %u",
		    (unsigned)o->uid);
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "prctl: %s", strerror(errno));
		return -1;
	}
	return load_filter(err, errlen);
}
