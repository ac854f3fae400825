/* The console: `bulkhead` without a command, or `bulkhead console`.
 *
 * Structure, after htop's Panel and tmux's screen-write -> tty:
 *  - the model (tui_model.c): qubes, their stats, the ask queue, the last
 *    error; fed by domd's event stream and periodic vm.stats, never drawn;
 *  - connections to domd (tui_conn.c): one subscribed to events, one for
 *    queries (vm.list once, vm.get, vm.stats, ask.list), and one per
 *    operator action so that a slow vm.start never stalls the screen;
 *  - child processes (tui_proc.c): a command whose output a view shows (the
 *    USB view's `bulkhead usb list`), read on the same loop, never waited for;
 *  - views on a stack (tui_table.c, tui_help.c, tui_log.c, tui_asks.c, ...):
 *    each draws itself into stdscr and answers keys with a tui_result;
 *  - actions (tui_act_*.c), one file each, collected in tui_action_table[]
 *    as the CLI's are in cmd_table[]; where the CLI has the verb they send
 *    the request its command builds (cmd_entry.method and cmd_*_args);
 *  - the terminal (tui_term.c): curses set-up, and restoring the terminal
 *    on every way out (return, exit(), fatal signals, SIGTERM/SIGHUP/SIGINT);
 *    the function keys it can send (tui_keys.c); its size, asked of it
 *    where no SIGWINCH tells it, as on a serial line (tui_size.c).
 * Drawing fills stdscr; curses sends only the cells that differ from what
 * the terminal shows, which keeps a serial line quiet. */
#ifndef BULKHEAD_TUI_H
#define BULKHEAD_TUI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "client.h"
#include "log.h"

struct cmd_entry;

/* ---- options (cmd_console.c) ---- */

struct tui_opts {
	const char *socket_path;
	int kiosk;               /* start, stop and view the listed qubes only */
	char **kiosk_qubes;      /* kiosk: the qubes shown */
	int nkiosk_qubes;
	int quit_key;            /* kiosk: the key that quits; 0: none */
	int bench_frames;        /* hidden: draw this many full frames, print timings */
	const char *term;        /* --term: the terminal type; NULL: $TERM */
};

/* Runs the console until the operator quits; returns a BH_EXIT_* status. */
int tui_run(const struct tui_opts *opts);

/* ---- model (tui_model.c) ---- */

#define TUI_NAME_MAX 32
#define TUI_TARGET_MAX 48 /* a qube name, dom0 or @dispvm:NAME */

struct tui_qube {
	char name[TUI_NAME_MAX];
	char cls[16];
	char label[16];
	char state[16];
	char template_name[TUI_NAME_MAX];
	char netvm[TUI_NAME_MAX];
	char ip[48];             /* "ip" once domd reports one; empty until then */
	char uuid[40];
	char reason[128];        /* why it last stopped */
	char tags[256];          /* "a, b" when domd reports "tags" */
	int has_tags;
	int64_t memory;          /* MiB, the property */
	int64_t vcpus;
	int autostart;
	int provides_network;
	int outdated;            /* runs from an older root than its template's */

	/* From vm.stats, while running or paused. */
	int has_stats;
	uint64_t mem_bytes, mem_limit_bytes, cpu_ns, uptime_s, pids;
	int has_cpu;             /* two samples seen: cpu_pct is meaningful */
	double cpu_pct;
	int64_t stats_at_ns;     /* CLOCK_MONOTONIC of the sample */
	int stats_pending;       /* a vm.stats is in flight */
};

struct tui_ask {
	int64_t id;
	char service[64];
	char arg[64];
	char source[TUI_NAME_MAX];
	char target[TUI_TARGET_MAX];
	char default_target[TUI_TARGET_MAX];
	/* What the policy lets the operator choose, space-separated (domd's
	 * "targets"); "" from a domd that does not say. */
	char targets[1024];
	int64_t age_s;           /* as reported */
	int64_t seen_at_ns;      /* when it was reported */
	int is_new;              /* arrived and not yet looked at */
};

struct tui_model {
	struct tui_qube **q;     /* sorted by name */
	size_t n, cap;
	struct tui_ask *asks;
	size_t nasks, asks_cap;
	int asks_available;      /* -1 unknown, 0 domd has no ask queue, 1 yes */

	int connected;
	char backend[16];
	int weak_isolation;
	char state_dir[1024];
	char version[32];

	char error[256];         /* the last error, for the message line */
	char info[256];          /* the last note, when there is no error */

	unsigned long gen;       /* bumped by every change: views redraw */

	/* Kiosk: only these qubes exist for the console. */
	char **only;
	int nonly;
};

void model_init(struct tui_model *m, char **only, int nonly);
void model_free(struct tui_model *m);
void model_clear(struct tui_model *m);
struct tui_qube *model_find(struct tui_model *m, const char *name);
/* Names for a choice field: "" (none) first, then the templates (templates
 * != 0) or the qubes that provide network; at most max. */
int model_names(const struct tui_model *m, const char **out, int max, int templates);
int model_accepts(const struct tui_model *m, const char *name);
/* Inserts or updates a qube from a qube object (vm.get, vm.list). */
struct tui_qube *model_put(struct tui_model *m, json_object *obj);
/* Replaces every qube by those of a vm.list result. */
void model_replace(struct tui_model *m, json_object *array);
void model_remove(struct tui_model *m, const char *name);
void model_apply_stats(struct tui_model *m, const char *name, json_object *stats);
void model_clear_stats(struct tui_qube *q);
/* Applies one event. Returns what the caller should fetch next. */
#define MODEL_NEED_GET   0x1 /* a qube was created: vm.get it */
#define MODEL_NEED_STATS 0x2 /* a qube is now running: vm.stats it */
#define MODEL_NEW_ASK    0x4 /* an ask arrived */
int model_apply_event(struct tui_model *m, json_object *ev, char *vm, size_t vmlen);
void model_replace_asks(struct tui_model *m, json_object *array);
struct tui_ask *model_find_ask(struct tui_model *m, int64_t id);
size_t model_new_asks(const struct tui_model *m);
int model_running(const struct tui_qube *q); /* running or paused: has stats */
void model_error(struct tui_model *m, const char *fmt, ...) PRINTFLIKE(2, 3);
void model_info(struct tui_model *m, const char *fmt, ...) PRINTFLIKE(2, 3);
void model_changed(struct tui_model *m);

/* Copies src to dst (size len) keeping printable ASCII only ('?' for the
 * rest): text from domd may carry what a guest chose. */
void tui_safe_copy(char *dst, size_t len, const char *src);
int64_t tui_now_ns(void);

/* ---- connections (tui_conn.c) ---- */

struct tui;
struct tui_conn;

/* A reply: st is CLIENT_OK (result, may be NULL), CLIENT_REFUSED or
 * CLIENT_BADREPLY (err), or CLIENT_LOST (err) when the connection went away
 * first. result and err belong to the caller of the callback. */
typedef void (*tui_reply_fn)(struct tui *t, void *arg, enum client_status st,
    json_object *result, const struct client_error *err);

/* Opens a connection; NULL (and the model's error says why) on failure. */
struct tui_conn *tui_conn_open(struct tui *t, const char *purpose, int close_when_idle);
void tui_conn_close(struct tui *t, struct tui_conn *c);
/* Sends a request; fn (may be NULL) gets the reply. Takes args (NULL: {}).
 * Returns 0, or -1 after fn got CLIENT_LOST. */
int tui_conn_request(struct tui *t, struct tui_conn *c, const char *method, const char *vm,
    json_object *args, tui_reply_fn fn, void *arg);
size_t tui_conn_pending(const struct tui_conn *c);
int tui_conn_fd(const struct tui_conn *c);
/* Reads what is there and dispatches replies and events; -1 once the
 * connection is lost (every pending fn got CLIENT_LOST; close it then). */
int tui_conn_read(struct tui *t, struct tui_conn *c);

/* One operator request on a connection of its own. On a refusal the model's
 * error reads "WHAT VM: message"; fn (may be NULL) is called either way. */
void tui_request(struct tui *t, const char *what, const char *method, const char *vm,
    json_object *args, tui_reply_fn fn, void *arg);
/* The same for a CLI verb: the method of cmd_table's entry. */
void tui_request_verb(struct tui *t, const struct cmd_entry *verb, const char *vm,
    json_object *args, tui_reply_fn fn, void *arg);
/* A query on the shared query connection (no error reporting). */
void tui_query(struct tui *t, const char *method, const char *vm, json_object *args,
    tui_reply_fn fn, void *arg);
/* domd's socket: --socket, else $BULKHEAD_SOCKET, else the default. */
const char *tui_socket_path(struct tui *t);

/* ---- child processes (tui_proc.c) ---- */

/* A child's end: status is its wait status, or -1 when it could not be run
 * or the console killed it (err says why); out (NUL-terminated, outlen
 * bytes) is what it wrote, err the end of its messages. */
typedef void (*tui_proc_fn)(struct tui *t, void *arg, int status, const char *out,
    size_t outlen, const char *err);
/* Runs path with argv on the event loop: at most max bytes of output and
 * timeout_s seconds, else it is killed. fn is always called, maybe at once. */
void tui_proc_run(struct tui *t, const char *path, const char *const argv[], size_t max,
    int timeout_s, tui_proc_fn fn, void *arg);
/* The same with input (NULL: /dev/null; else its stdin, inlen bytes, at
 * most 4096, then its end) and line_fn (may be NULL) called with each line
 * of its messages as it comes. */
typedef void (*tui_proc_line_fn)(struct tui *t, void *arg, const char *line);
void tui_proc_run_io(struct tui *t, const char *path, const char *const argv[], const char *input,
    size_t inlen, size_t max, int timeout_s, tui_proc_line_fn line_fn, tui_proc_fn fn,
    void *arg);

/* ---- views (tui_main.c keeps the stack) ---- */

enum tui_result {
	TUI_UNHANDLED = 0, /* not this view's key: try the next one down */
	TUI_HANDLED,       /* done, nothing to draw */
	TUI_REDRAW,        /* done, the screen changes */
	TUI_CLOSE,         /* done, pop this view */
	TUI_QUIT,          /* leave the console */
};

struct tui_view;

struct tui_view_ops {
	const char *name;
	int fullscreen;    /* else a dialog drawn over the views below */
	/* Draws into rows 1..LINES-3 (fullscreen) or a box; may set the bar. */
	void (*draw)(struct tui *t, struct tui_view *v);
	enum tui_result (*key)(struct tui *t, struct tui_view *v, int key);
	/* Once a second while on the stack (optional). */
	void (*tick)(struct tui *t, struct tui_view *v);
	/* The function-key bar while this view is on top (optional). */
	void (*bar)(struct tui *t, struct tui_view *v);
	void (*destroy)(struct tui_view *v);
};

struct tui_view {
	const struct tui_view_ops *ops;
	struct tui_view *below;
	unsigned long id;  /* unique: a reply finds its view by id, or learns it is gone */
};

void tui_push(struct tui *t, struct tui_view *v);
void tui_pop(struct tui *t);
/* The view with that id if still on the stack, else NULL. */
struct tui_view *tui_view_find(struct tui *t, unsigned long id);
void tui_redraw(struct tui *t);     /* redraw at the end of this turn */

/* Drawing helpers (tui_draw.c). */
enum tui_colour {
	TC_NONE = 0,
	TC_RED = 1, TC_ORANGE, TC_YELLOW, TC_GREEN, TC_GRAY, TC_BLUE, TC_PURPLE, TC_BLACK,
	TC_STATUS, TC_BARKEY, TC_BARLABEL, TC_ERROR, TC_HEADER, TC_SELECTED, TC_NEW,
	TC_RUNNING, TC_PAUSED, TC_TRANSIENT, TC_DIALOG, TC_FIELD,
	TC_COUNT
};
void tui_colours_init(struct tui *t);
int tui_attr(struct tui *t, enum tui_colour c);      /* attributes for a role */
int tui_label_attr(struct tui *t, const char *label);
/* Writes at most w columns of s at (y, x), padded with spaces to w. */
void tui_put(int y, int x, int w, const char *s, int attr);
/* A dialog box of h rows and w columns centred over the content area;
 * returns its top-left corner. */
void tui_box(struct tui *t, int h, int w, const char *title, int *y, int *x);
/* Word-wraps s into at most maxlines lines of width w; returns the count. */
int tui_wrap(const char *s, int w, char lines[][256], int maxlines);
/* The bar: label pairs (key text, label) from left to right. */
void tui_bar_begin(struct tui *t);
void tui_bar_item(struct tui *t, const char *key, const char *label);
void tui_bar_end(struct tui *t);
/* A list's selection (tui_list.c): Up, Down, PgUp, PgDn (Space), Home (g)
 * and End (G) move *sel among n rows, page at a time; 1 if ch was one of
 * them. tui_list_scroll moves *top so that sel is among the nrows shown. */
int tui_list_key(int ch, int *sel, int n, int page);
void tui_list_scroll(int sel, int *top, int nrows);
/* Sizes and uptimes in a cell: tui_fmt.h. */
#include "tui_fmt.h"

/* ---- actions (tui_act_*.c, tui_actions.c) ---- */

struct tui_action {
	const char *name;        /* "start" */
	const char *label;       /* for the bar: "Start" */
	int fkey;                /* n for Fn, 0: none */
	int key;                 /* the letter equivalent */
	int key2;                /* another key (KEY_DC, '?', ...), 0: none */
	const char *keyname;     /* how help shows key/key2, e.g. "x, Del" */
	const char *help;        /* one line for the help view */
	int flags;
#define TUI_ACT_KIOSK    0x1 /* allowed in kiosk mode */
#define TUI_ACT_QUBE     0x2 /* needs a selected qube */
#define TUI_ACT_BAR      0x4 /* shown on the function-key bar */
	const struct cmd_entry *verb; /* the CLI command it shares, or NULL */
	void (*run)(struct tui *t, struct tui_qube *q);
};

extern const struct tui_action tui_act_help, tui_act_start, tui_act_shutdown,
    tui_act_kill, tui_act_restart, tui_act_sort, tui_act_create, tui_act_remove,
    tui_act_props, tui_act_quit, tui_act_pause, tui_act_clone, tui_act_tags,
    tui_act_firewall, tui_act_usb, tui_act_asks, tui_act_log, tui_act_filter,
    tui_act_redraw, tui_act_viewer, tui_act_backup, tui_act_restore, tui_act_update,
    tui_act_admin_calls;
extern const struct tui_action *const tui_action_table[];

/* Function keys (tui_keys.c): after curses is set up, learns which ones
 * the terminal sends (its terminfo entry has them, and not as keypad
 * codes). The bar and the help show Fn only for those, else the letter. */
void tui_keys_init(void);
int tui_fkey_sendable(int n);
/* How the bar shows an action's key: "F7", or "n" when F7 cannot be sent. */
void tui_action_keytext(const struct tui_action *a, char *buf, size_t len);

/* The action bound to key, or NULL. */
const struct tui_action *tui_action_for_key(int key);
int tui_action_allowed(struct tui *t, const struct tui_action *a);
/* Runs an action for the selected qube q (may be NULL), after the checks:
 * kiosk, a qube selected. */
void tui_action_run(struct tui *t, const struct tui_action *a, struct tui_qube *q);

/* ---- views and dialogs that actions open ---- */

/* Main table (tui_table.c). */
struct tui_view *tui_table_new(struct tui *t);
struct tui_qube *tui_table_selected(struct tui *t);
/* Sort column choice (tui_sort.c uses these). */
int tui_table_ncols(void);
const char *tui_table_col_title(int col);
int tui_table_sort_col(struct tui *t, int *reverse);
void tui_table_set_sort(struct tui *t, int col, int reverse);
void tui_table_start_filter(struct tui *t);
void tui_table_bench(struct tui *t);

/* Yes/no question (tui_confirm.c). */
typedef void (*tui_confirm_fn)(struct tui *t, const char *vm);
void tui_confirm(struct tui *t, const char *title, const char *question, const char *vm,
    tui_confirm_fn yes);

/* Forms (tui_form.c): text and choice fields, a submit callback, messages
 * shown under the field they concern. */
struct tui_form;
#define TUI_FORM_TEXT_MAX 127 /* the longest value of a text field */
typedef void (*tui_form_fn)(struct tui *t, struct tui_form *f);
struct tui_form *tui_form_new(const char *title, const char *vm, tui_form_fn submit);
void tui_form_text(struct tui_form *f, const char *key, const char *label, const char *value,
    const char *hint);
/* A passphrase: typed into like a text field, never drawn; wiped at the end. */
void tui_form_secret(struct tui_form *f, const char *key, const char *label);
/* choices[0..n): copied; value selects one (or adds it when not among them). */
void tui_form_choice(struct tui_form *f, const char *key, const char *label,
    const char *const *choices, int n, const char *value);
void tui_form_note(struct tui_form *f, const char *text);
int tui_form_nfields(const struct tui_form *f);
const char *tui_form_key(const struct tui_form *f, int i);
const char *tui_form_value(const struct tui_form *f, int i);
const char *tui_form_get(const struct tui_form *f, const char *key);
int tui_form_changed(const struct tui_form *f, int i);
/* The field's value was accepted: it no longer counts as changed. */
void tui_form_accepted(struct tui_form *f, const char *key);
const char *tui_form_vm(const struct tui_form *f);
struct tui_view *tui_form_view(struct tui_form *f);
/* While a request is in flight the form ignores input but Esc. */
void tui_form_busy(struct tui_form *f, const char *what);
/* Shows domd's message under the field it names (or under the form). */
void tui_form_error(struct tui_form *f, const char *code, const char *message);
void tui_form_clear_errors(struct tui_form *f);
/* The same for a message known to concern the field key. */
void tui_form_field_error(struct tui_form *f, const char *key, const char *message);
/* Requests in flight for the form: adds delta, returns the count. */
int tui_form_pending(struct tui_form *f, int delta);
int tui_form_nerrors(const struct tui_form *f);
/* The form for a reply: NULL when the operator has closed it meanwhile. */
struct tui_form *tui_form_find(struct tui *t, unsigned long id);
unsigned long tui_form_id(const struct tui_form *f);

/* A full-screen scrollable text (tui_pager.c): help, notes, logs. Lines
 * are copied (made printable). tick (may be NULL) runs once a second. */
struct tui_pager;
typedef void (*tui_pager_fn)(struct tui *t, struct tui_pager *p);
struct tui_pager *tui_pager_new(const char *title, tui_pager_fn tick, void *ctx);
void *tui_pager_ctx(struct tui_pager *p);
void tui_pager_add(struct tui_pager *p, const char *line, int attr);
void tui_pager_clear(struct tui_pager *p);
size_t tui_pager_lines(const struct tui_pager *p);
/* Follow: keep the last line on screen as lines are added (End turns it on,
 * scrolling up off). */
void tui_pager_follow(struct tui_pager *p, int on);
void tui_pager_set_info(struct tui_pager *p, const char *info);
struct tui_view *tui_pager_view(struct tui_pager *p);
unsigned long tui_pager_id(const struct tui_pager *p);
/* The pager with that id: NULL once the operator has closed it. */
struct tui_pager *tui_pager_find(struct tui *t, unsigned long id);
/* Called when the pager closes, to free ctx (may be NULL). */
void tui_pager_on_destroy(struct tui_pager *p, void (*fn)(void *ctx));

/* A CLI command run on the event loop (tui_job.c), argv as `bulkhead
 * backup ... --socket S` (tui_socket_path), in a pager titled title: the lines of progress it prints on
 * stderr (--progress-lines) in the pager's header as they come, its
 * messages, then its output and the outcome, also on the message line as
 * "WHAT: done" or "WHAT: failed: why". input (may be NULL) is its stdin. */
void tui_job_run(struct tui *t, const char *title, const char *what, const char *const argv[],
    const char *input, size_t inlen);
/* The same, each line on its stderr also added to the pager as it comes
 * (the pager follows the output). */
void tui_job_run_lines(struct tui *t, const char *title, const char *what,
    const char *const argv[]);
/* The CLI's `backup SUB ARGS...` as a job, the form's "passphrase" field on
 * its stdin; closes the form f first (what may point into it). args: at
 * most 80. */
void tui_backup_job(struct tui *t, struct tui_form *f, const char *title, const char *what,
    const char *sub, const char *const args[]);
/* Splits s (changed in place) at spaces into out[0..max); the count, or -1
 * when there are more than max words. */
int tui_split_words(char *s, const char **out, int max);

/* Full-screen views opened by actions. */
void tui_help_open(struct tui *t);
void tui_log_open(struct tui *t, const char *vm);
void tui_asks_open(struct tui *t);
void tui_note_open(struct tui *t, const char *title, const char *const *lines);
void tui_sort_open(struct tui *t);

/* ---- the console (tui_main.c) ---- */

struct tui_stash;

struct tui {
	struct tui_opts opts;
	struct tui_model m;

	struct tui_conn *conns;  /* every open connection */
	struct tui_proc *procs;  /* every child process running */
	struct tui_conn *events; /* subscribed */
	struct tui_conn *query;  /* vm.list, vm.get, vm.stats, ask.list */
	int64_t reconnect_at_ns; /* 0: connected or connecting */
	int64_t next_stats_ns;
	int64_t next_tick_ns;
	int stats_inflight;

	/* Events held back while a snapshot (vm.list, vm.get, ask.list) is in
	 * flight, then replayed over it in order (see tui_main.c). */
	json_object *stash;      /* array of events */
	int list_pending, asks_pending;
	char **get_pending;      /* names with a vm.get in flight */
	int nget_pending;

	struct tui_view *top;    /* the view stack */
	struct tui_view *table;  /* its bottom, the main table */
	unsigned long next_view_id;

	int colour;              /* the terminal has colours (else labels as text) */
	int quit;
	int redraw;              /* something changed: draw at the end of this turn */
	int full_redraw;         /* Ctrl-L: repaint every cell */
	unsigned long drawn_gen;

	/* The bar being built by a view's bar(). */
	int bar_x;
	/* Where a view wants the cursor (a text field), -1: hidden. */
	int cursor_y, cursor_x;
	int cursor_shown;

	/* --bench-frames: figures printed once the terminal is restored. */
	double bench_mean_ms, bench_max_ms, bench_min_ms;
	int bench_done, bench_rows;
};

void tui_draw(struct tui *t);
/* One key to the views (after tui_size_key has seen it). */
void tui_handle_key(struct tui *t, int ch);
/* A qube was created, or changed behind a snapshot: fetch it. */
void tui_fetch_qube(struct tui *t, const char *name);
void tui_fetch_stats(struct tui *t, struct tui_qube *q);

/* ---- the terminal (tui_term.c) ---- */

int tui_term_init(struct tui *t);       /* 0, or -1 (message printed) */
void tui_term_restore(void);            /* idempotent; also at exit and on signals */
void tui_term_tick(void);               /* once a second */
int tui_term_resize_pending(void);      /* SIGWINCH seen: resize now */
void tui_term_resize(void);
int tui_term_quit_signal(void);         /* SIGTERM/SIGINT/SIGHUP seen (the signal) */
int tui_term_wakeup_fd(void);           /* readable when a signal arrived */
void tui_term_drain_wakeup(void);
/* No one tells us the size: not a pseudo-terminal (a serial line), or the
 * kernel's size is 0x0. */
int tui_term_size_unknown(void);
/* The size learnt from the terminal: curses and the kernel's window size;
 * 1 if it changed. */
int tui_term_set_size(int rows, int cols);
void tui_term_write(const char *s);     /* straight to the terminal */

/* ---- the size asked of the terminal (tui_size.c) ---- */

/* At start: asks, when the size is unknown, and drawing waits a moment. */
void tui_size_start(struct tui *t);
/* Ctrl-L: repaint; asks again where it asked at start. */
void tui_size_refresh(struct tui *t);
/* Every key from curses: answers are taken, the rest go to tui_handle_key. */
void tui_size_key(struct tui *t, int ch);
int tui_size_waiting(void);             /* the first frame waits for an answer */
int64_t tui_size_deadline(void);        /* 0, or when tui_size_timer must run */
void tui_size_timer(struct tui *t, int64_t now);

#endif
