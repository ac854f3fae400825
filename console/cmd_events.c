/* events: follow domd's event stream (events.subscribe). */
#include "cmd.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "client.h"

static volatile sig_atomic_t events_stop;

static void
on_signal(int sig)
{
	events_stop = 1;
}

/* "work: running", "work: memory = 512", "work: created", … */
static void
print_event(const char *line)
{
	json_object *ev, *v = NULL;
	const char *kind;

	ev = json_tokener_parse(line);
	if (!json_object_is_type(ev, json_type_object)) {
		fputs("? ", stdout);
		cmd_put_safe(stdout, line);
		putchar('\n');
		json_object_put(ev);
		return;
	}
	kind = cmd_member_text(ev, "event");
	cmd_put_safe(stdout, *cmd_member_text(ev, "vm") ? cmd_member_text(ev, "vm") : "-");
	fputs(": ", stdout);
	if (strcmp(kind, "state") == 0) {
		cmd_put_safe(stdout, cmd_member_text(ev, "state"));
		if (*cmd_member_text(ev, "reason") != '\0') {
			fputs(" (", stdout);
			cmd_put_safe(stdout, cmd_member_text(ev, "reason"));
			putchar(')');
		}
	} else if (strcmp(kind, "property") == 0) {
		cmd_put_safe(stdout, cmd_member_text(ev, "prop"));
		fputs(" = ", stdout);
		json_object_object_get_ex(ev, "value", &v);
		cmd_put_safe(stdout, json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : json_object_to_json_string(v));
	} else if (strcmp(kind, "firewall") == 0) {
		/* "work: firewall policy drop, 3 rules" */
		fputs("firewall policy ", stdout);
		cmd_put_safe(stdout, cmd_member_text(ev, "policy"));
		fputs(", ", stdout);
		cmd_put_safe(stdout, cmd_member_text(ev, "rules"));
		fputs(" rules", stdout);
	} else
		cmd_put_safe(stdout, *kind ? kind : "?");
	putchar('\n');
	json_object_put(ev);
}

static int
cmd_events_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { CMD_COMMON_OPTIONS };
	struct sigaction sa;
	sigset_t block, oldmask, waitmask;
	char *line;
	int rc, r;

	if (cmd_getopt(ctx, argc, argv, "", longopts) != -1)
		return ctx->exit;
	if ((rc = cmd_check_args(ctx, argc, argv, 0, 0, "")) != BH_EXIT_OK)
		return rc;
	if ((rc = cmd_call(ctx, "events.subscribe", NULL, NULL, NULL)) != BH_EXIT_OK)
		return rc;

	/* SIGINT/SIGTERM are blocked except while waiting for domd, so the
	 * wait cannot miss one: then we stop cleanly with status 0. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	waitmask = oldmask;
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);

	for (;;) {
		fflush(stdout);
		r = client_read_line(ctx->client, &waitmask, &line);
		if (r == 1) {
			if (ctx->json)
				printf("%s\n", line);
			else
				print_event(line);
			continue;
		}
		if (r == -1 && errno == EINTR) {
			if (!events_stop)
				continue;
			rc = BH_EXIT_OK;
		} else if (r == 0) {
			cmd_error(ctx, NULL, "domd closed the connection");
			rc = BH_EXIT_UNREACHABLE;
		} else if (errno == EMSGSIZE) {
			cmd_error(ctx, NULL, "event from domd longer than %d bytes",
			    CLIENT_MAX_LINE);
			rc = BH_EXIT_FAIL;
		} else {
			cmd_error(ctx, NULL, "reading from %s: %s",
			    client_path(ctx->client), strerror(errno));
			rc = BH_EXIT_UNREACHABLE;
		}
		break;
	}
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return rc;
}

const struct cmd_entry cmd_events_entry = {
	.name = "events",
	.alias = NULL,
	.usage = "[--json]",
	.summary = "print domd's events as they happen",
	.help = "Subscribes to domd's events (events.subscribe) and prints one "
	    "line per event, e.g. 'work: running', 'work: halted (killed by the "
	    "operator)', 'work: memory = 512', 'work: created', 'work: removed'. "
	    "With --json prints each event as domd sent it, one JSON object per "
	    "line. Runs until interrupted (SIGINT or SIGTERM: exit status 0) or "
	    "until domd closes the connection (exit status 3).",
	.flags = 0,
	.exec = cmd_events_exec,
};
