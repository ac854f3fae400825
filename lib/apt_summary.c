#include "apt_summary.h"

#include <string.h>

#define MAX_COUNT 1000000

/* The decimal ending just before s[end], at most 7 digits and below
 * MAX_COUNT, starting a line or after a space; -1 if none. */
static long
number_before(const char *s, size_t end)
{
	size_t start = end;
	long n = 0;

	while (start > 0 && end - start < 7 && s[start - 1] >= '0' && s[start - 1] <= '9')
		start--;
	if (start == end || (start > 0 && s[start - 1] != '\n' && s[start - 1] != ' '))
		return -1;
	for (size_t i = start; i < end; i++)
		n = n * 10 + (s[i] - '0');
	return n < MAX_COUNT ? n : -1;
}

static const char *
find_last(const char *s, size_t len, const char *what)
{
	size_t w = strlen(what);

	for (size_t i = len >= w ? len - w + 1 : 0; i-- > 0;)
		if (memcmp(s + i, what, w) == 0)
			return s + i;
	return NULL;
}

long
apt_summary_changes(const char *untrusted_out, size_t len)
{
	static const char upgraded[] = " upgraded, ", installed[] = " newly installed, ";
	const char *s = untrusted_out, *u, *rest, *inst, *eol;
	long n, m;

	if ((u = find_last(s, len, upgraded)) == NULL ||
	    (n = number_before(s, (size_t)(u - s))) < 0)
		return -1;
	rest = u + strlen(upgraded);
	eol = memchr(rest, '\n', len - (size_t)(rest - s));
	inst = find_last(rest, (size_t)((eol != NULL ? eol : s + len) - rest), installed);
	if (inst == NULL || (m = number_before(s, (size_t)(inst - s))) < 0 ||
	    inst - rest > 7)
		return -1;
	return n + m;
}
