#include "clip_policy.h"

#include <stdio.h>
#include <string.h>

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

bool
clip_policy_static(void *ctx, const char *vm, enum clip_dir dir)
{
	/* The last rule for a qube wins. */
	for (int i = nrules - 1; i >= 0; i--)
		if (!strcmp(rules[i].vm, vm))
			return rules[i].dirs & dir;
	return strncmp(vm, "sys-", 4) != 0;
}
