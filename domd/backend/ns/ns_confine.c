/*
 * What root in a qube may do on the ns backend beyond its user namespace:
 * a capability bounding set and a seccomp filter, modelled on the defaults
 * of systemd-nspawn and Docker. The reasons are in README ("Isolation on
 * the ns backend").
 */
#include "ns_confine.h"

#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>


/* Kept; every other capability leaves the bounding set. All of them count
 * only over what the qube's user namespace owns (its network, its
 * processes, files owned by its ids). */
static const int caps_kept[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_KILL,
	CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST,
	CAP_NET_ADMIN, CAP_NET_RAW, CAP_IPC_LOCK, CAP_IPC_OWNER, CAP_SYS_CHROOT,
	CAP_SYS_PTRACE, CAP_SYS_NICE, CAP_LEASE, CAP_AUDIT_WRITE, CAP_SETFCAP,
};

/* Refused with EPERM. */
static const char *const denied[] = {
	/* the host's kernel and machine */
	"init_module", "finit_module", "delete_module", "create_module", "kexec_load",
	"kexec_file_load", "reboot", "swapon", "swapoff", "acct", "iopl", "ioperm",
	"syslog", "lookup_dcookie", "nfsservctl", "quotactl", "quotactl_fd", "vhangup",
	/* shared clocks */
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime",
	/* keyrings are not namespaced: another qube's keys are one lookup away */
	"keyctl", "add_key", "request_key",
	/* large kernel attack surface, no use inside a qube */
	"bpf", "perf_event_open", "userfaultfd", "kcmp", "open_by_handle_at",
	"name_to_handle_at", "fanotify_init", "process_madvise",
	/* the mount namespace belongs to the host: say no before the kernel does */
	"mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
	"move_mount", "open_tree", "mount_setattr",
	"setdomainname", "sethostname",
};

static int
deny_name(scmp_filter_ctx ctx, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
}

static int
build_filter(scmp_filter_ctx ctx)
{
	int r = 0;

	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]) && r == 0; i++)
		r = deny_name(ctx, denied[i]);
	/* No user namespaces of its own: unprivileged user namespaces are the
	 * way into most of the kernel's root-only code. clone3 passes its
	 * flags in memory a filter cannot read: ENOSYS makes libc use clone. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* Typing into a terminal that is not one's own. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
	return r;
}

/* The filter as BPF, compiled once (libseccomp takes a millisecond or two
 * to build it: too long to spend on every qube start). */
static struct sock_fprog prog;

int
ns_confine_prepare(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	struct stat st;
	int r, fd = -1;

	if (prog.filter != NULL)
		return 0;
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
#if defined(__x86_64__)
	/* A 32-bit process must meet the same filter (x32 and i386 too). */
	seccomp_arch_add(ctx, SCMP_ARCH_X86);
	seccomp_arch_add(ctx, SCMP_ARCH_X32);
#endif
	r = build_filter(ctx);
	if (r == 0 && (fd = memfd_create("seccomp", MFD_CLOEXEC)) < 0)
		r = -errno;
	if (r == 0)
		r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (r == 0 && (fstat(fd, &st) < 0 || st.st_size == 0 ||
	    st.st_size % (off_t)sizeof(struct sock_filter) != 0))
		r = -EINVAL;
	if (r == 0) {
		prog.filter = malloc((size_t)st.st_size);
		prog.len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
		if (prog.filter == NULL || pread(fd, prog.filter, (size_t)st.st_size, 0) !=
		    st.st_size) {
			free(prog.filter);
			prog.filter = NULL;
			r = -EIO;
		}
	}
	if (fd >= 0)
		close(fd);
	if (r != 0) {
		snprintf(err, errlen, "seccomp filter: %s", strerror(-r));
		return -1;
	}
	return 0;
}

int
ns_confine(char *err, size_t errlen)
{
	bool keep;

	if (ns_confine_prepare(err, errlen) < 0)
		return -1;
	for (int c = 0; c <= CAP_LAST_CAP; c++) {
		keep = false;
		for (size_t i = 0; i < sizeof(caps_kept) / sizeof(caps_kept[0]); i++)
			keep = keep || caps_kept[i] == c;
		if (!keep && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
			snprintf(err, errlen, "drop capability %d: %s", c, strerror(errno));
			return -1;
		}
	}
	/* no_new_privs stays off, so that su and sudo work inside as in any
	 * Linux; this process may load the filter without it, being root in
	 * its user namespace. */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		snprintf(err, errlen, "load seccomp filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}
