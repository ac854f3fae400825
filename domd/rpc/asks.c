/* The operator's queue of asks and the answers to them (call.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "domd.h"
#include "events.h"
#include "log.h"
#include "peerlimits.h"
#include "rpc_wire.h"
#include "store.h"
#include "xalloc.h"

/* The ask's choices, kept to show them and to check the answer. */
void
ask_set_targets(struct call *k, const struct policy_decision *d)
{
	free(k->targets);
	k->ntargets = d->ntargets;
	k->targets = xcalloc(d->ntargets ? d->ntargets : 1, sizeof(*k->targets));
	memcpy(k->targets, d->targets, d->ntargets * sizeof(*k->targets));
}

/* The ask as the operator is shown it. */
static void
ask_view(const struct call *k, struct rpc_ask *a)
{
	*a = (struct rpc_ask){ k->id, k->service, k->arg, k->source, k->target,
		k->default_target, (const char (*)[POLICY_TARGET_MAX])k->targets, k->ntargets,
		k->created };
}

void
ask_emit(const struct call *k)
{
	struct rpc_ask a;

	ask_view(k, &a);
	event_ask(&a);
}

/* Each pending ask is a line the operator has to answer: past
 * qube_max_asks of the calling qube's, a new one is denied at once. */
bool
ask_refused(struct call *k)
{
	char who[QUBE_NAME_MAX + 8], msg[128];
	int n = 0;

	for (struct call *o = rpc_calls; o != NULL; o = o->next)
		if (o != k && o->stage == STAGE_ASK && !strcmp(o->asker, k->asker))
			n++;
	if (n < domd.limits.qube_asks)
		return false;
	snprintf(who, sizeof(who), "qube %s", k->asker);
	snprintf(msg, sizeof(msg), "%s has %d asks pending (qube_max_asks)", k->asker, n);
	limit_refused(who, "too many pending asks", domd.limits.qube_asks);
	call_finish(k, RPC_DENIED, k->target, -1, msg);
	return true;
}

void
rpc_ask_each(void (*fn)(const struct rpc_ask *a, void *arg), void *arg)
{
	for (struct call *k = rpc_calls; k != NULL; k = k->next) {
		struct rpc_ask a;

		if (k->stage != STAGE_ASK)
			continue;
		ask_view(k, &a);
		fn(&a, arg);
	}
}

/* The ask's choices as "a, b, c", for messages. */
static void
targets_text(const struct policy_decision *d, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->ntargets && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", d->targets[i]);
}

/* The operator's target, checked as Qubes checks the user's choice: the call
 * is decided again now, and the target must be one the policy would not
 * deny for it. 0, or -1 with code and err (and a call the policy now denies
 * finished as denied). */
static int
answer_target_ok(struct call *k, const char *target, char *code, char *err, size_t errlen)
{
	struct policy_decision d;
	char list[1024];

	call_decide(k->source, k->service, k->arg, k->intended, &d);
	if (d.action == POLICY_DENY) {
		log_info("rpc: ask %u: the policy now denies the call (%s)", k->id, d.origin);
		snprintf(code, 32, "denied");
		snprintf(err, errlen, "ask %u: the policy now denies this call (%s)", k->id,
		    d.origin);
		event_ask_done(k->id, "denied");
		call_finish(k, RPC_DENIED, k->target, -1, NULL);
		return -1;
	}
	if (d.action == POLICY_ALLOW ? strcmp(d.target, target) == 0 : policy_offers(&d, target)) {
		k->no_autostart = !d.autostart;
		return 0;
	}
	if (d.action == POLICY_ALLOW)
		snprintf(list, sizeof(list), "%s", d.target);
	else
		targets_text(&d, list, sizeof(list));
	snprintf(code, 32, "invalid");
	snprintf(err, errlen, "ask %u: %s is not among the allowed targets (%s)", k->id,
	    target, list);
	return -1;
}

/* The target an answer without --target means: the call's (when it is
 * offered), the proposal, or the only choice. NULL if the operator has to
 * name one. */
static const char *
answer_default(const struct call *k)
{
	if (k->target[0] != '\0')
		return k->target;
	if (k->default_target[0] != '\0')
		return k->default_target;
	if (k->ntargets == 1)
		return k->targets[0];
	return NULL;
}

int
rpc_ask_answer(unsigned id, bool allow, const char *target, char *code, char *err,
    size_t errlen)
{
	static char t[POLICY_TARGET_MAX];
	struct call *k;

	for (k = rpc_calls; k != NULL; k = k->next)
		if (k->id == id && k->stage == STAGE_ASK)
			break;
	if (k == NULL) {
		snprintf(code, 32, "invalid");
		snprintf(err, errlen, "no pending ask with id %u", id);
		return -1;
	}
	if (!allow) {
		log_info("rpc: ask %u denied by the operator", id);
		event_ask_done(id, "denied");
		call_finish(k, RPC_DENIED, k->target, -1, "denied by the operator");
		return 0;
	}
	if (k->query) {
		log_info("rpc: ask %u allowed by the operator", id);
		event_ask_done(id, "allowed");
		call_query_allow(k, NULL);
		return 0;
	}
	if (target == NULL || target[0] == '\0')
		target = answer_default(k);
	if (target == NULL || !rpc_target_valid(target) || !strcmp(target, "@default")) {
		snprintf(code, 32, "invalid");
		snprintf(err, errlen, "ask %u needs a target (--target VM)", id);
		return -1;
	}
	if (!strcmp(target, "dom0") || !strcmp(target, "@adminvm"))
		target = "dom0";
	if (!strcmp(target, "@dispvm")) {
		struct vm *src = vm_find(k->source);
		if (src == NULL || src->q.default_dispvm[0] == '\0') {
			snprintf(code, 32, "invalid");
			snprintf(err, errlen, "%s has no default_dispvm for @dispvm", k->source);
			return -1;
		}
		snprintf(t, sizeof(t), "@dispvm:%s", src->q.default_dispvm);
		target = t;
	}
	if (answer_target_ok(k, target, code, err, errlen) < 0)
		return -1;
	log_info("rpc: ask %u allowed by the operator, target %s", id, target);
	event_ask_done(id, "allowed");
	k->stage = STAGE_AGENT;
	call_route(k, target);
	return 0;
}
