/* Facts about a process from /proc. */
#ifndef BULKHEAD_PROCSTAT_H
#define BULKHEAD_PROCSTAT_H

#include <sys/types.h>

/* Field 22 (starttime) of /proc/PID/stat, which with the pid names a process
 * uniquely; 0 if it is gone. */
unsigned long long proc_starttime(pid_t pid);
/* Field 4 (ppid); 0 if it is gone. */
pid_t proc_ppid(pid_t pid);
/* The same, with procfd an open /proc (for a process chrooted away from it). */
pid_t proc_ppid_at(int procfd, pid_t pid);

#endif
