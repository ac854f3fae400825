/* bulkhead-usbproxy: subcommand dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "usbproxy.h"

static const struct usbproxy_cmd *const usbproxy_cmds[] = {
	&usbproxy_list_cmd,
	&usbproxy_export_cmd,
	&usbproxy_import_cmd,
};

static void
usage(FILE *f)
{
	fprintf(f, "usage:\n");
	for (size_t i = 0; i < sizeof(usbproxy_cmds) / sizeof(usbproxy_cmds[0]); i++)
		fprintf(f, "  bulkhead-usbproxy %s\n", usbproxy_cmds[i]->usage);
	fprintf(f, "  bulkhead-usbproxy --help | --version\n"
	    "\n"
	    "USB over USB/IP between qubes: in sys-usb, list lists the host's USB\n"
	    "devices and export serves one on standard input and output (the RPC\n"
	    "channel); in the qube that gets it, import plugs it into vhci-hcd.\n"
	    "See bulkhead-usbproxy(8). BULKHEAD_USBPROXY_DEBUG set: debug log.\n");
}

int
main(int argc, char **argv)
{
	log_init("bulkhead-usbproxy", getenv("BULKHEAD_USBPROXY_DEBUG") != NULL, 0);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("bulkhead-usbproxy %s\n", BULKHEAD_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(usbproxy_cmds) / sizeof(usbproxy_cmds[0]); i++)
		if (!strcmp(argv[1], usbproxy_cmds[i]->name))
			return usbproxy_cmds[i]->run(argc - 1, argv + 1);
	log_warnx("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
