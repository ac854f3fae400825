/* Aborting allocators for trusted bookkeeping only; code that handles guest
 * data must return errors instead. */
#ifndef BULKHEAD_XALLOC_H
#define BULKHEAD_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
