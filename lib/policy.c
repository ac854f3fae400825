/* RPC policy: Qubes' qrexec policy.d format (see policy.h). Three parts:
 * the line parser (tokens, rules, directives), the loader (files, directories,
 * includes, with bounds on size, depth and cycles) and the evaluator; then
 * the change-detecting cache domd calls before every evaluation.
 *
 * Policy files are dom0 files, so bookkeeping uses the aborting x*alloc
 * wrappers; every size is bounded, so a hostile or broken file costs a
 * bounded amount of memory and ends as a policy that denies everything. */
#include "policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

#define PRINTF(a, b) __attribute__((format(printf, a, b)))
#define WHITESPACE " \t\r\f\v"
#define MAX_FIELDS 16 /* 5 fields and at most 5 distinct options fit easily */

/* ---------------------------------------------------------------------------
 * Data
 */

enum tok_kind {
	TOK_NAME,        /* a qube name */
	TOK_WILDCARD,    /* `*`: any qube, dom0 and the keywords included */
	TOK_ADMIN,       /* @adminvm, dom0 */
	TOK_ANY,         /* @anyvm */
	TOK_TAG,         /* @tag:T */
	TOK_TYPE,        /* @type:T */
	TOK_DEFAULT,     /* @default */
	TOK_DISPVM,      /* @dispvm */
	TOK_DISPVM_BASE, /* @dispvm:VM */
	TOK_DISPVM_TAG,  /* @dispvm:@tag:T */
};

/* Where a token appears decides which kinds it may be (Qubes' Source, Target, Redirect). */
enum tok_ctx { CTX_SOURCE, CTX_TARGET, CTX_REDIRECT };

struct tok {
	enum tok_kind kind;
	char *val; /* name, tag, type or DispVM base; NULL for the plain keywords */
};

struct rule {
	char *service; /* NULL: any */
	char *arg; /* NULL: any; else the bare argument ("" for `+`) */
	struct tok src, tgt;
	enum policy_action action;
	bool has_redirect, has_default;
	struct tok redirect; /* target= */
	struct tok deftgt; /* default_target= */
	char *user; /* NULL: none */
	bool no_autostart; /* autostart=no */
	const char *file; /* one of policy.files */
	unsigned line;
};

/* What a load looked at, to notice changes (policy_cache_get). */
struct snap {
	char *path;
	int err; /* 0, or the errno of stat/open: a missing include may appear */
	dev_t dev;
	ino_t ino;
	off_t size;
	mode_t mode;
	struct timespec mtime, ctime;
};

struct policy {
	struct rule *rules;
	size_t nrules, rcap;
	char **files; /* names used in origins, owned */
	size_t nfiles, fcap;
	char *error; /* first error, NULL if clean */
	char **warnings; /* "FILE:LINE: ..." of what was skipped */
	size_t nwarnings;
	/* policy_load_dir only */
	char *dir;
	struct snap *snaps;
	size_t nsnaps, scap;
	struct timespec loaded; /* CLOCK_REALTIME when the load began */
};

struct loader {
	struct policy *p;
	const char *base; /* top directory for relative includes; NULL: no includes */
	bool failed;
	char err[1024];
	struct {
		dev_t dev;
		ino_t ino;
	} stack[POLICY_INCLUDE_DEPTH + 1]; /* files being read, for cycles */
	int depth;
	size_t total; /* bytes read */
	size_t nopened;
};

static unsigned long load_count;

/* ---------------------------------------------------------------------------
 * Small helpers
 */

static void PRINTF(3, 4)
bprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap); /* truncation is acceptable for messages */
	va_end(ap);
}

static void PRINTF(4, 5)
load_error(struct loader *ld, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (ld->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file != NULL && line > 0)
		bprintf(ld->err, sizeof(ld->err), "%s:%u: %s", file, line, msg);
	else if (file != NULL)
		bprintf(ld->err, sizeof(ld->err), "%s: %s", file, msg);
	else
		bprintf(ld->err, sizeof(ld->err), "%s", msg);
	ld->failed = true;
}

static void
load_warning(struct loader *ld, const char *file, unsigned line, const char *msg)
{
	struct policy *p = ld->p;

	if (p->nwarnings >= POLICY_WARNINGS_MAX)
		return;
	p->warnings = xrealloc(p->warnings, (p->nwarnings + 1) * sizeof(*p->warnings));
	p->warnings[p->nwarnings++] = xasprintf("%s:%u: %s", file, line, msg);
}

static bool
in_set(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* Every character of s in ALNUM + extra, and minlen <= strlen(s) <= maxlen. */
static bool
charset_ok(const char *s, const char *extra, size_t minlen, size_t maxlen)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		if (n >= maxlen)
			return false;
		if (!in_set(s[n], ALNUM) && !in_set(s[n], extra))
			return false;
	}
	return n >= minlen;
}

static bool
service_ok(const char *s)
{
	return charset_ok(s, "._-", 1, POLICY_SERVICE_MAX);
}

static bool
arg_ok(const char *s)
{
	return charset_ok(s, "._+-", 0, POLICY_ARG_MAX);
}

/* Qubes' qube names: a letter, then letters, digits, _ . - ; at most 31. */
static bool
name_ok(const char *s)
{
	if (!in_set(s[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
		return false;
	return charset_ok(s, "_.-", 1, POLICY_NAME_MAX);
}

static bool
label_ok(const char *s) /* tag and type values */
{
	return charset_ok(s, "_.-", 1, 64);
}

static bool
user_ok(const char *s)
{
	return charset_ok(s, "_.-", 1, 31);
}

/* ---------------------------------------------------------------------------
 * Policy object
 */

static void
tok_free(struct tok *t)
{
	free(t->val);
	t->val = NULL;
}

static void
rule_free(struct rule *r)
{
	free(r->service);
	free(r->arg);
	tok_free(&r->src);
	tok_free(&r->tgt);
	tok_free(&r->redirect);
	tok_free(&r->deftgt);
	free(r->user);
}

static void
rules_clear(struct policy *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	p->rules = NULL;
	p->nrules = p->rcap = 0;
}

static void
snaps_clear(struct policy *p)
{
	for (size_t i = 0; i < p->nsnaps; i++)
		free(p->snaps[i].path);
	free(p->snaps);
	p->snaps = NULL;
	p->nsnaps = p->scap = 0;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	rules_clear(p);
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	snaps_clear(p);
	for (size_t i = 0; i < p->nwarnings; i++)
		free(p->warnings[i]);
	free(p->warnings);
	free(p->error);
	free(p->dir);
	free(p);
}

const char *
policy_error(const struct policy *p)
{
	if (p == NULL)
		return "no policy";
	return p->error;
}

const char *
policy_warning(const struct policy *p, size_t i)
{
	return p == NULL || i >= p->nwarnings ? NULL : p->warnings[i];
}

size_t
policy_rule_count(const struct policy *p)
{
	return p == NULL ? 0 : p->nrules;
}

unsigned long
policy_load_count(void)
{
	return load_count;
}

static const char *
policy_add_file(struct policy *p, const char *name)
{
	/* The same file read twice (two includes) keeps one copy of its name. */
	if (p->nfiles > 0 && strcmp(p->files[p->nfiles - 1], name) == 0)
		return p->files[p->nfiles - 1];
	if (p->nfiles == p->fcap) {
		p->fcap = p->fcap ? 2 * p->fcap : 16;
		p->files = xrealloc(p->files, p->fcap * sizeof(*p->files));
	}
	p->files[p->nfiles] = xstrdup(name);
	return p->files[p->nfiles++];
}

static void
policy_add_snap(struct policy *p, const char *path, const struct stat *st, int err)
{
	struct snap *s;

	if (p->dir == NULL) /* string policies are never re-checked */
		return;
	if (p->nsnaps == p->scap) {
		p->scap = p->scap ? 2 * p->scap : 16;
		p->snaps = xrealloc(p->snaps, p->scap * sizeof(*p->snaps));
	}
	s = &p->snaps[p->nsnaps++];
	memset(s, 0, sizeof(*s));
	s->path = xstrdup(path);
	s->err = err;
	if (err == 0) {
		s->dev = st->st_dev;
		s->ino = st->st_ino;
		s->size = st->st_size;
		s->mode = st->st_mode;
		s->mtime = st->st_mtim;
		s->ctime = st->st_ctim;
	}
}

/* For a path that could not be opened: what stat says of it now (it may
 * exist yet be unreadable), so that only a change triggers a re-read. */
static void
snap_path(struct policy *p, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		policy_add_snap(p, path, &st, 0);
	else
		policy_add_snap(p, path, NULL, errno);
}

/* ---------------------------------------------------------------------------
 * Parser
 */

static bool
allowed_in(enum tok_kind k, enum tok_ctx ctx)
{
	switch (ctx) {
	case CTX_SOURCE:
		return k != TOK_DEFAULT && k != TOK_DISPVM;
	case CTX_TARGET:
		return true;
	case CTX_REDIRECT:
		return k == TOK_NAME || k == TOK_ADMIN || k == TOK_DISPVM || k == TOK_DISPVM_BASE;
	}
	return false;
}

static const char *
ctx_name(enum tok_ctx ctx)
{
	switch (ctx) {
	case CTX_SOURCE:
		return "source";
	case CTX_TARGET:
		return "target";
	case CTX_REDIRECT:
		return "redirect target";
	}
	return "?";
}

/* Parses s as a token allowed in ctx; 0, or -1 with the reason in why. */
static int
tok_parse(const char *s, enum tok_ctx ctx, struct tok *out, char *why, size_t whylen)
{
	static const struct {
		const char *text;
		enum tok_kind kind;
	} exact[] = {
		{ "*", TOK_WILDCARD },
		{ "dom0", TOK_ADMIN },
		{ "@adminvm", TOK_ADMIN },
		{ "@anyvm", TOK_ANY },
		{ "@default", TOK_DEFAULT },
		{ "@dispvm", TOK_DISPVM },
	};
	/* Longest prefix first: @dispvm:@tag: before @dispvm:. */
	static const struct {
		const char *prefix;
		enum tok_kind kind;
		bool (*valid)(const char *);
	} prefixed[] = {
		{ "@dispvm:@tag:", TOK_DISPVM_TAG, label_ok },
		{ "@dispvm:", TOK_DISPVM_BASE, name_ok },
		{ "@tag:", TOK_TAG, label_ok },
		{ "@type:", TOK_TYPE, label_ok },
	};
	size_t i;

	out->kind = TOK_NAME;
	out->val = NULL;
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(s, exact[i].text) == 0) {
			out->kind = exact[i].kind;
			goto check;
		}
	for (i = 0; i < sizeof(prefixed) / sizeof(prefixed[0]); i++) {
		size_t n = strlen(prefixed[i].prefix);

		if (strncmp(s, prefixed[i].prefix, n) != 0)
			continue;
		if (!prefixed[i].valid(s + n)) {
			bprintf(why, whylen, "invalid %s token '%s'", ctx_name(ctx), s);
			return -1;
		}
		out->kind = prefixed[i].kind;
		out->val = xstrdup(s + n);
		goto check;
	}
	if (!name_ok(s)) {
		bprintf(why, whylen, "invalid %s token '%s'", ctx_name(ctx), s);
		return -1;
	}
	out->val = xstrdup(s);
check:
	if (!allowed_in(out->kind, ctx)) {
		bprintf(why, whylen, "'%s' is not allowed as %s", s, ctx_name(ctx));
		tok_free(out);
		return -1;
	}
	return 0;
}

/* SERVICE and ARGUMENT columns; 0 or -1 with why. */
static int
parse_service_arg(const char *svc, const char *arg, char **svc_out, char **arg_out, char *why,
    size_t whylen)
{
	*svc_out = *arg_out = NULL;
	if (strcmp(svc, "*") != 0 && !service_ok(svc)) {
		bprintf(why, whylen, "invalid service '%s'", svc);
		return -1;
	}
	if (strcmp(arg, "*") != 0) {
		if (arg[0] != '+') {
			bprintf(why, whylen, "argument '%s' does not start with + (or is not *)", arg);
			return -1;
		}
		if (!arg_ok(arg + 1)) {
			bprintf(why, whylen, "invalid argument '%s'", arg);
			return -1;
		}
		if (strcmp(svc, "*") == 0) {
			bprintf(why, whylen, "only * argument allowed for * service");
			return -1;
		}
		*arg_out = xstrdup(arg + 1);
	}
	if (strcmp(svc, "*") != 0)
		*svc_out = xstrdup(svc);
	return 0;
}

static int
parse_yesno(const char *v)
{
	return strcmp(v, "yes") == 0 || strcmp(v, "no") == 0 ? 0 : -1;
}

/* ACTION and its options into r; 0 or -1 with why. */
static int
parse_action(struct rule *r, char **f, int n, char *why, size_t whylen)
{
	bool seen_target = false, seen_default = false, seen_user = false;
	bool seen_notify = false, seen_autostart = false;
	const char *action = f[0];

	if (strcmp(action, "allow") == 0)
		r->action = POLICY_ALLOW;
	else if (strcmp(action, "deny") == 0)
		r->action = POLICY_DENY;
	else if (strcmp(action, "ask") == 0)
		r->action = POLICY_ASK;
	else {
		bprintf(why, whylen, "invalid action '%s'", action);
		return -1;
	}
	for (int i = 1; i < n; i++) {
		char *eq = strchr(f[i], '=');
		const char *key = f[i], *val;
		bool *seen;
		bool ok_here;

		if (eq == NULL || eq == f[i]) {
			bprintf(why, whylen, "invalid option syntax '%s' (want key=value)", f[i]);
			return -1;
		}
		*eq = '\0';
		val = eq + 1;
		if (strcmp(key, "target") == 0) {
			seen = &seen_target;
			ok_here = r->action != POLICY_DENY;
		} else if (strcmp(key, "default_target") == 0) {
			seen = &seen_default;
			ok_here = r->action == POLICY_ASK;
		} else if (strcmp(key, "user") == 0) {
			seen = &seen_user;
			ok_here = r->action != POLICY_DENY;
		} else if (strcmp(key, "notify") == 0) {
			seen = &seen_notify;
			ok_here = true;
		} else if (strcmp(key, "autostart") == 0) {
			seen = &seen_autostart;
			ok_here = r->action != POLICY_DENY;
		} else {
			bprintf(why, whylen, "unknown option '%s'", key);
			return -1;
		}
		if (!ok_here) {
			bprintf(why, whylen, "option '%s' is not allowed for %s", key, action);
			return -1;
		}
		if (*seen) {
			bprintf(why, whylen, "option '%s' given twice", key);
			return -1;
		}
		*seen = true;
		if (seen == &seen_target) {
			if (tok_parse(val, CTX_REDIRECT, &r->redirect, why, whylen) < 0)
				return -1;
			r->has_redirect = true;
		} else if (seen == &seen_default) {
			if (tok_parse(val, CTX_REDIRECT, &r->deftgt, why, whylen) < 0)
				return -1;
			r->has_default = true;
		} else if (seen == &seen_user) {
			if (!user_ok(val)) {
				bprintf(why, whylen, "invalid user '%s'", val);
				return -1;
			}
			r->user = xstrdup(val);
		} else if (parse_yesno(val) < 0) {
			bprintf(why, whylen, "option '%s' takes yes or no, not '%s'", key, val);
			return -1;
		} else if (seen == &seen_autostart)
			r->no_autostart = strcmp(val, "no") == 0;
	}
	return 0;
}

/* A rule from its fields; svc/arg are the columns (new format) or the
 * !include-service words (old format, f starts at SOURCE). */
static void
add_rule(struct loader *ld, const char *svc, const char *arg, char **f, int n, const char *file,
    unsigned line)
{
	struct policy *p = ld->p;
	struct rule r;
	char why[512];

	memset(&r, 0, sizeof(r));
	if (n < 3) {
		load_error(ld, file, line, "wrong number of fields");
		return;
	}
	if (p->nrules >= POLICY_RULES_MAX) {
		load_error(ld, file, line, "more than %d rules", POLICY_RULES_MAX);
		return;
	}
	if (parse_service_arg(svc, arg, &r.service, &r.arg, why, sizeof(why)) < 0 ||
	    tok_parse(f[0], CTX_SOURCE, &r.src, why, sizeof(why)) < 0 ||
	    tok_parse(f[1], CTX_TARGET, &r.tgt, why, sizeof(why)) < 0 ||
	    parse_action(&r, f + 2, n - 2, why, sizeof(why)) < 0) {
		load_error(ld, file, line, "%s", why);
		rule_free(&r);
		return;
	}
	/* As in Qubes: such a rule could never connect anything. */
	if (r.tgt.kind == TOK_DEFAULT && r.action == POLICY_ALLOW && !r.has_redirect) {
		load_error(ld, file, line, "allow for @default target must specify target=");
		rule_free(&r);
		return;
	}
	r.file = policy_add_file(p, file);
	r.line = line;
	if (p->nrules == p->rcap) {
		p->rcap = p->rcap ? 2 * p->rcap : 32;
		p->rules = xrealloc(p->rules, p->rcap * sizeof(*p->rules));
	}
	p->rules[p->nrules++] = r;
}

static void load_file(struct loader *ld, const char *path, const char *svc, const char *arg,
    const char *from, unsigned fromline);
static void load_dir(struct loader *ld, const char *dir, const char *from, unsigned fromline);

/* An include path: relative ones are taken from the top directory. */
static char *
include_path(struct loader *ld, const char *path, const char *file, unsigned line)
{
	char *full;

	if (ld->base == NULL) {
		load_error(ld, file, line, "includes are not available in this policy");
		return NULL;
	}
	if (path[0] == '/')
		full = xstrdup(path);
	else
		full = xasprintf("%s/%s", ld->base, path);
	if (strlen(full) >= PATH_MAX) {
		load_error(ld, file, line, "include path too long");
		free(full);
		return NULL;
	}
	return full;
}

static void
directive(struct loader *ld, char **f, int n, const char *svc, const char *arg, const char *file,
    unsigned line)
{
	char *path;
	char why[256];
	char *s = NULL, *a = NULL;

	if (svc != NULL) { /* inside an !include-service file: only !include */
		if (strcmp(f[0], "!include") != 0) {
			load_error(ld, file, line, "invalid directive '%s'", f[0]);
			return;
		}
		if (n != 2) {
			load_error(ld, file, line, "invalid number of params");
			return;
		}
		if ((path = include_path(ld, f[1], file, line)) != NULL)
			load_file(ld, path, svc, arg, file, line);
		free(path);
		return;
	}
	if (strcmp(f[0], "!include") == 0 || strcmp(f[0], "!include-dir") == 0) {
		if (n != 2) {
			load_error(ld, file, line, "invalid number of params");
			return;
		}
		if ((path = include_path(ld, f[1], file, line)) == NULL)
			return;
		if (f[0][8] == '\0')
			load_file(ld, path, NULL, NULL, file, line);
		else
			load_dir(ld, path, file, line);
		free(path);
	} else if (strcmp(f[0], "!include-service") == 0) {
		if (n != 4) {
			load_error(ld, file, line, "invalid number of params");
			return;
		}
		if (parse_service_arg(f[1], f[2], &s, &a, why, sizeof(why)) < 0) {
			load_error(ld, file, line, "%s", why);
			return;
		}
		free(s);
		free(a);
		if ((path = include_path(ld, f[3], file, line)) != NULL)
			load_file(ld, path, f[1], f[2], file, line);
		free(path);
	} else if (strcmp(f[0], "!compat-4.0") == 0) {
		if (n != 1) {
			load_error(ld, file, line, "invalid number of params");
			return;
		}
		/* Qubes reads its 4.0 directory here; Bulkhead has none, so the
		 * directive adds what Qubes adds for an empty one: nothing. */
		load_warning(ld, file, line, "!compat-4.0 skipped: there is no Qubes 4.0 "
		    "policy directory to read (it adds no rules)");
	} else
		load_error(ld, file, line, "invalid directive '%s'", f[0]);
}

/* In-place substitutions of Qubes' old per-service files. */
static void
compat_line(char *s)
{
	char *inc;

	while ((inc = strstr(s, "$include:")) != NULL)
		memcpy(inc, "!include ", 9);
	for (; *s; s++)
		if (*s == '$')
			*s = '@';
		else if (*s == ',')
			*s = ' ';
}

/* One policy text (len bytes, may lack a final newline). svc/arg: non-NULL for
 * an !include-service file. */
static void
parse_text(struct loader *ld, const char *text, size_t len, const char *file, const char *svc,
    const char *arg)
{
	char buf[POLICY_LINE_MAX + 1];
	size_t pos = 0;
	unsigned line = 0;

	while (pos < len && !ld->failed) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (nl ? (size_t)(nl - text) : len) - pos;
		char *f[MAX_FIELDS], *s, *save = NULL;
		int nf = 0;

		line++;
		if (n > POLICY_LINE_MAX) {
			load_error(ld, file, line, "line too long (more than %d bytes)", POLICY_LINE_MAX);
			return;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (strlen(buf) != n) {
			load_error(ld, file, line, "NUL byte in line");
			return;
		}
		s = buf + strspn(buf, WHITESPACE);
		if (*s == '\0' || *s == '#')
			continue;
		if (svc != NULL)
			compat_line(s);
		for (char *t = strtok_r(s, WHITESPACE, &save); t != NULL;
		     t = strtok_r(NULL, WHITESPACE, &save)) {
			if (nf == MAX_FIELDS) {
				load_error(ld, file, line, "too many fields");
				return;
			}
			f[nf++] = t;
		}
		if (nf == 0)
			continue;
		if (f[0][0] == '!') {
			directive(ld, f, nf, svc, arg, file, line);
			continue;
		}
		if (svc != NULL)
			add_rule(ld, svc, arg, f, nf, file, line);
		else if (nf < 5)
			load_error(ld, file, line, "wrong number of fields");
		else
			add_rule(ld, f[0], f[1], f + 2, nf - 2, file, line);
	}
}

/* ---------------------------------------------------------------------------
 * Loader
 */

/* An error about a file: at the line that included it, if any. */
static void PRINTF(5, 6)
file_error(struct loader *ld, const char *path, const char *from, unsigned fromline,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (from != NULL)
		load_error(ld, from, fromline, "%s: %s", path, msg);
	else
		load_error(ld, path, 0, "%s", msg);
}

static void
load_file(struct loader *ld, const char *path, const char *svc, const char *arg, const char *from,
    unsigned fromline)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int fd, i;

	if (ld->failed)
		return;
	if (ld->nopened >= POLICY_FILES_MAX) {
		file_error(ld, path, from, fromline, "more than %d files in all", POLICY_FILES_MAX);
		return;
	}
	ld->nopened++;
	/* O_NONBLOCK: a FIFO must not hang domd; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		snap_path(ld->p, path);
		file_error(ld, path, from, fromline, "cannot read: %s", strerror(e));
		if (fd >= 0)
			close(fd);
		return;
	}
	policy_add_snap(ld->p, path, &st, 0);
	if (!S_ISREG(st.st_mode)) {
		file_error(ld, path, from, fromline, "not a regular file");
		goto out;
	}
	if (st.st_size > POLICY_FILE_MAX) {
		file_error(ld, path, from, fromline, "larger than %d bytes", POLICY_FILE_MAX);
		goto out;
	}
	for (i = 0; i < ld->depth; i++)
		if (ld->stack[i].dev == st.st_dev && ld->stack[i].ino == st.st_ino) {
			file_error(ld, path, from, fromline, "include cycle");
			goto out;
		}
	if (ld->depth > POLICY_INCLUDE_DEPTH) {
		file_error(ld, path, from, fromline, "includes nested deeper than %d",
		    POLICY_INCLUDE_DEPTH);
		goto out;
	}
	/* Read to EOF, never trusting st_size: the file may grow meanwhile. */
	data = xmalloc(POLICY_FILE_MAX + 1);
	for (;;) {
		ssize_t r = read(fd, data + len, POLICY_FILE_MAX + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			file_error(ld, path, from, fromline, "read: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > POLICY_FILE_MAX) {
			file_error(ld, path, from, fromline, "larger than %d bytes", POLICY_FILE_MAX);
			goto out;
		}
	}
	ld->total += len;
	if (ld->total > POLICY_TOTAL_MAX) {
		file_error(ld, path, from, fromline, "policy larger than %d bytes in all",
		    POLICY_TOTAL_MAX);
		goto out;
	}
	close(fd);
	fd = -1;
	ld->stack[ld->depth].dev = st.st_dev;
	ld->stack[ld->depth].ino = st.st_ino;
	ld->depth++;
	parse_text(ld, data, len, path, svc, arg);
	ld->depth--;
out:
	free(data);
	if (fd >= 0)
		close(fd);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b); /* C-locale byte order */
}

static bool
policy_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 7 && strcmp(name + n - 7, ".policy") == 0;
}

/* Every DIR/ *.policy regular file, in name order. */
static void
load_dir(struct loader *ld, const char *dir, const char *from, unsigned fromline)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	int fd;

	if (ld->failed)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;

		snap_path(ld->p, dir);
		file_error(ld, dir, from, fromline, "cannot read directory: %s", strerror(e));
		if (fd >= 0)
			close(fd);
		return;
	}
	policy_add_snap(ld->p, dir, &st, 0);
	while ((de = readdir(d)) != NULL) {
		struct stat fst;

		if (!policy_name(de->d_name))
			continue;
		/* Follows symlinks, like Qubes' is_file(); others are skipped. */
		if (fstatat(dirfd(d), de->d_name, &fst, 0) < 0 || !S_ISREG(fst.st_mode))
			continue;
		if (n >= POLICY_FILES_MAX) {
			file_error(ld, dir, from, fromline, "more than %d policy files", POLICY_FILES_MAX);
			goto out;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	/* All or nothing, as in Qubes: one bad name breaks the policy. */
	for (i = 0; i < n; i++)
		if (!charset_ok(names[i], "_.-", 1, NAME_MAX) ||
		    strpbrk(names[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != NULL) {
			file_error(ld, dir, from, fromline,
			    "invalid file name '%s' (allowed: a-z 0-9 _ . -)", names[i]);
			goto out;
		}
	for (i = 0; i < n && !ld->failed; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);

		load_file(ld, path, NULL, NULL, from, fromline);
		free(path);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

static void
loader_finish(struct loader *ld)
{
	if (!ld->failed)
		return;
	rules_clear(ld->p);
	ld->p->error = xstrdup(ld->err);
}

struct policy *
policy_load_string(const char *text, const char *name)
{
	struct loader ld;
	size_t len;

	memset(&ld, 0, sizeof(ld));
	ld.p = xcalloc(1, sizeof(*ld.p));
	if (name == NULL || name[0] == '\0')
		name = "<string>";
	if (text == NULL)
		text = "";
	len = strnlen(text, POLICY_FILE_MAX + 1);
	if (len > POLICY_FILE_MAX)
		load_error(&ld, name, 0, "larger than %d bytes", POLICY_FILE_MAX);
	else
		parse_text(&ld, text, len, name, NULL, NULL);
	loader_finish(&ld);
	return ld.p;
}

/* "dir/" and "dir" are the same directory: one spelling in origins. */
static char *
dir_spelling(const char *dir)
{
	char *d = xstrdup(dir != NULL && dir[0] != '\0' ? dir : ".");

	for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--)
		d[n - 1] = '\0';
	return d;
}

static void
log_load_result(const struct policy *p)
{
	if (p->error != NULL) {
		log_warnx("policy: %s: every call will be denied", p->error);
		return;
	}
	for (size_t i = 0; i < p->nwarnings; i++)
		log_warnx("policy: %s", p->warnings[i]);
}

static struct policy *
load_top(const char *dir)
{
	struct loader ld;
	char *d;

	load_count++;
	memset(&ld, 0, sizeof(ld));
	ld.p = xcalloc(1, sizeof(*ld.p));
	clock_gettime(CLOCK_REALTIME, &ld.p->loaded);
	d = dir_spelling(dir);
	ld.p->dir = d;
	ld.base = d;
	load_dir(&ld, d, NULL, 0);
	loader_finish(&ld);
	return ld.p;
}

struct policy *
policy_load_dir(const char *dir)
{
	struct policy *p = load_top(dir);

	log_load_result(p);
	return p;
}

/* ---------------------------------------------------------------------------
 * Evaluator
 */

/* What the caller asked for, checked against the qube universe. */
struct intended {
	enum { IT_NAME, IT_ADMIN, IT_DEFAULT, IT_DISPVM, IT_DISPVM_BASE } kind;
	const char *name; /* IT_NAME, IT_DISPVM_BASE */
	const struct policy_qube *q; /* IT_NAME, IT_DISPVM_BASE */
};

static const struct policy_qube *
env_find(const struct policy_env *env, const char *name)
{
	if (env == NULL || env->find == NULL || name == NULL || !name_ok(name))
		return NULL;
	return env->find(env->ctx, name);
}

static bool
qube_is_admin(const char *name, const struct policy_qube *q)
{
	return strcmp(name, "dom0") == 0 || (q != NULL && q->type != NULL &&
	    strcmp(q->type, "AdminVM") == 0);
}

static bool
qube_has_tag(const struct policy_qube *q, const char *tag)
{
	if (q == NULL || q->tags == NULL)
		return false;
	for (const char *const *t = q->tags; *t != NULL; t++)
		if (strcmp(*t, tag) == 0)
			return true;
	return false;
}

static bool
qube_has_type(const struct policy_qube *q, const char *type)
{
	return q != NULL && q->type != NULL && strcmp(q->type, type) == 0;
}

/* A DispVM template: an existing qube (not dom0) with template_for_dispvms. */
static const struct policy_qube *
dispvm_template(const struct policy_env *env, const char *name)
{
	const struct policy_qube *q = env_find(env, name);

	if (q == NULL || qube_is_admin(name, q) || !q->template_for_dispvms)
		return NULL;
	return q;
}

static const char *
default_dispvm(const struct policy_env *env)
{
	if (env == NULL || env->default_dispvm == NULL || env->default_dispvm[0] == '\0')
		return NULL;
	return env->default_dispvm;
}

static bool
source_match(const struct tok *t, const char *src, const struct policy_qube *sq, bool src_admin)
{
	switch (t->kind) {
	case TOK_WILDCARD:
		return true;
	case TOK_ANY:
		return !src_admin;
	case TOK_ADMIN:
		return src_admin;
	case TOK_NAME:
		return !src_admin && strcmp(t->val, src) == 0;
	case TOK_TAG: /* dom0 has no tags */
		return !src_admin && qube_has_tag(sq, t->val);
	case TOK_TYPE: /* dom0 is of type AdminVM, as in Qubes */
		return src_admin ? strcmp(t->val, "AdminVM") == 0 : qube_has_type(sq, t->val);
	case TOK_DISPVM_BASE: /* never a source in Qubes either: a token is no qube name */
	case TOK_DISPVM_TAG:
	case TOK_DEFAULT: /* refused by the parser */
	case TOK_DISPVM:
		return false;
	}
	return false;
}

static bool
target_match(const struct tok *t, const struct intended *it, const struct policy_env *env)
{
	const char *base = NULL;
	const struct policy_qube *bq;

	switch (t->kind) {
	case TOK_WILDCARD:
		return true;
	case TOK_ANY:
		return it->kind != IT_ADMIN;
	case TOK_ADMIN:
		return it->kind == IT_ADMIN;
	case TOK_DEFAULT:
		return it->kind == IT_DEFAULT;
	case TOK_DISPVM:
		return it->kind == IT_DISPVM;
	case TOK_NAME:
		return it->kind == IT_NAME && strcmp(t->val, it->name) == 0;
	case TOK_TAG:
		return it->kind == IT_NAME && qube_has_tag(it->q, t->val);
	case TOK_TYPE:
		return it->kind == IT_NAME && qube_has_type(it->q, t->val);
	case TOK_DISPVM_BASE:
		if (it->kind == IT_DISPVM_BASE)
			return strcmp(t->val, it->name) == 0;
		if (it->kind == IT_DISPVM)
			return (base = default_dispvm(env)) != NULL && strcmp(t->val, base) == 0;
		return false;
	case TOK_DISPVM_TAG:
		if (it->kind == IT_DISPVM_BASE)
			base = it->name;
		else if (it->kind == IT_DISPVM)
			base = default_dispvm(env);
		if (base == NULL || (bq = dispvm_template(env, base)) == NULL)
			return false;
		return qube_has_tag(bq, t->val);
	}
	return false;
}

static void PRINTF(2, 3)
deny(struct policy_decision *out, const char *fmt, ...)
{
	va_list ap;

	memset(out, 0, sizeof(*out));
	out->action = POLICY_DENY;
	va_start(ap, fmt);
	vsnprintf(out->origin, sizeof(out->origin), fmt, ap);
	va_end(ap);
}

/* A target token of an allow/ask into its text form in buf: "" for @default,
 * "dom0", a qube name, or "@dispvm:BASE". 0, or -1 with why. */
static int
resolve(const struct tok *t, const struct policy_env *env, char *buf, size_t len, char *why,
    size_t whylen)
{
	const char *base;

	buf[0] = '\0';
	switch (t->kind) {
	case TOK_ADMIN:
		bprintf(buf, len, "dom0");
		return 0;
	case TOK_NAME:
		if (env_find(env, t->val) == NULL && strcmp(t->val, "dom0") != 0) {
			bprintf(why, whylen, "no such target: %s", t->val);
			return -1;
		}
		bprintf(buf, len, "%s", t->val);
		return 0;
	case TOK_DISPVM:
		if ((base = default_dispvm(env)) == NULL) {
			bprintf(why, whylen, "@dispvm, but no default DispVM template is set");
			return -1;
		}
		if (dispvm_template(env, base) == NULL) {
			bprintf(why, whylen, "default DispVM %s is not a DispVM template", base);
			return -1;
		}
		bprintf(buf, len, "@dispvm:%s", base);
		return 0;
	case TOK_DISPVM_BASE:
		if (dispvm_template(env, t->val) == NULL) {
			bprintf(why, whylen, "not a DispVM template: %s", t->val);
			return -1;
		}
		bprintf(buf, len, "@dispvm:%s", t->val);
		return 0;
	case TOK_DEFAULT:
		return 0; /* the caller named none; for ask, the operator chooses */
	case TOK_WILDCARD:
	case TOK_ANY:
	case TOK_TAG:
	case TOK_TYPE:
	case TOK_DISPVM_TAG:
		break; /* never a redirect; as intended target these cannot occur */
	}
	bprintf(why, whylen, "cannot resolve target");
	return -1;
}

/* The caller's target as a token (the same resolution as for rule tokens);
 * buf holds the name. */
static void
intended_tok(const struct intended *it, struct tok *t, char buf[POLICY_NAME_MAX + 1])
{
	t->val = NULL;
	if (it->name != NULL) {
		bprintf(buf, POLICY_NAME_MAX + 1, "%s", it->name); /* checked by name_ok */
		t->val = buf;
	}
	switch (it->kind) {
	case IT_NAME:
		t->kind = TOK_NAME;
		break;
	case IT_ADMIN:
		t->kind = TOK_ADMIN;
		break;
	case IT_DEFAULT:
		t->kind = TOK_DEFAULT;
		break;
	case IT_DISPVM:
		t->kind = TOK_DISPVM;
		break;
	case IT_DISPVM_BASE:
		t->kind = TOK_DISPVM_BASE;
		break;
	}
}

/* One call, its names checked. */
struct call {
	const char *service, *arg, *source;
	const struct policy_qube *sq;
	bool src_admin;
	struct intended it;
};

/* Everything of the rule but its target matches the call (Qubes'
 * is_match_but_target). */
static bool
rule_matches_but_target(const struct rule *r, const struct call *c)
{
	return (r->service == NULL || strcmp(r->service, c->service) == 0) &&
	    (r->arg == NULL || strcmp(r->arg, c->arg) == 0) &&
	    source_match(&r->src, c->source, c->sq, c->src_admin);
}

/* ---------------------------------------------------------------------------
 * What an ask offers: Qubes' collect_targets_for_ask. The rules are read
 * from the last to the first; each that matches the call but its target adds
 * what its target (or target=) names, a deny takes it away, so the first rule
 * for a target decides, as it would for a call to that target.
 */

static size_t
targets_find(const struct policy_decision *d, const char *t)
{
	size_t i;

	for (i = 0; i < d->ntargets; i++)
		if (strcmp(d->targets[i], t) == 0)
			break;
	return i;
}

bool
policy_offers(const struct policy_decision *d, const char *target)
{
	return d != NULL && d->action == POLICY_ASK && target != NULL &&
	    targets_find(d, target) < d->ntargets;
}

/* Adds (or removes) t; past POLICY_TARGETS_MAX targets are left out. */
static void
targets_set(struct policy_decision *d, const char *t, bool add)
{
	size_t i = targets_find(d, t);

	if (add && i == d->ntargets && d->ntargets < POLICY_TARGETS_MAX &&
	    strlen(t) < POLICY_TARGET_MAX)
		bprintf(d->targets[d->ntargets++], POLICY_TARGET_MAX, "%s", t);
	else if (!add && i < d->ntargets)
		memcpy(d->targets[i], d->targets[--d->ntargets], POLICY_TARGET_MAX);
}

static const struct policy_qube *
env_nth(const struct policy_env *env, size_t i)
{
	if (env == NULL || env->nth == NULL)
		return NULL;
	return env->nth(env->ctx, i);
}

/* A qube of the universe, as its target text: "dom0" for the admin VM. */
static const char *
qube_text(const struct policy_qube *q)
{
	return qube_is_admin(q->name, q) ? "dom0" : q->name;
}

/* Does a qube belong to what a target token names (Qubes' expand())? */
static bool
expands_to(const struct tok *t, const struct policy_qube *q)
{
	switch (t->kind) {
	case TOK_WILDCARD:
		return true;
	case TOK_ANY:
		return !qube_is_admin(q->name, q);
	case TOK_TAG:
		return qube_has_tag(q, t->val);
	case TOK_TYPE:
		return qube_has_type(q, t->val);
	default:
		return false;
	}
}

/* Does a token name the DispVM templates it is (Qubes' @dispvm:VM
 * expansions)? */
static bool
expands_to_dispvm(const struct tok *t, const struct policy_qube *q)
{
	if (!q->template_for_dispvms || qube_is_admin(q->name, q))
		return false;
	switch (t->kind) {
	case TOK_WILDCARD:
	case TOK_ANY:
		return true;
	case TOK_DISPVM_TAG:
		return qube_has_tag(q, t->val);
	case TOK_DISPVM_BASE:
		return strcmp(t->val, q->name) == 0;
	default:
		return false;
	}
}

static void
expand(const struct tok *t, const struct policy_env *env, struct policy_decision *d, bool add)
{
	const struct policy_qube *q;
	char buf[POLICY_TARGET_MAX];

	if (t->kind == TOK_ADMIN || t->kind == TOK_WILDCARD ||
	    (t->kind == TOK_TYPE && strcmp(t->val, "AdminVM") == 0))
		targets_set(d, "dom0", add);
	if (t->kind == TOK_NAME && env_find(env, t->val) != NULL)
		targets_set(d, t->val, add);
	if (t->kind == TOK_DISPVM || t->kind == TOK_ANY || t->kind == TOK_WILDCARD)
		targets_set(d, "@dispvm", add);
	for (size_t i = 0; (q = env_nth(env, i)) != NULL; i++) {
		if (q->name == NULL || (!name_ok(q->name) && !qube_is_admin(q->name, q)))
			continue;
		if (expands_to(t, q))
			targets_set(d, qube_text(q), add);
		if (expands_to_dispvm(t, q)) {
			bprintf(buf, sizeof(buf), "@dispvm:%s", q->name);
			targets_set(d, buf, add);
		}
	}
}

/* Can the call go to t without starting anything (autostart=no)? */
static bool
runs_already(const struct policy_env *env, const char *t)
{
	const struct policy_qube *q;

	if (strcmp(t, "dom0") == 0)
		return true;
	if (strncmp(t, "@dispvm", 7) == 0)
		return false;
	q = env_find(env, t);
	return q != NULL && (q->running || qube_is_admin(t, q));
}

static int
cmp_targets(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Leaves in d what the policy would not deny for the call, to any target. */
static void
collect_targets(const struct policy *p, const struct policy_env *env, const struct call *c,
    struct policy_decision *d)
{
	char why[128], buf[POLICY_TARGET_MAX];
	struct tok dispvm = { TOK_DISPVM, NULL };

	for (size_t i = p->nrules; i-- > 0;) {
		const struct rule *r = &p->rules[i];

		if (rule_matches_but_target(r, c))
			expand(r->has_redirect ? &r->redirect : &r->tgt, env, d,
			    r->action != POLICY_DENY);
	}
	/* @dispvm is the caller's default DispVM template, if it has one. */
	if (targets_find(d, "@dispvm") < d->ntargets) {
		targets_set(d, "@dispvm", false);
		if (resolve(&dispvm, env, buf, sizeof(buf), why, sizeof(why)) == 0)
			targets_set(d, buf, true);
	}
	targets_set(d, c->source, false); /* no call to itself, as in Qubes */
}

/* An ask: what it offers and proposes, or a deny when it offers nothing. */
static void
decide_ask(const struct policy *p, const struct policy_env *env, const struct call *c,
    const struct rule *r, struct policy_decision *out)
{
	struct tok itok;
	char itname[POLICY_NAME_MAX + 1], why[256], buf[POLICY_TARGET_MAX];
	size_t i, n;

	intended_tok(&c->it, &itok, itname);
	if (r->has_redirect) {
		if (resolve(&r->redirect, env, buf, sizeof(buf), why, sizeof(why)) < 0) {
			deny(out, "%s:%u: %s", r->file, r->line, why);
			return;
		}
		targets_set(out, buf, true);
	} else
		collect_targets(p, env, c, out);
	for (i = n = 0; i < out->ntargets; i++)
		if (!r->no_autostart || runs_already(env, out->targets[i]))
			memmove(out->targets[n++], out->targets[i], POLICY_TARGET_MAX);
	out->ntargets = n;
	if (n == 0) {
		deny(out, "%s:%u: ask, but no target is available to choose from", r->file,
		    r->line);
		return;
	}
	qsort(out->targets, n, POLICY_TARGET_MAX, cmp_targets);
	/* The caller's target, then default_target=, only if offered. */
	out->action = POLICY_ASK;
	if (resolve(r->has_redirect ? &r->redirect : &itok, env, buf, sizeof(buf), why,
	    sizeof(why)) == 0 && targets_find(out, buf) < n)
		bprintf(out->target, sizeof(out->target), "%s", buf);
	if (!r->has_redirect && r->has_default &&
	    resolve(&r->deftgt, env, buf, sizeof(buf), why, sizeof(why)) == 0 &&
	    targets_find(out, buf) < n)
		bprintf(out->default_target, sizeof(out->default_target), "%s", buf);
	else
		memcpy(out->default_target, out->target, sizeof(out->default_target));
}

/* An allow: its one target, which autostart=no wants running. */
static void
decide_allow(const struct policy_env *env, const struct call *c, const struct rule *r,
    struct policy_decision *out)
{
	struct tok itok;
	char itname[POLICY_NAME_MAX + 1], why[256];

	intended_tok(&c->it, &itok, itname);
	if (resolve(r->has_redirect ? &r->redirect : &itok, env, out->target, sizeof(out->target),
	    why, sizeof(why)) < 0) {
		deny(out, "%s:%u: %s", r->file, r->line, why);
		return;
	}
	if (out->target[0] == '\0') {
		deny(out, "%s:%u: allow, but neither the caller nor the rule names a target",
		    r->file, r->line);
		return;
	}
	if (r->no_autostart && !runs_already(env, out->target)) {
		char t[POLICY_TARGET_MAX];

		memcpy(t, out->target, sizeof(t));
		deny(out, "%s:%u: target %s is denied because it would require autostart",
		    r->file, r->line, t);
		return;
	}
	out->action = POLICY_ALLOW;
}

/* The caller's target, verified as Qubes does before any rule is read: a
 * qube that does not exist is taken as @default (no target named), so that
 * the outcome does not tell it from one that exists. 0, or -1 with why. */
static int
intended_parse(const struct policy_env *env, const char *target, struct intended *it,
    char *why, size_t whylen)
{
	memset(it, 0, sizeof(*it));
	if (target == NULL || target[0] == '\0' || strcmp(target, "@default") == 0)
		it->kind = IT_DEFAULT;
	else if (strcmp(target, "dom0") == 0 || strcmp(target, "@adminvm") == 0)
		it->kind = IT_ADMIN;
	else if (strcmp(target, "@dispvm") == 0)
		it->kind = IT_DISPVM;
	else if (strncmp(target, "@dispvm:", 8) == 0) {
		it->kind = IT_DISPVM_BASE;
		it->name = target + 8;
		if (!name_ok(it->name)) {
			bprintf(why, whylen, "invalid target");
			return -1;
		}
		if ((it->q = dispvm_template(env, it->name)) == NULL) {
			bprintf(why, whylen, "not a DispVM template: %s", it->name);
			return -1;
		}
	} else if (!name_ok(target)) { /* echo nothing the caller sent that is not a name */
		bprintf(why, whylen, "invalid target");
		return -1;
	} else if ((it->q = env_find(env, target)) == NULL) {
		it->kind = IT_DEFAULT;
	} else if (qube_is_admin(target, it->q)) {
		it->kind = IT_ADMIN;
		it->q = NULL;
	} else {
		it->kind = IT_NAME;
		it->name = target;
	}
	return 0;
}

/* The call's names, checked; 0, or -1 with the deny in out. */
static int
call_parse(const struct policy_env *env, const char *service, const char *arg,
    const char *source, const char *target, struct call *c, struct policy_decision *out)
{
	char why[128];

	memset(c, 0, sizeof(*c));
	if (service == NULL || !service_ok(service)) {
		deny(out, "invalid service name");
		return -1;
	}
	if (arg == NULL)
		arg = "";
	if (!arg_ok(arg)) {
		deny(out, "invalid service argument");
		return -1;
	}
	/* The source must exist; dom0 always does. */
	if (source == NULL || (strcmp(source, "@adminvm") != 0 && !name_ok(source))) {
		deny(out, "invalid source");
		return -1;
	}
	if (strcmp(source, "@adminvm") == 0)
		source = "dom0";
	c->service = service;
	c->arg = arg;
	c->source = source;
	c->sq = env_find(env, source);
	c->src_admin = qube_is_admin(source, c->sq);
	if (c->sq == NULL && !c->src_admin) {
		deny(out, "no such source: %s", source);
		return -1;
	}
	if (intended_parse(env, target, &c->it, why, sizeof(why)) < 0) {
		deny(out, "%s", why);
		return -1;
	}
	return 0;
}

void
policy_evaluate(const struct policy *p, const struct policy_env *env, const char *service,
    const char *arg, const char *source, const char *target, struct policy_decision *out)
{
	const struct rule *r = NULL;
	struct call c;

	deny(out, "internal error");
	if (p == NULL) {
		deny(out, "no policy loaded");
		return;
	}
	if (p->error != NULL) {
		deny(out, "policy broken: %s", p->error);
		return;
	}
	if (call_parse(env, service, arg, source, target, &c, out) < 0)
		return;
	for (size_t i = 0; i < p->nrules && r == NULL; i++)
		if (rule_matches_but_target(&p->rules[i], &c) &&
		    target_match(&p->rules[i].tgt, &c.it, env))
			r = &p->rules[i];
	if (r == NULL) {
		deny(out, "no matching rule");
		return;
	}
	if (r->action == POLICY_DENY) {
		deny(out, "%s:%u", r->file, r->line);
		return;
	}
	deny(out, "%s:%u", r->file, r->line);
	if (r->action == POLICY_ASK)
		decide_ask(p, env, &c, r, out);
	else
		decide_allow(env, &c, r, out);
	if (out->action == POLICY_DENY)
		return;
	out->autostart = !r->no_autostart;
	if (r->user != NULL)
		bprintf(out->user, sizeof(out->user), "%s", r->user);
}

/* ---------------------------------------------------------------------------
 * Cache
 */

static bool
ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Changed at most POLICY_RACY_SECONDS before `when`, or later. */
static bool
ts_racy(struct timespec t, struct timespec when)
{
	return t.tv_sec >= when.tv_sec - POLICY_RACY_SECONDS;
}

/* true if nothing the policy was read from changed since. */
static bool
snaps_fresh(const struct policy *p)
{
	for (size_t i = 0; i < p->nsnaps; i++) {
		const struct snap *s = &p->snaps[i];
		struct stat st;
		int err = stat(s->path, &st) < 0 ? errno : 0;

		if (err != s->err)
			return false;
		if (err != 0)
			continue;
		if (st.st_dev != s->dev || st.st_ino != s->ino || st.st_size != s->size ||
		    st.st_mode != s->mode || !ts_eq(st.st_mtim, s->mtime) ||
		    !ts_eq(st.st_ctim, s->ctime))
			return false;
		if (ts_racy(s->mtime, p->loaded) || ts_racy(s->ctime, p->loaded))
			return false;
	}
	return true;
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
tok_eq(const struct tok *a, const struct tok *b)
{
	return a->kind == b->kind && str_eq(a->val, b->val);
}

/* Same rules from the same places, and the same error. */
static bool
policy_same(const struct policy *a, const struct policy *b)
{
	if (!str_eq(a->error, b->error) || a->nrules != b->nrules ||
	    a->nwarnings != b->nwarnings)
		return false;
	for (size_t i = 0; i < a->nwarnings; i++)
		if (strcmp(a->warnings[i], b->warnings[i]) != 0)
			return false;
	for (size_t i = 0; i < a->nrules; i++) {
		const struct rule *x = &a->rules[i], *y = &b->rules[i];

		if (!str_eq(x->service, y->service) || !str_eq(x->arg, y->arg) ||
		    !tok_eq(&x->src, &y->src) || !tok_eq(&x->tgt, &y->tgt) ||
		    x->action != y->action || x->has_redirect != y->has_redirect ||
		    x->has_default != y->has_default || !str_eq(x->user, y->user) ||
		    x->no_autostart != y->no_autostart ||
		    !str_eq(x->file, y->file) || x->line != y->line)
			return false;
		if (x->has_redirect && !tok_eq(&x->redirect, &y->redirect))
			return false;
		if (x->has_default && !tok_eq(&x->deftgt, &y->deftgt))
			return false;
	}
	return true;
}

struct policy *
policy_cache_get(struct policy **cached, const char *dir)
{
	struct policy *cur = *cached, *np;
	struct snap *ts;
	size_t tn, tc;
	char *d = dir_spelling(dir);
	bool fresh = cur != NULL && str_eq(cur->dir, d) && snaps_fresh(cur);

	free(d);
	if (fresh)
		return cur;
	np = load_top(dir);
	if (cur != NULL && str_eq(cur->dir, np->dir) && policy_same(cur, np)) {
		/* Unchanged: keep the old object, with what was just looked at. */
		ts = cur->snaps;
		tn = cur->nsnaps;
		tc = cur->scap;
		cur->snaps = np->snaps;
		cur->nsnaps = np->nsnaps;
		cur->scap = np->scap;
		np->snaps = ts;
		np->nsnaps = tn;
		np->scap = tc;
		cur->loaded = np->loaded;
		policy_free(np);
		return cur;
	}
	/* Logged once per change, not once per call. */
	log_load_result(np);
	if (np->error == NULL)
		log_info("policy: %s: %s %zu rules", np->dir, cur ? "reloaded," : "loaded", np->nrules);
	policy_free(cur);
	*cached = np;
	return np;
}
