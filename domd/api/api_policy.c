/* policy.list, policy.put, policy.remove: the files of CONFIG/policy.d, as
 * `bulkhead apply` and `bulkhead export` read and write them. A file is
 * checked with policy_load_string() before it is written (atomically), so a
 * put never breaks the policy that domd evaluates; the broker's cache
 * (rpc/policy_env.c) sees the change on the next call. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "api.h"
#include "events.h"
#include "atomicfile.h"
#include "domd.h"
#include "log.h"
#include "policy.h"
#include "site.h"
#include "xalloc.h"

static void
policy_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/policy.d", domd.paths.config_dir);
}

/* What the policy loader reads: NAME.policy, not hidden. Names outside the
 * allowed characters are listed too (they break the policy) so that they
 * can be seen and removed. */
static bool
policy_file_name(const char *name)
{
	size_t n = strlen(name);

	return n > 7 && n <= SITE_POLICY_NAME_MAX && name[0] != '.' &&
	    strchr(name, '/') == NULL && strcmp(name + n - 7, ".policy") == 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One entry of policy.list, or NULL for what the loader skips (not a
 * regular file, after symlinks). */
static json_object *
list_entry(int dfd, const char *name)
{
	json_object *o;
	struct stat st;
	char *data = NULL, why[128] = "";
	size_t len = 0;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (fstatat(dfd, name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			return NULL;
		snprintf(why, sizeof(why), "cannot read: %s", strerror(errno));
	} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	} else {
		data = xmalloc(POLICY_FILE_MAX + 1);
		for (;;) {
			ssize_t r = read(fd, data + len, POLICY_FILE_MAX + 1 - len);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				snprintf(why, sizeof(why), "cannot read: %s", strerror(errno));
				break;
			}
			if (r == 0)
				break;
			len += (size_t)r;
			if (len > POLICY_FILE_MAX) {
				snprintf(why, sizeof(why), "larger than %d bytes", POLICY_FILE_MAX);
				break;
			}
		}
		close(fd);
	}
	if (why[0] == '\0' && !site_policy_name_valid(name))
		snprintf(why, sizeof(why), "invalid file name (allowed: a-z 0-9 _ . -)");
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	if (data != NULL && len <= POLICY_FILE_MAX)
		json_object_object_add(o, "content", json_object_new_string_len(data, (int)len));
	if (why[0] != '\0')
		json_object_object_add(o, "error", json_object_new_string(why));
	free(data);
	return o;
}

static enum api_result
policy_list(struct request *req)
{
	json_object *a = json_object_new_array(), *e;
	char dir[4200], **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	policy_dir(dir, sizeof(dir));
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT) {
			reply_ok(req, a);
			return API_DONE;
		}
		reply_error(req, "internal", "cannot read %s: %s", dir, strerror(errno));
		json_object_put(a);
		return API_DONE;
	}
	while ((de = readdir(d)) != NULL && n < POLICY_FILES_MAX) {
		if (!policy_file_name(de->d_name))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		if ((e = list_entry(dirfd(d), names[i])) != NULL)
			json_object_array_add(a, e);
		free(names[i]);
	}
	free(names);
	closedir(d);
	reply_ok(req, a);
	return API_DONE;
}

const struct api_method api_policy_list = { "policy.list", 0, NULL, policy_list };

static const char *const put_args[] = { "name", "content", NULL };

static enum api_result
policy_put(struct request *req)
{
	const char *name = NULL, *content;
	json_object *v = NULL, *res;
	struct policy *p;
	char dir[4200];
	size_t len;

	if (arg_string(req, "name", &name) < 0 || arg_string(req, "content", &content) < 0)
		return API_DONE;
	if (name == NULL || !json_object_object_get_ex(req->args, "content", &v)) {
		reply_error(req, "bad-request", "policy.put needs \"name\" and \"content\"");
		return API_DONE;
	}
	if (!site_policy_name_valid(name)) {
		reply_error(req, "invalid", "invalid policy file name '%.64s' (expected "
		    "[a-z0-9_.-]+.policy, not starting with '.')", name);
		return API_DONE;
	}
	content = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len > POLICY_FILE_MAX) {
		reply_error(req, "invalid", "%s: larger than %d bytes", name, POLICY_FILE_MAX);
		return API_DONE;
	}
	if (memchr(content, '\0', len) != NULL) {
		reply_error(req, "invalid", "%s: contains a NUL byte", name);
		return API_DONE;
	}
	p = policy_load_string(content, name);
	if (policy_error(p) != NULL) {
		reply_error(req, "invalid", "%s", policy_error(p));
		policy_free(p);
		return API_DONE;
	}
	res = json_object_new_object();
	json_object_object_add(res, "name", json_object_new_string(name));
	json_object_object_add(res, "rules", json_object_new_int64((int64_t)policy_rule_count(p)));
	policy_free(p);
	policy_dir(dir, sizeof(dir));
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    atomic_write_file(dir, name, content, len, 0644) < 0) {
		reply_error(req, "internal", "cannot write %s/%s: %s", dir, name, strerror(errno));
		json_object_put(res);
		return API_DONE;
	}
	log_info("policy: %s written by uid %d", name, (int)req->c->uid);
	event_policy(name, "put");
	reply_ok(req, res);
	return API_DONE;
}

const struct api_method api_policy_put = { "policy.put", API_MODIFIES, put_args, policy_put };

static const char *const remove_args[] = { "name", NULL };

static enum api_result
policy_remove(struct request *req)
{
	const char *name = NULL;
	char dir[4200], path[4500];

	if (arg_string(req, "name", &name) < 0)
		return API_DONE;
	if (name == NULL) {
		reply_error(req, "bad-request", "policy.remove needs \"name\"");
		return API_DONE;
	}
	if (!policy_file_name(name)) {
		reply_error(req, "invalid", "invalid policy file name '%.64s' (expected NAME.policy)",
		    name);
		return API_DONE;
	}
	policy_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			reply_error(req, "no-such-policy", "no policy file '%s'", name);
		else
			reply_error(req, "internal", "cannot remove %s: %s", path, strerror(errno));
		return API_DONE;
	}
	fsync_dir(dir);
	log_info("policy: %s removed by uid %d", name, (int)req->c->uid);
	event_policy(name, "removed");
	reply_ok(req, json_object_new_object());
	return API_DONE;
}

const struct api_method api_policy_remove = { "policy.remove", API_MODIFIES, remove_args,
	policy_remove };
