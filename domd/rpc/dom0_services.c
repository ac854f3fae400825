/* The services domd answers itself, called to dom0 (call.h). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "call.h"
#include "domd.h"
#include "log.h"
#include "rpc_wire.h"
#include "store.h"
#include "usb.h"
#include "usb_vhci.h"

/* A query's allow: out on the call's stdout (NULL: nothing) and exit code
 * 0, with no service behind it. */
void
call_query_allow(struct call *k, const char *out)
{
	uint32_t code = 0;
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		call_finish(k, RPC_FAILED, "dom0", -1, "cannot make a channel");
		return;
	}
	/* Two small frames: they fit in the socket's buffer. */
	rpc_data_send(sp[0], RPC_DATA_STDOUT, out, out ? (uint32_t)strlen(out) : 0);
	rpc_data_send(sp[0], RPC_DATA_EXIT, &code, 4);
	close(sp[0]);
	call_finish(k, RPC_ALLOWED, "dom0", sp[1], NULL);
	close(sp[1]);
}

/* May the caller show qube's windows (bulkhead.Gui from qube to it)? */
static bool
shows_windows_of(const char *caller, const char *qube)
{
	struct policy_decision d;

	call_decide(qube, "bulkhead.Gui", "", caller, &d);
	return d.action == POLICY_ALLOW;
}

/* bulkhead.ClipboardPaste+SRC+DST, called to dom0 by the GUI qube for a
 * Ctrl+Shift+V on its desktop: may text copied from SRC be pasted into
 * DST? The rule `bulkhead.ClipboardPaste * SRC DST`, as in Qubes; an ask
 * waits in the queue as a call from SRC to DST until the operator answers
 * or it times out (a deny). Only a qube that shows both qubes' windows
 * gets an answer: no other qube can put asks before the operator. */
static void
answer_paste(struct call *k)
{
	char src[RPC_ARG_MAX + 1], *dst;
	struct policy_decision d;

	snprintf(src, sizeof(src), "%s", k->arg);
	dst = strchr(src, '+');
	if (dst != NULL)
		*dst++ = '\0';
	if (dst == NULL || vm_find(src) == NULL || vm_find(dst) == NULL || !strcmp(src, dst)) {
		call_finish(k, RPC_DENIED, "dom0", -1, "expected two qubes, SRC+DST");
		return;
	}
	if (!shows_windows_of(k->source, src) || !shows_windows_of(k->source, dst)) {
		log_info("rpc: %s asks %s for %s: denied (not the GUI qube of both)", k->source,
		    k->service, k->arg);
		call_finish(k, RPC_DENIED, "dom0", -1, NULL);
		return;
	}
	call_decide(src, k->service, "", dst, &d);
	log_info("rpc: %s asks %s for %s: %s (%s)", k->source, k->service, k->arg,
	    d.action == POLICY_ALLOW ? "allowed" : d.action == POLICY_ASK ? "ask" : "denied",
	    d.origin);
	if (d.action == POLICY_ALLOW) {
		call_query_allow(k, NULL);
	} else if (d.action == POLICY_ASK) {
		if (ask_refused(k))
			return;
		k->query = true;
		k->stage = STAGE_ASK;
		snprintf(k->source, sizeof(k->source), "%.*s", (int)sizeof(k->source) - 1, src);
		snprintf(k->target, sizeof(k->target), "%s", dst);
		/* Nothing to choose: the paste goes to DST or nowhere. */
		d.ntargets = 1;
		snprintf(d.targets[0], sizeof(d.targets[0]), "%s", dst);
		ask_set_targets(k, &d);
		k->deadline = time(NULL) + domd.ask_timeout;
		ask_emit(k);
	} else
		call_finish(k, RPC_DENIED, "dom0", -1, NULL);
}

/* bulkhead.GuiLabel+VM, called to dom0 by the GUI qube when VM's first
 * stream arrives and it has no display for VM yet: VM's label on stdout,
 * to a qube that may show VM's windows (bulkhead.Gui from VM to it). */
static void
answer_label(struct call *k)
{
	struct vm *vm = vm_find(k->arg);
	char out[32];

	if (vm == NULL || !shows_windows_of(k->source, k->arg)) {
		log_info("rpc: %s asks %s for %s: denied", k->source, k->service, k->arg);
		call_finish(k, RPC_DENIED, "dom0", -1, NULL);
		return;
	}
	snprintf(out, sizeof(out), "%s\n", qube_label_name(vm->q.label));
	call_query_allow(k, out);
}

/* bulkhead.VhciAttach+BUSID+DEVID+SPEED, called to dom0 by the importer
 * domd started for an attachment (ns: only the qube's root): the answer's
 * descriptor is the kernel's USB/IP link (usb_vhci_grant). The caller's
 * guard decoded the argument (lib/vhci_arg.h). */
static void
answer_vhci(struct call *k)
{
	struct vm *vm = vm_find(k->source);
	char err[128] = "only the qube's root on the ns backend";
	int fd = -1;

	if (vm == NULL || domd.backend != &backend_ns || k->caller == NULL ||
	    !qube_peer_is_root(vm, &k->caller->peer) ||
	    (fd = usb_vhci_grant(vm, k->caller->has_vhci ? &k->caller->vhci : NULL, err,
	    sizeof(err))) < 0) {
		log_info("rpc: %s asks %s for %s: denied (%s)", k->source, k->service, k->arg, err);
		call_finish(k, RPC_DENIED, "dom0", -1, err);
		return;
	}
	call_finish(k, RPC_ALLOWED, "dom0", fd, NULL);
	close(fd);
}

/* bulkhead.ClipboardToViewer+VM and bulkhead.ClipboardFromViewer+VM, called
 * to dom0 by the GUI qube: may VM's clipboard go to (come from) the caller's
 * viewers? domd answers from the policy itself, as the rule `SERVICE * VM
 * CALLER`, with the call's exit code (0) or a deny. No service runs. An ask
 * counts as a deny: the viewer's paste cannot wait for the operator. */
bool
dom0_answer(struct call *k)
{
	struct policy_decision d;

	if (strcmp(k->target, "dom0") && strcmp(k->target, "@adminvm"))
		return false;
	if (!strcmp(k->service, "bulkhead.ClipboardPaste")) {
		answer_paste(k);
		return true;
	}
	if (!strcmp(k->service, "bulkhead.GuiLabel")) {
		answer_label(k);
		return true;
	}
	if (!strcmp(k->service, "bulkhead.VhciAttach")) {
		answer_vhci(k);
		return true;
	}
	if (strcmp(k->service, "bulkhead.ClipboardToViewer") &&
	    strcmp(k->service, "bulkhead.ClipboardFromViewer"))
		return false;
	if (vm_find(k->arg) == NULL) {
		call_finish(k, RPC_DENIED, "dom0", -1, "no such qube");
		return true;
	}
	call_decide(k->arg, k->service, "", k->source, &d);
	log_info("rpc: %s asks %s for %s: %s (%s)", k->source, k->service, k->arg,
	    d.action == POLICY_ALLOW ? "allowed" : "denied", d.origin);
	if (d.action != POLICY_ALLOW)
		call_finish(k, RPC_DENIED, "dom0", -1, NULL);
	else
		call_query_allow(k, NULL);
	return true;
}
