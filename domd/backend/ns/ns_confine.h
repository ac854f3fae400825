/* The capability bounding set and seccomp filter of a qube's processes on
 * the ns backend; applied by its first process just before it runs init. */
#ifndef BULKHEAD_DOMD_NS_CONFINE_H
#define BULKHEAD_DOMD_NS_CONFINE_H

#include <stddef.h>

/* Compiles the seccomp filter once, in the parent of the launches (domd);
 * 0, or -1 with err set. */
int ns_confine_prepare(char *err, size_t errlen);
/* In the qube's first process: drops capabilities from the bounding set
 * and loads the filter (compiling it first if nobody did). */
int ns_confine(char *err, size_t errlen);

#endif
