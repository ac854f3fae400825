/* libFuzzer harness for the launch-pipe parser: the guest can write on that
 * pipe, so no input may crash it, and what it returns must be sane. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "launchmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct launchmsg m;

	while (size > 0) {
		size_t used = launchmsg_parse(p, size, &m);
		if (used > size)
			__builtin_trap();
		if (m.kind == LM_PID && m.pid <= 0)
			__builtin_trap();
		if (m.kind == LM_ERROR)
			for (const char *t = m.text; *t; t++)
				if (*t < 0x20 || *t >= 0x7f)
					__builtin_trap();
		if (used == 0) {
			if (m.kind != LM_NONE || size >= LAUNCHMSG_MAX)
				__builtin_trap();
			break;
		}
		p += used;
		size -= used;
	}
	return 0;
}
