/* firewall (f): the selected qube's firewall rules, numbered as the CLI's
 * `firewall VM list` numbers them, expired ones marked, and the default
 * policy that applies to what no rule matches; changed with vm.firewall as
 * `firewall VM add|del|policy|reset` changes them:
 *  a (or Insert) adds a rule through a form (rule text, an optional
 *    comment, the position), i inserts one before the selected rule; domd
 *    parses the rule and its refusal, which names the bad field, is shown
 *    under the field;
 *  d (or Delete) deletes the selected rule after a y/n question;
 *  p toggles the default policy (accept, drop);
 *  R resets (no rules, policy accept) once the qube's name is typed.
 *
 * Every vm.firewall result is the whole list, which replaces the view's.
 * The list is also read once a second while the view is on top: a change
 * made elsewhere (a "firewall" event) shows up, and so does a rule that
 * expired since. A read that may predate a change made here is dropped
 * (epoch); the next one brings the current list. */
#include "tui.h"

#include <curses.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

#define FW_RULES_MAX 1024 /* domd allows 128 */
#define DETAIL_MAX 4      /* lines of a long selected rule shown in full */

struct fwrule {
	long n;
	char *rule;
	int expired;
};

struct fwview {
	struct tui_view base;
	char vm[TUI_NAME_MAX];
	struct fwrule *r;
	int n;
	char policy[16];
	int sel, top;
	int state;                 /* 0: reading, 1: read, -1: cannot be read */
	char err[256];             /* why not, or the last read failed */
	int fetching;              /* a list in flight */
	int changing;              /* changes in flight */
	unsigned long epoch;       /* bumped by each change sent or applied */
	long del_n;                /* the rule the open question is about */
	char *del_rule;
};

enum fwop { OP_LIST, OP_ADD, OP_DEL, OP_POLICY, OP_RESET };

/* A request's context: the view (and form) it is for, found again by id. */
struct fwreq {
	unsigned long view, form;
	unsigned long epoch;
	enum fwop op;
	char vm[TUI_NAME_MAX];
	long n;                    /* add: where the rule goes (0: last); del */
	char value[16];            /* policy */
};

static const struct tui_view_ops fw_ops;

static struct fwview *
find_view(struct tui *t, unsigned long id)
{
	struct tui_view *v = tui_view_find(t, id);

	return v != NULL && v->ops == &fw_ops ? (struct fwview *)v : NULL;
}

static void
free_rules(struct fwview *fv)
{
	int i;

	for (i = 0; i < fv->n; i++)
		free(fv->r[i].rule);
	free(fv->r);
	fv->r = NULL;
	fv->n = 0;
}

static int64_t
member_int(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* A vm.firewall result: {"policy":…,"rules":[{"n":…,"rule":…,"expired":…}]}. */
static void
apply_list(struct fwview *fv, json_object *res)
{
	json_object *rules = NULL, *pol = NULL, *o, *v;
	size_t i, n;
	const char *s;

	free_rules(fv);
	if (!json_object_object_get_ex(res, "rules", &rules) ||
	    !json_object_is_type(rules, json_type_array) ||
	    !json_object_object_get_ex(res, "policy", &pol)) {
		fv->state = -1;
		snprintf(fv->err, sizeof(fv->err), "domd's vm.firewall reply has no rules");
		return;
	}
	tui_safe_copy(fv->policy, sizeof(fv->policy), json_object_get_string(pol));
	n = json_object_array_length(rules);
	if (n > FW_RULES_MAX)
		n = FW_RULES_MAX;
	fv->r = xcalloc(n > 0 ? n : 1, sizeof(*fv->r));
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(rules, i);
		v = NULL;
		json_object_object_get_ex(o, "rule", &v);
		s = v != NULL ? json_object_get_string(v) : "";
		fv->r[i].rule = xmalloc(strlen(s) + 1);
		tui_safe_copy(fv->r[i].rule, strlen(s) + 1, s);
		fv->r[i].n = (long)member_int(o, "n");
		if (fv->r[i].n <= 0)
			fv->r[i].n = (long)i + 1;
		v = NULL;
		fv->r[i].expired = json_object_object_get_ex(o, "expired", &v) &&
		    json_object_get_boolean(v);
	}
	fv->n = (int)n;
	fv->state = 1;
	fv->err[0] = '\0';
	if (fv->sel >= fv->n)
		fv->sel = fv->n > 0 ? fv->n - 1 : 0;
}

/* A refusal of a read: the view says why. */
static void
read_failed(struct fwview *fv, enum client_status st, const struct client_error *err)
{
	if (st == CLIENT_REFUSED && strcmp(err->code, "no-such-vm") == 0) {
		free_rules(fv);
		fv->state = -1;
		snprintf(fv->err, sizeof(fv->err), "%s no longer exists", fv->vm);
	} else if (st == CLIENT_REFUSED && strcmp(err->code, "unknown-method") == 0) {
		free_rules(fv);
		fv->state = -1;
		snprintf(fv->err, sizeof(fv->err), "domd has no firewall rules (vm.firewall is "
		    "an unknown method): a newer bulkhead-domd is needed");
	} else
		tui_safe_copy(fv->err, sizeof(fv->err), err->message);
}

static void
fetched(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct fwreq *r = arg;
	struct fwview *fv = find_view(t, r->view);

	if (fv == NULL)
		goto out;
	fv->fetching = 0;
	if (r->epoch != fv->epoch)
		goto out; /* a change was sent meanwhile: the next read */
	if (st == CLIENT_OK)
		apply_list(fv, result);
	else
		read_failed(fv, st, err);
	tui_redraw(t);
out:
	free(r);
}

static void
fetch(struct tui *t, struct fwview *fv)
{
	json_object *args;
	struct fwreq *r;

	if (fv->fetching)
		return;
	r = xcalloc(1, sizeof(*r));
	r->view = fv->base.id;
	r->epoch = fv->epoch;
	r->op = OP_LIST;
	args = json_object_new_object();
	json_object_object_add(args, "op", json_object_new_string("list"));
	fv->fetching = 1;
	tui_query(t, "vm.firewall", fv->vm, args, fetched, r); /* may answer at once */
}

/* ---- changes ---- */

/* Where a refusal of an added rule goes: domd names the field. */
static const char *
add_error_field(const char *message)
{
	if (strncmp(message, "invalid index", 13) == 0)
		return "index";
	if (strstr(message, "comment") != NULL)
		return "comment";
	return "rule";
}

static void
changed(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct fwreq *r = arg;
	struct fwview *fv = find_view(t, r->view);
	struct tui_form *f = r->form != 0 ? tui_form_find(t, r->form) : NULL;

	if (fv != NULL && fv->changing > 0)
		fv->changing--;
	if (f != NULL)
		tui_form_pending(f, -1);
	if (st != CLIENT_OK) {
		/* tui_request put "firewall VM: message" on the message line. */
		if (f != NULL)
			tui_form_field_error(f, r->op == OP_ADD ? add_error_field(err->message) :
			    NULL, err->message);
		tui_redraw(t);
		free(r);
		return;
	}
	if (fv != NULL) {
		apply_list(fv, result);
		fv->epoch++;
		if (r->op == OP_ADD)
			fv->sel = r->n > 0 && r->n <= fv->n ? (int)r->n - 1 : fv->n - 1;
		if (fv->sel < 0)
			fv->sel = 0;
	}
	switch (r->op) {
	case OP_ADD:
		model_info(&t->m, "%s: firewall rule added", r->vm);
		break;
	case OP_DEL:
		model_info(&t->m, "%s: firewall rule %ld deleted", r->vm, r->n);
		break;
	case OP_POLICY:
		model_info(&t->m, "%s: firewall policy %s", r->vm, r->value);
		break;
	case OP_RESET:
		model_info(&t->m, "%s: firewall reset (no rules, policy accept)", r->vm);
		break;
	case OP_LIST:
		break;
	}
	if (f != NULL && t->top == tui_form_view(f))
		tui_pop(t);
	tui_redraw(t);
	free(r);
}

/* Sends a vm.firewall change; takes args. */
static void
send_change(struct tui *t, struct fwview *fv, enum fwop op, json_object *args,
    unsigned long form, long n, const char *value)
{
	struct fwreq *r = xcalloc(1, sizeof(*r));

	r->view = fv->base.id;
	r->form = form;
	r->op = op;
	r->n = n;
	snprintf(r->vm, sizeof(r->vm), "%s", fv->vm);
	snprintf(r->value, sizeof(r->value), "%s", value != NULL ? value : "");
	fv->epoch++; /* a read in flight may not see the change */
	fv->changing++;
	tui_request_verb(t, &cmd_firewall_entry, fv->vm, args, changed, r);
}

static json_object *
op_args(const char *op)
{
	json_object *args = json_object_new_object();

	json_object_object_add(args, "op", json_object_new_string(op));
	return args;
}

/* The view under a form (forms are opened from it). */
static struct fwview *
view_under(struct tui_form *f)
{
	struct tui_view *under = tui_form_view(f)->below;

	if (under == NULL || under->ops != &fw_ops) {
		tui_form_field_error(f, NULL, "the firewall view is gone");
		return NULL;
	}
	return (struct fwview *)under;
}

static void
add_submit(struct tui *t, struct tui_form *f)
{
	const char *rule = tui_form_get(f, "rule"), *comment = tui_form_get(f, "comment");
	const char *index = tui_form_get(f, "index");
	struct fwview *fv = view_under(f);
	json_object *args;
	char *text, *end;
	long n = 0;

	if (fv == NULL)
		return;
	if (*index != '\0') {
		errno = 0;
		n = strtol(index, &end, 10);
		if (errno != 0 || *end != '\0' || n < 1 || n > 100000) {
			tui_form_field_error(f, "index", "a rule number (from 1), or empty to add "
			    "the rule last");
			return;
		}
	}
	/* domd parses the rule; comment= takes the rest of the line. */
	text = *comment != '\0' ? xasprintf("%s comment=%s", rule, comment) : xstrdup(rule);
	args = op_args("add");
	json_object_object_add(args, "rule", json_object_new_string(text));
	free(text);
	if (n > 0)
		json_object_object_add(args, "index", json_object_new_int64(n));
	tui_form_pending(f, 1);
	tui_form_busy(f, "adding...");
	send_change(t, fv, OP_ADD, args, tui_form_id(f), n, NULL);
}

static void
add_open(struct tui *t, struct fwview *fv, long before)
{
	char title[64], pos[24], hint[48];
	struct tui_form *f;

	snprintf(title, sizeof(title), "Add a firewall rule to %s", fv->vm);
	f = tui_form_new(title, fv->vm, add_submit);
	tui_form_note(f, "accept|drop [dst4=A.B.C.D[/N] | dst6=ADDR[/N] | dsthost=NAME]");
	tui_form_note(f, "  [proto=tcp|udp|icmp] [specialtarget=dns] [dstports=N[-M]]");
	tui_form_note(f, "  [icmptype=N] [expire=EPOCH]   e.g. accept proto=tcp dstports=443");
	tui_form_note(f, "domd checks the rule; a refusal is shown under its field.");
	tui_form_text(f, "rule", "Rule", "", NULL);
	tui_form_text(f, "comment", "Comment", "", "optional");
	snprintf(pos, sizeof(pos), "%ld", before);
	snprintf(hint, sizeof(hint), "1-%d; empty: last", fv->n + 1);
	tui_form_text(f, "index", "Position", before > 0 ? pos : "", hint);
	tui_push(t, tui_form_view(f));
}

/* y to the question: the view is on top again (the question is gone). */
static void
del_yes(struct tui *t, const char *vm)
{
	struct fwview *fv = (struct fwview *)t->top;
	json_object *args;
	long n;

	if (t->top == NULL || t->top->ops != &fw_ops || strcmp(fv->vm, vm) != 0 ||
	    fv->del_rule == NULL)
		return;
	n = fv->del_n;
	/* The rules may have changed while the question was open. */
	if (n < 1 || n > fv->n || strcmp(fv->r[n - 1].rule, fv->del_rule) != 0) {
		model_error(&t->m, "%s: the firewall rules changed meanwhile; rule %ld was not "
		    "deleted", fv->vm, n);
	} else {
		args = op_args("del");
		json_object_object_add(args, "n", json_object_new_int64(n));
		send_change(t, fv, OP_DEL, args, 0, n, NULL);
	}
	free(fv->del_rule);
	fv->del_rule = NULL;
}

static void
del_ask(struct tui *t, struct fwview *fv)
{
	char question[256];

	free(fv->del_rule);
	fv->del_rule = xstrdup(fv->r[fv->sel].rule);
	fv->del_n = fv->r[fv->sel].n;
	snprintf(question, sizeof(question), "Delete rule %ld of %s, \"%.180s\"?", fv->del_n,
	    fv->vm, fv->del_rule);
	tui_confirm(t, "Delete firewall rule", question, fv->vm, del_yes);
}

static void
policy_toggle(struct tui *t, struct fwview *fv)
{
	const char *to = strcmp(fv->policy, "drop") == 0 ? "accept" : "drop";
	json_object *args = op_args("policy");

	json_object_object_add(args, "value", json_object_new_string(to));
	send_change(t, fv, OP_POLICY, args, 0, 0, to);
}

static void
reset_submit(struct tui *t, struct tui_form *f)
{
	struct fwview *fv = view_under(f);
	char msg[128];

	if (fv == NULL)
		return;
	if (strcmp(tui_form_get(f, "confirm"), tui_form_vm(f)) != 0) {
		snprintf(msg, sizeof(msg), "the name typed is not '%s': nothing was reset",
		    tui_form_vm(f));
		tui_form_field_error(f, "confirm", msg);
		return;
	}
	tui_form_pending(f, 1);
	tui_form_busy(f, "resetting...");
	send_change(t, fv, OP_RESET, op_args("reset"), tui_form_id(f), 0, NULL);
}

static void
reset_open(struct tui *t, struct fwview *fv)
{
	char title[64], note[128];
	struct tui_form *f;

	snprintf(title, sizeof(title), "Reset the firewall of %s", fv->vm);
	f = tui_form_new(title, fv->vm, reset_submit);
	if (fv->n == 0)
		snprintf(note, sizeof(note), "%s has no rules; this sets the policy to accept.",
		    fv->vm);
	else if (fv->n == 1)
		snprintf(note, sizeof(note), "This deletes its rule and sets the policy to accept.");
	else
		snprintf(note, sizeof(note), "This deletes all %d rules and sets the policy to "
		    "accept.", fv->n);
	tui_form_note(f, note);
	snprintf(note, sizeof(note), "Type the qube's name, %s, to confirm.", fv->vm);
	tui_form_note(f, note);
	tui_form_text(f, "confirm", "Name", "", NULL);
	tui_push(t, tui_form_view(f));
}

/* ---- the view ---- */

static int
rows(void)
{
	return LINES > 5 ? LINES - 4 : 1;
}

static void
rule_line(const struct fwrule *r, char *buf, size_t len)
{
	snprintf(buf, len, "%4ld  %s%s", r->n, r->expired ? "[expired] " : "", r->rule);
}

static void
fw_draw(struct tui *t, struct tui_view *v)
{
	struct fwview *fv = (struct fwview *)v;
	char line[1200], detail[DETAIL_MAX][256];
	int y, i, nrows = rows(), ndetail = 0, err = tui_attr(t, TC_ERROR), attr;

	snprintf(line, sizeof(line), " Firewall rules of %s", fv->vm);
	tui_put(1, 0, COLS, line, tui_attr(t, TC_HEADER));
	if (fv->state == 1) {
		int room = COLS - (int)strlen(line) - 1;
		snprintf(line, sizeof(line), "%d rule%s, default policy: %s ", fv->n,
		    fv->n == 1 ? "" : "s", fv->policy);
		if ((int)strlen(line) > room) /* a long name on a narrow screen */
			snprintf(line, sizeof(line), "policy: %s ", fv->policy);
		if ((int)strlen(line) <= room)
			tui_put(1, COLS - (int)strlen(line), (int)strlen(line), line,
			    tui_attr(t, TC_HEADER) | A_BOLD);
	}
	for (y = 2; y < LINES - 2; y++)
		tui_put(y, 0, COLS, "", A_NORMAL);
	if (fv->state == 0) {
		tui_put(3, 2, COLS - 4, fv->err[0] ? fv->err : "(asking domd)",
		    fv->err[0] ? err : (int)A_NORMAL);
		return;
	}
	if (fv->state < 0) {
		char wrapped[4][256];
		int n = tui_wrap(fv->err, COLS - 4, wrapped, 4);
		for (i = 0; i < n; i++)
			tui_put(3 + i, 2, COLS - 4, wrapped[i], err);
		return;
	}
	if (fv->err[0] != '\0') { /* the last read failed: the list may be old */
		tui_put(LINES - 3, 2, COLS - 4, fv->err, err);
		nrows--;
	}
	if (fv->n == 0) {
		snprintf(line, sizeof(line), "(no rules: everything gets the default policy, %s; "
		    "a adds a rule)", fv->policy);
		tui_put(3, 2, COLS - 4, line, A_NORMAL);
		return;
	}
	/* A selected rule wider than the screen is shown in full below. */
	rule_line(&fv->r[fv->sel], line, sizeof(line));
	if ((int)strlen(line) > COLS && nrows > DETAIL_MAX + 4) {
		ndetail = tui_wrap(fv->r[fv->sel].rule, COLS - 8, detail, DETAIL_MAX);
		nrows -= ndetail + 1;
	}
	tui_list_scroll(fv->sel, &fv->top, nrows);
	for (i = fv->top, y = 2; i < fv->n && y < 2 + nrows; i++, y++) {
		rule_line(&fv->r[i], line, sizeof(line));
		attr = fv->r[i].expired ? tui_attr(t, TC_GRAY) : (int)A_NORMAL;
		if (i == fv->sel)
			attr = tui_attr(t, TC_SELECTED);
		tui_put(y, 0, COLS, line, attr);
	}
	for (i = 0; i < ndetail; i++) {
		snprintf(line, sizeof(line), "%s%s", i == 0 ? "rule: " : "      ", detail[i]);
		tui_put(2 + nrows + 1 + i, 2, COLS - 2, line, A_BOLD);
	}
}

static void
fw_bar(struct tui *t, struct tui_view *v)
{
	tui_bar_begin(t);
	tui_bar_item(t, "a", "Add");
	tui_bar_item(t, "i", "Insert");
	tui_bar_item(t, "d", "Delete");
	tui_bar_item(t, "p", "Policy");
	tui_bar_item(t, "R", "Reset");
	tui_bar_item(t, "Esc", "Back");
	tui_bar_end(t);
}

static enum tui_result
fw_key(struct tui *t, struct tui_view *v, int ch)
{
	struct fwview *fv = (struct fwview *)v;
	int page = rows();

	if (tui_list_key(ch, &fv->sel, fv->n, page))
		return TUI_REDRAW;
	switch (ch) {
	case 27:
	case 'q':
	case KEY_F(10):
		return TUI_CLOSE;
	}
	if (ch != 'a' && ch != KEY_IC && ch != 'i' && ch != 'd' && ch != KEY_DC && ch != 'p' &&
	    ch != 'R')
		return TUI_HANDLED;
	if (fv->state != 1) {
		model_error(&t->m, "firewall: %s", fv->state < 0 ? fv->err :
		    "the rules have not been read yet");
		return TUI_REDRAW;
	}
	switch (ch) {
	case 'a':
	case KEY_IC:
		add_open(t, fv, 0);
		break;
	case 'i':
		add_open(t, fv, fv->n > 0 ? fv->r[fv->sel].n : 0);
		break;
	case 'd':
	case KEY_DC:
		if (fv->n == 0)
			model_error(&t->m, "firewall: %s has no rule to delete", fv->vm);
		else
			del_ask(t, fv);
		break;
	case 'p':
		if (fv->changing > 0)
			model_error(&t->m, "firewall: a change is still on its way to domd");
		else
			policy_toggle(t, fv);
		break;
	case 'R':
		reset_open(t, fv);
		break;
	}
	return TUI_REDRAW;
}

static void
fw_tick(struct tui *t, struct tui_view *v)
{
	struct fwview *fv = (struct fwview *)v;

	if (fv->state >= 0)
		fetch(t, fv);
}

static void
fw_destroy(struct tui_view *v)
{
	struct fwview *fv = (struct fwview *)v;

	free_rules(fv);
	free(fv->del_rule);
	free(fv);
}

static const struct tui_view_ops fw_ops = {
	.name = "firewall",
	.fullscreen = 1,
	.draw = fw_draw,
	.key = fw_key,
	.tick = fw_tick,
	.bar = fw_bar,
	.destroy = fw_destroy,
};

static void
firewall_run(struct tui *t, struct tui_qube *q)
{
	struct fwview *fv = xcalloc(1, sizeof(*fv));

	fv->base.ops = &fw_ops;
	snprintf(fv->vm, sizeof(fv->vm), "%s", q->name);
	snprintf(fv->policy, sizeof(fv->policy), "?");
	tui_push(t, &fv->base);
	fetch(t, fv);
}

const struct tui_action tui_act_firewall = {
	.name = "firewall",
	.label = "Firewall",
	.key = 'f',
	.keyname = "f",
	.help = "the selected qube's firewall rules: a adds, i inserts, d deletes, p toggles "
	    "the default policy, R resets",
	.flags = TUI_ACT_QUBE,
	.verb = &cmd_firewall_entry,
	.run = firewall_run,
};
