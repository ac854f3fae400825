/*
 * bulkhead-rpc TARGET SERVICE[+ARG]: calls a service in another qube through
 * domd, which decides from its policy; stdin and stdout are the service's.
 * Exit: the service's code; 126 denied, 125 timed out, 124 other failures.
 */
#include "agent.h"
#include "rpc_paths.h"
#include "rpc_relay.h"
#include "rpc_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EXIT_DENIED 126
#define EXIT_TIMEOUT 125
#define EXIT_RPC_FAILED 124

static int
usage(FILE *f, int code)
{
	fprintf(f, "usage: bulkhead-rpc [--bench N] [--] TARGET SERVICE[+ARG]\n"
	    "       bulkhead-rpc --help | --version\n"
	    "\n"
	    "Calls SERVICE (with the optional argument ARG) in the qube TARGET\n"
	    "(or @default, @dispvm, @dispvm:BASE), if domd's policy allows it.\n"
	    "stdin and stdout are connected to the service; the exit status is the\n"
	    "service's, or 126 when denied, 125 when an ask timed out, 124 on other\n"
	    "failures. --bench N makes N calls in a row (empty stdin, output\n"
	    "discarded) and prints the median and 90th percentile round trip.\n");
	return code;
}

/* One call; stdin/stdout as given. Returns the exit code, or the EXIT_*
 * codes above, and says why on stderr. */
static int
call_once(const struct rpc_call *callp, int in_fd, int out_fd);

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* --bench N: N calls in a row, empty stdin, output discarded; prints the
 * median and 90th percentile round trip, and the same for running the
 * service locally would be measured by the caller of this tool. */
static int
bench(const struct rpc_call *call, long n)
{
	long long *t = calloc((size_t)n, sizeof(long long));
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (t == NULL || null_fd < 0)
		return EXIT_RPC_FAILED;
	for (long i = 0; i < n; i++) {
		long long t0 = now_ns();
		int code = call_once(call, null_fd, null_fd);
		if (code != 0) {
			fprintf(stderr, "bulkhead-rpc: --bench: call %ld exited %d\n", i, code);
			return code;
		}
		t[i] = now_ns() - t0;
	}
	qsort(t, (size_t)n, sizeof(long long), cmp_ll);
	printf("calls %ld median_us %.1f p90_us %.1f min_us %.1f\n", n, t[n / 2] / 1000.0,
	    t[n * 9 / 10] / 1000.0, t[0] / 1000.0);
	free(t);
	return 0;
}

int
rpc_client_main(int argc, char **argv)
{
	struct rpc_call call;
	char *plus;
	long bench_n = 0;
	int i = 1;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(stdout, 0);
	if (argc > 1 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		printf("bulkhead-rpc %s\n", BULKHEAD_VERSION);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--bench")) {
		bench_n = strtol(argv[2], NULL, 10);
		if (bench_n <= 0 || bench_n > 1000000)
			return usage(stderr, 2);
		i += 2;
	}
	if (argc > i && !strcmp(argv[i], "--"))
		i++;
	if (argc - i != 2)
		return usage(stderr, 2);
	memset(&call, 0, sizeof(call));
	if (strlen(argv[i]) >= sizeof(call.target) || !rpc_target_valid(argv[i])) {
		fprintf(stderr, "bulkhead-rpc: invalid target '%.64s'\n", argv[i]);
		return 2;
	}
	strcpy(call.target, argv[i]);
	plus = strchr(argv[i + 1], '+');
	if (plus != NULL)
		*plus++ = '\0';
	if (!rpc_service_valid(argv[i + 1]) || (plus != NULL && !rpc_arg_valid(plus))) {
		fprintf(stderr, "bulkhead-rpc: invalid service '%.64s' (expected "
		    "[A-Za-z0-9._-]{1,64}, then +[A-Za-z0-9._+-]{0,64})\n", argv[i + 1]);
		return 2;
	}
	strcpy(call.service, argv[i + 1]);
	if (plus != NULL)
		strcpy(call.arg, plus);
	call.request_id = 1;

	signal(SIGPIPE, SIG_IGN);
	if (bench_n > 0)
		return bench(&call, bench_n);
	return call_once(&call, 0, 1);
}

static int
call_once(const struct rpc_call *callp, int in_fd, int out_fd)
{
	static char buf[sizeof(struct rpc_hdr) + sizeof(struct rpc_exec) + RPC_CMDLINE_MAX];
	struct rpc_hello hello = { RPC_VERSION, RPC_ROLE_CALLER };
	struct rpc_call call = *callp;
	struct rpc_msg m;
	char err[256];
	int fd, data_fd, code;

	if ((fd = rpc_connect_control()) < 0) {
		fprintf(stderr, "bulkhead-rpc: cannot reach domd (%s): %s\n", RPC_CONTROL_SOCK,
		    strerror(errno));
		return EXIT_RPC_FAILED;
	}
	if (rpc_send(fd, RPC_HELLO, &hello, sizeof(hello), NULL, 0, -1, false) < 0 ||
	    rpc_send(fd, RPC_CALL, &call, sizeof(call), NULL, 0, -1, false) < 0 ||
	    rpc_recv(fd, buf, sizeof(buf), &m, &data_fd) != 1 || m.type != RPC_CALL_RESULT) {
		fprintf(stderr, "bulkhead-rpc: %s to %s: no answer from domd\n", call.service,
		    call.target);
		close(fd);
		return EXIT_RPC_FAILED;
	}
	switch (m.u.result.status) {
	case RPC_ALLOWED:
		if (data_fd < 0)
			break;
		/* The control connection stays open while the call runs: its
		 * end tells domd the call is over (a DispVM then goes). */
		code = rpc_relay_caller(data_fd, in_fd, out_fd, 2, err, sizeof(err));
		close(data_fd);
		close(fd);
		if (code < 0) {
			fprintf(stderr, "bulkhead-rpc: %s in %s: %s\n", call.service,
			    m.u.result.target, err);
			return EXIT_RPC_FAILED;
		}
		return code;
	case RPC_DENIED:
		close(fd);
		fprintf(stderr, "bulkhead-rpc: %s to %s: denied by policy%s%s\n", call.service,
		    call.target[0] ? call.target : "@default", m.u.result.message[0] ? ": " : "",
		    m.u.result.message);
		return EXIT_DENIED;
	case RPC_TIMEOUT:
		close(fd);
		fprintf(stderr, "bulkhead-rpc: %s to %s: timed out waiting for the operator\n",
		    call.service, call.target[0] ? call.target : "@default");
		return EXIT_TIMEOUT;
	}
	close(fd);
	fprintf(stderr, "bulkhead-rpc: %s to %s: %s\n", call.service,
	    call.target[0] ? call.target : "@default",
	    m.u.result.message[0] ? m.u.result.message : "failed");
	return EXIT_RPC_FAILED;
}
