#include "clip_policy.h"

#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>

#include "log.h"
#include "rpc_call.h"

#define CLIP_RULES_MAX 64

static struct {
	char vm[32];
	int dirs; /* CLIP_FROM_VIEWER | CLIP_TO_VIEWER */
} rules[CLIP_RULES_MAX];
static int nrules;

bool
clip_policy_add(const char *arg)
{
	const char *colon = strchr(arg, ':');
	int dirs;

	if (colon == NULL || colon == arg || (size_t)(colon - arg) >= sizeof(rules[0].vm) ||
	    nrules == CLIP_RULES_MAX)
		return false;
	if (!strcmp(colon + 1, "in"))
		dirs = CLIP_FROM_VIEWER;
	else if (!strcmp(colon + 1, "out"))
		dirs = CLIP_TO_VIEWER;
	else if (!strcmp(colon + 1, "both"))
		dirs = CLIP_FROM_VIEWER | CLIP_TO_VIEWER;
	else if (!strcmp(colon + 1, "none"))
		dirs = 0;
	else
		return false;
	snprintf(rules[nrules].vm, sizeof(rules[nrules].vm), "%.*s", (int)(colon - arg), arg);
	rules[nrules++].dirs = dirs;
	return true;
}

/* The command line's rule for vm: 1 allow, 0 deny, -1 none. The last
 * rule for a qube wins. */
static int
rule_for(const char *vm, enum clip_dir dir)
{
	for (int i = nrules - 1; i >= 0; i--)
		if (!strcmp(rules[i].vm, vm))
			return (rules[i].dirs & dir) != 0;
	return -1;
}

bool
clip_policy_static(void *ctx, const char *vm, enum clip_dir dir)
{
	int r = rule_for(vm, dir);

	return r >= 0 ? r : strncmp(vm, "sys-", 4) != 0;
}

bool
clip_policy_rpc(void *ctx, const char *vm, enum clip_dir dir)
{
	const char *svc = dir == CLIP_FROM_VIEWER ? "bulkhead.ClipboardFromViewer" :
	    "bulkhead.ClipboardToViewer";
	char call[128];
	int r = rule_for(vm, dir);
	pid_t pid;

	if (r >= 0)
		return r;
	snprintf(call, sizeof(call), "%s+%s", svc, vm);
	/* domd answers at once; a stuck call ends as a deny. */
	if ((pid = rpc_call_start(call, 5, -1)) < 0)
		return false;
	return rpc_call_wait(pid);
}

bool
clip_paste_static(const char *src, const char *dst)
{
	return clip_policy_static(NULL, src, CLIP_TO_VIEWER) &&
	    clip_policy_static(NULL, dst, CLIP_FROM_VIEWER);
}

pid_t
clip_paste_rpc_start(const char *src, const char *dst, int *pidfd)
{
	char call[128];
	pid_t pid;

	snprintf(call, sizeof(call), "bulkhead.ClipboardPaste+%s+%s", src, dst);
	/* An ask waits for the operator; domd's own timeout denies it first. */
	if ((pid = rpc_call_start(call, CLIP_PASTE_TIMEOUT_S, -1)) < 0)
		return -1;
	if ((*pidfd = pidfd_open(pid, 0)) < 0) {
		log_warn("pidfd_open");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}
