#include "xen_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

libxl_ctx *
xen_ctx_open(xentoollog_logger **lg, char *err, size_t errlen)
{
	libxl_ctx *ctx = NULL;

	*lg = (xentoollog_logger *)xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
	if (*lg == NULL) {
		snprintf(err, errlen, "cannot create a libxl logger");
		return NULL;
	}
	if (libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, *lg) != 0) {
		snprintf(err, errlen, "cannot open libxl (is xenstored running in this dom0?): %s",
		    strerror(errno));
		xtl_logger_destroy(*lg);
		*lg = NULL;
		return NULL;
	}
	return ctx;
}

void
xen_ctx_close(libxl_ctx *ctx, xentoollog_logger *lg)
{
	if (ctx != NULL)
		libxl_ctx_free(ctx);
	if (lg != NULL)
		xtl_logger_destroy(lg);
}

int
xen_find_domain(libxl_ctx *ctx, const char *uuid_str, uint32_t *domid, libxl_dominfo *info)
{
	libxl_dominfo *list;
	libxl_uuid want;
	int n, found = -1;

	if (libxl_uuid_from_string(&want, uuid_str) != 0)
		return -1;
	if ((list = libxl_list_domain(ctx, &n)) == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		if (libxl_uuid_compare(&list[i].uuid, &want) != 0)
			continue;
		*domid = list[i].domid;
		/* The copy keeps the scalars only: the label goes with the list. */
		if (info != NULL) {
			*info = list[i];
			info->ssid_label = NULL;
		}
		found = 0;
		break;
	}
	libxl_dominfo_list_free(list, n);
	return found;
}
