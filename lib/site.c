/* Sites: loading and checking a site folder (see site.h). */
#include "site.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "policy.h"
#include "readfile.h"
#include "xalloc.h"

/* ---------------------------------------------------------------------------
 * Messages
 */

void
site_msg_add(struct site_msgs *m, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	/* One line each, whatever the file names hold. */
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	m->v[m->n++] = s;
}

void
site_msgs_free(struct site_msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* ---------------------------------------------------------------------------
 * Statements of a qube file: where each key is assigned, so that errors about
 * a property can name its line and a bad assignment can be blanked out to
 * read on. The syntax is libxlutil's: KEY = VALUE, ended by a newline or ';'
 * outside brackets; strings in "" or '' with backslash escapes; '#' comments.
 */

struct stmt {
	char key[64];
	int line;
	size_t start, end; /* bytes [start, end) */
	bool blanked;
};

struct stmts {
	struct stmt *v;
	size_t n;
};

static void
stmts_scan(const char *data, size_t len, struct stmts *out)
{
	struct stmt *cur = NULL;
	int line = 1, depth = 0;
	bool stmt_start = true;
	size_t i = 0, cap = 0;

	out->v = NULL;
	out->n = 0;
	while (i < len) {
		char c = data[i];

		if (c == '\n' || (c == ';' && depth == 0)) {
			if (depth == 0) {
				if (cur != NULL)
					cur->end = c == ';' ? i + 1 : i;
				cur = NULL;
				stmt_start = true;
			}
			if (c == '\n')
				line++;
			i++;
		} else if (c == '#') {
			while (i < len && data[i] != '\n')
				i++;
		} else if (c == '"' || c == '\'') {
			char quote = c;

			for (i++; i < len && data[i] != quote && data[i] != '\n'; i++)
				if (data[i] == '\\' && i + 1 < len && data[i + 1] != '\n')
					i++;
			if (i < len && data[i] == quote)
				i++;
			stmt_start = false;
		} else if (c == '[') {
			depth++;
			stmt_start = false;
			i++;
		} else if (c == ']') {
			if (depth > 0)
				depth--;
			i++;
		} else if (isspace((unsigned char)c)) {
			i++;
		} else if (stmt_start && (isalpha((unsigned char)c) || c == '_')) {
			size_t s = i, n;

			while (i < len && (isalnum((unsigned char)data[i]) || data[i] == '_' ||
			    data[i] == '.'))
				i++;
			if (out->n == cap) {
				cap = cap ? 2 * cap : 16;
				out->v = xrealloc(out->v, cap * sizeof(*out->v));
			}
			cur = &out->v[out->n++];
			memset(cur, 0, sizeof(*cur));
			n = i - s < sizeof(cur->key) - 1 ? i - s : sizeof(cur->key) - 1;
			memcpy(cur->key, data + s, n);
			cur->key[n] = '\0';
			cur->line = line;
			cur->start = s;
			cur->end = len;
			stmt_start = false;
		} else {
			stmt_start = false;
			i++;
		}
	}
}

/* The assignment libxlutil uses: the last one not blanked out. */
static struct stmt *
stmts_last(struct stmts *st, const char *key)
{
	for (size_t i = st->n; i-- > 0;)
		if (!st->v[i].blanked && strcmp(st->v[i].key, key) == 0)
			return &st->v[i];
	return NULL;
}

static struct stmt *
stmts_at(struct stmts *st, const char *key, int line)
{
	for (size_t i = 0; i < st->n; i++)
		if (!st->v[i].blanked && st->v[i].line == line && strcmp(st->v[i].key, key) == 0)
			return &st->v[i];
	return NULL;
}

/* Spaces over the statement; newlines stay, so lines keep their numbers. */
static void
stmt_blank(char *buf, struct stmt *s)
{
	for (size_t i = s->start; i < s->end; i++)
		if (buf[i] != '\n')
			buf[i] = ' ';
	s->blanked = true;
}

static int
prop_index(const char *key)
{
	for (size_t i = 0; i < qube_nprops; i++)
		if (strcmp(qube_props[i].name, key) == 0)
			return (int)i;
	return -1;
}

/* Copies the text between the first pair of single quotes after start. */
static bool
quoted(const char *start, char *out, size_t outlen)
{
	const char *a = strchr(start, '\''), *b;
	size_t n;

	if (a == NULL || (b = strchr(a + 1, '\'')) == NULL)
		return false;
	n = (size_t)(b - a - 1);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, a + 1, n);
	out[n] = '\0';
	return true;
}

enum err_kind {
	ERR_PROP,   /* a bad value of one property: blank it and read on */
	ERR_CHECK,  /* a rule between properties (qube_check): the file is read */
	ERR_OTHER,  /* anything else: stop */
};

/* Which property a line-less error of qube_parse_cfg is about. */
static enum err_kind
error_key(const char *msg, const struct qube *q, char *key, size_t keylen)
{
	char word[64];
	size_t n;

	key[0] = '\0';
	if (strncmp(msg, "property '", 10) == 0) {
		if (quoted(msg, key, keylen))
			return ERR_PROP;
		return ERR_OTHER;
	}
	if (strncmp(msg, "too many tags", 13) == 0 || strncmp(msg, "tags must", 9) == 0) {
		snprintf(key, keylen, "tags");
		return ERR_PROP;
	}
	if (strncmp(msg, "too many firewall", 17) == 0 && prop_index("firewall") >= 0) {
		snprintf(key, keylen, "firewall");
		return ERR_PROP;
	}
	if (strncmp(msg, "missing name", 12) == 0) {
		snprintf(key, keylen, "name");
		return ERR_CHECK;
	}
	if (strncmp(msg, "missing label", 13) == 0) {
		snprintf(key, keylen, "label");
		return ERR_CHECK;
	}
	if (strncmp(msg, "a qube of class ", 16) == 0 && strstr(msg, "needs a template") != NULL) {
		snprintf(key, keylen, "template");
		return ERR_CHECK;
	}
	if (strstr(msg, "cannot name itself") != NULL) {
		snprintf(key, keylen, "%s", strcmp(q->template_name, q->name) == 0 ? "template" : "netvm");
		return ERR_CHECK;
	}
	if (strstr(msg, "(a template qube has none)") != NULL) {
		snprintf(key, keylen, "template");
		return ERR_CHECK;
	}
	if (strncmp(msg, "invalid ", 8) == 0) {
		n = strcspn(msg + 8, " ");
		if (n == 0 || n >= sizeof(word))
			return ERR_OTHER;
		memcpy(word, msg + 8, n);
		word[n] = '\0';
		if (strcmp(word, "tag") == 0)
			snprintf(word, sizeof(word), "tags");
		if (prop_index(word) < 0)
			return ERR_OTHER;
		snprintf(key, keylen, "%s", word);
		return ERR_PROP;
	}
	return ERR_OTHER;
}

/* "FILE:N: msg" → N and msg; "FILE: msg" → 0 and msg. */
static int
split_error(const char *err, const char *file, const char **msg)
{
	size_t fl = strlen(file);
	const char *p;
	long line = 0;

	*msg = err;
	if (strncmp(err, file, fl) != 0 || err[fl] != ':')
		return 0;
	p = err + fl + 1;
	if (isdigit((unsigned char)*p)) {
		char *end;

		line = strtol(p, &end, 10);
		if (*end != ':' || line <= 0 || line > INT_MAX)
			return 0;
		p = end + 1;
	}
	while (*p == ' ')
		p++;
	*msg = p;
	return (int)line;
}

static void
fill_lines(struct stmts *st, int *lines)
{
	for (size_t i = 0; i < SITE_PROPS_MAX; i++)
		lines[i] = 0;
	for (size_t i = 0; i < st->n; i++) {
		int k = prop_index(st->v[i].key);
		if (k >= 0 && k < SITE_PROPS_MAX)
			lines[k] = st->v[i].line;
	}
}

struct file_err {
	int line; /* 0: none, listed last */
	size_t seq;
	char *text;
};

static int
cmp_file_err(const void *a, const void *b)
{
	const struct file_err *x = a, *y = b;
	unsigned lx = x->line > 0 ? (unsigned)x->line : ~0u, ly = y->line > 0 ? (unsigned)y->line : ~0u;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int
site_parse_qube(struct qube *q, int *lines, unsigned long *bad, const char *data, size_t len,
    const char *file, struct site_msgs *errs)
{
	struct file_err fe[SITE_FILE_ERRORS_MAX];
	bool removed[SITE_PROPS_MAX] = { false };
	struct stmts st;
	char err[1024], key[64], *buf;
	size_t nerr = 0;
	int ret = -1;

	if (qube_nprops > SITE_PROPS_MAX || qube_nprops > 8 * sizeof(*bad))
		fatalx("%s: SITE_PROPS_MAX is too small", __func__);
	*bad = 0;
	stmts_scan(data, len, &st);
	fill_lines(&st, lines);
	buf = xmalloc(len + 1);
	memcpy(buf, data, len);
	buf[len] = '\0';
	for (;;) {
		const char *msg;
		struct stmt *s;
		int line, k;

		if (qube_parse_cfg(q, buf, len, file, err, sizeof(err)) == 0) {
			ret = nerr == 0 ? 0 : 1;
			break;
		}
		if (nerr >= SITE_FILE_ERRORS_MAX)
			break;
		line = split_error(err, file, &msg);
		if (line > 0) {
			/* Syntax errors and unknown keys come with their line. */
			fe[nerr].line = line;
			fe[nerr].seq = nerr;
			fe[nerr++].text = xstrdup(err);
			if (strncmp(msg, "unknown property '", 18) != 0 ||
			    !quoted(msg, key, sizeof(key)) || (s = stmts_at(&st, key, line)) == NULL)
				break;
			stmt_blank(buf, s);
		} else {
			enum err_kind kind = error_key(msg, q, key, sizeof(key));

			k = key[0] != '\0' ? prop_index(key) : -1;
			if (kind == ERR_CHECK && k >= 0 &&
			    (removed[k] || (!strcmp(key, "template") && removed[prop_index("class")])))
				break; /* follows from a property already reported */
			s = k >= 0 ? stmts_last(&st, key) : NULL;
			if (s == NULL && kind == ERR_CHECK && !strcmp(key, "template"))
				s = stmts_last(&st, "class");
			fe[nerr].line = s != NULL ? s->line : 0;
			fe[nerr].seq = nerr;
			fe[nerr++].text = s != NULL ? xasprintf("%s:%d: %s", file, s->line, msg) :
			    xasprintf("%s: %s", file, msg);
			if (kind != ERR_PROP || s == NULL || k < 0)
				break;
			removed[k] = true;
			*bad |= 1ul << k;
			stmt_blank(buf, s);
		}
	}
	if (nerr > 1)
		qsort(fe, nerr, sizeof(fe[0]), cmp_file_err);
	for (size_t i = 0; i < nerr; i++) {
		site_msg_add(errs, "%s", fe[i].text);
		free(fe[i].text);
	}
	free(buf);
	free(st.v);
	return ret;
}

/* ---------------------------------------------------------------------------
 * Reading files
 */

bool
site_policy_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n <= 7 || n > SITE_POLICY_NAME_MAX || name[0] == '.' ||
	    strcmp(name + n - 7, ".policy") != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '_' || name[i] == '.' || name[i] == '-'))
			return false;
	return true;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir not starting with '.', sorted; NULL with errno on error. */
static char **
list_dir(const char *dir, size_t *count)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	*count = n;
	if (names == NULL)
		names = xcalloc(1, sizeof(*names));
	return names;
}

static void
free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}


/* ---------------------------------------------------------------------------
 * Loading
 */

struct loading {
	struct site *s;
	char **broken;    /* names of qube files that did not parse */
	size_t nbroken;
	size_t cap;
};

/* "work.cfg" → "work". */
static char *
cfg_base(const char *name)
{
	char *b = xstrdup(name);

	b[strlen(b) - 4] = '\0';
	return b;
}

static void
load_qubes(struct loading *ld)
{
	struct site *s = ld->s;
	char *dir = xasprintf("%s/qubes.d", s->dir), **names;
	size_t n = 0;

	if ((names = list_dir(dir, &n)) == NULL) {
		if (errno == ENOENT)
			site_msg_add(&s->errors, "%s: not a site: it has no qubes.d directory", s->dir);
		else
			site_msg_add(&s->errors, "%s: cannot read directory: %s", dir, strerror(errno));
		free(dir);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *file = xasprintf("%s/%s", dir, names[i]), why[256], *data;
		struct site_qube sq;
		size_t len;

		if (!has_suffix(names[i], ".cfg")) {
			site_msg_add(&s->warnings, "%s: ignored (not a .cfg file)", file);
			free(file);
			continue;
		}
		if (s->nqubes >= SITE_QUBES_MAX) {
			site_msg_add(&s->errors, "%s: more than %d qube files", dir, SITE_QUBES_MAX);
			free(file);
			break;
		}
		memset(&sq, 0, sizeof(sq));
		data = read_file_alloc(file, QUBE_CFG_MAX, &len, why, sizeof(why));
		if (data == NULL)
			site_msg_add(&s->errors, "%s: %s", file, why);
		/* A file with errors whose rest parsed still takes part in the
		 * cross-checks, so that their errors are listed too. */
		if (data == NULL ||
		    site_parse_qube(&sq.q, sq.lines, &sq.bad, data, len, file, &s->errors) < 0) {
			/* Its name is known: references to it are not errors too. */
			ld->broken = xrealloc(ld->broken, (ld->nbroken + 1) * sizeof(*ld->broken));
			ld->broken[ld->nbroken++] = cfg_base(names[i]);
			free(data);
			free(file);
			continue;
		}
		free(data);
		if (sq.q.uuid[0] != '\0')
			site_msg_add(&s->warnings, "%s:%d: uuid is ignored (uuids belong to one "
			    "appliance)", file, sq.lines[prop_index("uuid")]);
		if (sq.q.ip[0] != '\0')
			site_msg_add(&s->warnings, "%s:%d: ip is ignored (domd gives addresses)",
			    file, sq.lines[prop_index("ip")]);
		if (sq.q.uid_base != 0) {
			site_msg_add(&s->warnings, "%s:%d: uid_base is ignored (domd gives id "
			    "ranges)", file, sq.lines[prop_index("uid_base")]);
			sq.q.uid_base = 0;
		}
		sq.file = file;
		if (ld->cap == s->nqubes) {
			ld->cap = ld->cap ? 2 * ld->cap : 16;
			s->qubes = xrealloc(s->qubes, ld->cap * sizeof(*s->qubes));
		}
		s->qubes[s->nqubes++] = sq;
	}
	free_names(names, n);
	free(dir);
}

static bool
is_broken(const struct loading *ld, const char *name)
{
	for (size_t i = 0; i < ld->nbroken; i++)
		if (strcmp(ld->broken[i], name) == 0)
			return true;
	return false;
}

/* A property found bad (and left out) in the qube's file. */
static bool
is_bad(const struct site_qube *sq, const char *prop)
{
	int k = prop_index(prop);

	return k >= 0 && (sq->bad & (1ul << k)) != 0;
}

static int
cmp_qube(const void *a, const void *b)
{
	const struct site_qube *x = a, *y = b;
	int c = strcmp(x->q.name, y->q.name);

	return c != 0 ? c : strcmp(x->file, y->file);
}

const struct site_qube *
site_find(const struct site *s, const char *name)
{
	size_t lo = 0, hi = s->nqubes;

	while (lo < hi) { /* the first of that name */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->qubes[mid].q.name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nqubes && strcmp(s->qubes[lo].q.name, name) == 0 ? &s->qubes[lo] : NULL;
}

/* An error about one property of a site qube, at its line. */
static void __attribute__((format(printf, 4, 5)))
qube_error(struct site *s, const struct site_qube *sq, const char *prop, const char *fmt, ...)
{
	int k = prop != NULL ? prop_index(prop) : -1;
	int line = k >= 0 ? sq->lines[k] : 0;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	if (line > 0)
		site_msg_add(&s->errors, "%s:%d: %s", sq->file, line, msg);
	else
		site_msg_add(&s->errors, "%s: %s", sq->file, msg);
	free(msg);
}

static long
index_of(const struct site *s, const char *name)
{
	const struct site_qube *sq;

	if (name[0] == '\0' || (sq = site_find(s, name)) == NULL)
		return -1;
	return (long)(sq - s->qubes);
}

static void
check_netvm_cycles(struct site *s)
{
	unsigned char *mark = xcalloc(s->nqubes + 1, 1); /* 0 new, 1 on the path, 2 done */
	size_t *path = xcalloc(s->nqubes + 1, sizeof(*path));

	for (size_t i = 0; i < s->nqubes; i++) {
		size_t len = 0, k0 = 0, first;
		long j = (long)i;

		while (j >= 0 && mark[j] == 0) {
			mark[j] = 1;
			path[len++] = (size_t)j;
			j = index_of(s, s->qubes[j].q.netvm);
		}
		if (j >= 0 && mark[j] == 1) {
			char *text = NULL;
			size_t tlen = 0;
			FILE *f;

			while (path[k0] != (size_t)j)
				k0++;
			first = path[k0];
			for (size_t k = k0; k < len; k++)
				if (path[k] < first)
					first = path[k];
			if ((f = open_memstream(&text, &tlen)) == NULL)
				fatalx("out of memory");
			fprintf(f, "%s", s->qubes[first].q.name);
			for (long c = index_of(s, s->qubes[first].q.netvm), hops = 0;
			    c >= 0 && hops <= (long)s->nqubes; c = index_of(s, s->qubes[c].q.netvm), hops++) {
				fprintf(f, " -> %s", s->qubes[c].q.name);
				if ((size_t)c == first)
					break;
			}
			if (fclose(f) != 0 || text == NULL)
				fatalx("out of memory");
			qube_error(s, &s->qubes[first], "netvm", "netvm cycle: %s", text);
			free(text);
		}
		for (size_t k = 0; k < len; k++)
			mark[path[k]] = 2;
	}
	free(path);
	free(mark);
}

static void
check_qubes(struct loading *ld)
{
	struct site *s = ld->s;

	for (size_t i = 0; i < s->nqubes; i++) {
		const struct site_qube *sq = &s->qubes[i], *t;
		const struct qube *q = &sq->q;
		const char *base = strrchr(sq->file, '/');
		size_t blen;

		base = base != NULL ? base + 1 : sq->file;
		blen = strlen(base) - 4; /* without ".cfg" */
		if (strlen(q->name) != blen || strncmp(q->name, base, blen) != 0)
			qube_error(s, sq, "name", "name '%s' does not match the file name '%s' "
			    "(a qube NAME is in qubes.d/NAME.cfg)", q->name, base);
		if (i > 0 && strcmp(s->qubes[i - 1].q.name, q->name) == 0)
			qube_error(s, sq, "name", "qube '%s' is also defined in %s", q->name,
			    s->qubes[i - 1].file);
		if (q->cls != QUBE_TEMPLATE && q->template_name[0] != '\0') {
			t = site_find(s, q->template_name);
			if (t == NULL && !is_broken(ld, q->template_name))
				qube_error(s, sq, "template", "unknown template '%s' (no qube of that "
				    "name in the site)", q->template_name);
			else if (t != NULL && t->q.cls != QUBE_TEMPLATE && !is_bad(t, "class"))
				qube_error(s, sq, "template", "template '%s' is a %s qube, not a "
				    "template", q->template_name, qube_class_name(t->q.cls));
		}
		if (q->netvm[0] != '\0') {
			t = site_find(s, q->netvm);
			if (t == NULL && !is_broken(ld, q->netvm))
				qube_error(s, sq, "netvm", "unknown netvm '%s' (no qube of that name "
				    "in the site)", q->netvm);
			else if (t != NULL && !t->q.provides_network && !is_bad(t, "provides_network"))
				qube_error(s, sq, "netvm", "netvm '%s' does not provide network "
				    "(provides_network is not set in %s)", q->netvm, t->file);
		}
		if (q->default_dispvm[0] != '\0') {
			t = site_find(s, q->default_dispvm);
			if (t == NULL && !is_broken(ld, q->default_dispvm))
				qube_error(s, sq, "default_dispvm", "unknown default_dispvm '%s' (no "
				    "qube of that name in the site)", q->default_dispvm);
			else if (t != NULL && !t->q.template_for_dispvms &&
			    !is_bad(t, "template_for_dispvms"))
				qube_error(s, sq, "default_dispvm", "default_dispvm '%s' is not a "
				    "DispVM template (template_for_dispvms is not set in %s)",
				    q->default_dispvm, t->file);
		}
	}
	check_netvm_cycles(s);
}

static void
load_templates(struct site *s)
{
	char *dir = xasprintf("%s/templates", s->dir), **names;
	size_t n = 0;

	if ((names = list_dir(dir, &n)) == NULL) {
		if (errno != ENOENT)
			site_msg_add(&s->errors, "%s: cannot read directory: %s", dir, strerror(errno));
		free(dir);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]), *init, *abs;
		const struct site_qube *sq = site_find(s, names[i]);
		struct stat st;

		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			site_msg_add(&s->warnings, "%s: ignored (not a directory)", path);
		else if (sq == NULL || sq->q.cls != QUBE_TEMPLATE)
			site_msg_add(&s->warnings, "%s: ignored (no template qube %s in the site)",
			    path, names[i]);
		else {
			init = xasprintf("%s/sbin/init", path);
			if (access(init, X_OK) < 0)
				site_msg_add(&s->errors, "%s: no executable sbin/init (the root of a "
				    "template needs one)", path);
			else if ((abs = realpath(path, NULL)) == NULL)
				site_msg_add(&s->errors, "%s: %s", path, strerror(errno));
			else
				((struct site_qube *)sq)->import_dir = abs;
			free(init);
		}
		free(path);
	}
	free_names(names, n);
	free(dir);
}

static void
load_policies(struct site *s)
{
	char *dir = xasprintf("%s/policy.d", s->dir), **names;
	size_t n = 0, nerr = s->errors.n;

	if ((names = list_dir(dir, &n)) == NULL) {
		if (errno != ENOENT)
			site_msg_add(&s->errors, "%s: cannot read directory: %s", dir, strerror(errno));
		free(dir);
		return;
	}
	s->has_policy_dir = true;
	for (size_t i = 0; i < n; i++) {
		char *file = xasprintf("%s/%s", dir, names[i]), why[256], *data;
		struct policy *p;
		size_t len;

		if (!has_suffix(names[i], ".policy")) {
			site_msg_add(&s->warnings, "%s: ignored (not a .policy file)", file);
			goto next;
		}
		if (!site_policy_name_valid(names[i])) {
			site_msg_add(&s->errors, "%s: invalid file name (allowed: a-z 0-9 _ . - "
			    "and .policy at the end)", file);
			goto next;
		}
		if (s->npolicies >= POLICY_FILES_MAX) {
			site_msg_add(&s->errors, "%s: more than %d policy files", dir, POLICY_FILES_MAX);
			free(file);
			break;
		}
		if ((data = read_file_alloc(file, POLICY_FILE_MAX, &len, why, sizeof(why))) == NULL) {
			site_msg_add(&s->errors, "%s: %s", file, why);
			goto next;
		}
		if (len > POLICY_FILE_MAX || memchr(data, '\0', len) != NULL) {
			site_msg_add(&s->errors, "%s: %s", file, len > POLICY_FILE_MAX ?
			    "larger than 1 MiB" : "contains a NUL byte");
			free(data);
			goto next;
		}
		p = policy_load_string(data, file);
		if (policy_error(p) != NULL) {
			site_msg_add(&s->errors, "%s", policy_error(p));
			free(data);
		} else {
			s->policies = xrealloc(s->policies, (s->npolicies + 1) * sizeof(*s->policies));
			s->policies[s->npolicies].name = xstrdup(names[i]);
			s->policies[s->npolicies].file = file;
			s->policies[s->npolicies].content = data;
			s->policies[s->npolicies].len = len;
			s->npolicies++;
			file = NULL;
		}
		policy_free(p);
next:
		free(file);
	}
	/* The folder as domd will read it, when every file passed on its own. */
	if (s->errors.n == nerr) {
		struct policy *p = policy_load_dir(dir);

		if (policy_error(p) != NULL)
			site_msg_add(&s->errors, "%s", policy_error(p));
		policy_free(p);
	}
	free_names(names, n);
	free(dir);
}

struct site *
site_load(const char *dir)
{
	struct site *s = xcalloc(1, sizeof(*s));
	struct loading ld = { .s = s };
	const struct qube **qs;
	struct stat st;
	size_t n;

	s->dir = xstrdup(dir != NULL && dir[0] != '\0' ? dir : ".");
	for (n = strlen(s->dir); n > 1 && s->dir[n - 1] == '/'; n--)
		s->dir[n - 1] = '\0';
	if (stat(s->dir, &st) < 0)
		site_msg_add(&s->errors, "%s: %s", s->dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		site_msg_add(&s->errors, "%s: not a directory", s->dir);
	else {
		load_qubes(&ld);
		if (s->nqubes > 1)
			qsort(s->qubes, s->nqubes, sizeof(*s->qubes), cmp_qube);
		check_qubes(&ld);
		load_templates(s);
		load_policies(s);
	}
	qs = xcalloc(s->nqubes + 1, sizeof(*qs));
	for (size_t i = 0; i < s->nqubes; i++)
		qs[i] = &s->qubes[i].q;
	s->order = xcalloc(s->nqubes + 1, sizeof(*s->order));
	site_dep_order(qs, s->nqubes, false, s->order);
	free(qs);
	for (size_t i = 0; i < ld.nbroken; i++)
		free(ld.broken[i]);
	free(ld.broken);
	return s;
}

void
site_free(struct site *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nqubes; i++) {
		free(s->qubes[i].file);
		free(s->qubes[i].import_dir);
	}
	free(s->qubes);
	free(s->order);
	for (size_t i = 0; i < s->npolicies; i++) {
		free(s->policies[i].name);
		free(s->policies[i].file);
		free(s->policies[i].content);
	}
	free(s->policies);
	site_msgs_free(&s->errors);
	site_msgs_free(&s->warnings);
	free(s->dir);
	free(s);
}

/* ---------------------------------------------------------------------------
 * Dependency order
 */

struct deps {
	const struct qube *const *qs;
	size_t n;
	size_t *byname; /* indexes sorted by name */
	unsigned char *mark; /* 0 new, 1 being visited, 2 placed */
	size_t *order;
	size_t k;
	bool with_dispvm;
};

static const struct qube *const *sort_qs; /* qsort has no context argument */

static int
cmp_byname(const void *a, const void *b)
{
	return strcmp(sort_qs[*(const size_t *)a]->name, sort_qs[*(const size_t *)b]->name);
}

static long
deps_find(const struct deps *d, const char *name)
{
	size_t lo = 0, hi = d->n;

	if (name[0] == '\0')
		return -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(d->qs[d->byname[mid]]->name, name);

		if (c == 0)
			return (long)d->byname[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void
deps_visit(struct deps *d, size_t i)
{
	const struct qube *q = d->qs[i];
	const char *dep[3];
	int ndep = 0;

	if (d->mark[i] != 0)
		return; /* placed, or a cycle: broken here */
	d->mark[i] = 1;
	dep[ndep++] = q->template_name;
	dep[ndep++] = q->netvm;
	if (d->with_dispvm)
		dep[ndep++] = q->default_dispvm;
	for (int k = 0; k < ndep; k++) {
		long j = deps_find(d, dep[k]);

		if (j >= 0 && (size_t)j != i)
			deps_visit(d, (size_t)j);
	}
	d->mark[i] = 2;
	d->order[d->k++] = i;
}

void
site_dep_order(const struct qube *const *qubes, size_t n, bool with_dispvm, size_t *order)
{
	struct deps d = { .qs = qubes, .n = n, .order = order, .with_dispvm = with_dispvm };

	d.byname = xcalloc(n + 1, sizeof(*d.byname));
	d.mark = xcalloc(n + 1, 1);
	for (size_t i = 0; i < n; i++)
		d.byname[i] = i;
	sort_qs = qubes;
	if (n > 1)
		qsort(d.byname, n, sizeof(*d.byname), cmp_byname);
	sort_qs = NULL;
	for (size_t i = 0; i < n; i++)
		deps_visit(&d, i);
	free(d.byname);
	free(d.mark);
}

/* ---------------------------------------------------------------------------
 * The admin API's qube objects, and differences
 */

/* A scalar as the text a qube file would hold; NULL for other types. */
static const char *
json_text(json_object *v, char *buf, size_t len)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		return json_object_get_string(v);
	case json_type_int:
		snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
		return buf;
	case json_type_boolean:
		return json_object_get_boolean(v) ? "1" : "0";
	default:
		return NULL;
	}
}

int
site_qube_from_json(struct qube *q, struct json_object *o, char *err, size_t errlen)
{
	char text[64], why[512];

	qube_init(q);
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "a qube is not a JSON object");
		return -1;
	}
	for (size_t i = 0; i < qube_nprops; i++) {
		const struct qube_prop *p = &qube_props[i];
		const char *value;
		json_object *v;

		if (!json_object_object_get_ex(o, p->name, &v) || json_object_is_type(v, json_type_null))
			continue;
		if (json_object_is_type(v, json_type_array)) {
			/* tags, firewall: qube_set appends one at a time */
			for (size_t k = 0; k < json_object_array_length(v); k++) {
				json_object *t = json_object_array_get_idx(v, k);

				if (!json_object_is_type(t, json_type_string)) {
					snprintf(err, errlen, "property '%s' holds a value that is not "
					    "a string", p->name);
					return -1;
				}
				if (qube_set(q, p->name, json_object_get_string(t), why, sizeof(why)) < 0) {
					snprintf(err, errlen, "%s", why);
					return -1;
				}
			}
			continue;
		}
		if ((value = json_text(v, text, sizeof(text))) == NULL) {
			snprintf(err, errlen, "property '%s' has a value of the wrong type", p->name);
			return -1;
		}
		if (p->type == PROP_UUID && value[0] == '\0')
			continue;
		if (qube_set(q, p->name, value, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
	}
	if (q->name[0] == '\0' || q->label == LABEL_COUNT) {
		snprintf(err, errlen, "a qube object without %s", q->name[0] ? "label" : "name");
		return -1;
	}
	return 0;
}

int
site_qube_fw_from_json(struct qube *q, struct json_object *fw, char *err, size_t errlen)
{
	json_object *v, *rules;
	char why[512];

	if (json_object_object_get_ex(fw, "policy", &v) && json_object_is_type(v, json_type_string) &&
	    qube_set(q, "firewall_policy", json_object_get_string(v), why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (!json_object_object_get_ex(fw, "rules", &rules) ||
	    !json_object_is_type(rules, json_type_array))
		return 0;
	for (size_t k = 0; k < json_object_array_length(rules); k++) {
		json_object *r = json_object_array_get_idx(rules, k), *t = r;

		if (json_object_is_type(r, json_type_object))
			json_object_object_get_ex(r, "rule", &t);
		if (t == NULL || !json_object_is_type(t, json_type_string)) {
			snprintf(err, errlen, "firewall rule %zu is not a string", k + 1);
			return -1;
		}
		if (qube_set(q, "firewall", json_object_get_string(t), why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
	}
	return 0;
}

static bool
same_tags(const struct qube *a, const struct qube *b)
{
	if (a->ntags != b->ntags)
		return false;
	for (int i = 0; i < a->ntags; i++)
		if (!qube_has_tag(b, a->tags[i]))
			return false;
	return true;
}

size_t
site_qube_diff(const struct qube *want, const struct qube *have, const char **props)
{
	size_t n = 0, blen = QUBE_CFG_MAX; /* firewall rules are long */
	char *a = xmalloc(blen), *b = xmalloc(blen);

	for (size_t i = 0; i < qube_nprops && n < SITE_PROPS_MAX; i++) {
		const struct qube_prop *p = &qube_props[i];

		/* uuid, ip and uid_base belong to one appliance, not to a site. */
		if (p->type == PROP_NAME || p->type == PROP_CLASS || p->type == PROP_UUID ||
		    !strcmp(p->name, "ip") || !strcmp(p->name, "uid_base"))
			continue;
		if (p->type == PROP_TAGS) {
			if (!same_tags(want, have))
				props[n++] = p->name;
			continue;
		}
		if (!strcmp(p->name, "template") && (want->cls == QUBE_STANDALONE ||
		    have->cls == QUBE_STANDALONE))
			continue;
		qube_get(want, p->name, a, blen);
		qube_get(have, p->name, b, blen);
		if (strcmp(a, b) != 0)
			props[n++] = p->name;
	}
	free(a);
	free(b);
	return n;
}
