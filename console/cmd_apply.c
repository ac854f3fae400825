/* apply: converges the appliance to a site folder (lib/site.h).
 *
 * 1. The whole site is loaded and checked; any error is listed (FILE:LINE:
 *    reason) and nothing is changed.
 * 2. The plan is computed against vm.list (and the firewall of qubes that
 *    have rules) and policy.list, and printed. Changes apply cannot make are
 *    blockers: they are listed and nothing is changed.
 * 3. Unless --dry-run, the steps run in this order, each with its progress
 *    line "[i/N] …":
 *      A  creations and changes, templates and netvms before their users
 *      B  default_dispvm (its base may be created or enabled in A)
 *      C  removals (--prune), users before what they use
 *      D  withdrawals of provides_network / template_for_dispvms (their users
 *         have moved in A or gone in C)
 *      E  policy files written, then removed (--prune)
 *    The first failure stops the run; what was applied stays, and the
 *    summary says exactly what was and was not applied. */
#include "cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "site.h"
#include "xalloc.h"

enum { OPT_DRY_RUN = 1, OPT_PRUNE, OPT_FORCE };

/* A qube of the appliance. */
struct cur {
	struct qube q;
	char state[16];
	int fw_rules;     /* firewall_rules of vm.list: rules to fetch */
	bool in_site;
};

/* One admin request of a step. */
struct areq {
	char *method;
	char *vm;
	json_object *args;
	char *what;       /* for the summary: "work: memory: 400 -> 512" */
};

struct step {
	char *title;      /* "create sys-net", "change work", "remove old", … */
	struct areq *reqs;
	size_t nreqs;
};

struct steps {
	struct step *v;
	size_t n;
};

enum { PH_A, PH_B, PH_C, PH_D, PH_E, PH_F, NPHASES };

struct plan {
	struct steps ph[NPHASES];
	struct site_msgs text;      /* the plan as printed */
	struct site_msgs blockers;
	json_object *json;          /* plan entries for --json */
	int ncreate, nchange, nunchanged, nremove, nkeep, nleft;
	int nput, npremove, npunchanged, npleft;
	char left[256];             /* the first names of qubes not in the site */
};

struct apply {
	struct cmd_ctx *ctx;
	struct site *site;
	bool dry_run, prune, force;
	struct cur *cur;
	size_t ncur;
	json_object *policies;      /* policy.list result */
	struct plan plan;
};

/* ---------------------------------------------------------------------------
 * Small helpers
 */

static void
step_add_req(struct step *s, const char *method, const char *vm, json_object *args,
    const char *what)
{
	struct areq *r;

	s->reqs = xrealloc(s->reqs, (s->nreqs + 1) * sizeof(*s->reqs));
	r = &s->reqs[s->nreqs++];
	r->method = xstrdup(method);
	r->vm = vm != NULL ? xstrdup(vm) : NULL;
	r->args = args;
	r->what = xstrdup(what);
}

/* The step of phase ph for title, made on first use: a qube's requests of
 * one phase stay together. */
static struct step *
phase_step(struct plan *p, int ph, const char *title)
{
	struct steps *st = &p->ph[ph];

	if (st->n > 0 && strcmp(st->v[st->n - 1].title, title) == 0)
		return &st->v[st->n - 1];
	st->v = xrealloc(st->v, (st->n + 1) * sizeof(*st->v));
	memset(&st->v[st->n], 0, sizeof(st->v[0]));
	st->v[st->n].title = xstrdup(title);
	return &st->v[st->n++];
}

static void
plan_free(struct plan *p)
{
	for (int ph = 0; ph < NPHASES; ph++) {
		for (size_t i = 0; i < p->ph[ph].n; i++) {
			struct step *s = &p->ph[ph].v[i];

			for (size_t k = 0; k < s->nreqs; k++) {
				free(s->reqs[k].method);
				free(s->reqs[k].vm);
				free(s->reqs[k].what);
				json_object_put(s->reqs[k].args);
			}
			free(s->reqs);
			free(s->title);
		}
		free(p->ph[ph].v);
	}
	site_msgs_free(&p->text);
	site_msgs_free(&p->blockers);
	json_object_put(p->json);
}

static void
json_entry(struct plan *p, const char *op, const char *key, const char *name, const char *k2,
    const char *v2)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, key, json_object_new_string(name));
	if (k2 != NULL)
		json_object_object_add(o, k2, json_object_new_string(v2));
	json_object_array_add(p->json, o);
}

/* A property value for the plan: "" shown as "", firewall rules counted. */
static char *
shown_value(const struct qube *q, const char *prop)
{
	char *buf = xmalloc(QUBE_CFG_MAX), *out;

	qube_get(q, prop, buf, QUBE_CFG_MAX);
	if (!strcmp(prop, "firewall")) {
		int n = 0;

		for (const char *c = buf; *buf != '\0' && c != NULL; c = strchr(c + 1, '\n'))
			n++;
		out = xasprintf("%d rule%s", n, n == 1 ? "" : "s");
	} else if (buf[0] == '\0')
		out = xstrdup("\"\"");
	else {
		for (char *c = buf; *c != '\0'; c++)
			if (*c < 0x20 || *c > 0x7e)
				*c = '?';
		out = xstrdup(buf);
	}
	free(buf);
	return out;
}

static json_object *
set_args(const char *prop, const char *value)
{
	json_object *a = json_object_new_object();

	json_object_object_add(a, "prop", json_object_new_string(prop));
	json_object_object_add(a, "value", json_object_new_string(value));
	return a;
}

/* vm.firewall set with the wanted rules and policy. */
static json_object *
firewall_args(const struct qube *want)
{
	json_object *a = json_object_new_object(), *rules = json_object_new_array();
	char *buf = xmalloc(QUBE_CFG_MAX), pol[32];

	qube_get(want, "firewall", buf, QUBE_CFG_MAX);
	for (char *line = buf, *nl; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		json_object_array_add(rules, json_object_new_string(line));
		if (nl == NULL)
			break;
	}
	qube_get(want, "firewall_policy", pol, sizeof(pol));
	json_object_object_add(a, "op", json_object_new_string("set"));
	json_object_object_add(a, "rules", rules);
	json_object_object_add(a, "policy", json_object_new_string(pol));
	free(buf);
	return a;
}

static int
cmp_cur(const void *a, const void *b)
{
	return strcmp(((const struct cur *)a)->q.name, ((const struct cur *)b)->q.name);
}

static struct cur *
cur_find(struct apply *ap, const char *name)
{
	struct cur key;

	snprintf(key.q.name, sizeof(key.q.name), "%s", name);
	return bsearch(&key, ap->cur, ap->ncur, sizeof(*ap->cur), cmp_cur);
}

static json_object *
policy_find(struct apply *ap, const char *name)
{
	for (size_t i = 0; ap->policies != NULL && i < json_object_array_length(ap->policies); i++) {
		json_object *o = json_object_array_get_idx(ap->policies, i);

		if (!strcmp(cmd_member_text(o, "name"), name))
			return o;
	}
	return NULL;
}

/* ---------------------------------------------------------------------------
 * The current state
 */

static int
fetch_state(struct apply *ap)
{
	struct client *c = cmd_client(ap->ctx);
	struct client_error err;
	json_object *list = NULL, *fw;
	enum client_status st;
	int64_t id_list, id_pol, *ids = NULL;
	int rc = BH_EXIT_FAIL;
	char why[512];

	if (c == NULL)
		return BH_EXIT_UNREACHABLE;
	/* Both requests go out before the first reply is read. */
	if ((id_list = client_send(c, "vm.list", NULL, NULL)) < 0 ||
	    (id_pol = client_send(c, "policy.list", NULL, NULL)) < 0) {
		cmd_error(ap->ctx, NULL, "writing to %s: %s", client_path(c), strerror(errno));
		return BH_EXIT_UNREACHABLE;
	}
	if ((st = client_recv(c, id_list, &list, &err)) != CLIENT_OK)
		goto refused;
	if ((st = client_recv(c, id_pol, &ap->policies, &err)) != CLIENT_OK)
		goto refused;
	if (!json_object_is_type(list, json_type_array) ||
	    !json_object_is_type(ap->policies, json_type_array)) {
		cmd_error(ap->ctx, NULL, "domd sent a list that is not an array");
		goto out;
	}
	ap->ncur = json_object_array_length(list);
	ap->cur = xcalloc(ap->ncur + 1, sizeof(*ap->cur));
	for (size_t i = 0; i < ap->ncur; i++) {
		json_object *o = json_object_array_get_idx(list, i), *v;

		if (site_qube_from_json(&ap->cur[i].q, o, why, sizeof(why)) < 0) {
			cmd_error(ap->ctx, NULL, "vm.list: %s", why);
			goto out;
		}
		snprintf(ap->cur[i].state, sizeof(ap->cur[i].state), "%s",
		    cmd_member_text(o, "state"));
		if (json_object_object_get_ex(o, "firewall_rules", &v))
			ap->cur[i].fw_rules = json_object_get_int(v);
	}
	qsort(ap->cur, ap->ncur, sizeof(*ap->cur), cmp_cur);
	/* vm.list counts firewall rules; the rules of the qubes the site
	 * describes come from vm.firewall, all requests pipelined. */
	ids = xcalloc(ap->ncur + 1, sizeof(*ids));
	for (size_t i = 0; i < ap->ncur; i++) {
		json_object *a;

		if (ap->cur[i].fw_rules <= 0 || site_find(ap->site, ap->cur[i].q.name) == NULL)
			continue;
		a = json_object_new_object();
		json_object_object_add(a, "op", json_object_new_string("list"));
		if ((ids[i] = client_send(c, "vm.firewall", ap->cur[i].q.name, a)) < 0) {
			cmd_error(ap->ctx, NULL, "writing to %s: %s", client_path(c), strerror(errno));
			rc = BH_EXIT_UNREACHABLE;
			goto out;
		}
	}
	for (size_t i = 0; i < ap->ncur; i++) {
		if (ids[i] <= 0)
			continue;
		if ((st = client_recv(c, ids[i], &fw, &err)) != CLIENT_OK)
			goto refused;
		if (site_qube_fw_from_json(&ap->cur[i].q, fw, why, sizeof(why)) < 0) {
			cmd_error(ap->ctx, ap->cur[i].q.name, "vm.firewall: %s", why);
			json_object_put(fw);
			goto out;
		}
		json_object_put(fw);
	}
	rc = BH_EXIT_OK;
	goto out;
refused:
	cmd_error(ap->ctx, NULL, "%s", err.message);
	client_error_free(&err);
	rc = st == CLIENT_LOST ? BH_EXIT_UNREACHABLE : BH_EXIT_FAIL;
out:
	free(ids);
	json_object_put(list);
	return rc;
}

/* ---------------------------------------------------------------------------
 * The plan
 */

static bool
is_running(const struct cur *c)
{
	return c != NULL && strcmp(c->state, "halted") != 0;
}

static bool
next_start_only(const char *prop)
{
	return !strcmp(prop, "memory") || !strcmp(prop, "vcpus");
}

/* Requests that turn have into want, sorted into the phases. creating: have
 * is what the create request leaves (nothing to print per property). */
static void
plan_diff(struct apply *ap, const struct site_qube *sq, const struct qube *have, bool running,
    bool creating)
{
	const struct qube *want = &sq->q;
	struct plan *p = &ap->plan;
	const char *props[SITE_PROPS_MAX];
	char title[96], ptitle[128], *what;
	size_t n = site_qube_diff(want, have, props);
	bool fw_done = false;

	snprintf(title, sizeof(title), "%s %s", creating ? "create" : "change", want->name);
	for (size_t i = 0; i < n; i++) {
		const struct qube_prop *qp = qube_prop_find(props[i]);
		char *from = shown_value(have, props[i]), *to = shown_value(want, props[i]);
		const char *note = "";
		int ph = PH_A;

		if (!strcmp(props[i], "tags")) {
			struct step *s = phase_step(p, PH_A, title);
			char line[4096] = "";
			size_t off = 0;

			for (int t = 0; t < want->ntags; t++) {
				json_object *a;

				if (qube_has_tag(have, want->tags[t]))
					continue;
				a = json_object_new_object();
				json_object_object_add(a, "op", json_object_new_string("add"));
				json_object_object_add(a, "tag", json_object_new_string(want->tags[t]));
				what = xasprintf("%s: tags: +%s", want->name, want->tags[t]);
				step_add_req(s, "vm.tag", want->name, a, what);
				free(what);
				if (off < sizeof(line))
					off += (size_t)snprintf(line + off, sizeof(line) - off, " +%s",
					    want->tags[t]);
			}
			for (int t = 0; t < have->ntags; t++) {
				json_object *a;

				if (qube_has_tag(want, have->tags[t]))
					continue;
				a = json_object_new_object();
				json_object_object_add(a, "op", json_object_new_string("del"));
				json_object_object_add(a, "tag", json_object_new_string(have->tags[t]));
				what = xasprintf("%s: tags: -%s", want->name, have->tags[t]);
				step_add_req(s, "vm.tag", want->name, a, what);
				free(what);
				if (off < sizeof(line))
					off += (size_t)snprintf(line + off, sizeof(line) - off, " -%s",
					    have->tags[t]);
			}
			free(to);
			to = xstrdup(line[0] != '\0' ? line + 1 : "");
			free(from);
			from = NULL;
		} else if (!strcmp(props[i], "usb")) {
			/* The assignments, all at once (vm.usb set). */
			json_object *a = json_object_new_object(), *devs = json_object_new_array();
			for (int k = 0; k < want->nusb; k++)
				json_object_array_add(devs, json_object_new_string(want->usb[k]));
			json_object_object_add(a, "op", json_object_new_string("set"));
			json_object_object_add(a, "devices", devs);
			what = xasprintf("%s: usb: %s -> %s", want->name, from, to);
			step_add_req(phase_step(p, PH_A, title), "vm.usb", want->name, a, what);
			free(what);
		} else if (!strcmp(props[i], "firewall") || !strcmp(props[i], "firewall_policy")) {
			if (!fw_done) {
				what = xasprintf("%s: firewall", want->name);
				step_add_req(phase_step(p, PH_A, title), "vm.firewall", want->name,
				    firewall_args(want), what);
				free(what);
				fw_done = true;
			}
		} else if (qp != NULL && qp->settable) {
			char *val = xmalloc(QUBE_CFG_MAX);

			if (qp->halted_only && running)
				site_msg_add(&p->blockers, "%s: %s: %s -> %s: %s is %s; %s can change only "
				    "while it is halted (shut it down and apply again)", want->name,
				    props[i], from, to, want->name,
				    cur_find(ap, want->name)->state, props[i]);
			if (!strcmp(props[i], "default_dispvm"))
				ph = PH_B;
			else if (qp->type == PROP_BOOL && (!strcmp(props[i], "provides_network") ||
			    !strcmp(props[i], "template_for_dispvms")) && !strcmp(to, "0"))
				ph = PH_D;
			if (running && next_start_only(props[i]))
				note = " (applies at next start)";
			qube_get(want, props[i], val, QUBE_CFG_MAX);
			what = xasprintf("%s: %s: %s -> %s", want->name, props[i], from, to);
			if (ph == PH_A)
				snprintf(ptitle, sizeof(ptitle), "%s", title);
			else
				snprintf(ptitle, sizeof(ptitle), "%s %s: %s", creating ? "create" :
				    "change", want->name, props[i]);
			step_add_req(phase_step(p, ph, ptitle), "vm.set", want->name,
			    set_args(props[i], val), what);
			free(what);
			free(val);
		} else
			site_msg_add(&p->blockers, "%s: %s cannot be changed by apply", want->name,
			    props[i]);
		if (!creating) {
			if (from != NULL)
				site_msg_add(&p->text, "change %s: %s: %s -> %s%s", want->name, props[i],
				    from, to, note);
			else
				site_msg_add(&p->text, "change %s: %s: %s", want->name, props[i], to);
			if (p->json != NULL) {
				json_object *o = json_object_new_object();

				json_object_object_add(o, "op", json_object_new_string("change"));
				json_object_object_add(o, "qube", json_object_new_string(want->name));
				json_object_object_add(o, "prop", json_object_new_string(props[i]));
				if (from != NULL)
					json_object_object_add(o, "from", json_object_new_string(from));
				json_object_object_add(o, "to", json_object_new_string(to));
				if (*note != '\0')
					json_object_object_add(o, "next_start", json_object_new_boolean(1));
				json_object_array_add(p->json, o);
			}
		}
		free(from);
		free(to);
	}
}

/* What vm.create (or template.import) leaves: the properties it was given. */
static void
plan_create(struct apply *ap, const struct site_qube *sq)
{
	const struct qube *want = &sq->q;
	struct plan *p = &ap->plan;
	struct qube *base = xmalloc(sizeof(*base));
	char title[96], err[256], *val = xmalloc(QUBE_CFG_MAX), *what;
	struct step *s;
	json_object *a = json_object_new_object();

	snprintf(title, sizeof(title), "create %s", want->name);
	s = phase_step(p, PH_A, title);
	qube_init(base);
	snprintf(base->name, sizeof(base->name), "%s", want->name);
	base->cls = want->cls;
	base->label = want->label;
	if (want->cls == QUBE_TEMPLATE && sq->import_dir != NULL) {
		json_object_object_add(a, "path", json_object_new_string(sq->import_dir));
		json_object_object_add(a, "label", json_object_new_string(qube_label_name(want->label)));
		what = xasprintf("%s: template.import %s", want->name, sq->import_dir);
		step_add_req(s, "template.import", want->name, a, what);
	} else {
		json_object_object_add(a, "class", json_object_new_string(qube_class_name(want->cls)));
		for (size_t i = 0; i < qube_nprops; i++) {
			const struct qube_prop *qp = &qube_props[i];

			/* default_dispvm waits for phase B: its base may come later. */
			if (!qp->settable || !strcmp(qp->name, "default_dispvm"))
				continue;
			qube_get(want, qp->name, val, QUBE_CFG_MAX);
			if (val[0] == '\0')
				continue;
			if (qp->type == PROP_LONG)
				json_object_object_add(a, qp->name,
				    json_object_new_int64(strtoll(val, NULL, 10)));
			else if (qp->type == PROP_BOOL)
				json_object_object_add(a, qp->name, json_object_new_boolean(val[0] == '1'));
			else
				json_object_object_add(a, qp->name, json_object_new_string(val));
			qube_set(base, qp->name, val, err, sizeof(err));
		}
		what = xasprintf("%s: vm.create", want->name);
		step_add_req(s, "vm.create", want->name, a, what);
	}
	free(what);
	site_msg_add(&p->text, "create %s (%s, %s%s%s)", want->name, qube_class_name(want->cls),
	    qube_label_name(want->label), sq->import_dir != NULL ? ", from " : "",
	    sq->import_dir != NULL ? sq->import_dir : "");
	if (p->json != NULL)
		json_entry(p, "create", "qube", want->name, "class", qube_class_name(want->cls));
	plan_diff(ap, sq, base, false, true);
	p->ncreate++;
	free(val);
	free(base);
}

static void
plan_qubes(struct apply *ap)
{
	struct plan *p = &ap->plan;
	struct site *s = ap->site;

	for (size_t k = 0; k < s->nqubes; k++) {
		const struct site_qube *sq = &s->qubes[s->order[k]];
		struct cur *c = cur_find(ap, sq->q.name);
		size_t before = p->text.n, nb = p->blockers.n;

		if (c == NULL) {
			plan_create(ap, sq);
			continue;
		}
		c->in_site = true;
		if (c->q.cls != sq->q.cls) {
			site_msg_add(&p->blockers, "%s: class: %s -> %s: the class of a qube is fixed "
			    "(remove the qube first, or give the site's qube another name)",
			    sq->q.name, qube_class_name(c->q.cls), qube_class_name(sq->q.cls));
			continue;
		}
		plan_diff(ap, sq, &c->q, is_running(c), false);
		if (p->text.n > before || p->blockers.n > nb)
			p->nchange++;
		else
			p->nunchanged++;
	}
}

static void
plan_removals(struct apply *ap)
{
	struct plan *p = &ap->plan;
	const struct qube **qs = xcalloc(ap->ncur + 1, sizeof(*qs));
	struct cur **cand = xcalloc(ap->ncur + 1, sizeof(*cand));
	size_t n = 0, *order = xcalloc(ap->ncur + 1, sizeof(*order));
	bool *keep = xcalloc(ap->ncur + 1, sizeof(*keep)), more;

	for (size_t i = 0; i < ap->ncur; i++) {
		struct cur *c = &ap->cur[i];

		/* DispVMs come and go with their calls: not the site's business. */
		if (c->in_site || c->q.cls == QUBE_DISP)
			continue;
		if (!ap->prune) {
			size_t len = strlen(p->left);

			if (p->nleft < 8)
				snprintf(p->left + len, sizeof(p->left) - len, "%s%s",
				    p->nleft ? ", " : "", c->q.name);
			else if (p->nleft == 8)
				snprintf(p->left + len, sizeof(p->left) - len, ", …");
			p->nleft++;
			continue;
		}
		cand[n] = c;
		qs[n++] = &c->q;
	}
	/* Running qubes stay without --force, and so do what they use. */
	for (size_t i = 0; i < n; i++)
		keep[i] = is_running(cand[i]) && !ap->force;
	do {
		more = false;
		for (size_t i = 0; i < n; i++) {
			if (!keep[i])
				continue;
			for (size_t j = 0; j < n; j++)
				if (!keep[j] && (!strcmp(cand[i]->q.template_name, cand[j]->q.name) ||
				    !strcmp(cand[i]->q.netvm, cand[j]->q.name) ||
				    !strcmp(cand[i]->q.default_dispvm, cand[j]->q.name)))
					keep[j] = more = true;
		}
	} while (more);
	site_dep_order(qs, n, true, order);
	for (size_t k = n; k-- > 0;) { /* users before what they use */
		struct cur *c = cand[order[k]];
		char title[96], *what;
		struct step *s;

		if (keep[order[k]]) {
			site_msg_add(&p->text, "keep   %s: %s (--force kills and removes it)",
			    c->q.name, is_running(c) ? c->state : "used by a qube that is kept");
			if (p->json != NULL)
				json_entry(p, "keep", "qube", c->q.name, "reason",
				    is_running(c) ? c->state : "in use");
			p->nkeep++;
			continue;
		}
		snprintf(title, sizeof(title), "remove %s", c->q.name);
		s = phase_step(p, PH_C, title);
		if (is_running(c)) {
			what = xasprintf("%s: vm.kill", c->q.name);
			step_add_req(s, "vm.kill", c->q.name, NULL, what);
			free(what);
		}
		what = xasprintf("%s: vm.remove", c->q.name);
		step_add_req(s, "vm.remove", c->q.name, NULL, what);
		free(what);
		site_msg_add(&p->text, "remove %s%s", c->q.name, is_running(c) ?
		    " (running: killed first)" : "");
		if (p->json != NULL)
			json_entry(p, "remove", "qube", c->q.name, NULL, NULL);
		p->nremove++;
	}
	free(qs);
	free(cand);
	free(order);
	free(keep);
}

static void
plan_policies(struct apply *ap)
{
	struct plan *p = &ap->plan;
	struct site *s = ap->site;
	char title[320], *what;

	if (!s->has_policy_dir)
		return; /* the site leaves the policy alone */
	for (size_t i = 0; i < s->npolicies; i++) {
		const struct site_policy *sp = &s->policies[i];
		json_object *o = policy_find(ap, sp->name), *c = NULL, *a;

		if (o != NULL && json_object_object_get_ex(o, "content", &c) &&
		    json_object_is_type(c, json_type_string) &&
		    (size_t)json_object_get_string_len(c) == sp->len &&
		    memcmp(json_object_get_string(c), sp->content, sp->len) == 0) {
			p->npunchanged++;
			continue;
		}
		snprintf(title, sizeof(title), "write policy %s", sp->name);
		a = json_object_new_object();
		json_object_object_add(a, "name", json_object_new_string(sp->name));
		json_object_object_add(a, "content", json_object_new_string_len(sp->content,
		    (int)sp->len));
		what = xasprintf("policy %s: policy.put", sp->name);
		step_add_req(phase_step(p, PH_E, title), "policy.put", NULL, a, what);
		free(what);
		site_msg_add(&p->text, "write  policy %s (%s)", sp->name, o == NULL ? "new" : "changed");
		if (p->json != NULL)
			json_entry(p, o == NULL ? "policy-new" : "policy-change", "policy", sp->name,
			    NULL, NULL);
		p->nput++;
	}
	for (size_t i = 0; i < json_object_array_length(ap->policies); i++) {
		const char *name = cmd_member_text(json_object_array_get_idx(ap->policies, i), "name");
		json_object *a;
		bool found = false;

		for (size_t k = 0; k < s->npolicies && !found; k++)
			found = !strcmp(s->policies[k].name, name);
		if (found)
			continue;
		if (!ap->prune) {
			p->npleft++;
			continue;
		}
		snprintf(title, sizeof(title), "remove policy %.256s", name);
		a = json_object_new_object();
		json_object_object_add(a, "name", json_object_new_string(name));
		what = xasprintf("policy %s: policy.remove", name);
		step_add_req(phase_step(p, PH_F, title), "policy.remove", NULL, a, what);
		free(what);
		site_msg_add(&p->text, "remove policy %s", name);
		if (p->json != NULL)
			json_entry(p, "policy-remove", "policy", name, NULL, NULL);
		p->npremove++;
	}
}

static size_t
plan_nsteps(const struct plan *p)
{
	size_t n = 0;

	for (int ph = 0; ph < NPHASES; ph++)
		n += p->ph[ph].n;
	return n;
}

static void
print_plan(struct apply *ap)
{
	struct plan *p = &ap->plan;

	for (size_t i = 0; i < p->text.n; i++) {
		cmd_put_safe(stdout, p->text.v[i]);
		putchar('\n');
	}
	if (p->nleft > 0)
		printf("%d qube%s not in the site left alone (--prune removes them): %s\n",
		    p->nleft, p->nleft == 1 ? "" : "s", p->left);
	if (p->npleft > 0)
		printf("%d policy file%s not in the site left alone (--prune removes them)\n",
		    p->npleft, p->npleft == 1 ? "" : "s");
	if (plan_nsteps(p) == 0 && p->blockers.n == 0) {
		printf("no changes: the appliance matches %s (%zu qube%s, %zu policy file%s)\n",
		    ap->site->dir, ap->site->nqubes, ap->site->nqubes == 1 ? "" : "s",
		    ap->site->npolicies, ap->site->npolicies == 1 ? "" : "s");
		return;
	}
	printf("Plan: %d to create, %d to change, %d to remove, %d unchanged", p->ncreate,
	    p->nchange, p->nremove, p->nunchanged);
	if (p->nkeep > 0)
		printf(", %d kept", p->nkeep);
	if (ap->site->has_policy_dir)
		printf("; policy files: %d to write, %d to remove, %d unchanged", p->nput,
		    p->npremove, p->npunchanged);
	printf(".\n");
}

/* ---------------------------------------------------------------------------
 * Running the steps
 */

static int
run_steps(struct apply *ap, json_object **failed)
{
	struct plan *p = &ap->plan;
	size_t total = plan_nsteps(p), i = 0;
	struct client *c = cmd_client(ap->ctx);
	struct client_error err;
	enum client_status st = CLIENT_OK;
	int fph = -1;
	size_t fstep = 0, freq = 0;

	if (c == NULL)
		return BH_EXIT_UNREACHABLE;
	for (int ph = 0; ph < NPHASES && fph < 0; ph++) {
		for (size_t k = 0; k < p->ph[ph].n && fph < 0; k++) {
			struct step *s = &p->ph[ph].v[k];

			i++;
			if (!ap->ctx->json) {
				printf("[%zu/%zu] ", i, total);
				cmd_put_safe(stdout, s->title);
				putchar('\n');
				fflush(stdout);
			}
			for (size_t r = 0; r < s->nreqs; r++) {
				st = client_call(c, s->reqs[r].method, s->reqs[r].vm,
				    s->reqs[r].args != NULL ? json_object_get(s->reqs[r].args) : NULL,
				    NULL, &err);
				if (st != CLIENT_OK) {
					fph = ph;
					fstep = k;
					freq = r;
					break;
				}
			}
		}
	}
	if (fph < 0)
		return BH_EXIT_OK;

	/* What was and was not applied. */
	{
		struct step *fs = &p->ph[fph].v[fstep];
		size_t done = i - 1;

		cmd_error(ap->ctx, NULL, "step %zu/%zu (%s) failed: %s: %s", i, total, fs->title,
		    fs->reqs[freq].what, err.message);
		if (*failed == NULL && ap->ctx->json) {
			*failed = json_object_new_object();
			json_object_object_add(*failed, "step", json_object_new_int64((int64_t)i));
			json_object_object_add(*failed, "title", json_object_new_string(fs->title));
			json_object_object_add(*failed, "request", json_object_new_string(fs->reqs[freq].what));
			json_object_object_add(*failed, "error", json_object_new_string(err.message));
		}
		if (!ap->ctx->json) {
			printf("Apply stopped at step %zu of %zu; what was applied stays.\n", i, total);
			if (done > 0)
				printf("applied:     steps 1-%zu (above)\n", done);
			for (size_t r = 0; r < freq; r++) {
				printf("applied:     ");
				cmd_put_safe(stdout, fs->reqs[r].what);
				putchar('\n');
			}
			for (size_t r = freq; r < fs->nreqs; r++) {
				printf("not applied: ");
				cmd_put_safe(stdout, fs->reqs[r].what);
				printf("%s\n", r == freq ? " (failed)" : "");
			}
			for (int ph = fph, j = (int)i; ph < NPHASES; ph++)
				for (size_t k = ph == fph ? fstep + 1 : 0; k < p->ph[ph].n; k++) {
					printf("not applied: [%d/%zu] ", ++j, total);
					cmd_put_safe(stdout, p->ph[ph].v[k].title);
					putchar('\n');
				}
		}
		client_error_free(&err);
	}
	return st == CLIENT_LOST ? BH_EXIT_UNREACHABLE : BH_EXIT_FAIL;
}

/* ---------------------------------------------------------------------------
 * The command
 */

static void
json_msgs(json_object *o, const char *key, const struct site_msgs *m)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < m->n; i++)
		json_object_array_add(a, json_object_new_string(m->v[i]));
	json_object_object_add(o, key, a);
}

static int
cmd_apply_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "prune", no_argument, NULL, OPT_PRUNE },
		{ "force", no_argument, NULL, OPT_FORCE },
		CMD_COMMON_OPTIONS
	};
	struct apply ap;
	json_object *out = NULL, *failed = NULL;
	int c, rc;

	memset(&ap, 0, sizeof(ap));
	ap.ctx = ctx;
	while ((c = cmd_getopt(ctx, argc, argv, "n", longopts)) != -1) {
		switch (c) {
		case OPT_DRY_RUN:
		case 'n':
			ap.dry_run = true;
			break;
		case OPT_PRUNE:
			ap.prune = true;
			break;
		case OPT_FORCE:
			ap.force = true;
			break;
		default:
			return ctx->exit;
		}
	}
	if ((rc = cmd_check_args(ctx, argc, argv, 1, 1, "site directory")) != BH_EXIT_OK)
		return rc;
	if (ap.force && !ap.prune)
		return cmd_usage_error(ctx, "--force goes with --prune");

	ap.site = site_load(argv[optind]);
	if (ctx->json) {
		out = json_object_new_object();
		json_object_object_add(out, "site", json_object_new_string(ap.site->dir));
		json_object_object_add(out, "dry_run", json_object_new_boolean(ap.dry_run));
		json_msgs(out, "errors", &ap.site->errors);
		json_msgs(out, "warnings", &ap.site->warnings);
	} else
		for (size_t i = 0; i < ap.site->warnings.n; i++) {
			fprintf(stderr, "warning: ");
			cmd_put_safe(stderr, ap.site->warnings.v[i]);
			fputc('\n', stderr);
		}
	if (ap.site->errors.n > 0) {
		if (!ctx->json) {
			for (size_t i = 0; i < ap.site->errors.n; i++) {
				cmd_put_safe(stderr, ap.site->errors.v[i]);
				fputc('\n', stderr);
			}
			cmd_error(ctx, NULL, "%s: %zu error%s; nothing was changed", ap.site->dir,
			    ap.site->errors.n, ap.site->errors.n == 1 ? "" : "s");
		}
		rc = BH_EXIT_FAIL;
		goto out;
	}
	if ((rc = fetch_state(&ap)) != BH_EXIT_OK)
		goto out;
	if (ctx->json)
		ap.plan.json = json_object_new_array();
	plan_qubes(&ap);
	plan_removals(&ap);
	plan_policies(&ap);
	if (!ctx->json)
		print_plan(&ap);
	if (ap.plan.blockers.n > 0) {
		if (!ctx->json) {
			for (size_t i = 0; i < ap.plan.blockers.n; i++) {
				fprintf(stderr, "cannot apply: ");
				cmd_put_safe(stderr, ap.plan.blockers.v[i]);
				fputc('\n', stderr);
			}
			cmd_error(ctx, NULL, "%s: %zu change%s cannot be applied; nothing was changed",
			    ap.site->dir, ap.plan.blockers.n, ap.plan.blockers.n == 1 ? "" : "s");
		}
		rc = BH_EXIT_FAIL;
		goto out;
	}
	if (ap.dry_run || plan_nsteps(&ap.plan) == 0)
		goto out;
	if ((rc = run_steps(&ap, &failed)) == BH_EXIT_OK && !ctx->json) {
		printf("Applied %s: %d created, %d changed, %d removed", ap.site->dir,
		    ap.plan.ncreate, ap.plan.nchange, ap.plan.nremove);
		if (ap.site->has_policy_dir)
			printf("; policy files: %d written, %d removed", ap.plan.nput,
			    ap.plan.npremove);
		printf(".\n");
	}
out:
	if (out != NULL) {
		json_object_object_add(out, "plan", ap.plan.json != NULL ?
		    json_object_get(ap.plan.json) : json_object_new_array());
		json_msgs(out, "blockers", &ap.plan.blockers);
		json_object_object_add(out, "steps",
		    json_object_new_int64((int64_t)plan_nsteps(&ap.plan)));
		json_object_object_add(out, "unchanged", json_object_new_int(ap.plan.nunchanged));
		json_object_object_add(out, "failed", failed);
		json_object_object_add(out, "ok", json_object_new_boolean(rc == BH_EXIT_OK));
		cmd_print_json(out);
		json_object_put(out);
	}
	plan_free(&ap.plan);
	json_object_put(ap.policies);
	free(ap.cur);
	site_free(ap.site);
	return rc;
}

const struct cmd_entry cmd_apply_entry = {
	.name = "apply",
	.alias = NULL,
	.usage = "DIR [--dry-run] [--prune [--force]]",
	.summary = "converge the appliance to a site folder",
	.help = "Reads the site in DIR (qubes.d/NAME.cfg, one qube a file; policy.d/*.policy; "
	    "templates/NAME/, a root tree for the template NAME) and checks all of it first: "
	    "every error is listed as FILE:LINE: reason and nothing is changed. Then prints "
	    "the plan (create, change with each property's old and new value, remove) and "
	    "carries it out in dependency order: templates before their qubes, netvms "
	    "before their clients, DispVM bases before their users, with a progress line "
	    "[i/N] per step. Running qubes are changed live; memory and vcpus apply at "
	    "their next start, and a template changes only while the qube is halted. "
	    "A new template qube is imported from templates/NAME/ when the site has it, "
	    "else created empty. A failure stops the run: what was applied stays, and "
	    "what was not is listed. --dry-run (-n) prints the plan only. --prune also "
	    "removes the qubes and policy files the site does not have (DispVMs made for "
	    "calls excepted); a running qube only with --force, which kills it first. "
	    "Policy files are managed only when the site has a policy.d folder. The site "
	    "must be complete: templates, netvms and DispVM bases are qubes of the site. "
	    "With --json prints the plan and the result as one object.",
	.flags = CMD_MODIFIES,
	.method = NULL,
	.exec = cmd_apply_exec,
};
