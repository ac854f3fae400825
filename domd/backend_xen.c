/* The xen backend. Until it drives libxl it refuses to start, so that an
 * operator never believes qubes run on Xen when they do not. */
#include <stdio.h>
#include <unistd.h>

#include "backend.h"
#include "domd.h"

static int
xen_init(const struct domd_paths *paths, char *err, size_t errlen)
{
	if (access("/proc/xen/capabilities", R_OK) < 0)
		snprintf(err, errlen, "the xen backend needs a Xen dom0 (/proc/xen/capabilities "
		    "not readable); use --backend ns");
	else
		snprintf(err, errlen, "the xen backend is not available in this build; "
		    "use --backend ns");
	return -1;
}

const struct backend_ops backend_xen = {
	.name = "xen",
	.weak_isolation = false,
	.init = xen_init,
};
