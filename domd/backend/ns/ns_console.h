/* A qube's console output on the ns backend: its init writes into a pipe,
 * the monitor copies it into console.log, which never grows past
 * CONSOLE_LOG_MAX: the older half goes to console.log.old. */
#ifndef BULKHEAD_DOMD_NS_CONSOLE_H
#define BULKHEAD_DOMD_NS_CONSOLE_H

#include <sys/types.h>

#define CONSOLE_LOG_MAX (1024 * 1024)

/* Copies rfd into path until the pipe's end and the exit of child (a
 * pidfd), then reaps child and returns its wait status. */
int console_pump(int rfd, int child_pidfd, pid_t child, const char *path);

#endif
