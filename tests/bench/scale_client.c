/*
 * scale_client: the helper of tests/bench/scale.sh.
 *
 *   scale_client create SOCKET TEMPLATE PREFIX N
 *       defines app qubes PREFIX0 .. PREFIX<N-1> (label blue, template
 *       TEMPLATE, 32 MiB) with vm.create requests pipelined on one connection (at
 *       most 32 in flight); checks every reply. Prints "SECONDS".
 *   scale_client api SOCKET METHOD N
 *       times N round trips of METHOD (no vm, no args; from writing the
 *       request to having read the whole reply line) on one connection
 *       after one untimed warm-up; checks every reply. Prints
 *       "MEDIAN_MS P90_MS MIN_MS MAX_MS RESULT_LEN" (RESULT_LEN: the
 *       number of elements of an array result, else -1).
 *   scale_client run N CMD [ARG...]
 *       times N runs of CMD (fork + exec + wait, stdout to /dev/null)
 *       after one untimed warm-up; fails if a run exits non-zero. Prints
 *       "MEDIAN_MS P90_MS MIN_MS MAX_MS".
 *
 * Exits 1 with a message when something fails functionally.
 */
#include "bench_client.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#define WINDOW 32

static int
positive(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 1000000)
		die("%s must be a positive integer, not '%s'", what, s);
	return (int)v;
}

static int
do_create(const char *sock, const char *tpl, const char *prefix, int n)
{
	struct conn c;
	char req[512], want[128];
	int sent = 0, got = 0;
	double t0;

	conn_open(&c, sock);
	t0 = now_ms();
	while (got < n) {
		while (sent < n && sent - got < WINDOW) {
			snprintf(req, sizeof(req), "{\"id\":%d,\"method\":\"vm.create\",\"vm\":\"%s%d\","
			    "\"args\":{\"class\":\"app\",\"label\":\"blue\",\"template\":\"%s\","
			    "\"memory\":32}}\n",
			    sent, prefix, sent, tpl);
			conn_send(&c, req);
			sent++;
		}
		{
			json_object *res, *o = reply_ok(conn_line(&c, 30000), "vm.create", &res);

			snprintf(want, sizeof(want), "%s%d", prefix, got);
			if (strcmp(json_str(res, "name"), want) != 0)
				die("vm.create reply %d names '%s', expected '%s'", got,
				    json_str(res, "name"), want);
			json_object_put(o);
		}
		got++;
	}
	printf("%.3f\n", (now_ms() - t0) / 1e3);
	return 0;
}

static int
do_api(const char *sock, const char *method, int n)
{
	struct conn c;
	char req[256];
	double *t = calloc((size_t)n, sizeof(*t));
	int len = -1;
	struct stats s;

	if (t == NULL)
		die("out of memory");
	conn_open(&c, sock);
	for (int i = -1; i < n; i++) {
		json_object *res, *o;
		double t0, t1;
		char *line;

		snprintf(req, sizeof(req), "{\"id\":%d,\"method\":\"%s\"}\n", i + 1, method);
		t0 = now_ms();
		conn_send(&c, req);
		line = conn_line(&c, 30000);
		t1 = now_ms();	/* the whole reply is in: parsing it is not domd's time */
		o = reply_ok(line, method, &res);
		if (res != NULL && json_object_is_type(res, json_type_array))
			len = (int)json_object_array_length(res);
		json_object_put(o);
		if (i >= 0)
			t[i] = t1 - t0;
	}
	s = stats_of(t, n);
	printf("%.3f %.3f %.3f %.3f %d\n", s.median, s.p90, s.min, s.max, len);
	return 0;
}

static double
run_once(char **argv)
{
	double t0 = now_ms(), t1;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "scale_client: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	t1 = now_ms();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("'%s %s' failed (wait status 0x%x)", argv[0], argv[1] ? argv[1] : "", status);
	return t1 - t0;
}

static int
do_run(int n, char **argv)
{
	double *t = calloc((size_t)n, sizeof(*t));
	struct stats s;

	if (t == NULL)
		die("out of memory");
	run_once(argv);
	for (int i = 0; i < n; i++)
		t[i] = run_once(argv);
	s = stats_of(t, n);
	printf("%.3f %.3f %.3f %.3f\n", s.median, s.p90, s.min, s.max);
	return 0;
}

int
main(int argc, char **argv)
{
	bench_prog = "scale_client";
	signal(SIGPIPE, SIG_IGN);
	if (argc == 6 && !strcmp(argv[1], "create"))
		return do_create(argv[2], argv[3], argv[4], positive(argv[5], "N"));
	if (argc == 5 && !strcmp(argv[1], "api"))
		return do_api(argv[2], argv[3], positive(argv[4], "N"));
	if (argc >= 4 && !strcmp(argv[1], "run"))
		return do_run(positive(argv[2], "N"), argv + 3);
	fprintf(stderr, "usage: scale_client create SOCKET TEMPLATE PREFIX N\n"
	    "       scale_client api SOCKET METHOD N\n"
	    "       scale_client run N CMD [ARG...]\n");
	return 2;
}
