/* stats: resource use of a running qube (vm.stats). */
#include "cmd.h"

#include <inttypes.h>

static int64_t
member_int(json_object *obj, const char *key, int *present)
{
	json_object *v = NULL;

	*present = json_object_object_get_ex(obj, key, &v) &&
	    json_object_is_type(v, json_type_int);
	return *present ? json_object_get_int64(v) : 0;
}

static void
print_bytes(int64_t n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double d = (double)n;
	int u = -1;

	if (n < 1024) {
		printf("%" PRId64 " B", n);
		return;
	}
	while (d >= 1024 && u < 3) {
		d /= 1024;
		u++;
	}
	printf("%.1f %s", d, units[u]);
}

static void
print_duration(int64_t s)
{
	if (s >= 86400)
		printf("%" PRId64 "d %" PRId64 "h %02" PRId64 "m", s / 86400,
		    s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		printf("%" PRId64 "h %02" PRId64 "m %02" PRId64 "s", s / 3600,
		    s % 3600 / 60, s % 60);
	else if (s >= 60)
		printf("%" PRId64 "m %02" PRId64 "s", s / 60, s % 60);
	else
		printf("%" PRId64 "s", s);
}

static int
cmd_stats_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { CMD_COMMON_OPTIONS };
	json_object *st;
	int64_t mem, limit, cpu, pids, uptime;
	int rc, has_mem, has_limit, has_cpu, has_pids, has_uptime;

	if (cmd_getopt(ctx, argc, argv, "", longopts) != -1)
		return ctx->exit;
	if ((rc = cmd_check_args(ctx, argc, argv, 1, 1, "qube name")) != BH_EXIT_OK)
		return rc;
	if ((rc = cmd_call(ctx, "vm.stats", argv[optind], NULL, &st)) != BH_EXIT_OK)
		return rc;
	if (ctx->json) {
		cmd_print_json(st);
		json_object_put(st);
		return BH_EXIT_OK;
	}
	mem = member_int(st, "memory_bytes", &has_mem);
	limit = member_int(st, "memory_limit_bytes", &has_limit);
	cpu = member_int(st, "cpu_ns", &has_cpu);
	pids = member_int(st, "pids", &has_pids);
	uptime = member_int(st, "uptime_s", &has_uptime);
	json_object_put(st);

	printf("memory  ");
	if (has_mem) {
		print_bytes(mem);
		if (has_limit && limit > 0) {
			printf(" of ");
			print_bytes(limit);
			printf(" (%.0f%%)", 100.0 * (double)mem / (double)limit);
		}
	} else
		printf("-");
	printf("\ncpu     ");
	if (has_cpu)
		printf("%.2f s", (double)cpu / 1e9);
	else
		printf("-");
	printf("\npids    ");
	if (has_pids)
		printf("%" PRId64, pids);
	else
		printf("-");
	printf("\nuptime  ");
	if (has_uptime)
		print_duration(uptime);
	else
		printf("-");
	printf("\n");
	return BH_EXIT_OK;
}

const struct cmd_entry cmd_stats_entry = {
	.name = "stats",
	.alias = NULL,
	.usage = "NAME",
	.summary = "show a running qube's memory, cpu time, processes, uptime",
	.help = "Prints the resource use of the running or paused qube NAME "
	    "(vm.stats): memory in use (and of its limit), cpu time consumed, "
	    "number of processes, and time since it started. With --json prints "
	    "the result object (memory_bytes, memory_limit_bytes, cpu_ns, pids, "
	    "uptime_s).",
	.flags = 0,
	.exec = cmd_stats_exec,
};
