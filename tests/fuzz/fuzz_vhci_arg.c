/* libFuzzer harness for vhci_arg_parse() (lib/vhci_arg.c): the argument of
 * bulkhead.VhciAttach that a qube's root writes and its guard decodes.
 * What it accepts must pass vhci_arg_valid() (what domd's check of the
 * guard's message asks), and print back to the very same string. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "vhci_arg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vhci_arg a;
	char *arg, again[64];

	if (size > 256 || (arg = malloc(size + 1)) == NULL)
		return 0;
	memcpy(arg, data, size);
	arg[size] = '\0';
	if (vhci_arg_parse(arg, &a) == 0) {
		CHECK(vhci_arg_valid(&a), "'%s' accepted as an invalid struct", arg);
		snprintf(again, sizeof(again), "%s+%" PRIu32 "+%" PRId32, a.busid, a.devid, a.speed);
		CHECK(!strcmp(again, arg), "'%s' read as '%s'", arg, again);
	}
	free(arg);
	return 0;
}
