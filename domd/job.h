/* Slow file work (copying a root, deleting a tree) runs in child processes
 * so that domd keeps serving; the callback runs when the child exits. */
#ifndef BULKHEAD_DOMD_JOB_H
#define BULKHEAD_DOMD_JOB_H

#include <sys/types.h>

typedef void (*job_done_fn)(void *arg, int ok, const char *what);

/* Runs argv (argv[0] an absolute path) as a child. */
void job_spawn(char *const argv[], job_done_fn done, void *arg);
/* Reaps exited children (SIGCHLD): jobs get their callbacks, others are
 * just collected. */
void job_reap(void);
int job_count(void);

#endif
