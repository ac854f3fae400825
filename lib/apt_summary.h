/* The summary line apt-get prints before it changes anything ("N
 * upgraded, M newly installed, K to remove and L not upgraded."), read
 * from a template's output by `bulkhead update`. */
#ifndef BULKHEAD_APT_SUMMARY_H
#define BULKHEAD_APT_SUMMARY_H

#include <stddef.h>

/* N + M of the last such line in untrusted_out[0..len); -1 when there is
 * none (or its numbers are not plain decimals below a million). */
long apt_summary_changes(const char *untrusted_out, size_t len);

#endif
