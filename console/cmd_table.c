/* Every CLI command, in the order `bulkhead --help` lists them. */
#include "cmd.h"

#include <string.h>

const struct cmd_entry *const cmd_table[] = {
	&cmd_console_entry,
	&cmd_ls_entry,
	&cmd_info_entry,
	&cmd_create_entry,
	&cmd_clone_entry,
	&cmd_remove_entry,
	&cmd_start_entry,
	&cmd_shutdown_entry,
	&cmd_restart_entry,
	&cmd_kill_entry,
	&cmd_pause_entry,
	&cmd_unpause_entry,
	&cmd_prefs_entry,
	&cmd_stats_entry,
	&cmd_template_entry,
	&cmd_update_entry,
	&cmd_apply_entry,
	&cmd_export_entry,
	&cmd_backup_entry,
	&cmd_run_entry,
	&cmd_ask_entry,
	&cmd_tag_entry,
	&cmd_firewall_entry,
	&cmd_usb_entry,
	&cmd_gui_entry,
	&cmd_events_entry,
	&cmd_help_entry,
	NULL
};

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry *const *e;

	for (e = cmd_table; *e != NULL; e++)
		if (strcmp((*e)->name, name) == 0 ||
		    ((*e)->alias != NULL && strcmp((*e)->alias, name) == 0))
			return *e;
	return NULL;
}
