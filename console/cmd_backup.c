/* backup: create, verify and restore encrypted backups of qubes (backup.h). */
#include <string.h>

#include "backup.h"

enum {
	OPT_ALL = 0x200, OPT_EXCLUDE, OPT_WITH_TEMPLATES, OPT_ALLOW_RUNNING, OPT_TO, OPT_PASSFILE,
	OPT_RENAME, OPT_SKIP, OPT_DRY_RUN, OPT_TEMPLATE, OPT_PROGRESS_LINES,
};

static int
backup_create(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "with-templates", no_argument, NULL, OPT_WITH_TEMPLATES },
		{ "allow-running", no_argument, NULL, OPT_ALLOW_RUNNING },
		{ "to", required_argument, NULL, OPT_TO },
		{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
		{ "progress-lines", no_argument, NULL, OPT_PROGRESS_LINES },
		CMD_COMMON_OPTIONS
	};
	struct bk_create_opts o = { 0 };
	char *excl[256];
	int c;

	o.exclude = excl;
	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case CMD_OPT_EXIT:
			return ctx->exit;
		case OPT_ALL:
			o.all = true;
			break;
		case OPT_EXCLUDE:
			if (o.nexclude == 256)
				return cmd_usage_error(ctx, "too many --exclude");
			excl[o.nexclude++] = optarg;
			break;
		case OPT_WITH_TEMPLATES:
			o.with_templates = true;
			break;
		case OPT_ALLOW_RUNNING:
			o.allow_running = true;
			break;
		case OPT_TO:
			o.to = optarg;
			break;
		case OPT_PASSFILE:
			o.passfile = optarg;
			break;
		case OPT_PROGRESS_LINES:
			bk_progress_lines = true;
			break;
		default:
			return cmd_usage_error(ctx, "unknown option");
		}
	}
	o.qubes = argv + optind;
	o.nqubes = argc - optind;
	if (o.to == NULL)
		return cmd_usage_error(ctx, "create needs --to FILE or --to VM:PATH");
	if (o.nqubes == 0 && !o.all)
		return cmd_usage_error(ctx, "create needs qube names or --all");
	if (o.nqubes > 0 && o.all)
		return cmd_usage_error(ctx, "give qube names or --all, not both");
	return bk_create(ctx, &o);
}

static int
backup_verify(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
		{ "progress-lines", no_argument, NULL, OPT_PROGRESS_LINES },
		CMD_COMMON_OPTIONS
	};
	const char *passfile = NULL;
	int c, rc;

	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		if (c == CMD_OPT_EXIT)
			return ctx->exit;
		if (c == OPT_PROGRESS_LINES)
			bk_progress_lines = true;
		else if (c == OPT_PASSFILE)
			passfile = optarg;
		else
			return cmd_usage_error(ctx, "unknown option");
	}
	if ((rc = cmd_check_args(ctx, argc, argv, 1, 1, "source (FILE or VM:PATH)")) != BH_EXIT_OK)
		return rc;
	return bk_verify(ctx, argv[optind], passfile);
}

static int
backup_restore(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
		{ "rename-conflicts", no_argument, NULL, OPT_RENAME },
		{ "skip-existing", no_argument, NULL, OPT_SKIP },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "template", required_argument, NULL, OPT_TEMPLATE },
		{ "progress-lines", no_argument, NULL, OPT_PROGRESS_LINES },
		CMD_COMMON_OPTIONS
	};
	struct bk_restore_opts o = { 0 };
	int c, rc;

	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case CMD_OPT_EXIT:
			return ctx->exit;
		case OPT_PASSFILE:
			o.passfile = optarg;
			break;
		case OPT_RENAME:
			o.rename = true;
			break;
		case OPT_SKIP:
			o.skip = true;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_TEMPLATE:
			o.template_name = optarg;
			break;
		case OPT_PROGRESS_LINES:
			bk_progress_lines = true;
			break;
		default:
			return cmd_usage_error(ctx, "unknown option");
		}
	}
	if ((rc = cmd_check_args(ctx, argc, argv, 1, -1, "source (FILE or VM:PATH)")) != BH_EXIT_OK)
		return rc;
	if (o.rename && o.skip)
		return cmd_usage_error(ctx, "give --rename-conflicts or --skip-existing, not both");
	o.src = argv[optind];
	o.qubes = argv + optind + 1;
	o.nqubes = argc - optind - 1;
	return bk_restore(ctx, &o);
}

static int
cmd_backup_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { CMD_COMMON_OPTIONS };
	const char *sub;

	if (argc < 2 || argv[1][0] == '-') {
		/* Only the common options (--help) before the subcommand. */
		if (cmd_getopt(ctx, argc < 2 ? argc : 2, argv, "+", longopts) == CMD_OPT_EXIT)
			return ctx->exit;
		return cmd_usage_error(ctx, "expected create, verify or restore");
	}
	sub = argv[1];
	if (!strcmp(sub, "create"))
		return backup_create(ctx, argc - 1, argv + 1);
	if (!strcmp(sub, "verify"))
		return backup_verify(ctx, argc - 1, argv + 1);
	if (!strcmp(sub, "restore"))
		return backup_restore(ctx, argc - 1, argv + 1);
	return cmd_usage_error(ctx, "unknown subcommand '%.64s' (create, verify or restore)", sub);
}

const struct cmd_entry cmd_backup_entry = {
	.name = "backup",
	.alias = NULL,
	.usage = "create [QUBE... | --all] [--exclude Q]... [--with-templates] [--allow-running] "
	    "--to FILE|VM:PATH [--passphrase-file F] [--progress-lines] | verify SOURCE "
	    "[--passphrase-file F] [--progress-lines] | restore SOURCE [QUBE...] "
	    "[--rename-conflicts | --skip-existing] [--dry-run] [--template T] "
	    "[--passphrase-file F] [--progress-lines]",
	.summary = "back up qubes encrypted, verify a backup, restore from one",
	.help = "create writes the chosen qubes (settings with tags and firewall, private "
	    "volume; with --with-templates also templates and standalones with their root) and "
	    "the RPC policy as one zstd-compressed stream, encrypted and authenticated with a "
	    "key derived from the passphrase (Argon2id; XChaCha20-Poly1305 in 1 MiB chunks), to "
	    "a new FILE in dom0 or to PATH in qube VM, which sees only ciphertext. Running "
	    "qubes are refused unless --allow-running (their volume is then copied while in "
	    "use, and may be inconsistent). DispVMs are never backed up. The passphrase is "
	    "asked twice on the terminal, or read from the first line of --passphrase-file. "
	    "verify authenticates every chunk and checks every entry, writes nothing and lists "
	    "the qubes held. restore reads the whole backup before it creates anything: only "
	    "new qubes are created (a name taken is an error unless --rename-conflicts, which "
	    "restores as NAME-1, or --skip-existing); an AppVM needs its template present or in "
	    "the backup, or --template T. Policy files are listed, not restored. --dry-run "
	    "reads and checks everything and prints the plan. Progress (bytes, rate, ETA) is "
	    "shown on a terminal; --progress-lines prints it as one line per update on stderr "
	    "whatever it is, for a program that reads it (the console does).",
	.flags = CMD_MODIFIES,
	.method = NULL,
	.exec = cmd_backup_exec,
};
