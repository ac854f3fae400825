/* firewall: a qube's firewall rules and default policy (vm.firewall). */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

enum { OPT_BEFORE = 1 };

static void
print_list(json_object *result)
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
		cmd_put_safe(stdout, cmd_member_text(r, "rule"));
		if (json_object_object_get_ex(r, "expired", &exp) && json_object_get_boolean(exp))
			fputs("  (expired)", stdout);
		putchar('\n');
	}
	fputs("policy: ", stdout);
	cmd_put_safe(stdout, cmd_member_text(result, "policy"));
	putchar('\n');
}

/* The words of a rule as one line, as domd parses it. */
static char *
join_words(char **words, int n)
{
	size_t len = 1;
	char *s, *p;

	for (int i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	if ((s = malloc(len)) == NULL)
		fatalx("out of memory");
	p = s;
	for (int i = 0; i < n; i++) {
		size_t w = strlen(words[i]);
		if (i > 0)
			*p++ = ' ';
		memcpy(p, words[i], w);
		p += w;
	}
	*p = '\0';
	return s;
}

static int
cmd_firewall_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "before", required_argument, NULL, OPT_BEFORE },
		CMD_COMMON_OPTIONS
	};
	json_object *args, *result = NULL;
	const char *vm, *op;
	int64_t before = 0, n;
	int c, rc, nargs;

	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case OPT_BEFORE:
			if ((rc = cmd_parse_int(ctx, "--before", optarg, &before)) != BH_EXIT_OK)
				return rc;
			if (before < 1)
				return cmd_usage_error(ctx, "invalid value '%s' for --before (a "
				    "rule number, from 1)", optarg);
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
		rule = join_words(argv + optind + 2, nargs);
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
		print_list(result);
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
	.usage = "VM list | VM add [--before N] RULE... | VM del N | VM policy accept|drop | "
	    "VM reset",
	.summary = "list or change a qube's firewall rules",
	.help = "list prints the rules, numbered from 1, then the policy that applies to "
	    "what no rule matches. add appends a rule (or inserts it as rule N with "
	    "--before N); the words after add are joined by spaces into one rule: "
	    "accept|drop, then any of dst4=A.B.C.D[/N], dst6=ADDR[/N], dsthost=NAME (one "
	    "of these), proto=tcp|udp|icmp, specialtarget=dns, dstports=N[-M] (tcp or "
	    "udp), icmptype=N (icmp), expire=EPOCH, and comment=TEXT last. del removes "
	    "rule N; policy sets the default action; reset removes every rule and sets the "
	    "policy to accept. A qube has at most 128 rules. With --json prints "
	    "domd's {\"policy\":…,\"rules\":[{\"n\":…,\"rule\":…,\"expired\":…}]} after any "
	    "action.",
	.flags = CMD_MODIFIES,
	.method = "vm.firewall",
	.exec = cmd_firewall_exec,
};
