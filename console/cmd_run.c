/* run: a command in a qube from dom0 (vm.run), its output streamed back,
 * through the terminal filter when it goes to a terminal (run_output.h). */
#include "cmd.h"
#include "client.h"
#include "rpc_relay.h"
#include "run_output.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { OPT_USER = 1, OPT_PASS_IO, OPT_AUTOSTART, OPT_DISPVM, OPT_FILTER, OPT_NO_FILTER };

/* Several words become one shell command, each word quoted. */
static char *
join_command(int argc, char **argv)
{
	size_t len = 1;
	char *cmd, *p;

	if (argc == 1)
		return xstrdup(argv[0]);
	for (int i = 0; i < argc; i++)
		len += 3 + 4 * strlen(argv[i]);
	p = cmd = xmalloc(len);
	for (int i = 0; i < argc; i++) {
		if (i)
			*p++ = ' ';
		*p++ = '\'';
		for (const char *s = argv[i]; *s; s++) {
			if (*s == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else
				*p++ = *s;
		}
		*p++ = '\'';
	}
	*p = '\0';
	return cmd;
}

int
cmd_run_in(struct cmd_ctx *ctx, const char *vm, const char *command, json_object *args,
    int in_fd, struct run_output *out)
{
	struct client_error cerr = { 0 };
	json_object *result = NULL;
	struct client *cl;
	char err[256];
	int sp[2], code, null_fd = -1;
	int64_t id;

	if ((cl = cmd_client(ctx)) == NULL) {
		json_object_put(args);
		return BH_EXIT_UNREACHABLE;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		cmd_error(ctx, vm, "socketpair: %s", strerror(errno));
		json_object_put(args);
		return BH_EXIT_FAIL;
	}
	json_object_object_add(args, "command", json_object_new_string(command));
	id = client_send_fd(cl, "vm.run", vm, args, sp[1]);
	close(sp[1]);
	if (id < 0) {
		cmd_error(ctx, vm, "cannot send to domd: %s", strerror(errno));
		close(sp[0]);
		return BH_EXIT_UNREACHABLE;
	}
	switch (client_recv(cl, id, &result, &cerr)) {
	case CLIENT_OK:
		break;
	case CLIENT_REFUSED:
		cmd_error(ctx, vm, "%s", cerr.message ? cerr.message : "failed");
		client_error_free(&cerr);
		close(sp[0]);
		return BH_EXIT_FAIL;
	default:
		cmd_error(ctx, vm, "lost the connection to domd");
		close(sp[0]);
		return BH_EXIT_UNREACHABLE;
	}
	json_object_put(result);
	signal(SIGPIPE, SIG_IGN);
	if (in_fd < 0)
		in_fd = null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	code = rpc_relay_caller_to(sp[0], in_fd, &out->relay, err, sizeof(err));
	close(sp[0]);
	if (null_fd >= 0)
		close(null_fd);
	run_output_end(out);
	if (code < 0 && out->overflow) {
		cmd_error(ctx, vm, "its output is longer than %zu bytes", out->max);
		return BH_EXIT_FAIL;
	}
	if (code < 0) {
		cmd_error(ctx, vm, "%s", err);
		return BH_EXIT_FAIL;
	}
	/* The admin connection stays open until here: a DispVM lives as long. */
	return code;
}

static int
cmd_run_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "user", required_argument, NULL, OPT_USER },
		{ "pass-io", no_argument, NULL, OPT_PASS_IO },
		{ "autostart", no_argument, NULL, OPT_AUTOSTART },
		{ "dispvm", optional_argument, NULL, OPT_DISPVM },
		{ "filter-escape-chars", no_argument, NULL, OPT_FILTER },
		{ "no-filter-escape-chars", no_argument, NULL, OPT_NO_FILTER },
		CMD_COMMON_OPTIONS
	};
	const char *user = NULL, *vm = NULL;
	int pass_io = 0, autostart = 0, dispvm = 0, c, code;
	enum run_filter filter = RUN_FILTER_AUTO;
	struct run_output out;
	json_object *args;
	char *command;

	while ((c = cmd_getopt(ctx, argc, argv, "+", longopts)) != -1) {
		switch (c) {
		case OPT_USER:
			user = optarg;
			break;
		case OPT_PASS_IO:
			pass_io = 1;
			break;
		case OPT_AUTOSTART:
			autostart = 1;
			break;
		case OPT_DISPVM:
			dispvm = 1;
			if (optarg == NULL)
				return cmd_usage_error(ctx, "--dispvm needs the base qube: --dispvm=BASE");
			vm = optarg;
			break;
		case OPT_FILTER:
			filter = RUN_FILTER_ON;
			break;
		case OPT_NO_FILTER:
			filter = RUN_FILTER_OFF;
			break;
		default:
			return ctx->exit;
		}
	}
	if (!dispvm) {
		if (optind >= argc)
			return cmd_usage_error(ctx, "missing qube name");
		vm = argv[optind++];
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc)
		return cmd_usage_error(ctx, "missing command (after --)");
	command = join_command(argc - optind, argv + optind);

	args = json_object_new_object();
	if (user != NULL)
		json_object_object_add(args, "user", json_object_new_string(user));
	if (autostart)
		json_object_object_add(args, "autostart", json_object_new_boolean(1));
	if (dispvm)
		json_object_object_add(args, "dispvm", json_object_new_boolean(1));
	/* Without --pass-io the command gets an empty stdin. */
	run_output_fds(&out, 1, 2, filter);
	code = cmd_run_in(ctx, vm, command, args, pass_io ? 0 : -1, &out);
	run_output_free(&out);
	free(command);
	return code;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.alias = NULL,
	.usage = "[--user U] [--pass-io] [--autostart] [--[no-]filter-escape-chars] "
	    "VM -- CMD... | --dispvm=BASE -- CMD...",
	.summary = "run a command in a qube and show its output",
	.help = "Runs CMD in the qube VM through its agent (vm.run): one word is taken as a "
	    "shell command line, several words are quoted and joined. stdout and stderr "
	    "are streamed back and the exit status is the command's. With --pass-io stdin "
	    "is passed too (otherwise the command reads an empty stdin). --user runs it as "
	    "another user of the qube (default: user). --autostart starts a halted qube "
	    "first. --dispvm=BASE runs it in a new disposable qube made from BASE (an "
	    "AppVM with template_for_dispvms = 1), destroyed with its data afterwards. "
	    "What goes to a terminal is filtered, since the qube may be hostile: control "
	    "characters other than newline, tab and carriage return are shown in caret "
	    "form as cat -v shows them (^H for backspace), so no escape sequence reaches "
	    "the terminal, only its text, and bytes that are not UTF-8 text (nor, in a "
	    "locale that is not UTF-8, 8-bit text) become '?'. Output to a pipe or file "
	    "passes unchanged. --no-filter-escape-chars passes everything to the terminal "
	    "as well; --filter-escape-chars filters a pipe or file too.",
	.flags = CMD_MODIFIES,
	.method = "vm.run",
	.exec = cmd_run_exec,
};
