/* libFuzzer harness for viewer_info_parse: the URI and ticket sys-gui's
 * gateway writes, read by dom0's `bulkhead gui`. Checks that what is
 * accepted is either a loopback port or a path under /home of the gateway
 * qube's root (no "..") with a plain alphanumeric password. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "viewer_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROOT "/proc/4242/root"
#define HOME ROOT "/home/"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct viewer_info v;
	char *text;

	if (size > 4096 || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (viewer_info_parse(text, ROOT, &v) == 0) {
		size_t n = strlen(v.password);
		CHECK(n >= 8 && n <= 60, "password of %zu bytes", n);
		for (size_t i = 0; i < n; i++)
			CHECK(isalnum((unsigned char)v.password[i]), "password byte");
		if (v.port != 0)
			CHECK(v.port > 0 && v.port < 65536 && !strcmp(v.host, "127.0.0.1") &&
			    v.path[0] == '\0', "port %d host '%s'", v.port, v.host);
		else
			CHECK(!strncmp(v.path, HOME, strlen(HOME)) &&
			    strstr(v.path, "/..") == NULL, "path '%s'", v.path);
	}
	free(text);
	return 0;
}
