/* export: the current state as a site folder (qubes.d/NAME.cfg,
 * policy.d/NAME.policy) that `bulkhead apply` reads back as "no changes". */
#include "cmd.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "client.h"
#include "site.h"
#include "xalloc.h"

enum { OPT_FORCE = 1 };

/* 1 when dir holds anything, 0 when it is empty or absent, -1 on error. */
static int
dir_in_use(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int used = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			used = 1;
			break;
		}
	closedir(d);
	return used;
}

static int
make_dir(struct cmd_ctx *ctx, const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		cmd_error(ctx, NULL, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* --force: files of a former site that this export does not write go, so
 * that the folder is exactly the current state. */
static void
remove_stale(const char *dir, const char *suffix, json_object *written)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t sl = strlen(suffix);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		bool keep = de->d_name[0] == '.' || n <= sl || strcmp(de->d_name + n - sl, suffix);

		for (size_t i = 0; !keep && i < json_object_array_length(written); i++)
			keep = !strcmp(json_object_get_string(json_object_array_get_idx(written, i)),
			    de->d_name);
		if (!keep)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	fsync_dir(dir);
}

static int
write_qube(struct cmd_ctx *ctx, const char *dir, struct qube *q, json_object *written)
{
	char *text, *body, *out, name[QUBE_NAME_MAX + 8];
	int rc = 0;

	q->uuid[0] = '\0'; /* uuids belong to one appliance */
	q->ip[0] = '\0';   /* and so do addresses */
	q->uid_base = 0;  /* and id ranges */
	text = qube_format_cfg(q);
	body = strchr(text, '\n'); /* instead of the store's header */
	out = xasprintf("# Qube %s, written by bulkhead export.\n%s", q->name,
	    body != NULL && text[0] == '#' ? body + 1 : text);
	snprintf(name, sizeof(name), "%s.cfg", q->name);
	if (atomic_write_file(dir, name, out, strlen(out), 0644) < 0) {
		cmd_error(ctx, NULL, "cannot write %s/%s: %s", dir, name, strerror(errno));
		rc = -1;
	} else
		json_object_array_add(written, json_object_new_string(name));
	free(out);
	free(text);
	return rc;
}

static int
cmd_export_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, OPT_FORCE },
		CMD_COMMON_OPTIONS
	};
	json_object *list = NULL, *pols = NULL, *qwritten, *pwritten;
	struct client_error err;
	enum client_status st;
	struct client *cl;
	struct qube *q = NULL;
	char *qdir = NULL, *pdir = NULL, why[512];
	const char *dir;
	int64_t id_list, id_pol;
	int c, rc, force = 0;

	while ((c = cmd_getopt(ctx, argc, argv, "f", longopts)) != -1) {
		switch (c) {
		case OPT_FORCE:
		case 'f':
			force = 1;
			break;
		default:
			return ctx->exit;
		}
	}
	if ((rc = cmd_check_args(ctx, argc, argv, 1, 1, "site directory")) != BH_EXIT_OK)
		return rc;
	dir = argv[optind];
	switch (dir_in_use(dir)) {
	case -1:
		cmd_error(ctx, NULL, "%s: %s", dir, strerror(errno));
		return BH_EXIT_FAIL;
	case 1:
		if (!force) {
			cmd_error(ctx, NULL, "%s is not empty (--force writes into it, replacing its "
			    "qubes.d/*.cfg and policy.d/*.policy)", dir);
			return BH_EXIT_FAIL;
		}
		break;
	}

	if ((cl = cmd_client(ctx)) == NULL)
		return BH_EXIT_UNREACHABLE;
	if ((id_list = client_send(cl, "vm.list", NULL, NULL)) < 0 ||
	    (id_pol = client_send(cl, "policy.list", NULL, NULL)) < 0) {
		cmd_error(ctx, NULL, "writing to %s: %s", client_path(cl), strerror(errno));
		return BH_EXIT_UNREACHABLE;
	}
	if ((st = client_recv(cl, id_list, &list, &err)) != CLIENT_OK ||
	    (st = client_recv(cl, id_pol, &pols, &err)) != CLIENT_OK) {
		cmd_error(ctx, NULL, "%s", err.message);
		client_error_free(&err);
		json_object_put(list);
		return st == CLIENT_LOST ? BH_EXIT_UNREACHABLE : BH_EXIT_FAIL;
	}
	qwritten = json_object_new_array();
	pwritten = json_object_new_array();
	rc = BH_EXIT_FAIL;
	if (!json_object_is_type(list, json_type_array) || !json_object_is_type(pols, json_type_array)) {
		cmd_error(ctx, NULL, "domd sent a list that is not an array");
		goto out;
	}
	qdir = xasprintf("%s/qubes.d", dir);
	pdir = xasprintf("%s/policy.d", dir);
	if (make_dir(ctx, dir) < 0 || make_dir(ctx, qdir) < 0 || make_dir(ctx, pdir) < 0)
		goto out;

	q = xmalloc(sizeof(*q));
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *o = json_object_array_get_idx(list, i), *v, *fw, *a;

		if (site_qube_from_json(q, o, why, sizeof(why)) < 0) {
			cmd_error(ctx, NULL, "vm.list: %s", why);
			goto out;
		}
		if (q->cls == QUBE_DISP)
			continue; /* made for one call, gone after it */
		if (json_object_object_get_ex(o, "firewall_rules", &v) && json_object_get_int(v) > 0) {
			a = json_object_new_object();
			json_object_object_add(a, "op", json_object_new_string("list"));
			if ((rc = cmd_call(ctx, "vm.firewall", q->name, a, &fw)) != BH_EXIT_OK)
				goto out;
			rc = BH_EXIT_FAIL;
			if (site_qube_fw_from_json(q, fw, why, sizeof(why)) < 0) {
				cmd_error(ctx, q->name, "vm.firewall: %s", why);
				json_object_put(fw);
				goto out;
			}
			json_object_put(fw);
		}
		/* A standalone qube keeps the name of the template it was copied
		 * from, which may be gone: the site could not name it. */
		if (q->cls == QUBE_STANDALONE && q->template_name[0] != '\0') {
			bool found = false;

			for (size_t k = 0; k < json_object_array_length(list) && !found; k++) {
				json_object *t = json_object_array_get_idx(list, k);

				found = !strcmp(cmd_member_text(t, "name"), q->template_name) &&
				    !strcmp(cmd_member_text(t, "class"), "template");
			}
			if (!found)
				q->template_name[0] = '\0';
		}
		if (write_qube(ctx, qdir, q, qwritten) < 0)
			goto out;
	}
	for (size_t i = 0; i < json_object_array_length(pols); i++) {
		json_object *o = json_object_array_get_idx(pols, i), *content;
		const char *name = cmd_member_text(o, "name");

		if (!site_policy_name_valid(name) || !json_object_object_get_ex(o, "content", &content) ||
		    !json_object_is_type(content, json_type_string)) {
			fprintf(stderr, "warning: policy file ");
			cmd_put_safe(stderr, name);
			fprintf(stderr, " not exported: ");
			cmd_put_safe(stderr, cmd_member_text(o, "error"));
			fputc('\n', stderr);
			continue;
		}
		if (atomic_write_file(pdir, name, json_object_get_string(content),
		    (size_t)json_object_get_string_len(content), 0644) < 0) {
			cmd_error(ctx, NULL, "cannot write %s/%s: %s", pdir, name, strerror(errno));
			goto out;
		}
		json_object_array_add(pwritten, json_object_new_string(name));
	}
	if (force) {
		remove_stale(qdir, ".cfg", qwritten);
		remove_stale(pdir, ".policy", pwritten);
	}
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "dir", json_object_new_string(dir));
		json_object_object_add(o, "qubes", json_object_get(qwritten));
		json_object_object_add(o, "policies", json_object_get(pwritten));
		cmd_print_json(o);
		json_object_put(o);
	} else {
		size_t nq = json_object_array_length(qwritten), np = json_object_array_length(pwritten);

		printf("Exported %zu qube%s and %zu policy file%s to ", nq, nq == 1 ? "" : "s", np,
		    np == 1 ? "" : "s");
		cmd_put_safe(stdout, dir);
		putchar('\n');
	}
	rc = BH_EXIT_OK;
out:
	free(q);
	free(qdir);
	free(pdir);
	json_object_put(qwritten);
	json_object_put(pwritten);
	json_object_put(list);
	json_object_put(pols);
	return rc;
}

const struct cmd_entry cmd_export_entry = {
	.name = "export",
	.alias = NULL,
	.usage = "DIR [--force]",
	.summary = "write the current state as a site folder",
	.help = "Writes every qube as DIR/qubes.d/NAME.cfg (the store's file form, without "
	    "the uuid, which belongs to this appliance) and every policy file as "
	    "DIR/policy.d/NAME.policy. DispVMs made for calls are left out. `bulkhead "
	    "apply DIR` of the result reports no changes. DIR must be empty or absent; "
	    "--force (-f) writes into a folder in use and removes its qubes.d/*.cfg and "
	    "policy.d/*.policy files that are not part of the export (other files stay). "
	    "With --json prints {\"dir\",\"qubes\",\"policies\"}.",
	.flags = 0,
	.method = NULL,
	.exec = cmd_export_exec,
};
