/* RPC policy: Qubes' qrexec policy.d format, loaded from files and evaluated
 * by domd for every qube-to-qube service call.
 *
 * A rule line is   SERVICE ARGUMENT SOURCE TARGET ACTION [OPTION=VALUE...]
 *   SERVICE   `*` or [A-Za-z0-9._-]{1,64}
 *   ARGUMENT  `*` (any), `+` (the empty argument) or `+ARG`, ARG [A-Za-z0-9._+-]{0,64};
 *             a `*` service takes only a `*` argument
 *   SOURCE    `*` (any qube, dom0 included), @anyvm, @adminvm or dom0, @tag:T,
 *             @type:T, a qube name (dom0 is matched by `*`, @adminvm, dom0 and
 *             @type:AdminVM, not by @anyvm; it has no tags);
 *             @dispvm:VM and @dispvm:@tag:T are accepted and never match a
 *             source, as in Qubes
 *   TARGET    as SOURCE, plus @default (the caller named no target), @dispvm
 *             (a new DispVM from the default DispVM template), @dispvm:VM,
 *             @dispvm:@tag:T (a new DispVM from a template_for_dispvms qube with tag T)
 *   ACTION    allow [target= user= notify= autostart=]
 *             ask   [target= default_target= user= notify= autostart=]
 *             deny  [notify=]
 *             target= / default_target= take a qube name, dom0/@adminvm, @dispvm or
 *             @dispvm:VM; notify= and autostart= take yes|no. autostart=no allows
 *             only a running target (or dom0), never a new DispVM; notify= is
 *             accepted and has no effect here (domd logs every decision).
 *             As in Qubes, `allow` for a @default TARGET without target= is an
 *             error (it could never connect anything).
 * Directives: `!include PATH`, `!include-dir PATH`, `!include-service SERVICE ARGUMENT PATH`,
 * `!compat-4.0` (adds no rules: there is no Qubes 4.0 policy directory to read;
 * kept as a warning, see policy_warning())
 * (the included file has old-style lines `SOURCE TARGET ACTION[,OPTION...]`); a
 * relative PATH is taken from the top policy directory, as in Qubes. Comments
 * start with `#` at the beginning of a line. Directories contribute their
 * `*.policy` files that do not start with `.`, in C-locale order; a name outside
 * [a-z0-9_.-] is an error, as in Qubes.
 *
 * Anything malformed, unreadable, too large, too deep or cyclic makes the whole
 * policy deny every call ("fail closed"), remembering the first error.
 *
 * Not thread-safe; a policy is read-only once loaded. */
#ifndef BULKHEAD_POLICY_H
#define BULKHEAD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#define POLICY_LINE_MAX 4096 /* bytes per line, without the newline */
#define POLICY_FILE_MAX (1024 * 1024) /* bytes per file */
#define POLICY_TOTAL_MAX (16 * 1024 * 1024) /* bytes read for one load, includes counted */
#define POLICY_FILES_MAX 1024 /* files opened for one load */
#define POLICY_RULES_MAX 100000
#define POLICY_INCLUDE_DEPTH 8 /* nested !include levels below a top-level file */
#define POLICY_SERVICE_MAX 64
#define POLICY_ARG_MAX 64
#define POLICY_NAME_MAX 31 /* qube names: [A-Za-z][A-Za-z0-9_.-]{0,30} */
#define POLICY_RACY_SECONDS 2 /* files changed this recently are compared by content */
#define POLICY_TARGET_MAX 64 /* bytes of a target's text, with the NUL */
#define POLICY_TARGETS_MAX 256 /* targets an ask offers; more are left out (never widens) */
#define POLICY_WARNINGS_MAX 64

struct policy; /* a loaded rule set */

struct policy_qube { /* what the evaluator knows of a qube */
	const char *name;
	const char *type; /* "AppVM", "TemplateVM", "StandaloneVM", "DispVM", "AdminVM" (dom0) */
	const char *const *tags; /* NULL-terminated, may be NULL */
	bool template_for_dispvms;
	bool running; /* autostart=no allows only running targets */
};

struct policy_env { /* the qube universe, supplied by domd */
	/* NULL if no such qube; the name "dom0" is the admin VM (it need not be
	 * known to find: dom0 always exists). */
	const struct policy_qube *(*find)(void *ctx, const char *name);
	void *ctx;
	const char *default_dispvm; /* "" or NULL if none */
	/* The i-th qube (from 0), NULL past the last: the candidates an ask
	 * offers. NULL: only dom0 is known to exist. */
	const struct policy_qube *(*nth)(void *ctx, size_t i);
};

enum policy_action { POLICY_DENY, POLICY_ALLOW, POLICY_ASK };

struct policy_decision {
	enum policy_action action;
	/* allow: never empty: a qube name, "dom0", or "@dispvm:BASE" for a new DispVM
	 * from BASE. ask: the target asked for (the caller's, or the rule's target=)
	 * if it is among targets, else "". */
	char target[POLICY_TARGET_MAX];
	/* ask: the target to propose to the operator: default_target= if the rule
	 * has one and it is among targets (else it is dropped, as in Qubes), else
	 * target; "" if none. */
	char default_target[POLICY_TARGET_MAX];
	/* ask: what the operator may choose from, in C order, never empty (an ask
	 * with nothing to offer is a deny): the rule's target= if it has one, else
	 * every target the policy would not deny for this call (Qubes'
	 * collect_targets_for_ask), the caller itself left out. */
	char targets[POLICY_TARGETS_MAX][POLICY_TARGET_MAX];
	size_t ntargets;
	/* allow/ask: false for autostart=no: the target must be running when the
	 * call goes (domd must not start it). */
	bool autostart;
	char user[32]; /* user= option, "" if none */
	/* "FILE:LINE" of the matching rule; for a deny not decided by a deny rule, why
	 * ("no matching rule", "FILE:LINE: <why the allow or ask could not be
	 * resolved>", "policy broken: FILE:LINE: reason"). */
	char origin[512];
};

/* Loads DIR/ *.policy (see above). Never returns NULL: a broken policy denies
 * everything and keeps its first error ("FILE:LINE: reason"), which is also
 * logged with log_warnx. */
struct policy *policy_load_dir(const char *dir);
/* Loads one policy text; name stands for FILE in origins and errors. Include
 * directives are errors here (there is no directory to take them from). Does
 * not log. Never returns NULL. */
struct policy *policy_load_string(const char *text, const char *name);
/* The i-th warning ("FILE:LINE: what was skipped and why"), NULL past the
 * last: directives Bulkhead does not implement and that add nothing. */
const char *policy_warning(const struct policy *p, size_t i);
/* The first error, or NULL if the policy loaded cleanly. */
const char *policy_error(const struct policy *p);
/* Number of rules (0 for a broken policy). */
size_t policy_rule_count(const struct policy *p);
void policy_free(struct policy *p);

/* Decides one call. service is the bare service name and arg the bare argument
 * (without the '+'; NULL or "" for none). source is the calling qube (or "dom0").
 * target is what the caller asked for: NULL, "" or "@default" for none,
 * "@dispvm", "@dispvm:VM", "dom0"/"@adminvm", or a qube name; a name of no
 * qube is taken as @default, as in Qubes (the outcome must not tell whether
 * the qube exists). p may be NULL (denies). out is always filled, every
 * string NUL-terminated. */
void policy_evaluate(const struct policy *p, const struct policy_env *env, const char *service,
    const char *arg, const char *source, const char *target, struct policy_decision *out);

/* Is target one of an ask decision's targets? */
bool policy_offers(const struct policy_decision *d, const char *target);

/* Returns the current policy of DIR, re-reading it only when something it was
 * read from changed (mtime, ctime, size, inode, mode of DIR, of every file read
 * and every directory listed, and appearance of a missing include), or when a
 * file was changed less than POLICY_RACY_SECONDS before the last read (the
 * timestamp may not show a second change then). A re-read that yields the same
 * rules keeps the old pointer. *cached is NULL the first time and owned by the
 * cache; a pointer returned earlier is freed when the policy is replaced, so
 * hold it only until the next call. Free with policy_free(*cached). */
struct policy *policy_cache_get(struct policy **cached, const char *dir);

/* Times a policy directory was read in this process, by policy_load_dir() or
 * by the cache (to observe the cache). */
unsigned long policy_load_count(void);

#endif
