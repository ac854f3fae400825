/* The hook between stored firewall rules and the netvm that enforces them. */
#include "firewall.h"

#include <time.h>

#include "log.h"

void
fw_apply(struct vm *vm)
{
	const struct qube *q = &vm->q;
	time_t now = time(NULL);
	int live = 0;

	/* What would be sent: the live rules in order, then the policy. An
	 * expired rule is left out; a rule that does not parse (it cannot:
	 * they are checked when stored) would drop everything (fail closed). */
	for (int i = 0; i < q->fw.n; i++) {
		struct fwrule r;
		const char *text = qube_fw_rule(q, i);
		char err[256];

		if (fwrule_parse(text, &r, err, sizeof(err)) < 0) {
			log_warnx("%s: %s: firewall rule %d: %s; would drop all its traffic",
			    __func__, q->name, i + 1, err);
			return;
		}
		if (fwrule_expired(&r, now))
			continue;
		log_debug("%s: %s: would send rule %d: %s", __func__, q->name, i + 1, text);
		live++;
	}
	log_debug("%s: %s: would send %d rules (of %d), policy %s, to netvm '%s'%s", __func__,
	    q->name, live, q->fw.n, fwrule_action_name(q->fw.policy), q->netvm,
	    vm->state == VM_HALTED ? " (not running: nothing to send yet)" : "");
}
