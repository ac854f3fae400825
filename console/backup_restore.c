/* backup verify and backup restore. Every chunk is authenticated before a
 * byte of it is parsed; the archive is hostile data all the same: entries
 * are placed by bk_layout_check() and written by bk_extract() only under
 * a staging folder of a NEW qube (STATE/qubes/.restore-PID/NAME), and
 * nothing is handed to domd (vm.restore) before the whole stream has been
 * read and authenticated. A failure removes the staging folder. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backup.h"
#include "backup_extract.h"
#include "qube.h"
#include "xalloc.h"

struct rq {
	char name[32];     /* in the backup */
	char new_name[64]; /* restored as; "" when skipped */
	char cls[16], template_name[64], why[96];
	uint64_t bytes;
	int dirfd;
};

struct restorer {
	struct cmd_ctx *ctx;
	const struct bk_restore_opts *o; /* NULL: verify */
	json_object *existing;           /* vm.list */
	struct rq *q;
	int nq;
	char stage[4200];
	int stagefd;
	char policies[64][64];
	int npol;
};

static const char *
existing_class(struct restorer *r, const char *name)
{
	for (size_t i = 0; r->existing && i < json_object_array_length(r->existing); i++) {
		json_object *q = json_object_array_get_idx(r->existing, i);
		if (!strcmp(cmd_member_text(q, "name"), name))
			return cmd_member_text(q, "class");
	}
	return NULL;
}

static bool
name_taken(struct restorer *r, const char *name)
{
	if (existing_class(r, name) != NULL)
		return true;
	for (int i = 0; i < r->nq; i++)
		if (!strcmp(r->q[i].new_name, name))
			return true;
	return false;
}

static bool
wanted(const struct bk_restore_opts *o, const char *name)
{
	if (o == NULL || o->nqubes == 0)
		return true;
	for (int i = 0; i < o->nqubes; i++)
		if (!strcmp(o->qubes[i], name))
			return true;
	return false;
}

/* The template an AppVM gets: --template, else its own, renamed when it
 * was restored from this backup under another name. */
static const char *
map_template(struct restorer *r, const char *t)
{
	if (r->o->template_name != NULL)
		return r->o->template_name;
	for (int i = 0; i < r->nq; i++)
		if (!strcmp(r->q[i].name, t) && r->q[i].new_name[0] != '\0')
			return r->q[i].new_name;
	return t;
}

/* A qube begins: its settings decide whether and as what it is restored. */
static int
begin_qube(struct restorer *r, struct bk_source *s, const char *name, const struct bk_entry *e)
{
	char cfg[QUBE_CFG_MAX + 1], err[512];
	struct qube q;
	struct rq *x;
	size_t got = 0;
	ssize_t n;

	while ((n = bk_ar_data(&s->ar, cfg + got, sizeof(cfg) - 1 - got)) > 0)
		got += (size_t)n;
	if (n < 0)
		return -1;
	cfg[got] = '\0';
	memset(&q, 0, sizeof(q));
	if (qube_parse_cfg(&q, cfg, got, e->name, err, sizeof(err)) < 0) {
		snprintf(s->err, sizeof(s->err), "%s", err);
		return -1;
	}
	if (strcmp(q.name, name) != 0) {
		snprintf(s->err, sizeof(s->err), "%.200s names the qube '%s'", e->name, q.name);
		return -1;
	}
	r->q = xrealloc(r->q, (size_t)(r->nq + 1) * sizeof(*r->q));
	x = &r->q[r->nq];
	memset(x, 0, sizeof(*x));
	x->dirfd = -1;
	snprintf(x->name, sizeof(x->name), "%s", name);
	snprintf(x->cls, sizeof(x->cls), "%s", qube_class_name(q.cls));
	snprintf(x->template_name, sizeof(x->template_name), "%s", q.template_name);
	r->nq++;
	if (r->o == NULL)
		return 0;
	if (!wanted(r->o, name)) {
		snprintf(x->why, sizeof(x->why), "not asked for");
		return 0;
	}
	if (name_taken(r, name)) {
		if (r->o->skip) {
			snprintf(x->why, sizeof(x->why), "skipped: a qube of that name exists");
			return 0;
		}
		if (!r->o->rename) {
			snprintf(s->err, sizeof(s->err), "a qube named %s exists: give "
			    "--rename-conflicts or --skip-existing", name);
			return -1;
		}
		for (int i = 1; i < 100 && x->new_name[0] == '\0'; i++) {
			char cand[64];
			snprintf(cand, sizeof(cand), "%.27s-%d", name, i);
			if (!name_taken(r, cand))
				snprintf(x->new_name, sizeof(x->new_name), "%s", cand);
		}
		if (x->new_name[0] == '\0') {
			snprintf(s->err, sizeof(s->err), "no free name to restore %s as", name);
			return -1;
		}
	} else
		snprintf(x->new_name, sizeof(x->new_name), "%s", name);
	if (q.cls == QUBE_APP || q.cls == QUBE_DISP) {
		const char *t = map_template(r, q.template_name);
		const char *tc = existing_class(r, t);
		bool restored = false;

		for (int i = 0; i < r->nq - 1; i++)
			restored |= !strcmp(r->q[i].new_name, t) && !strcmp(r->q[i].cls, "template");
		if (!restored && (tc == NULL || strcmp(tc, "template") != 0)) {
			snprintf(s->err, sizeof(s->err), "%s: its template '%s' is missing: give "
			    "--template T, or restore the template too", name, t);
			return -1;
		}
		snprintf(x->template_name, sizeof(x->template_name), "%s", t);
	}
	if (r->o->dry_run)
		return 0;
	if (mkdirat(r->stagefd, x->new_name, 0700) < 0 ||
	    (x->dirfd = openat(r->stagefd, x->new_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		snprintf(s->err, sizeof(s->err), "cannot create the staging folder of %s: %s",
		    x->new_name, strerror(errno));
		return -1;
	}
	{
		int fd = openat(x->dirfd, "qube.cfg", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, cfg, got) != (ssize_t)got || close(fd) < 0) {
			snprintf(s->err, sizeof(s->err), "cannot write the settings of %s",
			    x->new_name);
			return -1;
		}
	}
	return 0;
}

static int
read_all(struct restorer *r, struct bk_source *s)
{
	struct bk_layout *lay = xcalloc(1, sizeof(*lay));
	struct bk_entry *e = xmalloc(sizeof(*e));
	enum bk_kind kind;
	const char *qube, *rest;
	int got, rc = -1;

	bk_layout_init(lay);
	while ((got = bk_ar_next(&s->ar, e)) > 0) {
		struct rq *x;

		if (bk_layout_check(lay, e, &kind, &qube, &rest, s->err, sizeof(s->err)) < 0)
			goto out;
		if (kind == BK_K_POLICY) {
			if (r->npol < 64)
				snprintf(r->policies[r->npol++], sizeof(r->policies[0]), "%s", rest);
			continue;
		}
		if (kind == BK_K_CFG) {
			if (begin_qube(r, s, qube, e) < 0)
				goto out;
			continue;
		}
		x = &r->q[r->nq - 1];
		if (kind != BK_K_TREE)
			x->bytes += e->size;
		if (x->dirfd < 0)
			continue; /* not restored: its data is read (and authenticated) all the same */
		if (bk_extract(x->dirfd, rest, e, &s->ar, s->err, sizeof(s->err)) < 0)
			goto out;
	}
	if (got < 0)
		goto out;
	if (bk_source_end(s) < 0)
		goto out;
	rc = 0;
out:
	free(lay);
	free(e);
	return rc;
}

static void
remove_stage(struct restorer *r)
{
	pid_t pid;

	if (r->stagefd >= 0)
		close(r->stagefd);
	r->stagefd = -1;
	for (int i = 0; i < r->nq; i++)
		if (r->q[i].dirfd >= 0) {
			close(r->q[i].dirfd);
			r->q[i].dirfd = -1;
		}
	if (r->stage[0] == '\0')
		return;
	if ((pid = fork()) == 0) {
		execl("/bin/rm", "rm", "-rf", "--one-file-system", r->stage, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	r->stage[0] = '\0';
}

static void
print_list(struct restorer *r, const char *what)
{
	char sz[32];

	for (int i = 0; i < r->nq; i++) {
		struct rq *x = &r->q[i];

		printf("  %-31s %-10s %-10s %10s", x->name, x->cls,
		    x->template_name[0] ? x->template_name : "-",
		    bk_size_text(x->bytes, sz, sizeof(sz)));
		if (r->o != NULL && x->new_name[0] != '\0')
			printf("  %s %s", what, x->new_name);
		else if (r->o != NULL)
			printf("  %s", x->why);
		putchar('\n');
	}
	for (int i = 0; i < r->npol; i++)
		printf("  policy.d/%s%s\n", r->policies[i], r->o ? "  (not restored)" : "");
}

int
bk_verify(struct cmd_ctx *ctx, const char *src, const char *passfile)
{
	struct restorer r = { .ctx = ctx, .stagefd = -1 };
	struct bk_source s;
	char sz[32];
	uint64_t bytes;
	int rc = BH_EXIT_FAIL;

	bk_catch_signals();
	if (bk_source_open(ctx, &s, src, passfile, "verify") < 0 || read_all(&r, &s) < 0) {
		bk_source_close(&s, false);
		cmd_error(ctx, NULL, "%s: %s", src, s.err);
		goto out;
	}
	bytes = bk_in_bytes(s.in);
	bk_source_close(&s, true);
	printf("%s: authenticated and complete: %d qube%s, %d policy file%s, %s\n", src, r.nq,
	    r.nq == 1 ? "" : "s", r.npol, r.npol == 1 ? "" : "s",
	    bk_size_text(bytes, sz, sizeof(sz)));
	print_list(&r, "");
	rc = BH_EXIT_OK;
out:
	free(r.q);
	return rc;
}

int
bk_restore(struct cmd_ctx *ctx, const struct bk_restore_opts *o)
{
	struct restorer r = { .ctx = ctx, .o = o, .stagefd = -1 };
	struct bk_source s = { .end.fd = -1 };
	char qubes_dir[4096];
	int rc, done = 0;

	if ((rc = bk_qubes_dir(ctx, qubes_dir, sizeof(qubes_dir))) != BH_EXIT_OK ||
	    (rc = cmd_call(ctx, "vm.list", NULL, NULL, &r.existing)) != BH_EXIT_OK)
		return rc;
	rc = BH_EXIT_FAIL;
	bk_catch_signals();
	if (!o->dry_run) {
		snprintf(r.stage, sizeof(r.stage), "%s/.restore-%d", qubes_dir, (int)getpid());
		if (mkdir(r.stage, 0700) < 0 || (r.stagefd = open(r.stage, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) < 0) {
			cmd_error(ctx, NULL, "cannot create %s: %s", r.stage, strerror(errno));
			if (errno != EEXIST)
				rmdir(r.stage);
			r.stage[0] = '\0';
			goto out;
		}
	}
	if (bk_source_open(ctx, &s, o->src, o->passfile, "restore") < 0 || read_all(&r, &s) < 0) {
		bk_source_close(&s, false);
		cmd_error(ctx, NULL, "%s: %s; nothing restored", o->src, s.err);
		goto out;
	}
	bk_source_close(&s, true);
	for (int i = 0; i < r.nq; i++) {
		struct rq *x = &r.q[i];
		json_object *args, *res;
		char path[4300];

		if (x->new_name[0] == '\0' || o->dry_run)
			continue;
		close(x->dirfd);
		x->dirfd = -1;
		args = json_object_new_object();
		snprintf(path, sizeof(path), "%s/%s", r.stage, x->new_name);
		json_object_object_add(args, "path", json_object_new_string(path));
		if (!strcmp(x->cls, "app") || !strcmp(x->cls, "disp"))
			json_object_object_add(args, "template",
			    json_object_new_string(x->template_name));
		if (cmd_call(ctx, "vm.restore", x->new_name, args, &res) != BH_EXIT_OK) {
			fprintf(stderr, "bulkhead: backup: restored %d qube%s before %s failed\n",
			    done, done == 1 ? "" : "s", x->new_name);
			goto out;
		}
		json_object_put(res);
		done++;
	}
	if (!ctx->json) {
		printf("%s%s: restored %d qube%s\n", o->dry_run ? "dry run: " : "", o->src,
		    o->dry_run ? 0 : done, done == 1 ? "" : "s");
		print_list(&r, o->dry_run ? "would be restored as" : "restored as");
	} else {
		json_object *a = json_object_new_array();
		for (int i = 0; i < r.nq; i++) {
			json_object *q = json_object_new_object();
			json_object_object_add(q, "name", json_object_new_string(r.q[i].name));
			json_object_object_add(q, "restored_as", json_object_new_string(r.q[i].new_name));
			json_object_object_add(q, "reason", json_object_new_string(r.q[i].why));
			json_object_array_add(a, q);
		}
		cmd_print_json(a);
		json_object_put(a);
	}
	rc = BH_EXIT_OK;
out:
	remove_stage(&r);
	json_object_put(r.existing);
	free(r.q);
	return rc;
}
