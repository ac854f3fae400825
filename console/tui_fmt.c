/* The table's compact figures (tui_fmt.h): pure functions, unit-tested. */
#include "tui_fmt.h"

#include <stdio.h>

/* At most four characters below 1000 TiB (999K, 999M, 9.9G, 999G, 9.9T,
 * 999T): a unit changes at 1000 of the one below, so 1000K to 1023K is not
 * "1000K", one cell wider than the column (the MEM column shows two). */
void
tui_fmt_bytes(char *buf, size_t len, uint64_t b)
{
	const uint64_t mib = 1024 * 1024, gib = 1024 * mib;
	uint64_t k = (b + 1023) / 1024;

	if (k < 1000)
		snprintf(buf, len, "%lluK", (unsigned long long)k);
	else if (b < 1000 * mib)
		snprintf(buf, len, "%lluM", (unsigned long long)(b < mib ? 1 : b / mib));
	else if ((double)b / (double)gib < 9.95)
		snprintf(buf, len, "%.1fG", (double)b / (double)gib);
	else if ((double)b / (double)gib < 999.5)
		snprintf(buf, len, "%lluG", (unsigned long long)((b + gib / 2) / gib));
	else if ((double)b / (double)(1024 * gib) < 9.95)
		snprintf(buf, len, "%.1fT", (double)b / (double)(1024 * gib));
	else
		snprintf(buf, len, "%lluT", (unsigned long long)(b / (1024 * gib)));
}

void
tui_fmt_uptime(char *buf, size_t len, uint64_t s)
{
	/* Coarser as it grows: fewer cells change per refresh. */
	if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum", (unsigned long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
		    (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400),
		    (unsigned long long)(s % 86400 / 3600));
}
