/* ls: the qubes as a table, or vm.list as JSON. */
#include "cmd.h"

#include <stdbool.h>
#include <string.h>

enum { COL_NAME, COL_STATE, COL_CLASS, COL_LABEL, COL_TEMPLATE, COL_NETVM, COL_MEM,
	COL_VCPUS, NCOLS };

static const struct {
	const char *title;
	const char *key;
	int right; /* numbers are right-aligned */
} columns[NCOLS] = {
	{ "NAME", "name", 0 },
	{ "STATE", "state", 0 },
	{ "CLASS", "class", 0 },
	{ "LABEL", "label", 0 },
	{ "TEMPLATE", "template", 0 },
	{ "NETVM", "netvm", 0 },
	{ "MEM", "memory", 1 },
	{ "VCPUS", "vcpus", 1 },
};

static bool
outdated(json_object *vm)
{
	return strcmp(cmd_member_text(vm, "outdated"), "true") == 0;
}

/* A static buffer for STATE: "running*" for an outdated qube. */
static const char *
cell(json_object *vm, int col)
{
	static char state[64];
	const char *s = cmd_member_text(vm, columns[col].key);

	if (col == COL_STATE && outdated(vm)) {
		snprintf(state, sizeof(state), "%s*", s);
		return state;
	}
	return *s != '\0' ? s : "-";
}

static void
print_row(const char *const *cells, const int *width)
{
	int col, pad;

	for (col = 0; col < NCOLS; col++) {
		pad = width[col] - (int)strlen(cells[col]);
		if (columns[col].right)
			printf("%*s", pad, "");
		cmd_put_safe(stdout, cells[col]);
		if (col < NCOLS - 1)
			printf("%*s", (columns[col].right ? 0 : pad) + 2, "");
	}
	putchar('\n');
}

static int
cmd_ls_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { CMD_COMMON_OPTIONS };
	const char *cells[NCOLS];
	json_object *list, *vm;
	int width[NCOLS];
	size_t i, n;
	int col, rc;
	bool any_outdated = false;

	if (cmd_getopt(ctx, argc, argv, "", longopts) != -1)
		return ctx->exit;
	if ((rc = cmd_check_args(ctx, argc, argv, 0, 0, "")) != BH_EXIT_OK)
		return rc;
	if ((rc = cmd_call(ctx, "vm.list", NULL, NULL, &list)) != BH_EXIT_OK)
		return rc;
	if (!json_object_is_type(list, json_type_array)) {
		cmd_error(ctx, NULL, "domd sent a vm.list result that is not an array");
		json_object_put(list);
		return BH_EXIT_FAIL;
	}
	if (ctx->json) {
		cmd_print_json(list);
		json_object_put(list);
		return BH_EXIT_OK;
	}

	n = json_object_array_length(list);
	for (col = 0; col < NCOLS; col++)
		width[col] = (int)strlen(columns[col].title);
	for (i = 0; i < n; i++) {
		vm = json_object_array_get_idx(list, i);
		for (col = 0; col < NCOLS; col++)
			if ((int)strlen(cell(vm, col)) > width[col])
				width[col] = (int)strlen(cell(vm, col));
	}
	for (col = 0; col < NCOLS; col++)
		cells[col] = columns[col].title;
	print_row(cells, width);
	for (i = 0; i < n; i++) {
		vm = json_object_array_get_idx(list, i);
		for (col = 0; col < NCOLS; col++)
			cells[col] = cell(vm, col);
		print_row(cells, width);
		any_outdated |= outdated(vm);
	}
	if (any_outdated)
		printf("* outdated: its template changed since it started; "
		    "'bulkhead restart --outdated' gives it the new root\n");
	json_object_put(list);
	return BH_EXIT_OK;
}

const struct cmd_entry cmd_ls_entry = {
	.name = "ls",
	.alias = NULL,
	.usage = "[--json]",
	.summary = "list the qubes and their state",
	.help = "Lists every qube, sorted by name, as a table: NAME STATE CLASS "
	    "LABEL TEMPLATE NETVM MEM (MiB) VCPUS; an empty value is shown as '-'. "
	    "A running qube whose template has changed since it started is "
	    "outdated: its STATE ends in '*', and a note under the table says "
	    "so ('restart --outdated'). "
	    "With --json prints the vm.list result, an array of qube objects.",
	.flags = 0,
	.exec = cmd_ls_exec,
};
