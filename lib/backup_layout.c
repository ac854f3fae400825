/* Where each entry of a backup's archive belongs (backup_layout.h). */
#include "backup_layout.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "qube.h"
#include "site.h"

void
bk_layout_init(struct bk_layout *l)
{
	memset(l, 0, sizeof(*l));
}

static bool
seen(const struct bk_layout *l, const char *q)
{
	for (int i = 0; i < l->nseen; i++)
		if (!strcmp(l->seen[i], q))
			return true;
	return false;
}

static bool
under(const char *rest, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(rest, dir, n) && (rest[n] == '\0' || rest[n] == '/');
}

int
bk_layout_check(struct bk_layout *l, const struct bk_entry *e, enum bk_kind *kind,
    const char **qube, const char **rest, char *err, size_t errlen)
{
	const char *n = e->name, *slash;
	char q[32];
	size_t ql;

	*qube = *rest = NULL;
	if (!strncmp(n, "policy.d/", 9)) {
		if (e->type != BK_FILE || !site_policy_name_valid(n + 9) || e->size > BK_POLICY_MAX) {
			snprintf(err, errlen, "entry '%.200s' is not a valid policy file", n);
			return -1;
		}
		l->qube[0] = '\0';
		*kind = BK_K_POLICY;
		*rest = n + 9;
		return 0;
	}
	if (strncmp(n, "qubes/", 6) != 0 || (slash = strchr(n + 6, '/')) == NULL) {
		snprintf(err, errlen, "entry '%.200s' has no place in a backup", n);
		return -1;
	}
	ql = (size_t)(slash - (n + 6));
	if (ql >= sizeof(q)) {
		snprintf(err, errlen, "entry '%.200s': qube name too long", n);
		return -1;
	}
	memcpy(q, n + 6, ql);
	q[ql] = '\0';
	if (!qube_name_valid(q)) {
		snprintf(err, errlen, "entry '%.200s': invalid qube name", n);
		return -1;
	}
	*rest = slash + 1;
	if (!strcmp(*rest, "qube.cfg")) {
		if (seen(l, q)) {
			snprintf(err, errlen, "qube %s appears twice in the backup", q);
			return -1;
		}
		if (l->nseen == BK_QUBES_MAX) {
			snprintf(err, errlen, "more than %d qubes in the backup", BK_QUBES_MAX);
			return -1;
		}
		if (e->type != BK_FILE || e->size > QUBE_CFG_MAX) {
			snprintf(err, errlen, "qube %s: its qube.cfg is not a file of at most %d bytes",
			    q, QUBE_CFG_MAX);
			return -1;
		}
		snprintf(l->seen[l->nseen++], sizeof(l->seen[0]), "%s", q);
		snprintf(l->qube, sizeof(l->qube), "%s", q);
		*kind = BK_K_CFG;
	} else if (strcmp(l->qube, q) != 0) {
		snprintf(err, errlen, "entry '%.200s' is not with the rest of qube %s "
		    "(or before its qube.cfg)", n, q);
		return -1;
	} else if (!strcmp(*rest, "private.img") || !strcmp(*rest, "root.img")) {
		if (e->type != BK_FILE) {
			snprintf(err, errlen, "entry '%.200s' is not a file", n);
			return -1;
		}
		*kind = !strcmp(*rest, "root.img") ? BK_K_ROOT_IMG : BK_K_PRIVATE_IMG;
	} else if (under(*rest, "private") || under(*rest, "root")) {
		if (strchr(*rest, '/') == NULL && e->type != BK_DIR) {
			snprintf(err, errlen, "entry '%.200s' is not a directory", n);
			return -1;
		}
		*kind = BK_K_TREE;
	} else {
		snprintf(err, errlen, "entry '%.200s' has no place in a qube's folder", n);
		return -1;
	}
	*qube = l->qube;
	return 0;
}
