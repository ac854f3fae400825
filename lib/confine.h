/* Giving up privileges before reading a qube's bytes: the one way dom0's
 * guest-facing processes (bulkhead-guard, the Xen relay's framer and call
 * splicers) confine themselves. */
#ifndef BULKHEAD_CONFINE_H
#define BULKHEAD_CONFINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A system call the filter lets through: always (arg < 0), or when
 * (argument arg & mask) == value. */
struct confine_rule {
	const char *syscall;
	int arg;
	uint64_t mask, value;
};

/* chroot into root (an empty directory), no capabilities in any set, uid
 * and gid uid, no new privileges, not dumpable, then a seccomp filter that
 * kills the process on any call not in rules. 0, or -1 with err. */
int confine_process(const char *root, uid_t uid, const struct confine_rule *rules, size_t n,
    char *err, size_t errlen);

/* RUN/guard-root, made if missing: empty, root's, read-only to all.
 * Its path in out; -1 with err when it is anything else. */
int confine_empty_root(const char *run_dir, char *out, size_t outlen, char *err, size_t errlen);

/* Host uids of a qube's confined helpers, one per id range of qubes and
 * below the first (lib/qube.h): no qube's process ever has them, and no
 * two qubes' helpers share one. */
uid_t confine_guard_uid(long uid_base);
uid_t confine_relay_uid(long uid_base);

#endif
