/* The capability bounding set and seccomp filter of a qube's processes on
 * the ns backend; applied by its first process just before it runs init. */
#ifndef BULKHEAD_DOMD_NS_CONFINE_H
#define BULKHEAD_DOMD_NS_CONFINE_H

#include <stddef.h>

/* 0, or -1 with err set. */
int ns_confine(char *err, size_t errlen);

#endif
