#include "confine.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qube.h"

static int
load_filter(const struct confine_rule *rules, size_t n, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = 0;

	if (ctx == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		int nr = seccomp_syscall_resolve_name(rules[i].syscall);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if (rules[i].arg < 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		else
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			    SCMP_CMP((unsigned)rules[i].arg, SCMP_CMP_MASKED_EQ, rules[i].mask,
			    rules[i].value));
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
confine_process(const char *root, uid_t uid, const struct confine_rule *rules, size_t n,
    char *err, size_t errlen)
{
	gid_t gid = (gid_t)uid;

	/* No files: an empty root, nothing of the store or the run dir. */
	if (chroot(root) < 0 || chdir("/") < 0) {
		snprintf(err, errlen, "cannot chroot into %s: %s", root, strerror(errno));
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
	    setresuid(uid, uid, uid) < 0) {
		snprintf(err, errlen, "cannot become uid %u: %s", (unsigned)uid, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, errlen, "could become root again after dropping to %u", (unsigned)uid);
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "prctl: %s", strerror(errno));
		return -1;
	}
	return load_filter(rules, n, err, errlen);
}

static bool
empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool none = d != NULL;

	while (none && (e = readdir(d)) != NULL)
		none = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	if (d != NULL)
		closedir(d);
	return none;
}

int
confine_empty_root(const char *run_dir, char *out, size_t outlen, char *err, size_t errlen)
{
	struct stat st;

	snprintf(out, outlen, "%s/guard-root", run_dir);
	if (mkdir(out, 0555) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make %s: %s", out, strerror(errno));
		return -1;
	}
	if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 0222) != 0 || !empty(out)) {
		snprintf(err, errlen, "%s is not an empty read-only directory of root's", out);
		return -1;
	}
	return 0;
}

#define RANGES ((QUBE_UID_BASE_MAX - QUBE_UID_BASE_MIN) / QUBE_UID_RANGE + 1)

uid_t
confine_guard_uid(long uid_base)
{
	return (uid_t)(QUBE_UID_BASE_MIN - 1 - (uid_base - QUBE_UID_BASE_MIN) / QUBE_UID_RANGE);
}

uid_t
confine_relay_uid(long uid_base)
{
	return confine_guard_uid(uid_base) - (uid_t)RANGES;
}
