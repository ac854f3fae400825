#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

static bool
xen_present(void)
{
	return access("/proc/xen/capabilities", R_OK) == 0;
}

const struct backend_ops *
backend_select(const char *name, char *err, size_t errlen)
{
	if (!strcmp(name, "ns"))
		return &backend_ns;
	if (!strcmp(name, "xen"))
		return &backend_xen;
	if (!strcmp(name, "auto"))
		return xen_present() && backend_xen.start != NULL ? &backend_xen : &backend_ns;
	snprintf(err, errlen, "invalid backend '%s' (expected ns, xen or auto)", name);
	return NULL;
}
