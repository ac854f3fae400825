/* ask: the queue of RPC calls waiting for the operator (ask.list, ask.answer). */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

static const char *
age_text(const char *secs)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%ss", secs);
	return buf;
}

/* The targets the policy lets the operator choose, comma-separated. */
static void
print_targets(json_object *a)
{
	json_object *t;
	size_t n;

	if (!json_object_object_get_ex(a, "targets", &t) || !json_object_is_type(t, json_type_array) ||
	    (n = json_object_array_length(t)) == 0) {
		printf("-\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			putchar(',');
		cmd_put_safe(stdout, json_object_get_string(json_object_array_get_idx(t, i)));
	}
	putchar('\n');
}

static int
ask_list(struct cmd_ctx *ctx)
{
	json_object *result;
	size_t n;
	int rc;

	if ((rc = cmd_call(ctx, "ask.list", NULL, NULL, &result)) != BH_EXIT_OK)
		return rc;
	if (ctx->json) {
		cmd_print_json(result);
		json_object_put(result);
		return BH_EXIT_OK;
	}
	n = json_object_array_length(result);
	if (n == 0)
		printf("no pending asks\n");
	else
		printf("%-5s %-24s %-16s %-16s %-16s %-6s %s\n", "ID", "SERVICE", "SOURCE", "TARGET",
		    "PROPOSED", "AGE", "ALLOWED");
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(result, i), *v;
		const char *f[5] = { "service", "source", "target", "default_target", "arg" };
		const char *s[5];
		char svc[160];
		for (int k = 0; k < 5; k++)
			s[k] = json_object_object_get_ex(a, f[k], &v) ? json_object_get_string(v) : "";
		snprintf(svc, sizeof(svc), "%s%s%s", s[0], s[4][0] ? "+" : "", s[4]);
		json_object_object_get_ex(a, "id", &v);
		printf("%-5s ", json_object_get_string(v));
		cmd_put_safe(stdout, svc);
		printf("%*s", (int)(strlen(svc) < 24 ? 25 - strlen(svc) : 1), "");
		printf("%-16s %-16s %-16s ", s[1], s[2][0] ? s[2] : "-", s[3][0] ? s[3] : "-");
		json_object_object_get_ex(a, "age_s", &v);
		printf("%-6s ", age_text(json_object_get_string(v)));
		print_targets(a);
	}
	json_object_put(result);
	return BH_EXIT_OK;
}

static int
cmd_ask_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		CMD_COMMON_OPTIONS
	};
	const char *target = NULL;
	json_object *args;
	int64_t id;
	int c, allow;

	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		if (c == 't')
			target = optarg;
		else
			return ctx->exit;
	}
	if (optind == argc)
		return ask_list(ctx);
	if (!strcmp(argv[optind], "allow"))
		allow = 1;
	else if (!strcmp(argv[optind], "deny"))
		allow = 0;
	else
		return cmd_usage_error(ctx, "unknown action '%s' (expected allow or deny)", argv[optind]);
	if (optind + 2 != argc)
		return cmd_usage_error(ctx, "%s needs exactly one ask ID", argv[optind]);
	if (cmd_parse_int(ctx, "ID", argv[optind + 1], &id) != BH_EXIT_OK)
		return BH_EXIT_USAGE;
	if (!allow && target != NULL)
		return cmd_usage_error(ctx, "--target goes with allow");
	args = json_object_new_object();
	json_object_object_add(args, "id", json_object_new_int64(id));
	json_object_object_add(args, "allow", json_object_new_boolean(allow));
	if (target != NULL)
		json_object_object_add(args, "target", json_object_new_string(target));
	return cmd_call(ctx, "ask.answer", NULL, args, NULL);
}

const struct cmd_entry cmd_ask_entry = {
	.name = "ask",
	.alias = NULL,
	.usage = "[allow ID [--target VM] | deny ID]",
	.summary = "list or answer RPC calls waiting for the operator",
	.help = "Without arguments lists the calls that the policy sent to the operator "
	    "(action ask): id, service, source, target, proposed target, age and the "
	    "targets the policy allows for the call. 'ask allow ID' lets the call go "
	    "to its proposed target (or its only allowed one), or to VM with --target "
	    "(a qube, dom0, @dispvm or @dispvm:BASE); VM must be one of the allowed "
	    "targets when domd answers (the call is decided again), else the answer "
	    "is refused and the ask stays. 'ask deny ID' refuses it. Unanswered "
	    "asks are denied after domd's ask_timeout (default 60 s).",
	.flags = CMD_MODIFIES,
	.method = "ask.answer",
	.exec = cmd_ask_exec,
};
