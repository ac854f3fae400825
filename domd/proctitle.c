#include "proctitle.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

static char *area;
static size_t area_len;

void
proctitle_init(int argc, char **argv)
{
	/* argv strings are contiguous; their span is what ps shows. */
	area = argv[0];
	area_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]) + 1;
}

void
proctitle_set(const char *fmt, ...)
{
	char title[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(title, sizeof(title), fmt, ap);
	va_end(ap);
	prctl(PR_SET_NAME, title);
	if (area == NULL)
		return;
	memset(area, 0, area_len);
	snprintf(area, area_len, "%s", title);
}
