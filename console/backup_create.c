/* backup create: the chosen qubes' files and the policy, as one
 * compressed, encrypted stream (backup_format.h). Files of the store are
 * read as opaque bytes: nothing a qube wrote is parsed here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "backup.h"
#include "qube.h"

#define READ_BUF (1u << 20)

struct creator {
	struct cmd_ctx *ctx;
	struct bk_out *out;
	struct bk_progress prog;
	uint8_t *buf;
	const uint8_t *zeros;
	char err[512];
};

static int
ar_write(void *arg, const void *buf, size_t len)
{
	struct creator *c = arg;

	if (bk_out_write(c->out, buf, len, c->err, sizeof(c->err)) < 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int
put(struct creator *c, const struct bk_entry *e)
{
	if (bk_ar_put(ar_write, c, e) < 0) {
		if (c->err[0] == '\0')
			snprintf(c->err, sizeof(c->err), "cannot write the archive");
		return -1;
	}
	return 0;
}

static void
entry_from_stat(struct bk_entry *e, enum bk_type type, const char *name, const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mtime = st->st_mtime;
}

/* Bytes [pos, end) of fd into the archive; what the file system says is a
 * hole is sent as zeros without being read. */
static int
put_range(struct creator *c, int fd, uint64_t pos, uint64_t end, bool hole, const char *name)
{
	while (pos < end) {
		size_t want = end - pos < READ_BUF ? (size_t)(end - pos) : READ_BUF;
		const uint8_t *src = c->zeros;
		ssize_t n = (ssize_t)want;

		if (bk_interrupted()) {
			snprintf(c->err, sizeof(c->err), "interrupted");
			return -1;
		}
		if (!hole) {
			n = pread(fd, c->buf, want, (off_t)pos);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				snprintf(c->err, sizeof(c->err), "cannot read %s: %s", name,
				    strerror(errno));
				return -1;
			}
			if (n == 0) /* shrunk meanwhile: zeros */
				n = (ssize_t)want;
			else
				src = c->buf;
		}
		if (ar_write(c, src, (size_t)n) < 0)
			return -1;
		pos += (uint64_t)n;
		bk_progress_add(&c->prog, (uint64_t)n);
	}
	return 0;
}

/* A regular file opened as fd: its size at the start is what is sent (a
 * file that shrinks meanwhile is padded with zeros, one that grows cut). */
static int
put_file(struct creator *c, int fd, const char *name, const struct stat *st)
{
	struct bk_entry e;
	uint64_t pos = 0;

	entry_from_stat(&e, BK_FILE, name, st);
	e.size = (uint64_t)st->st_size;
	if (put(c, &e) < 0)
		return -1;
	while (pos < e.size) {
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			return put_range(c, fd, pos, e.size, true, name);
		if (data < 0) /* no hole information: read it all */
			return put_range(c, fd, pos, e.size, false, name);
		if ((uint64_t)data > pos) {
			uint64_t to = (uint64_t)data < e.size ? (uint64_t)data : e.size;
			if (put_range(c, fd, pos, to, true, name) < 0)
				return -1;
			pos = to;
			continue;
		}
		hole = lseek(fd, (off_t)pos, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > e.size)
			hole = (off_t)e.size;
		if (put_range(c, fd, pos, (uint64_t)hole, false, name) < 0)
			return -1;
		pos = (uint64_t)hole;
	}
	return 0;
}

static int put_tree(struct creator *c, int dirfd, const char *leaf, const char *name, int depth);

static int
put_at(struct creator *c, int dirfd, const char *leaf, const char *name, int depth)
{
	struct stat st;
	struct bk_entry e;
	int fd, r;

	if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		snprintf(c->err, sizeof(c->err), "cannot read %s: %s", name, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return put_tree(c, dirfd, leaf, name, depth);
	if (S_ISLNK(st.st_mode)) {
		ssize_t n;

		entry_from_stat(&e, BK_SYMLINK, name, &st);
		n = readlinkat(dirfd, leaf, e.target, sizeof(e.target) - 1);
		if (n <= 0) {
			snprintf(c->err, sizeof(c->err), "cannot read the link %s", name);
			return -1;
		}
		e.target[n] = '\0';
		return put(c, &e);
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "bulkhead: backup: %s is not a file, directory or symlink; "
		    "left out\n", name);
		return 0;
	}
	if ((fd = openat(dirfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(c->err, sizeof(c->err), "cannot open %s: %s", name, strerror(errno));
		return -1;
	}
	r = put_file(c, fd, name, &st);
	close(fd);
	return r;
}

static int
put_tree(struct creator *c, int parent, const char *leaf, const char *name, int depth)
{
	struct stat st;
	struct bk_entry e;
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (depth > 256) {
		snprintf(c->err, sizeof(c->err), "%s: directories nested too deep", name);
		return -1;
	}
	if ((fd = openat(parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0) {
		snprintf(c->err, sizeof(c->err), "cannot open %s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	entry_from_stat(&e, BK_DIR, name, &st);
	if (put(c, &e) < 0 || (d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		char sub[BK_NAME_MAX + 1];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", name, de->d_name) >= sizeof(sub)) {
			snprintf(c->err, sizeof(c->err), "%s/%s: path too long", name, de->d_name);
			r = -1;
			break;
		}
		r = put_at(c, fd, de->d_name, sub, depth + 1);
	}
	closedir(d);
	return r;
}

/* One qube: its settings, its private volume, its root when asked. */
static int
put_qube(struct creator *c, int qdir, const char *name, bool with_root)
{
	char path[128];
	struct stat st;
	int fd, r;

	snprintf(path, sizeof(path), "qubes/%s/qube.cfg", name);
	if ((fd = openat(qdir, "qube.cfg", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0 || st.st_size > QUBE_CFG_MAX) {
		snprintf(c->err, sizeof(c->err), "cannot read the settings of %s", name);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	r = put_file(c, fd, path, &st);
	close(fd);
	if (r < 0)
		return -1;
	snprintf(path, sizeof(path), "qubes/%s/private.img", name);
	if (fstatat(qdir, "private.img", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if ((r = put_at(c, qdir, "private.img", path, 0)) < 0)
			return -1;
	} else if (fstatat(qdir, "private", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		snprintf(path, sizeof(path), "qubes/%s/private", name);
		if (put_tree(c, qdir, "private", path, 0) < 0)
			return -1;
	}
	if (!with_root)
		return 0;
	if (fstatat(qdir, "root.img", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		snprintf(path, sizeof(path), "qubes/%s/root.img", name);
		if (put_at(c, qdir, "root.img", path, 0) < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "qubes/%s/root", name);
	if (fstatat(qdir, "root", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    put_tree(c, qdir, "root", path, 0) < 0)
		return -1;
	return 0;
}

static bool
listed(char **names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static int
class_rank(const char *cls)
{
	return !strcmp(cls, "template") ? 0 : !strcmp(cls, "standalone") ? 1 : 2;
}

/* The qubes to back up, templates first: an array of vm.list objects. */
static int
choose(struct cmd_ctx *ctx, const struct bk_create_opts *o, json_object *list, json_object **out)
{
	size_t n = json_object_array_length(list);
	json_object *sel = json_object_new_array();

	for (int i = 0; i < o->nqubes; i++) {
		bool found = false;
		for (size_t j = 0; j < n; j++)
			found |= !strcmp(cmd_member_text(json_object_array_get_idx(list, j), "name"),
			    o->qubes[i]);
		if (!found) {
			cmd_error(ctx, o->qubes[i], "no such qube");
			goto bad;
		}
	}
	for (int rank = 0; rank < 3; rank++)
		for (size_t j = 0; j < n; j++) {
			json_object *q = json_object_array_get_idx(list, j);
			const char *name = cmd_member_text(q, "name");
			const char *cls = cmd_member_text(q, "class");
			const char *state = cmd_member_text(q, "state");
			bool named = listed(o->qubes, o->nqubes, name);

			if (class_rank(cls) != rank || listed(o->exclude, o->nexclude, name))
				continue;
			if (!named && !o->all)
				continue;
			if (!strcmp(cls, "disp")) {
				if (named) {
					cmd_error(ctx, name, "a DispVM holds nothing to back up");
					goto bad;
				}
				continue;
			}
			if (rank < 2 && !o->with_templates) {
				if (named) {
					cmd_error(ctx, name, "a %s qube is backed up only with "
					    "--with-templates (its root comes with it)", cls);
					goto bad;
				}
				continue;
			}
			if (strcmp(state, "halted") != 0 && !o->allow_running) {
				cmd_error(ctx, name, "the qube is %s: shut it down, or give "
				    "--allow-running (its volume is then copied while in use)", state);
				goto bad;
			}
			json_object_array_add(sel, json_object_get(q));
		}
	if (json_object_array_length(sel) == 0) {
		cmd_error(ctx, NULL, "no qube to back up");
		goto bad;
	}
	*out = sel;
	return BH_EXIT_OK;
bad:
	json_object_put(sel);
	return BH_EXIT_FAIL;
}

/* Bytes of the files that make up most of a backup, for the ETA. */
static uint64_t
estimate(const char *qubes_dir, json_object *sel)
{
	uint64_t total = 0;

	for (size_t i = 0; i < json_object_array_length(sel); i++) {
		const char *name = cmd_member_text(json_object_array_get_idx(sel, i), "name");
		char p[4200];
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s/private.img", qubes_dir, name);
		if (stat(p, &st) == 0)
			total += (uint64_t)st.st_size;
		snprintf(p, sizeof(p), "%s/%s/root.img", qubes_dir, name);
		if (stat(p, &st) == 0)
			total += (uint64_t)st.st_size;
	}
	return total;
}

static int
put_policies(struct creator *c, json_object *pol, int *count)
{
	for (size_t i = 0; i < json_object_array_length(pol); i++) {
		json_object *p = json_object_array_get_idx(pol, i), *content;
		struct bk_entry e;
		const char *text;

		if (!json_object_object_get_ex(p, "content", &content))
			continue;
		text = json_object_get_string(content);
		memset(&e, 0, sizeof(e));
		e.type = BK_FILE;
		snprintf(e.name, sizeof(e.name), "policy.d/%s", cmd_member_text(p, "name"));
		e.mode = 0644;
		e.size = strlen(text);
		if (put(c, &e) < 0 || ar_write(c, text, e.size) < 0)
			return -1;
		(*count)++;
	}
	return 0;
}

static bool
still_halted(struct cmd_ctx *ctx, const char *name)
{
	json_object *q;
	bool ok;

	if (cmd_call(ctx, "vm.get", name, NULL, &q) != BH_EXIT_OK)
		return false;
	ok = !strcmp(cmd_member_text(q, "state"), "halted");
	json_object_put(q);
	return ok;
}

int
bk_create(struct cmd_ctx *ctx, const struct bk_create_opts *o)
{
	struct creator c = { .ctx = ctx };
	json_object *list = NULL, *sel = NULL, *pol = NULL;
	struct bk_header h;
	struct bk_end dest = { .fd = -1 };
	struct bk_entry end = { .type = BK_END };
	uint8_t key[BK_KEY_LEN];
	char qubes_dir[4096], pass[BK_PASS_MAX], sz[32];
	int rc, n, npol = 0, qfd = -1;
	bool dest_open = false;

	if ((rc = bk_qubes_dir(ctx, qubes_dir, sizeof(qubes_dir))) != BH_EXIT_OK ||
	    (rc = cmd_call(ctx, "vm.list", NULL, NULL, &list)) != BH_EXIT_OK ||
	    (rc = cmd_call(ctx, "policy.list", NULL, NULL, &pol)) != BH_EXIT_OK)
		goto out;
	if ((rc = choose(ctx, o, list, &sel)) != BH_EXIT_OK)
		goto out;
	rc = BH_EXIT_FAIL;
	bk_catch_signals();
	if ((n = bk_passphrase(o->passfile, true, pass, sizeof(pass), c.err, sizeof(c.err))) < 0)
		goto fail;
	if (bk_header_new(&h, BK_OPS_NEW, BK_MEM_NEW, pass, (size_t)n, key, c.err,
	    sizeof(c.err)) < 0) {
		sodium_memzero(pass, sizeof(pass));
		goto fail;
	}
	sodium_memzero(pass, sizeof(pass));
	if (bk_dest_open(ctx, o->to, &dest, c.err, sizeof(c.err)) < 0)
		goto fail;
	dest_open = true;
	c.out = bk_out_new(bk_fd_write, &dest.fd, &h, key, BK_ZSTD_LEVEL, c.err, sizeof(c.err));
	sodium_memzero(key, sizeof(key));
	if (c.out == NULL || (c.buf = malloc(READ_BUF)) == NULL ||
	    (c.zeros = calloc(1, READ_BUF)) == NULL)
		goto fail;
	bk_progress_init(&c.prog, "backup", estimate(qubes_dir, sel), !ctx->json);
	for (size_t i = 0; i < json_object_array_length(sel); i++) {
		json_object *q = json_object_array_get_idx(sel, i);
		const char *name = cmd_member_text(q, "name");
		const char *cls = cmd_member_text(q, "class");
		bool halted = !strcmp(cmd_member_text(q, "state"), "halted");
		char dir[4200];

		snprintf(dir, sizeof(dir), "%s/%s", qubes_dir, name);
		if ((qfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			snprintf(c.err, sizeof(c.err), "cannot open the folder of %s: %s", name,
			    strerror(errno));
			goto fail;
		}
		if (put_qube(&c, qfd, name, class_rank(cls) < 2) < 0)
			goto fail;
		close(qfd);
		qfd = -1;
		if (halted && !still_halted(ctx, name)) {
			snprintf(c.err, sizeof(c.err), "%s was started during its backup; "
			    "nothing written", name);
			goto fail;
		}
	}
	if (put_policies(&c, pol, &npol) < 0 || put(&c, &end) < 0 ||
	    bk_out_finish(c.out, c.err, sizeof(c.err)) < 0)
		goto fail;
	bk_progress_end(&c.prog);
	if (bk_dest_commit(ctx, &dest, c.err, sizeof(c.err)) < 0) {
		dest_open = false;
		goto fail;
	}
	if (!ctx->json)
		printf("backed up %zu qube%s and %d policy file%s to %s (%s)\n",
		    json_object_array_length(sel), json_object_array_length(sel) == 1 ? "" : "s",
		    npol, npol == 1 ? "" : "s", o->to, bk_size_text(bk_out_bytes(c.out), sz,
		    sizeof(sz)));
	else {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "qubes", json_object_get(sel));
		json_object_object_add(r, "policies", json_object_new_int(npol));
		json_object_object_add(r, "bytes", json_object_new_int64((int64_t)bk_out_bytes(c.out)));
		cmd_print_json(r);
		json_object_put(r);
	}
	rc = BH_EXIT_OK;
	goto out;
fail:
	bk_progress_break(&c.prog);
	if (qfd >= 0)
		close(qfd);
	if (dest_open)
		bk_dest_abort(ctx, &dest);
	cmd_error(ctx, NULL, "%s", c.err[0] ? c.err : "failed");
	rc = BH_EXIT_FAIL;
out:
	bk_out_free(c.out);
	free(c.buf);
	free((void *)c.zeros);
	json_object_put(list);
	json_object_put(sel);
	json_object_put(pol);
	return rc;
}
