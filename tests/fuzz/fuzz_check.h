/* CHECK(cond, fmt, ...): a harness's invariant. When it does not hold, says
 * which (and the harness's source file) and traps, so that libFuzzer keeps
 * the input as a crash. */
#ifndef BULKHEAD_FUZZ_CHECK_H
#define BULKHEAD_FUZZ_CHECK_H

#include <stdio.h>

#define CHECK(cond, ...) do {                                                   \
	if (!(cond)) {                                                         \
		fprintf(stderr, "%s: invariant violated: %s: ", __FILE__, #cond); \
		fprintf(stderr, __VA_ARGS__);                                  \
		fputc('\n', stderr);                                           \
		__builtin_trap();                                              \
	}                                                                      \
} while (0)

#endif
