/* libFuzzer harness for proxy_request_check() (lib/proxy_request.c): the
 * request head a template sends through bulkhead.UpdatesProxy. What it
 * accepts must end in a blank line within what it was given, start with an
 * allowed method, and hold printable ASCII only; the same bytes with more
 * appended must get the same verdict (the head is judged as it arrives). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "proxy_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_request req, again;
	enum proxy_verdict v, w;
	char why[256], *buf;

	if (size > PROXY_HEAD_MAX + 64 || (buf = malloc(size + 8)) == NULL)
		return 0;
	memcpy(buf, data, size);
	v = proxy_request_check(buf, size, &req, why, sizeof(why));
	if (v == PROXY_OK) {
		CHECK(req.head_len >= 4 && req.head_len <= size, "head_len %zu of %zu", req.head_len,
		    size);
		CHECK(!memcmp(buf + req.head_len - 4, "\r\n\r\n", 4), "head does not end in a blank line");
		CHECK(!strncmp(buf, "GET ", 4) || !strncmp(buf, "HEAD ", 5) ||
		    (!strncmp(buf, "CONNECT ", 8) && req.tunnel), "accepted another method");
		for (size_t i = 0; i < req.head_len; i++)
			CHECK(buf[i] == '\r' || buf[i] == '\n' || buf[i] == '\t' ||
			    (buf[i] >= 0x20 && buf[i] < 0x7f), "accepted byte 0x%02x", (unsigned char)buf[i]);
	}
	if (v != PROXY_MORE) {
		memcpy(buf + size, "\r\n\r\nxyz", 7);
		w = proxy_request_check(buf, size + 7, &again, why, sizeof(why));
		CHECK(w == v, "verdict %d changed to %d by more bytes", v, w);
		CHECK(v != PROXY_OK || (again.head_len == req.head_len && again.tunnel == req.tunnel),
		    "the head changed with more bytes");
	}
	free(buf);
	return 0;
}
