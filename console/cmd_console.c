/* console: the full-screen console (also `bulkhead` without a command on a
 * terminal); its options, kiosk mode included. The console itself is
 * tui_*.c. */
#include "cmd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui.h"
#include "xalloc.h"

enum { OPT_KIOSK = 1, OPT_QUBES, OPT_QUIT_KEY, OPT_BENCH_FRAMES, OPT_TERM };

static int
name_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 31 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/* "a,b,c" into opts->kiosk_qubes. */
static int
parse_qubes(struct cmd_ctx *ctx, struct tui_opts *o, const char *list)
{
	char *copy = xstrdup(list), *p, *save = NULL;

	for (p = strtok_r(copy, ", ", &save); p != NULL; p = strtok_r(NULL, ", ", &save)) {
		if (!name_valid(p)) {
			cmd_usage_error(ctx, "invalid qube name '%s' in the kiosk's list", p);
			free(copy);
			return -1;
		}
		o->kiosk_qubes = xrealloc(o->kiosk_qubes, (size_t)(o->nkiosk_qubes + 1) *
		    sizeof(*o->kiosk_qubes));
		o->kiosk_qubes[o->nkiosk_qubes++] = xstrdup(p);
	}
	free(copy);
	return 0;
}

/* "^X" (a control key) or one printable character. */
static int
parse_key(const char *s)
{
	int k;

	if (s[0] == '^' && s[1] != '\0' && s[2] == '\0') {
		k = toupper((unsigned char)s[1]);
		if (k < '@' || k > '_')
			return -1;
		k -= '@';
		/* Not Esc (every key sequence), Enter, Tab, XON/XOFF, Ctrl-L. */
		if (k == 0x1b || k == '\r' || k == '\n' || k == '\t' || k == 0x11 ||
		    k == 0x13 || k == 0x0c || k == 0)
			return -1;
		return k;
	}
	if (s[0] > ' ' && s[0] <= '~' && s[1] == '\0')
		return (unsigned char)s[0];
	return -1;
}

/* A terminfo name: letters, digits and . + - _ (no path). */
static int
term_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(".+-_", s[i]) == NULL)
			return 0;
	return 1;
}

static int
truthy(const char *s)
{
	return s != NULL && *s != '\0' && strcmp(s, "0") != 0 && strcasecmp(s, "no") != 0 &&
	    strcasecmp(s, "false") != 0;
}

static void
free_opts(struct tui_opts *o)
{
	int i;

	for (i = 0; i < o->nkiosk_qubes; i++)
		free(o->kiosk_qubes[i]);
	free(o->kiosk_qubes);
}

static int
cmd_console_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kiosk", no_argument, NULL, OPT_KIOSK },
		{ "qubes", required_argument, NULL, OPT_QUBES },
		{ "quit-key", required_argument, NULL, OPT_QUIT_KEY },
		{ "bench-frames", required_argument, NULL, OPT_BENCH_FRAMES },
		{ "term", required_argument, NULL, OPT_TERM },
		CMD_COMMON_OPTIONS
	};
	struct tui_opts o;
	const char *qubes = NULL, *quit_key = NULL;
	int64_t n;
	int c, rc;

	memset(&o, 0, sizeof(o));
	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case OPT_KIOSK:
			o.kiosk = 1;
			break;
		case OPT_QUBES:
			qubes = optarg;
			break;
		case OPT_QUIT_KEY:
			quit_key = optarg;
			break;
		case OPT_TERM:
			if (!term_valid(optarg))
				return cmd_usage_error(ctx, "--term: invalid terminal type '%s'",
				    optarg);
			o.term = optarg;
			break;
		case OPT_BENCH_FRAMES:
			if ((rc = cmd_parse_int(ctx, "--bench-frames", optarg, &n)) != BH_EXIT_OK)
				return rc;
			if (n < 1 || n > 1000000)
				return cmd_usage_error(ctx, "--bench-frames: 1 to 1000000");
			o.bench_frames = (int)n;
			break;
		default:
			return ctx->exit;
		}
	}
	if ((rc = cmd_check_args(ctx, argc, argv, 0, 0, "")) != BH_EXIT_OK)
		return rc;
	/* The environment can only turn kiosk mode on, never off. */
	if (truthy(getenv("BULKHEAD_KIOSK")))
		o.kiosk = 1;
	if (qubes == NULL)
		qubes = getenv("BULKHEAD_KIOSK_QUBES");
	if (quit_key == NULL)
		quit_key = getenv("BULKHEAD_KIOSK_QUIT_KEY");
	if (!o.kiosk) /* the list and the quit key matter in kiosk mode only */
		qubes = quit_key = NULL;
	if (o.kiosk) {
		if (qubes == NULL || *qubes == '\0')
			return cmd_usage_error(ctx, "kiosk mode needs the qubes it may show "
			    "(--qubes NAME,... or BULKHEAD_KIOSK_QUBES)");
		if (parse_qubes(ctx, &o, qubes) == -1) {
			free_opts(&o);
			return BH_EXIT_USAGE;
		}
		if (o.nkiosk_qubes == 0) {
			free_opts(&o);
			return cmd_usage_error(ctx, "kiosk mode needs at least one qube");
		}
		if (quit_key != NULL && *quit_key != '\0' &&
		    (o.quit_key = parse_key(quit_key)) == -1) {
			free_opts(&o);
			return cmd_usage_error(ctx, "invalid quit key '%s' (one character, "
			    "or ^X for a control key other than ^[ ^M ^J ^I ^L ^Q ^S)", quit_key);
		}
	}
	o.socket_path = ctx->socket_path;
	rc = tui_run(&o);
	free_opts(&o);
	return rc;
}

const struct cmd_entry cmd_console_entry = {
	.name = "console",
	.alias = NULL,
	.usage = "[--term TYPE] [--kiosk --qubes NAME,... [--quit-key KEY]]",
	.summary = "the full-screen console (the default on a terminal)",
	.help = "Opens the full-screen console: the qubes with their state, memory, "
	    "CPU and uptime, live from domd's event stream; actions by function "
	    "key or letter (F1 or ? lists them). Works at 80x24 and larger, on "
	    "serial lines and with TERM=vt100 (labels shown as text); the bar "
	    "shows the letter for a function key the terminal type lacks. "
	    "--term TYPE uses that terminal type instead of $TERM. On a serial "
	    "line (or a terminal of unknown size) the console asks the terminal "
	    "its size at start and on Ctrl-L. "
	    "--kiosk limits it to starting, stopping and viewing the qubes named "
	    "by --qubes (or $BULKHEAD_KIOSK_QUBES, comma-separated): no create, "
	    "remove, properties or policy answers, no way to a shell, and no quit "
	    "key unless --quit-key KEY (or $BULKHEAD_KIOSK_QUIT_KEY) names one: a "
	    "character or ^X for a control key. BULKHEAD_KIOSK=1 in the "
	    "environment turns kiosk mode on as --kiosk does. Standard input and "
	    "output must be a terminal.",
	.flags = 0,
	.exec = cmd_console_exec,
};
