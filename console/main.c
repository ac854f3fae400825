/* bulkhead: the scriptable CLI of Bulkhead. Global options, then one command
 * from cmd_table[]; without a command, the console on a terminal (`ls` when
 * standard input or output is not one, e.g. in a script or a pipe). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#ifndef BULKHEAD_VERSION
#define BULKHEAD_VERSION "unknown"
#endif

enum { OPT_VERSION = 0x200 };

static int
run_command(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *entry;

	if ((entry = cmd_find(argv[0])) == NULL) {
		log_warnx("unknown command '%s'. Try 'bulkhead --help'.", argv[0]);
		return BH_EXIT_USAGE;
	}
	return cmd_run(ctx, entry, argc, argv);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, CMD_OPT_SOCKET },
		{ "json", no_argument, NULL, CMD_OPT_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	static char *ls_argv[] = { "ls", NULL };
	static char *console_argv[] = { "console", NULL };
	struct cmd_ctx ctx;
	int c, rc, verbose = 0;

	memset(&ctx, 0, sizeof(ctx));
	log_init("bulkhead", 0, 0);
	opterr = 0;
	/* '+': stop at the command; its own options are parsed by it. */
	while ((c = getopt_long(argc, argv, "+:hv", longopts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_SOCKET:
			ctx.socket_path = optarg;
			break;
		case CMD_OPT_JSON:
			ctx.json = 1;
			break;
		case 'v':
			log_init("bulkhead", ++verbose, 0);
			break;
		case 'h':
			cmd_print_overview(stdout);
			return BH_EXIT_OK;
		case OPT_VERSION:
			printf("bulkhead %s\n", BULKHEAD_VERSION);
			return BH_EXIT_OK;
		case ':':
			return cmd_usage_error(&ctx, "option '%s' needs a value",
			    argv[optind - 1]);
		default:
			return cmd_usage_error(&ctx, "unrecognized option '%s'",
			    optopt != 0 ? (char[]){ '-', (char)optopt, '\0' } :
			    argv[optind - 1]);
		}
	}

	if (optind == argc)
		rc = run_command(&ctx, 1, !ctx.json && isatty(STDIN_FILENO) &&
		    isatty(STDOUT_FILENO) ? console_argv : ls_argv);
	else
		rc = run_command(&ctx, argc - optind, argv + optind);
	cmd_ctx_free(&ctx);

	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("writing to standard output");
		if (rc == BH_EXIT_OK)
			rc = BH_EXIT_FAIL;
	}
	return rc;
}
