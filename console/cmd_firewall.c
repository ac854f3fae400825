/* firewall: a qube's firewall rules and default policy (vm.firewall). */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwrule.h"
#include "xalloc.h"

enum { OPT_BEFORE = 1, OPT_FORMAT };

/* A stored rule in Qubes' form (qvm-firewall --raw); as stored if it does
 * not parse (domd's rules always do). */
static void
put_rule(const char *text, bool qubes)
{
	struct fwrule r;
	char buf[FWRULE_TEXT_MAX], err[256];

	if (qubes && fwrule_parse(text, &r, err, sizeof(err)) == 0 &&
	    (size_t)fwrule_format_qubes(&r, buf, sizeof(buf)) < sizeof(buf))
		text = buf;
	cmd_put_safe(stdout, text);
}

static void
print_list(json_object *result, bool qubes)
{
	json_object *rules = NULL;
	size_t n = 0;
	int width = 1;

	if (json_object_object_get_ex(result, "rules", &rules) &&
	    json_object_is_type(rules, json_type_array))
		n = json_object_array_length(rules);
	for (size_t k = n; k >= 10; k /= 10)
		width++;
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(rules, i), *exp = NULL;

		printf("%*s  ", width, cmd_member_text(r, "n"));
		put_rule(cmd_member_text(r, "rule"), qubes);
		if (json_object_object_get_ex(r, "expired", &exp) && json_object_get_boolean(exp))
			fputs("  (expired)", stdout);
		putchar('\n');
	}
	fputs("policy: ", stdout);
	cmd_put_safe(stdout, cmd_member_text(result, "policy"));
	putchar('\n');
}

/* qvm-firewall's expire=+SECONDS: from now. NULL when word is not one;
 * otherwise the absolute word (allocated), or "" when SECONDS is bad. */
static char *
relative_expire(const char *word)
{
	char *end;
	long long secs;

	if (strncmp(word, "expire=+", 8) != 0)
		return NULL;
	secs = strtoll(word + 8, &end, 10);
	if (word[8] < '0' || word[8] > '9' || *end != '\0' || secs > FWRULE_EXPIRE_MAX -
	    (long long)time(NULL))
		return xstrdup("");
	return xasprintf("expire=%lld", (long long)time(NULL) + secs);
}

/* qvm-firewall's positional form, "accept example.org tcp 443": a word
 * without '=' is the next of these fields not given yet. */
enum { POS_FIELDS = 5 };
static const char *const pos_order[POS_FIELDS] = {
	"action", "dsthost", "proto", "dstports", "icmptype",
};

static void
pos_given(bool *given, const char *word)
{
	size_t klen = strcspn(word, "=");

	for (int i = 0; i < POS_FIELDS; i++)
		if (klen == strlen(pos_order[i]) && !strncmp(word, pos_order[i], klen))
			given[i] = true;
	/* As qvm-firewall: dst4 and dst6 are dsthost; a protocol rules out
	 * the other protocol's field. */
	if (!strncmp(word, "dst4=", 5) || !strncmp(word, "dst6=", 5) ||
	    !strncmp(word, "dstname=", 8))
		given[1] = true;
	if (!strcmp(word, "proto=tcp") || !strcmp(word, "proto=udp"))
		given[4] = true;
	if (!strcmp(word, "proto=icmp"))
		given[3] = true;
}

/* One word of the rule as domd reads it (allocated), or NULL after a
 * usage error. */
static char *
rule_word(struct cmd_ctx *ctx, bool *given, const char *word)
{
	char *w = relative_expire(word);
	int i;

	if (w != NULL && w[0] == '\0') {
		free(w);
		cmd_usage_error(ctx, "invalid expire '%s' (expected +SECONDS or epoch seconds)",
		    word + 7);
		return NULL;
	}
	if (w == NULL && strchr(word, '=') == NULL) {
		for (i = 0; i < POS_FIELDS && given[i]; i++)
			;
		if (i == POS_FIELDS) {
			cmd_usage_error(ctx, "invalid rule element '%s' (action, host, proto "
			    "and ports are given already; other fields are key=value)", word);
			return NULL;
		}
		w = xasprintf("%s=%s", pos_order[i], word);
	}
	if (w == NULL)
		w = xstrdup(word);
	pos_given(given, w);
	return w;
}

/* The words of a rule as one line, as domd parses it; NULL with the
 * usage error said when a word is bad. Until a comment= word, which takes
 * the rest, qvm-firewall's forms are turned into key=value. */
static char *
join_words(struct cmd_ctx *ctx, char **words, int n)
{
	size_t len = 1;
	char *s, *p;
	bool comment = false, given[POS_FIELDS] = { false };

	for (int i = 0; i < n; i++)
		len += strlen(words[i]) + 32;
	s = xmalloc(len);
	p = s;
	for (int i = 0; i < n; i++) {
		char *w;
		size_t wl;

		comment = comment || !strncmp(words[i], "comment=", 8);
		if ((w = comment ? xstrdup(words[i]) : rule_word(ctx, given, words[i])) == NULL) {
			free(s);
			return NULL;
		}
		wl = strlen(w);
		if (i > 0)
			*p++ = ' ';
		memcpy(p, w, wl);
		p += wl;
		free(w);
	}
	*p = '\0';
	return s;
}

static int
cmd_firewall_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "before", required_argument, NULL, OPT_BEFORE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		CMD_COMMON_OPTIONS
	};
	json_object *args, *result = NULL;
	const char *vm, *op;
	int64_t before = 0, n;
	int c, rc, nargs;
	bool qubes = false, format = false;

	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case OPT_BEFORE:
			if ((rc = cmd_parse_int(ctx, "--before", optarg, &before)) != BH_EXIT_OK)
				return rc;
			if (before < 1)
				return cmd_usage_error(ctx, "invalid value '%s' for --before (a "
				    "rule number, from 1)", optarg);
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "qubes") && strcmp(optarg, "bulkhead"))
				return cmd_usage_error(ctx, "invalid value '%s' for --format "
				    "(expected bulkhead or qubes)", optarg);
			qubes = !strcmp(optarg, "qubes");
			format = true;
			break;
		default:
			return ctx->exit;
		}
	}
	if (optind + 2 > argc)
		return cmd_usage_error(ctx, optind < argc ? "missing action (list, add, del, "
		    "policy or reset)" : "missing qube name");
	vm = argv[optind];
	op = argv[optind + 1];
	nargs = argc - optind - 2; /* after VM and the action */
	if (before != 0 && strcmp(op, "add"))
		return cmd_usage_error(ctx, "--before goes with add only");
	if (format && strcmp(op, "list"))
		return cmd_usage_error(ctx, "--format goes with list only");

	args = json_object_new_object();
	json_object_object_add(args, "op", json_object_new_string(op));
	if (!strcmp(op, "list") || !strcmp(op, "reset")) {
		if (nargs != 0) {
			json_object_put(args);
			return cmd_usage_error(ctx, "%s takes no more arguments", op);
		}
	} else if (!strcmp(op, "add")) {
		char *rule;
		if (nargs == 0) {
			json_object_put(args);
			return cmd_usage_error(ctx, "missing rule (e.g. 'accept proto=tcp "
			    "dsthost=example.org dstports=443')");
		}
		if ((rule = join_words(ctx, argv + optind + 2, nargs)) == NULL) {
			json_object_put(args);
			return BH_EXIT_USAGE;
		}
		json_object_object_add(args, "rule", json_object_new_string(rule));
		free(rule);
		if (before != 0)
			json_object_object_add(args, "index", json_object_new_int64(before));
	} else if (!strcmp(op, "del")) {
		if (nargs != 1) {
			json_object_put(args);
			return cmd_usage_error(ctx, nargs == 0 ? "missing rule number" :
			    "del takes one rule number");
		}
		if ((rc = cmd_parse_int(ctx, "del", argv[optind + 2], &n)) != BH_EXIT_OK) {
			json_object_put(args);
			return rc;
		}
		json_object_object_add(args, "n", json_object_new_int64(n));
	} else if (!strcmp(op, "policy")) {
		if (nargs != 1) {
			json_object_put(args);
			return cmd_usage_error(ctx, nargs == 0 ? "missing policy (accept or drop)" :
			    "policy takes one value (accept or drop)");
		}
		json_object_object_add(args, "value", json_object_new_string(argv[optind + 2]));
	} else {
		json_object_put(args);
		return cmd_usage_error(ctx, "unknown action '%s' (expected list, add, del, policy "
		    "or reset)", op);
	}

	if ((rc = cmd_call(ctx, "vm.firewall", vm, args, &result)) != BH_EXIT_OK)
		return rc;
	if (ctx->json)
		cmd_print_json(result);
	else if (!strcmp(op, "list"))
		print_list(result, qubes);
	else {
		/* Stored either way; say so when the netvm did not take it. */
		const char *applied = cmd_member_text(result, "applied");
		if (!strncmp(applied, "error", 5) || !strncmp(applied, "not confirmed", 13)) {
			fprintf(stderr, "bulkhead: firewall %s: stored, but its netvm: ", vm);
			cmd_put_safe(stderr, applied);
			fputc('\n', stderr);
		}
	}
	json_object_put(result);
	return BH_EXIT_OK;
}

const struct cmd_entry cmd_firewall_entry = {
	.name = "firewall",
	.alias = NULL,
	.usage = "VM list [--format=bulkhead|qubes] | VM add [--before N] RULE... | VM del N | VM policy accept|drop | "
	    "VM reset",
	.summary = "list or change a qube's firewall rules",
	.help = "list prints the rules, numbered from 1, then the policy that applies to "
	    "what no rule matches; --format=qubes prints each rule in Qubes' qvm-firewall "
	    "form (action=accept proto=tcp dstports=443-443). add appends a rule (or "
	    "inserts it as rule N with --before N); the words after add are joined by "
	    "spaces into one rule: accept|drop (or action=accept|drop anywhere, Qubes' "
	    "form), then any of dst4=A.B.C.D[/N], dst6=ADDR[/N], dsthost=HOST (a name, "
	    "an IPv4 or IPv6 address or ADDR/N; one of these), proto=tcp|udp|icmp, "
	    "specialtarget=dns, dstports=N[-M] (tcp or udp), icmptype=N (icmp), "
	    "expire=EPOCH or +SECONDS, and comment=TEXT last; as in qvm-firewall, a word "
	    "without '=' before comment= is the first of action, host, proto, ports "
	    "(tcp, udp) or icmptype (icmp) not given yet ('accept example.org tcp 443'). "
	    "del removes "
	    "rule N; policy sets the default action; reset removes every rule and sets the "
	    "policy to accept. A qube has at most 128 rules. With --json prints "
	    "domd's {\"policy\":…,\"rules\":[{\"n\":…,\"rule\":…,\"expired\":…}]} after any "
	    "action.",
	.flags = CMD_MODIFIES,
	.method = "vm.firewall",
	.exec = cmd_firewall_exec,
};
