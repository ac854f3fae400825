/*
 * The bulkhead.Filecopy service, run by the agent in the target qube with
 * the caller's stream on stdin: unpacks it into ~/Incoming/SOURCE/ and
 * answers one status line on stdout ("ok N files, B bytes" or
 * "error: REASON"), exit 0 or 1. The stream is hostile; see lib/filecopy.h.
 */
#include "agent.h"
#include "filecopy.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECV_NAME "bulkhead.Filecopy"
#define DEFAULT_HOME "/home/user"
#define INCOMING_DIR "Incoming"
#define PIPE_SIZE (1024 * 1024)

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " RECV_NAME " [--help | --version]\n"
	    "\n"
	    "The file-copy service of a qube (run by the agent for " FILECOPY_SERVICE ").\n"
	    "Reads a stream from bulkhead-copy / bulkhead-move on stdin and unpacks it\n"
	    "into $HOME/" INCOMING_DIR "/SOURCE/ (HOME defaults to " DEFAULT_HOME "; SOURCE is\n"
	    "the calling qube, from BULKHEAD_RPC_SOURCE). Names already there are kept:\n"
	    "a new top-level file or directory of the same name arrives as NAME.1, NAME.2...\n"
	    "Prints 'ok N files, B bytes' (N counts files, directories and symlinks) or\n"
	    "'error: REASON' on stdout; exits 0 or 1.\n");
}

/* One line on stdout, the caller's answer. */
static int
status(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
status(int rc, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	n = strlen(line);
	line[n++] = '\n';
	if (write(STDOUT_FILENO, line, n) != (ssize_t)n)
		rc = 1;
	return rc;
}

/*
 * Opens directory name in dirfd, creating it with mode when missing. Refuses
 * a symlink, anything not a directory, and a directory owned by someone else.
 */
static int
open_own_dir(int dirfd, const char *shown, const char *name, mode_t mode, char *err, size_t errlen)
{
	bool created = false;
	struct stat st;
	int fd;

	if (mkdirat(dirfd, name, mode) == 0)
		created = true;
	else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", shown, strerror(errno));
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP || (errno == ENOTDIR &&
		    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)))
			snprintf(err, errlen, "%s is a symlink: refusing to use it", shown);
		else if (errno == ENOTDIR)
			snprintf(err, errlen, "%s is not a directory", shown);
		else
			snprintf(err, errlen, "cannot open %s: %s", shown, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s is not owned by this user: refusing to use it", shown);
		close(fd);
		return -1;
	}
	if (created && fchmod(fd, mode) == -1) {
		snprintf(err, errlen, "cannot set the mode of %s: %s", shown, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
filecopy_recv_main(int argc, char **argv)
{
	char err[1024], shown[FILECOPY_SOURCE_MAX + 64];
	struct filecopy_stats st;
	const char *source, *home;
	int homefd, incfd, destfd, rc;

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
			printf(RECV_NAME " %s\n", BULKHEAD_VERSION);
			return 0;
		}
		usage(stderr);
		return status(1, "error: unexpected argument");
	}
	signal(SIGPIPE, SIG_IGN);

	source = getenv("BULKHEAD_RPC_SOURCE");
	if (source == NULL || !filecopy_source_name_valid(source))
		return status(1, "error: missing or invalid BULKHEAD_RPC_SOURCE: refusing the copy");
	home = getenv("HOME");
	if (home == NULL || home[0] == '\0')
		home = DEFAULT_HOME;
	if (home[0] != '/')
		return status(1, "error: HOME is not an absolute path");

	/* HOME is this qube's own setting and may be a symlink (/home -> /rw/home);
	 * what lies below it is created here and must not be one. */
	homefd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (homefd == -1)
		return status(1, "error: cannot open the home directory: %s", strerror(errno));
	incfd = open_own_dir(homefd, "~/" INCOMING_DIR, INCOMING_DIR, 0700, err, sizeof(err));
	close(homefd);
	if (incfd == -1)
		return status(1, "error: %s", err);
	snprintf(shown, sizeof(shown), "~/" INCOMING_DIR "/%s", source);
	destfd = open_own_dir(incfd, shown, source, 0755, err, sizeof(err));
	close(incfd);
	if (destfd == -1)
		return status(1, "error: %s", err);

	/* As the sender does: a pipe from the agent gets bigger if it may. */
	{
		struct stat in;

		if (fstat(STDIN_FILENO, &in) == 0 && S_ISFIFO(in.st_mode))
			(void)fcntl(STDIN_FILENO, F_SETPIPE_SZ, PIPE_SIZE);
	}
	rc = filecopy_recv(STDIN_FILENO, destfd, NULL, &st, err, sizeof(err));
	close(destfd);
	if (rc == -1)
		return status(1, "error: %s", err);
	return status(0, "ok %llu files, %llu bytes", (unsigned long long)st.entries,
	    (unsigned long long)st.bytes);
}
