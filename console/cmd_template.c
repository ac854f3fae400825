/* template import: a directory tree becomes a new template qube
 * (template.import). */
#include "cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { OPT_LABEL = 1 };

static int
cmd_template_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "label", required_argument, NULL, OPT_LABEL },
		CMD_COMMON_OPTIONS
	};
	const char *label = "black", *name, *dir;
	json_object *args, *result;
	char *path;
	struct stat st;
	int c, rc, err = 0;

	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case OPT_LABEL:
			label = optarg;
			break;
		default:
			return ctx->exit;
		}
	}
	if (optind == argc)
		return cmd_usage_error(ctx, "missing subcommand (import)");
	if (strcmp(argv[optind], "import") != 0)
		return cmd_usage_error(ctx, "unknown subcommand '%s'", argv[optind]);
	optind++;
	if ((rc = cmd_check_args(ctx, argc, argv, 2, 2,
	    optind < argc ? "directory or image" : "template name")) != BH_EXIT_OK)
		return rc;
	name = argv[optind];
	dir = argv[optind + 1];

	/* domd reads the tree itself and needs an absolute path. */
	if ((path = realpath(dir, NULL)) == NULL) {
		cmd_error(ctx, name, "%s: %s", dir, strerror(errno));
		return BH_EXIT_FAIL;
	}
	if (stat(path, &st) == -1)
		err = errno;
	else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		err = ENOTDIR;
	if (err != 0) {
		cmd_error(ctx, name, "%s: %s", dir, strerror(err));
		free(path);
		return BH_EXIT_FAIL;
	}
	args = json_object_new_object();
	json_object_object_add(args, "path", json_object_new_string(path));
	json_object_object_add(args, "label", json_object_new_string(label));
	free(path);
	if ((rc = cmd_call(ctx, "template.import", name, args, &result)) != BH_EXIT_OK)
		return rc;
	if (ctx->json)
		cmd_print_json(result);
	json_object_put(result);
	return BH_EXIT_OK;
}

const struct cmd_entry cmd_template_entry = {
	.name = "template",
	.alias = NULL,
	.usage = "import NAME DIR|IMAGE [--label LABEL]",
	.summary = "import a directory tree or a root image as a template qube",
	.help = "import: creates the template qube NAME from the root filesystem "
	    "in DIR, which domd copies into its store (template.import). DIR must "
	    "contain sbin/init and be readable by domd; it is sent as an absolute "
	    "path. IMAGE, a file holding an ext2/3/4 file system, becomes the "
	    "template's root image on the xen backend as it is (the ns backend "
	    "needs a DIR). --label defaults to black. With --json prints the new "
	    "qube object.",
	.flags = CMD_MODIFIES,
	.exec = cmd_template_exec,
};
