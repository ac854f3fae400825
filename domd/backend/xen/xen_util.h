/* Small libxl helpers shared by the xen backend and its monitor.
 * LIBXL_API_VERSION is pinned here, before any libxl header, so that a
 * newer Xen keeps the calling conventions this code was written for. */
#ifndef BULKHEAD_DOMD_XEN_UTIL_H
#define BULKHEAD_DOMD_XEN_UTIL_H

#define LIBXL_API_VERSION 0x041300
#include <libxl.h>
#include <libxl_utils.h>

#include <stddef.h>
#include <stdint.h>

/* A libxl context logging errors to stderr; NULL with err set. */
libxl_ctx *xen_ctx_open(xentoollog_logger **lg, char *err, size_t errlen);
void xen_ctx_close(libxl_ctx *ctx, xentoollog_logger *lg);
/* The domain whose uuid is uuid_str (a qube's uuid): 0 and *domid, or -1. */
int xen_find_domain(libxl_ctx *ctx, const char *uuid_str, uint32_t *domid,
    libxl_dominfo *info);

#endif
