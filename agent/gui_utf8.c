/* Cutting UTF-8 text to a byte limit without splitting a character (titles
 * and clipboard text the gateway would otherwise refuse as broken). */
#include "gui_agent.h"

size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = max;

	if (len <= max)
		return len;
	/* u[max] is the first byte left out: if it continues a character,
	 * that character goes too. */
	while (n > 0 && (u[n] & 0xc0) == 0x80)
		n--;
	return n;
}
