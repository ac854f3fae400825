/* Logging in the OpenBSD daemon style: log_warn adds strerror(errno). */
#ifndef BULKHEAD_LOG_H
#define BULKHEAD_LOG_H

#include <stdarg.h>

#define PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))

/* progname is used as prefix; to_syslog sends lines to syslog instead of stderr. */
void log_init(const char *progname, int verbose, int to_syslog);
int log_verbose(void);

void log_warn(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_warnx(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_info(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_debug(const char *fmt, ...) PRINTFLIKE(1, 2);
__attribute__((noreturn)) void fatal(const char *fmt, ...) PRINTFLIKE(1, 2);
__attribute__((noreturn)) void fatalx(const char *fmt, ...) PRINTFLIKE(1, 2);

#endif
