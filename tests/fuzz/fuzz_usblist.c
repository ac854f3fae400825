/* libFuzzer harness for usblist_parse_line: the device lines a USB qube
 * sends dom0. Checks that what is accepted is a valid device id, a
 * VID:PID, a speed and a printable description, and that nothing is read
 * past the line (an exactly sized heap copy). */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "usblist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usblist_dev d;
	char *line;

	if (size > 4096 || (line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (usblist_parse_line("sys-usb", line, &d) == 0) {
		CHECK(qube_usb_id_valid(d.id, NULL, NULL), "id '%s'", d.id);
		CHECK(strlen(d.vidpid) == 9 && d.vidpid[4] == ':', "vidpid '%s'", d.vidpid);
		CHECK(d.speed[0] != '\0', "empty speed");
		for (const char *c = d.desc; *c; c++)
			CHECK(*c >= 0x20 && *c < 0x7f, "byte 0x%02x in the description",
			    (unsigned char)*c);
	}
	free(line);
	return 0;
}
