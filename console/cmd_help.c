/* help: the list of commands, or one command's usage and help. */
#include "cmd.h"

#include <string.h>

void
cmd_print_overview(FILE *f)
{
	const struct cmd_entry *const *e;
	char name[32];

	fputs("Usage: bulkhead [--socket PATH] [--json] [-v] COMMAND [ARGS...]\n"
	    "       bulkhead help COMMAND\n"
	    "       bulkhead --help | --version\n"
	    "\n"
	    "Drives bulkhead-domd, the Bulkhead qube daemon, through its admin socket.\n"
	    "Without a COMMAND opens the console on a terminal, and runs 'ls'\n"
	    "otherwise (or with --json).\n"
	    "\n"
	    "Commands:\n", f);
	for (e = cmd_table; *e != NULL; e++) {
		if ((*e)->alias != NULL)
			snprintf(name, sizeof(name), "%s, %s", (*e)->name, (*e)->alias);
		else
			snprintf(name, sizeof(name), "%s", (*e)->name);
		fprintf(f, "  %-12s %s\n", name, (*e)->summary);
	}
	fputs("\n"
	    "Options (also accepted after the COMMAND):\n"
	    "  --socket PATH  admin socket of domd (default: $BULKHEAD_SOCKET, else\n"
	    "                 " BH_DEFAULT_SOCKET ", else rpc: inside a qube);\n"
	    "                 rpc: calls bulkhead.admin.* through bulkhead-rpc\n"
	    "  --json         machine-readable output\n"
	    "  -h, --help     this text; 'bulkhead COMMAND --help' for a command\n"
	    "Global options only:\n"
	    "  -v, --verbose  show the requests and replies on stderr\n"
	    "  --version      print the version\n"
	    "\n"
	    "Exit status:\n"
	    "  0  success\n"
	    "  1  domd refused the request, or the operation failed\n"
	    "  2  usage error (bad command, option or argument)\n"
	    "  3  cannot reach domd (cannot connect, or the connection was lost)\n"
	    "\n"
	    "See bulkhead(1).\n", f);
}

static int
cmd_help_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { CMD_COMMON_OPTIONS };
	const struct cmd_entry *entry;
	int rc;

	if (cmd_getopt(ctx, argc, argv, "", longopts) != -1)
		return ctx->exit;
	if ((rc = cmd_check_args(ctx, argc, argv, 0, 1, "")) != BH_EXIT_OK)
		return rc;
	if (optind == argc) {
		cmd_print_overview(stdout);
		return BH_EXIT_OK;
	}
	if ((entry = cmd_find(argv[optind])) == NULL) {
		log_warnx("help: unknown command '%s'. Try 'bulkhead --help'.",
		    argv[optind]);
		return BH_EXIT_USAGE;
	}
	cmd_print_help(entry, stdout);
	return BH_EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.alias = NULL,
	.usage = "[COMMAND]",
	.summary = "show the commands, or how to use one",
	.help = "Without COMMAND lists every command with a one-line summary, as "
	    "'bulkhead --help' does; with COMMAND prints its usage and what it "
	    "does, as 'bulkhead COMMAND --help' does.",
	.flags = 0,
	.exec = cmd_help_exec,
};
