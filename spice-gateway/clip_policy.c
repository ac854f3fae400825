#include "clip_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

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
	int r = rule_for(vm, dir), status;
	pid_t pid;

	if (r >= 0)
		return r;
	snprintf(call, sizeof(call), "%s+%s", svc, vm);
	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		return false;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		/* domd answers at once; a stuck call ends as a deny. */
		alarm(5);
		execlp("bulkhead-rpc", "bulkhead-rpc", "dom0", call, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
