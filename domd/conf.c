/* domd.conf (conf.h). */
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libxlutil.h>

#include "log.h"
#include "xalloc.h"

struct domd_conf {
	XLU_Config *cfg;
	char *path;
};

struct domd_conf *
conf_open(const char *path)
{
	struct domd_conf *c;

	if (access(path, F_OK) < 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	c->cfg = xlu_cfg_init(stderr, path);
	if (c->cfg == NULL || xlu_cfg_readfile(c->cfg, path) != 0)
		fatalx("%s: cannot parse (see the message above)", path);
	return c;
}

void
conf_close(struct domd_conf *c)
{
	if (c == NULL)
		return;
	xlu_cfg_destroy(c->cfg);
	free(c->path);
	free(c);
}

bool
conf_long(const struct domd_conf *c, const char *key, long min, long max, long *out)
{
	int r;

	if (c == NULL)
		return false;
	r = xlu_cfg_get_bounded_long(c->cfg, key, min, max, out, 1);
	if (r == ESRCH)
		return false;
	if (r != 0)
		fatalx("%s: %s must be a number from %ld to %ld", c->path, key, min, max);
	return true;
}

bool
conf_string(const struct domd_conf *c, const char *key, const char **out)
{
	const char *s;

	if (c == NULL || xlu_cfg_get_string(c->cfg, key, &s, 1) != 0)
		return false;
	*out = s;
	return true;
}

const char *
conf_path(const struct domd_conf *c)
{
	return c->path;
}
