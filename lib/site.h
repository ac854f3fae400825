/* Sites: a folder that describes a whole appliance, read into memory and
 * checked before `bulkhead apply` changes anything.
 *
 *   DIR/qubes.d/NAME.cfg      one qube per file (xl.cfg syntax, qube_parse_cfg)
 *   DIR/policy.d/NAME.policy  RPC policy files (lib/policy.h), optional
 *   DIR/templates/NAME/       optional root tree for the template qube NAME
 *                             (template.import when it is created)
 *
 * Every error is kept, one line each, as "FILE:LINE: reason" ("FILE: reason"
 * when no line applies, e.g. a property that is missing), with FILE spelt as
 * DIR/qubes.d/NAME.cfg. A file with a bad property is read on past it, so
 * that every bad property of a file is reported, not only the first.
 *
 * Cross-checks: a qube's file name is its name; names are unique; template,
 * netvm and default_dispvm name qubes of the site (a site is self-contained),
 * a template of class template, a netvm with provides_network, a
 * default_dispvm with template_for_dispvms; netvms form no cycle. Policy
 * files: valid names, readable regular files, each accepted by
 * policy_load_string() (so no !include: domd's policy.put takes single
 * files), and the folder as a whole by policy_load_dir(). */
#ifndef BULKHEAD_SITE_H
#define BULKHEAD_SITE_H

#include <stdbool.h>
#include <stddef.h>

#include "qube.h"

struct json_object;

#define SITE_PROPS_MAX 32        /* >= qube_nprops */
#define SITE_FILE_ERRORS_MAX 32  /* errors reported for one qube file */
#define SITE_QUBES_MAX 4096      /* qube files in one site */
#define SITE_POLICY_NAME_MAX 255

struct site_msgs {
	char **v;
	size_t n;
};

struct site_qube {
	struct qube q;
	char *file;                  /* DIR/qubes.d/NAME.cfg, for messages */
	int lines[SITE_PROPS_MAX];   /* line of each property (qube_props order), 0 if absent */
	unsigned long bad;           /* properties found bad (1 << index): not cross-checked */
	char *import_dir;            /* absolute DIR/templates/NAME for a template, or NULL */
};

struct site_policy {
	char *name;                  /* 90-default.policy */
	char *file;                  /* DIR/policy.d/90-default.policy */
	char *content;               /* NUL-terminated; len bytes */
	size_t len;
};

struct site {
	char *dir;
	struct site_qube *qubes;     /* sorted by name (then file) */
	size_t nqubes;
	size_t *order;               /* indexes into qubes: templates and netvms before their users */
	struct site_policy *policies;/* sorted by name */
	size_t npolicies;
	bool has_policy_dir;         /* DIR/policy.d exists: the site manages the policy */
	struct site_msgs errors;     /* "FILE:LINE: reason"; the site is valid when empty */
	struct site_msgs warnings;   /* ignored files and the like */
};

/* Reads and checks the site in dir. Never returns NULL; see s->errors. */
struct site *site_load(const char *dir);
void site_free(struct site *s);
/* The site's qube of that name, or NULL. */
const struct site_qube *site_find(const struct site *s, const char *name);

/* One qube file, as qube_parse_cfg() but going on past bad properties: a
 * bad assignment is blanked out and the file parsed again, so that every
 * error is appended to errs (at most SITE_FILE_ERRORS_MAX, in line order),
 * with the line of the property where one applies. lines (SITE_PROPS_MAX
 * entries) receives the line of each property, bad the bit (1 << index in
 * qube_props) of each property found bad. Returns 0 when the file is valid
 * (q filled), 1 when it is not but the rest of it parsed (q holds the file
 * without its bad properties, good for cross-checks), -1 otherwise. */
int site_parse_qube(struct qube *q, int *lines, unsigned long *bad, const char *data, size_t len,
    const char *file, struct site_msgs *errs);

/* A policy file name as domd's policy.put accepts it:
 * [a-z0-9_.-]+\.policy, not starting with '.', at most 255 bytes. */
bool site_policy_name_valid(const char *name);

/* Topological order of qubes[0..n) (indexes into order): every qube after
 * its template and netvm, and after its default_dispvm too when
 * with_dispvm. Names outside the set are ignored; a cycle is broken
 * somewhere (site_load reports netvm cycles). Ties keep the input order. */
void site_dep_order(const struct qube *const *qubes, size_t n, bool with_dispvm, size_t *order);

/* A qube object of the admin API (vm.list, vm.get) as a struct qube. 0, or
 * -1 with err filled. */
int site_qube_from_json(struct qube *q, struct json_object *o, char *err, size_t errlen);

/* Adds a vm.firewall "list" result ({"policy":…,"rules":[{"rule":…},…]})
 * to q: its firewall_policy and rules. 0, or -1 with err filled. */
int site_qube_fw_from_json(struct qube *q, struct json_object *fw, char *err, size_t errlen);

/* Differences between the wanted and the current form of one qube, as
 * property names in qube_props order (name, class and uuid are not compared;
 * tags are compared as sets; template not for a standalone qube, whose
 * template only matters when it is created). Returns the count; props
 * receives up to SITE_PROPS_MAX names. */
size_t site_qube_diff(const struct qube *want, const struct qube *have, const char **props);

/* Message lists. */
void site_msg_add(struct site_msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void site_msgs_free(struct site_msgs *m);

#endif
