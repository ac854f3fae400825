#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_prog = "bulkhead";
static int log_verbosity;
static int log_syslog;

void
log_init(const char *progname, int verbose, int to_syslog)
{
	log_prog = progname;
	log_verbosity = verbose;
	log_syslog = to_syslog;
	if (to_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_verbose(void)
{
	return log_verbosity;
}

static void
vlog(int pri, const char *fmt, va_list ap, int with_errno)
{
	char msg[1024];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	if (log_syslog)
		syslog(pri, "%s", msg);
	else
		fprintf(stderr, "%s: %s\n", log_prog, msg);
	errno = saved;
}

#define LOGFN(fn, pri, with_errno, cond)                 \
	void fn(const char *fmt, ...)                    \
	{                                                \
		va_list ap;                              \
		if (!(cond))                             \
			return;                          \
		va_start(ap, fmt);                       \
		vlog(pri, fmt, ap, with_errno);          \
		va_end(ap);                              \
	}

LOGFN(log_warn, LOG_WARNING, 1, 1)
LOGFN(log_warnx, LOG_WARNING, 0, 1)
LOGFN(log_info, LOG_INFO, 0, 1)
LOGFN(log_debug, LOG_DEBUG, 0, log_verbosity > 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
