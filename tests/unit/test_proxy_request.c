/* Unit tests for lib/proxy_request.h: the request head a template sends
 * through bulkhead.UpdatesProxy, judged before the proxy sees it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "proxy_request.h"

static enum proxy_verdict
check(const char *head, struct proxy_request *req, char *why)
{
	return proxy_request_check(head, strlen(head), req, why, 256);
}

static void
test_allowed(void **state)
{
	static const char get[] = "GET http://deb.debian.org/debian/dists/bookworm/InRelease "
	    "HTTP/1.1\r\nHost: deb.debian.org\r\nCache-Control: max-age=0\r\n\r\n";
	static const char conn[] = "CONNECT deb.debian.org:443 HTTP/1.1\r\nHost: x:443\r\n\r\n"
	    "\x16\x03\x01";
	struct proxy_request r;
	char why[256];

	assert_int_equal(check(get, &r, why), PROXY_OK);
	assert_int_equal(r.head_len, strlen(get));
	assert_false(r.tunnel);
	assert_int_equal(check(conn, &r, why), PROXY_OK);
	assert_true(r.tunnel);
	assert_int_equal(r.head_len, strlen(conn) - 3); /* the tunnel's bytes follow */
	assert_int_equal(check("HEAD http://10.0.0.1:8000/x HTTP/1.0\r\n\r\n", &r, why), PROXY_OK);
	assert_int_equal(check("GET http://a/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &r, why),
	    PROXY_OK);
}

static void
test_incomplete(void **state)
{
	struct proxy_request r;
	char why[256];

	assert_int_equal(check("GET http://a/ HTTP/1.1\r\nHost: a\r\n", &r, why), PROXY_MORE);
	assert_int_equal(check("", &r, why), PROXY_MORE);
}

static void
refused(const char *head, const char *want)
{
	struct proxy_request r;
	char why[256] = "";

	assert_int_equal(check(head, &r, why), PROXY_BAD);
	if (strstr(why, want) == NULL)
		fail_msg("'%s': got '%s', want '%s'", head, why, want);
}

static void
test_refused(void **state)
{
	refused("CONNECT host:22 HTTP/1.1\r\n\r\n", "port 22 is not allowed");
	refused("CONNECT host HTTP/1.1\r\n\r\n", "HOST:PORT");
	refused("POST http://a/ HTTP/1.1\r\n\r\n", "method not allowed");
	refused("get http://a/ HTTP/1.1\r\n\r\n", "method not allowed");
	refused("GET /local HTTP/1.1\r\n\r\n", "http://HOST");
	refused("GET https://a/ HTTP/1.1\r\n\r\n", "http://HOST");
	refused("GET http://a:0/ HTTP/1.1\r\n\r\n", "http://HOST");
	refused("GET http://a:65536/ HTTP/1.1\r\n\r\n", "http://HOST");
	refused("GET http://a b/ HTTP/1.1\r\n\r\n", "HTTP/1.0 or HTTP/1.1");
	refused("GET http://a/ HTTP/2\r\n\r\n", "HTTP/1.0 or HTTP/1.1");
	refused("GET http://a/ HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "body");
	refused("GET http://a/ HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n", "body");
	refused("GET http://a/ HTTP/1.1\r\nX: a\r\n b\r\n\r\n", "folded");
	refused("GET http://a/ HTTP/1.1\r\nNo colon\r\n\r\n", "without ':'");
	refused("GET http://a/ HTTP/1.1\r\nA\nB: c\r\n\r\n", "bare CR or LF");
	refused("GET http://a/\xc3\xa9 HTTP/1.1\r\n\r\n", "printable ASCII");
	refused("\r\n\r\n", "malformed request line");
}

static void
test_too_long(void **state)
{
	static char big[PROXY_HEAD_MAX + 10];
	struct proxy_request r;
	char why[256];

	memset(big, 'a', sizeof(big));
	assert_int_equal(proxy_request_check(big, PROXY_HEAD_MAX - 1, &r, why, sizeof(why)),
	    PROXY_MORE);
	assert_int_equal(proxy_request_check(big, sizeof(big), &r, why, sizeof(why)), PROXY_BAD);
	assert_non_null(strstr(why, "longer than"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
