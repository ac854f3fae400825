/* bulkhead-guard: options, confinement, then the loop (guard.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"
#include "log.h"
#include "qube.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: bulkhead-guard --qube NAME --uid ID --root DIR --max-connections N\n"
	    "                      [--firewall] [--ready]\n"
	    "       bulkhead-guard --help | --version\n"
	    "\n"
	    "Serves one qube's control socket for bulkhead-domd, which starts it with\n"
	    "the listening socket as descriptor 3 and a socket to domd as descriptor 4;\n"
	    "with --firewall, a netvm's listening firewall socket as descriptor 5;\n"
	    "with --ready, the read end of the qube's agent's ready pipe as 6.\n"
	    "It drops to uid and gid ID with no capabilities, chroots into the empty\n"
	    "DIR, loads a seccomp filter, and passes domd only checked messages.\n"
	    "Not meant to be run by hand.\n");
}

static long
number(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max)
		fatalx("%s: '%s' is not a number in %ld..%ld", what, s, min, max);
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "qube", required_argument, NULL, 'q' },
		{ "uid", required_argument, NULL, 'u' },
		{ "root", required_argument, NULL, 'r' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "firewall", no_argument, NULL, 'f' },
		{ "ready", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct guard_opts o = { .max_conns = -1 };
	struct stat st;
	char err[256];
	int c, procfd;

	log_init("bulkhead-guard", getenv("BULKHEAD_GUARD_DEBUG") != NULL, 0);
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			o.qube = optarg;
			break;
		case 'u':
			o.uid = (uid_t)number(optarg, "--uid", 1, INT_MAX);
			break;
		case 'r':
			o.root = optarg;
			break;
		case 'm':
			o.max_conns = (int)number(optarg, "--max-connections", 1, 65536);
			break;
		case 'f':
			o.firewall = true;
			break;
		case 'R':
			o.ready = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("bulkhead-guard %s\n", BULKHEAD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || o.qube == NULL || o.uid == 0 || o.root == NULL || o.max_conns < 0) {
		usage(stderr);
		return 2;
	}
	if (!qube_name_valid(o.qube))
		fatalx("--qube: '%s' is not a qube name", o.qube);
	if (fstat(GUARD_LISTEN_FD, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    fstat(GUARD_DOMD_FD, &st) < 0 || !S_ISSOCK(st.st_mode))
		fatalx("descriptors 3 and 4 must be the control socket and domd's socket");
	if (o.firewall && (fstat(GUARD_FIREWALL_FD, &st) < 0 || !S_ISSOCK(st.st_mode)))
		fatalx("--firewall: descriptor 5 must be the firewall socket");
	if (o.ready && (fstat(GUARD_READY_FD, &st) < 0 || !S_ISFIFO(st.st_mode)))
		fatalx("--ready: descriptor 6 must be the ready pipe");
	if ((procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		fatal("/proc");
	if (guard_confine(&o, err, sizeof(err)) < 0)
		fatalx("%s: %s", o.qube, err);
	return guard_serve(&o, procfd);
}
