/* Benchmark helper for tests/bench/iptc.sh: 1 000 firewall rules across 50
 * client qubes, applied three ways in the current (private) network
 * namespace, interleaved, each from empty tables:
 *   - fw_iptc_apply (libiptc, one commit per table);
 *   - iptables-legacy-restore of the same ruleset (the text iptables-save
 *     prints after the libiptc apply, so it is the same ruleset);
 *   - one iptables-legacy command per chain, policy and entry of that text.
 * After each way the tables must read back identical. Also, for
 * information, re-applying over the same ruleset (libiptc vs restore).
 *
 *   bench_iptc TMPDIR REPS CMD_REPS      (run inside `unshare -n`) */
#include <arpa/inet.h>
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "fw_iptc.h"
#include "fwrule.h"
#include "netcfg.h"

#define NCLIENTS 50
#define RULES_PER_CLIENT 20
#define MAXREPS 100

extern char **environ;

/* 20 rules a client: one specialtarget=dns, the rest cycling through tcp
 * ports and ranges, udp, dst4 networks and hosts, icmp types, drops. */
static void
make_cfg(struct netcfg *cfg, int *nrules)
{
	static struct netcfg_client clients[NCLIENTS];
	static struct fwrule rules[NCLIENTS][RULES_PER_CLIENT];
	char text[FWRULE_TEXT_MAX], err[256];
	int c, k;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->upstream, sizeof(cfg->upstream), "eth0");
	cfg->nresolvers = 1;
	cfg->resolvers[0] = htonl(0xc0a84d01); /* 192.168.77.1 */
	cfg->clients = clients;
	cfg->nclients = NCLIENTS;
	*nrules = 0;
	for (c = 0; c < NCLIENTS; c++) {
		struct netcfg_client *cl = &clients[c];

		snprintf(cl->name, sizeof(cl->name), "q%d", c);
		snprintf(cl->ifname, sizeof(cl->ifname), "vif%d", c + 2);
		cl->ip = htonl(0x0a890000 | (uint32_t)(c + 2)); /* 10.137.0.N */
		cl->policy = c % 2 ? FWRULE_DROP : FWRULE_ACCEPT;
		cl->rules = rules[c];
		cl->nrules = RULES_PER_CLIENT;
		for (k = 0; k < RULES_PER_CLIENT; k++) {
			int p = 1000 + 40 * c + k;

			switch (k == 0 ? -1 : k % 6) {
			case -1: snprintf(text, sizeof(text), "accept specialtarget=dns"); break;
			case 0: snprintf(text, sizeof(text), "accept proto=tcp dstports=%d", p); break;
			case 1: snprintf(text, sizeof(text), "accept proto=tcp dstports=%d-%d", p, p + 9); break;
			case 2: snprintf(text, sizeof(text), "accept proto=udp dstports=%d", p); break;
			case 3: snprintf(text, sizeof(text), "accept dst4=198.51.%d.0/24", k); break;
			case 4: snprintf(text, sizeof(text), "drop dst4=203.0.113.%d proto=tcp dstports=%d", k, p); break;
			default: snprintf(text, sizeof(text), "accept proto=icmp icmptype=%d", k % 16); break;
			}
			if (fwrule_parse(text, &rules[c][k], err, sizeof(err)) != 0)
				die("rule '%s': %s", text, err);
			(*nrules)++;
		}
	}
}

/* Runs argv (from PATH) with stdin from in (or /dev/null); dies unless it
 * exits 0. */
static void
run(char *const argv[], const char *in)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		die("cannot run %s: %s", argv[0], strerror(rc));
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("%s %s failed (status %d)", argv[0], argv[1] ? argv[1] : "", st);
}

static void
restore(const char *file)
{
	char *argv[] = { "iptables-legacy-restore", "-w", NULL };

	run(argv, file);
}

/* iptables-legacy-save without its comment lines; malloc'd. */
static char *
saved(void)
{
	FILE *p = popen("iptables-legacy-save", "r");
	char line[2048], *buf;
	size_t len = 0, cap = 1 << 20;

	if (p == NULL || (buf = malloc(cap)) == NULL)
		die("cannot run iptables-legacy-save");
	buf[0] = '\0';
	while (fgets(line, sizeof(line), p) != NULL) {
		size_t n = strlen(line);

		if (line[0] == '#')
			continue;
		if (len + n + 1 > cap && (buf = realloc(buf, cap *= 2)) == NULL)
			die("out of memory");
		memcpy(buf + len, line, n + 1);
		len += n;
	}
	if (pclose(p) != 0)
		die("iptables-legacy-save failed");
	return buf;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		die("cannot write %s", path);
}

/* The save text as commands: -P for a built-in's non-default policy, -N for
 * a chain, -A for each entry, in the text's order. */
struct cmds {
	char ***argv;
	int n;
};

static void
make_cmds(const char *text, struct cmds *out)
{
	char *copy = strdup(text), *line, *save_line = NULL, table[32] = "";
	int cap = 4096;

	out->argv = calloc((size_t)cap, sizeof(*out->argv));
	out->n = 0;
	if (copy == NULL || out->argv == NULL)
		die("out of memory");
	for (line = strtok_r(copy, "\n", &save_line); line != NULL;
	    line = strtok_r(NULL, "\n", &save_line)) {
		char chain[64], policy[32], *tok, *save_tok = NULL, **argv;
		int n = 0;

		if (line[0] == '*') {
			snprintf(table, sizeof(table), "%s", line + 1);
			continue;
		}
		if (out->n == cap)
			die("too many commands");
		argv = calloc(64, sizeof(*argv));
		if (argv == NULL)
			die("out of memory");
		argv[n++] = "iptables-legacy";
		argv[n++] = "-w";
		argv[n++] = "-t";
		argv[n++] = strdup(table);
		if (line[0] == ':') {
			if (sscanf(line, ":%63s %31s", chain, policy) != 2)
				die("cannot read '%s'", line);
			if (strcmp(policy, "-") == 0) {
				argv[n++] = "-N";
			} else if (strcmp(policy, "ACCEPT") != 0) {
				argv[n++] = "-P";
				argv[n++] = strdup(chain);
				argv[n++] = strdup(policy);
				out->argv[out->n++] = argv;
				continue;
			} else {
				free(argv[3]);
				free(argv);
				continue;
			}
			argv[n++] = strdup(chain);
		} else if (line[0] == '-') {
			for (tok = strtok_r(line, " ", &save_tok); tok != NULL && n < 63;
			    tok = strtok_r(NULL, " ", &save_tok))
				argv[n++] = strdup(tok);
		} else {
			free(argv[3]);
			free(argv);
			continue; /* COMMIT */
		}
		out->argv[out->n++] = argv;
	}
	free(copy);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
same(const char *expected, const char *what)
{
	char *got = saved();

	if (strcmp(got, expected) != 0)
		die("the tables after %s differ from the libiptc apply", what);
	free(got);
}

int
main(int argc, char **argv)
{
	static const char empty_text[] =
	    "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
	    ":POSTROUTING ACCEPT [0:0]\nCOMMIT\n"
	    "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
	double t_iptc[MAXREPS], t_rest[MAXREPS], t_cmds[MAXREPS], t_iptc_re[MAXREPS],
	    t_rest_re[MAXREPS], t0;
	char empty[4096], full[4096], err[512], *text = NULL;
	struct netcfg cfg;
	struct fw_result res;
	struct cmds cmds = { 0 };
	int reps, cmd_reps, nrules, i, j;

	bench_prog = "iptc";

	if (argc != 4)
		die("usage: bench_iptc TMPDIR REPS CMD_REPS");
	reps = atoi(argv[2]);
	cmd_reps = atoi(argv[3]);
	if (reps < 1 || reps > MAXREPS || cmd_reps < 1 || cmd_reps > reps)
		die("REPS must be 1-%d and CMD_REPS 1-REPS", MAXREPS);
	snprintf(empty, sizeof(empty), "%s/empty.rules", argv[1]);
	snprintf(full, sizeof(full), "%s/full.rules", argv[1]);
	write_file(empty, empty_text);
	make_cfg(&cfg, &nrules);

	for (i = 0; i < reps; i++) {
		restore(empty);
		t0 = now_ms();
		if (fw_iptc_apply(&cfg, 0, NULL, &res, err, sizeof(err)) != 0)
			die("fw_iptc_apply: %s", err);
		t_iptc[i] = now_ms() - t0;
		if (text == NULL) {
			text = saved();
			write_file(full, text);
			make_cmds(text, &cmds);
		} else {
			same(text, "libiptc");
		}
		/* Re-applying over the same ruleset, as the daemon mostly does. */
		t0 = now_ms();
		if (fw_iptc_apply(&cfg, 0, NULL, &res, err, sizeof(err)) != 0)
			die("fw_iptc_apply: %s", err);
		t_iptc_re[i] = now_ms() - t0;

		restore(empty);
		t0 = now_ms();
		restore(full);
		t_rest[i] = now_ms() - t0;
		same(text, "iptables-legacy-restore");
		t0 = now_ms();
		restore(full);
		t_rest_re[i] = now_ms() - t0;

		if (i < cmd_reps) {
			restore(empty);
			t0 = now_ms();
			for (j = 0; j < cmds.n; j++)
				run(cmds.argv[j], NULL);
			t_cmds[i] = now_ms() - t0;
			same(text, "one command per rule");
		}
	}
	restore(empty);

	double mi = median(t_iptc, reps), mr = median(t_rest, reps), mc = median(t_cmds, cmd_reps);
	double mire = median(t_iptc_re, reps), mrre = median(t_rest_re, reps);

	printf("iptc: %d rules across %d qubes -> %d iptables entries (%d commands one by one)\n",
	    nrules, NCLIENTS, res.nrules, cmds.n);
	printf("iptc: from empty tables, median of %d (commands: of %d):\n", reps, cmd_reps);
	printf("iptc:   libiptc, one commit a table   %9.2f ms\n", mi);
	printf("iptc:   iptables-legacy-restore       %9.2f ms\n", mr);
	printf("iptc:   iptables-legacy per rule      %9.2f ms\n", mc);
	printf("iptc: ratio restore / libiptc:  %6.2f (goal >= 1)\n", mr / mi);
	printf("iptc: ratio per-rule / libiptc: %6.1f (goal >= 20)\n", mc / mi);
	printf("iptc: replacing the same ruleset, median of %d: libiptc %.2f ms, restore %.2f ms, "
	    "ratio %.2f\n", reps, mire, mrre, mrre / mire);
	return 0;
}
