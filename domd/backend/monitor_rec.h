/* Shared by the monitors of the ns and xen backends. */
#ifndef BULKHEAD_DOMD_MONITOR_REC_H
#define BULKHEAD_DOMD_MONITOR_REC_H

#include <sys/types.h>

/* Tells domd why the launch failed ("E<reason>" on fd) and exits. */
void launch_fail(int fd, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
/* Replaces the record at path atomically. */
void write_record(const char *path, const char *text);

/* RUN/qubes/NAME.EXT (one of four rotating buffers). */
const char *rt_path(const char *name, const char *ext);
/* The number after "key=" at a line start in a record, or -1. */
long long record_value(const char *rec, const char *key);
/* A descriptor that is readable once the process is gone. */
int pidfd_open_pid(pid_t pid);

#endif
