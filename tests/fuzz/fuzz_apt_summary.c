/* libFuzzer harness for apt_summary_changes() (lib/apt_summary.c): the
 * output of apt-get in a template, which `bulkhead update` reads. It must
 * stay inside the bytes given, and a count it reports must be one that a
 * summary line of those bytes can spell. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apt_summary.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	long n;

	if (size > 65536 || (buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	n = apt_summary_changes(buf, size);
	CHECK(n >= -1 && n < 2000000, "count %ld", n);
	CHECK(n == -1 || memmem(buf, size, " upgraded, ", 11) != NULL, "a count without a summary");
	free(buf);
	return 0;
}
