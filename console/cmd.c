/* Running a CLI command and the helpers the command files share. */
#include "cmd.h"
#include "remote.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "xalloc.h"

int
cmd_run(struct cmd_ctx *ctx, const struct cmd_entry *entry, int argc, char **argv)
{
	ctx->entry = entry;
	ctx->exit = BH_EXIT_OK;
	optind = 0; /* glibc: 0 also resets getopt's internal state */
	return entry->exec(ctx, argc, argv);
}

void
cmd_ctx_free(struct cmd_ctx *ctx)
{
	client_close(ctx->client);
	ctx->client = NULL;
}

/* Prints text wrapped at width, continuation lines indented; col is where the
 * cursor stands already. '\n' starts a new line; a [bracketed group] is
 * never split. */
static void
print_wrapped(FILE *f, const char *text, int col, int indent, int width)
{
	const char *p = text, *w;
	int len, depth, first = 1;

	while (*p != '\0') {
		if (*p == '\n') {
			fputc('\n', f);
			col = 0;
			first = 1;
			p++;
			continue;
		}
		if (*p == ' ') {
			p++;
			continue;
		}
		w = p;
		for (depth = 0; *p != '\0' && *p != '\n' && (*p != ' ' || depth > 0); p++)
			depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
		len = (int)(p - w);
		if (!first && col + 1 + len > width) {
			fputc('\n', f);
			col = 0;
		}
		if (col == 0)
			col = fprintf(f, "%*s", indent, "");
		else if (!first)
			col += fprintf(f, " ");
		col += fprintf(f, "%.*s", len, w);
		first = 0;
	}
	if (col > 0)
		fputc('\n', f);
}

void
cmd_print_help(const struct cmd_entry *entry, FILE *f)
{
	int col;

	col = fprintf(f, "Usage: bulkhead %s ", entry->name);
	print_wrapped(f, entry->usage, col, col, 78);
	if (entry->alias != NULL)
		fprintf(f, "Alias: %s\n", entry->alias);
	fputc('\n', f);
	print_wrapped(f, entry->help, 0, 2, 78);
	if (entry->flags & CMD_MODIFIES) {
		fputc('\n', f);
		print_wrapped(f, "Changing state needs root or membership of group "
		    "bulkhead.", 0, 2, 78);
	}
	fputc('\n', f);
	print_wrapped(f, "Every command also accepts --json (machine-readable "
	    "output), --socket PATH and -h/--help. Exit status: 0 success, 1 refused "
	    "or failed, 2 usage error, 3 cannot reach domd.", 0, 2, 78);
}

/* The option getopt complained about, as the user typed it (without "=…").
 * An unknown short option is in optopt; for a long option optopt is 0 or the
 * option's value, and the option is argv[optind - 1]. */
static void
bad_option(char **argv, int argc, const char *spec, char *buf, size_t len, int *is_long)
{
	const char *arg = optind >= 1 && optind - 1 < argc ? argv[optind - 1] : "";

	*is_long = !(optopt > ' ' && optopt <= '~' && strchr(spec, optopt) == NULL) &&
	    strncmp(arg, "--", 2) == 0;
	if (*is_long)
		snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(buf, len, "-%c", optopt);
}

int
cmd_getopt(struct cmd_ctx *ctx, int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	char spec[64], opt[128];
	int c, is_long;

	/* ':' first: a missing value is reported as ':', not '?'. */
	snprintf(spec, sizeof(spec), ":h%s", shortopts);
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, spec, longopts, NULL);
		switch (c) {
		case CMD_OPT_JSON:
			ctx->json = 1;
			continue;
		case CMD_OPT_SOCKET:
			ctx->socket_path = optarg;
			continue;
		case 'h':
			cmd_print_help(ctx->entry, stdout);
			ctx->exit = BH_EXIT_OK;
			return CMD_OPT_EXIT;
		case ':':
			bad_option(argv, argc, spec, opt, sizeof(opt), &is_long);
			ctx->exit = cmd_usage_error(ctx, "option '%s' needs a value", opt);
			return CMD_OPT_EXIT;
		case '?':
			bad_option(argv, argc, spec, opt, sizeof(opt), &is_long);
			if (is_long && optopt != 0 && strchr(argv[optind - 1], '=') != NULL)
				ctx->exit = cmd_usage_error(ctx,
				    "option '%s' does not take a value", opt);
			else if (is_long && optopt == 0)
				ctx->exit = cmd_usage_error(ctx,
				    "unrecognized or ambiguous option '%s'", opt);
			else if (optopt >= '0' && optopt <= '9')
				ctx->exit = cmd_usage_error(ctx, "unrecognized option '%s' (put "
				    "'--' before an argument that starts with '-')", opt);
			else
				ctx->exit = cmd_usage_error(ctx, "unrecognized option '%s'", opt);
			return CMD_OPT_EXIT;
		default:
			return c;
		}
	}
}

int
cmd_usage_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	if (ctx->entry != NULL)
		log_warnx("%s: %s. Try 'bulkhead help %s'.", ctx->entry->name, msg,
		    ctx->entry->name);
	else
		log_warnx("%s. Try 'bulkhead --help'.", msg);
	free(msg);
	return BH_EXIT_USAGE;
}

int
cmd_check_args(struct cmd_ctx *ctx, int argc, char **argv, int min, int max,
    const char *what)
{
	int n = argc - optind;

	if (n < min)
		return cmd_usage_error(ctx, "missing %s", what);
	if (max >= 0 && n > max)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind + max]);
	return BH_EXIT_OK;
}

int
cmd_parse_int(struct cmd_ctx *ctx, const char *opt, const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0)
		return cmd_usage_error(ctx, "invalid value '%s' for %s (a whole number "
		    "is expected)", s, opt);
	*out = v;
	return BH_EXIT_OK;
}

int
cmd_parse_timeout(struct cmd_ctx *ctx, const char *s, int64_t *out)
{
	int rc = cmd_parse_int(ctx, "--timeout", s, out);

	if (rc == BH_EXIT_OK && *out < 0)
		return cmd_usage_error(ctx, "invalid value '%s' for --timeout (seconds, 0 or "
		    "more)", s);
	return rc;
}

static char *
sanitize(const char *s)
{
	char *t = xstrdup(s), *p;

	for (p = t; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	return t;
}

void
cmd_put_safe(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(*s >= 0x20 && *s <= 0x7e ? *s : '?', f);
}

void
cmd_error(struct cmd_ctx *ctx, const char *vm, const char *fmt, ...)
{
	va_list ap;
	char *msg, *safe, *safevm;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	safe = sanitize(msg);
	if (vm != NULL) {
		safevm = sanitize(vm);
		log_warnx("%s %s: %s", ctx->entry->name, safevm, safe);
		free(safevm);
	} else
		log_warnx("%s: %s", ctx->entry->name, safe);
	free(safe);
	free(msg);
}

struct client *
cmd_client(struct cmd_ctx *ctx)
{
	const char *path = remote_admin_path(ctx->socket_path);

	if (ctx->client != NULL)
		return ctx->client;
	if ((ctx->client = client_open(path)) == NULL)
		log_warnx("cannot connect to %s: %s%s", path, strerror(errno),
		    errno == ENOENT || errno == ECONNREFUSED ?
		    " (is bulkhead-domd running?)" : "");
	return ctx->client;
}

static int
status_exit(enum client_status st)
{
	switch (st) {
	case CLIENT_OK:
		return BH_EXIT_OK;
	case CLIENT_LOST:
		return BH_EXIT_UNREACHABLE;
	case CLIENT_REFUSED:
	case CLIENT_BADREPLY:
	case CLIENT_EVENT:
		break;
	}
	return BH_EXIT_FAIL;
}

int
cmd_call(struct cmd_ctx *ctx, const char *method, const char *vm, json_object *args,
    json_object **result)
{
	struct client_error err;
	struct client *c;
	enum client_status st;

	if (result != NULL)
		*result = NULL;
	if ((c = cmd_client(ctx)) == NULL) {
		json_object_put(args);
		return BH_EXIT_UNREACHABLE;
	}
	st = client_call(c, method, vm, args, result, &err);
	if (st != CLIENT_OK) {
		cmd_error(ctx, vm, "%s", err.message);
		client_error_free(&err);
	}
	return status_exit(st);
}

static json_object *
each_vm_json(const char *vm, enum client_status st, json_object *result,
    const struct client_error *err)
{
	json_object *o = json_object_new_object(), *e;

	json_object_object_add(o, "vm", json_object_new_string(vm));
	json_object_object_add(o, "ok", json_object_new_boolean(st == CLIENT_OK));
	if (st == CLIENT_OK) {
		json_object_object_add(o, "result", json_object_get(result));
	} else {
		e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_string(err->code));
		json_object_object_add(e, "message", json_object_new_string(err->message));
		json_object_object_add(o, "error", e);
	}
	return o;
}

int
cmd_each_vm(struct cmd_ctx *ctx, const char *method, char **names, int n,
    json_object *args, int pipelined)
{
	struct client_error err;
	struct client *c;
	enum client_status st;
	json_object *out = NULL, *result;
	int64_t *ids;
	int i, sent = 0, rc = BH_EXIT_OK;

	if ((c = cmd_client(ctx)) == NULL)
		return BH_EXIT_UNREACHABLE;
	if (ctx->json)
		out = json_object_new_array();
	ids = xcalloc((size_t)n, sizeof(*ids));
	for (i = 0; i < n; i++) {
		/* Pipelined: every request goes out before the first reply is
		 * awaited, so that e.g. several `shutdown --wait` overlap. */
		for (; sent < n && (pipelined || sent <= i); sent++)
			if ((ids[sent] = client_send(c, method, names[sent],
			    args != NULL ? json_object_get(args) : NULL)) == -1)
				break;
		result = NULL;
		if (ids[i] <= 0) {
			memset(&err, 0, sizeof(err));
			err.code = xstrdup("unreachable");
			err.message = xasprintf("writing to %s: %s", client_path(c),
			    strerror(errno));
			st = CLIENT_LOST;
		} else
			st = client_recv(c, ids[i], &result, &err);
		if (out != NULL)
			json_object_array_add(out, each_vm_json(names[i], st, result, &err));
		json_object_put(result);
		if (st != CLIENT_OK) {
			cmd_error(ctx, names[i], "%s", err.message);
			client_error_free(&err);
			if (status_exit(st) > rc)
				rc = status_exit(st);
			if (st == CLIENT_LOST)
				break; /* the connection is gone: nothing more to hear */
		}
	}
	free(ids);
	if (out != NULL) {
		cmd_print_json(out);
		json_object_put(out);
	}
	return rc;
}

int
cmd_exec_each(struct cmd_ctx *ctx, int argc, char **argv, const char *method)
{
	static const struct option longopts[] = { CMD_COMMON_OPTIONS };
	int rc;

	if (cmd_getopt(ctx, argc, argv, "", longopts) != -1)
		return ctx->exit;
	if ((rc = cmd_check_args(ctx, argc, argv, 1, -1, "qube name")) != BH_EXIT_OK)
		return rc;
	return cmd_each_vm(ctx, method, argv + optind, argc - optind, NULL, 0);
}

void
cmd_print_json(json_object *obj)
{
	printf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *
cmd_value_text(json_object *v)
{
	if (v == NULL || json_object_is_type(v, json_type_null))
		return "";
	return json_object_get_string(v);
}

const char *
cmd_member_text(json_object *obj, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(obj, key, &v);
	return cmd_value_text(v);
}
