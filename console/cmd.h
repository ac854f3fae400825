/* CLI commands: one file per command exporting a const struct cmd_entry,
 * collected in cmd_table[] (cmd_table.c), in the manner of tmux's cmd-*.c and
 * Xen's xl_cmdtable.c. The helpers here are shared by the command files. */
#ifndef BULKHEAD_CMD_H
#define BULKHEAD_CMD_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "log.h"

/* Exit status of `bulkhead`; a stable interface, documented in bulkhead(1). */
#define BH_EXIT_OK          0 /* success */
#define BH_EXIT_FAIL        1 /* domd refused the request, or the operation failed */
#define BH_EXIT_USAGE       2 /* bad command line */
#define BH_EXIT_UNREACHABLE 3 /* cannot reach domd (connect failed or connection lost) */

#define BH_DEFAULT_SOCKET "/run/bulkhead/admin.sock"

struct client;
struct run_output;

struct cmd_ctx {
	const char *socket_path;         /* --socket, else $BULKHEAD_SOCKET, else default */
	int json;                        /* --json: machine-readable output */
	struct client *client;           /* connected on first use */
	const struct cmd_entry *entry;   /* the command being run */
	int exit;                        /* set when cmd_getopt returns CMD_OPT_EXIT */
};

struct cmd_entry {
	const char *name;
	const char *alias;   /* NULL if none */
	const char *usage;   /* arguments, after "bulkhead NAME " */
	const char *summary; /* one line for `bulkhead --help` */
	const char *help;    /* one paragraph for `bulkhead help NAME` */
	int flags;
#define CMD_MODIFIES 0x1     /* changes state: needs uid 0 or group bulkhead */
	/* The admin API method behind the verb, for the commands that send one
	 * method per qube; the console (tui_act_*.c) sends the same. NULL: none. */
	const char *method;
	/* argv[0] is the command name; returns a BH_EXIT_* status. */
	int (*exec)(struct cmd_ctx *ctx, int argc, char **argv);
};

/* One per cmd_*.c file, collected in cmd_table[]. */
extern const struct cmd_entry cmd_ls_entry;
extern const struct cmd_entry cmd_info_entry;
extern const struct cmd_entry cmd_restart_entry;
extern const struct cmd_entry cmd_update_entry;
extern const struct cmd_entry cmd_create_entry;
extern const struct cmd_entry cmd_clone_entry;
extern const struct cmd_entry cmd_remove_entry;
extern const struct cmd_entry cmd_start_entry;
extern const struct cmd_entry cmd_shutdown_entry;
extern const struct cmd_entry cmd_kill_entry;
extern const struct cmd_entry cmd_pause_entry;
extern const struct cmd_entry cmd_unpause_entry;
extern const struct cmd_entry cmd_prefs_entry;
extern const struct cmd_entry cmd_stats_entry;
extern const struct cmd_entry cmd_template_entry;
extern const struct cmd_entry cmd_events_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_usb_entry;
extern const struct cmd_entry cmd_gui_entry;
extern const struct cmd_entry cmd_ask_entry;
extern const struct cmd_entry cmd_tag_entry;
extern const struct cmd_entry cmd_firewall_entry;
extern const struct cmd_entry cmd_apply_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_backup_entry;
extern const struct cmd_entry cmd_console_entry;

extern const struct cmd_entry *const cmd_table[];

/* cmd_table.c */
const struct cmd_entry *cmd_find(const char *name);

/* cmd_run.c: runs command in vm (vm.run; args: more of its arguments, taken
 * over), its stdin from in_fd (-1: empty), its stdout and stderr to out
 * (run_output.h); the command's exit status, or a BH_EXIT_* on failure. */
int cmd_run_in(struct cmd_ctx *ctx, const char *vm, const char *command, json_object *args,
    int in_fd, struct run_output *out);

/* cmd.c: running a command */
int cmd_run(struct cmd_ctx *ctx, const struct cmd_entry *entry, int argc, char **argv);
void cmd_ctx_free(struct cmd_ctx *ctx);
void cmd_print_help(const struct cmd_entry *entry, FILE *f);
/* cmd_help.c: `bulkhead --help`, every command with its summary. */
void cmd_print_overview(FILE *f);

/* Options every command accepts besides its own: --json, --socket, -h/--help.
 * End a command's option array with CMD_COMMON_OPTIONS. */
#define CMD_OPT_JSON   0x100
#define CMD_OPT_SOCKET 0x101
#define CMD_COMMON_OPTIONS                                           \
	{ "json", no_argument, NULL, CMD_OPT_JSON },                 \
	{ "socket", required_argument, NULL, CMD_OPT_SOCKET },       \
	{ "help", no_argument, NULL, 'h' },                          \
	{ NULL, 0, NULL, 0 }

/* getopt_long() for a command (options may follow positional arguments).
 * Handles the common options itself. Returns the next option of the
 * command's own, -1 at the end (then optind indexes the first positional
 * argument), or CMD_OPT_EXIT after printing help or a usage error: the
 * command then returns ctx->exit. */
#define CMD_OPT_EXIT (-2)
int cmd_getopt(struct cmd_ctx *ctx, int argc, char **argv, const char *shortopts,
    const struct option *longopts);

/* Prints "bulkhead: CMD: MSG. Try 'bulkhead help CMD'." and returns BH_EXIT_USAGE. */
int cmd_usage_error(struct cmd_ctx *ctx, const char *fmt, ...) PRINTFLIKE(2, 3);
/* Checks that min..max positional arguments follow the options (max < 0: no
 * limit); what names the first missing one in the usage error. */
int cmd_check_args(struct cmd_ctx *ctx, int argc, char **argv, int min, int max,
    const char *what);
/* Parses a whole decimal integer given to option OPT; usage error if not. */
int cmd_parse_int(struct cmd_ctx *ctx, const char *opt, const char *s, int64_t *out);
/* --timeout SECONDS: a whole number, 0 or more. */
int cmd_parse_timeout(struct cmd_ctx *ctx, const char *s, int64_t *out);

/* Prints "bulkhead: CMD[ VM]: MSG" (control characters replaced). */
void cmd_error(struct cmd_ctx *ctx, const char *vm, const char *fmt, ...) PRINTFLIKE(3, 4);

/* One request to domd. *result (may be NULL when not wanted) receives the
 * result on success; errors are reported on stderr. Takes ownership of args
 * (NULL: {}). Returns BH_EXIT_OK, BH_EXIT_FAIL or BH_EXIT_UNREACHABLE. */
int cmd_call(struct cmd_ctx *ctx, const char *method, const char *vm,
    json_object *args, json_object **result);
/* The connected client, connecting on first use; NULL after reporting why. */
struct client *cmd_client(struct cmd_ctx *ctx);

/* The same method for every name in names[0..n): errors are reported and the
 * others still tried; all requests are sent before the first reply is read
 * when pipelined. With --json prints [{"vm":…,"ok":…,"result"|"error":…}].
 * args (may be NULL) is copied for each request and not consumed. */
int cmd_each_vm(struct cmd_ctx *ctx, const char *method, char **names, int n,
    json_object *args, int pipelined);

/* The whole of a command NAME… without options of its own (start, kill, …):
 * method for every name, not pipelined, with empty args. */
int cmd_exec_each(struct cmd_ctx *ctx, int argc, char **argv, const char *method);

/* Request arguments as the commands build them, shared with the console.
 * Each returns a new object for cmd_call()/client_send(). */
/* shutdown: {"wait":…} and "timeout" unless timeout < 0 (domd's default). */
json_object *cmd_shutdown_args(int wait, int64_t timeout);
/* clone: {"target":…}. */
json_object *cmd_clone_args(const char *target);
/* prefs NAME PROP VALUE: {"prop":…,"value":…}, the value as a string. */
json_object *cmd_prefs_set_args(const char *prop, const char *value);
/* create: adds one property given as text to args: memory and vcpus as
 * numbers when the text is a whole number, autostart and provides_network as
 * bools when it reads as one; anything else as a string, for domd to judge. */
void cmd_create_arg(json_object *args, const char *prop, const char *value);

/* Output helpers. */
void cmd_print_json(json_object *obj);
/* Writes s with every byte outside printable ASCII replaced by '?'. */
void cmd_put_safe(FILE *f, const char *s);
/* A property value as text: strings as is, null as "", others as JSON. */
const char *cmd_value_text(json_object *v);
/* Member KEY of object OBJ as text ("" when absent). */
const char *cmd_member_text(json_object *obj, const char *key);

#endif
