#include "proxy_request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static enum proxy_verdict
bad(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return PROXY_BAD;
}

/* The end of the head: just past its first "\r\n\r\n", or 0. */
static size_t
head_end(const char *s, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (s[i] == '\r' && s[i + 1] == '\n' && s[i + 2] == '\r' && s[i + 3] == '\n')
			return i + 4;
	return 0;
}

static bool
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-';
}

/* HOST[:PORT] at s[0..n): a DNS name or IPv4 address and a port 1-65535.
 * *port is 0 when there is none. */
static bool
host_port(const char *s, size_t n, unsigned *port)
{
	size_t h = 0;
	unsigned long p = 0;

	while (h < n && host_char(s[h]))
		h++;
	if (h == 0 || h > 253 || s[0] == '-' || s[0] == '.')
		return false;
	*port = 0;
	if (h == n)
		return true;
	if (s[h] != ':' || n - h - 1 == 0 || n - h - 1 > 5)
		return false;
	for (size_t i = h + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		p = p * 10 + (unsigned long)(s[i] - '0');
	}
	if (p == 0 || p > 65535)
		return false;
	*port = (unsigned)p;
	return true;
}

/* http://HOST[:PORT]/PATH at s[0..n), PATH of URL characters. */
static bool
http_url(const char *s, size_t n)
{
	const char *slash;
	unsigned port;

	if (n < 8 || strncmp(s, "http://", 7) != 0)
		return false;
	s += 7;
	n -= 7;
	if ((slash = memchr(s, '/', n)) == NULL)
		return false;
	return host_port(s, (size_t)(slash - s), &port);
}

static bool
token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* One header line s[0..n) (no CRLF): NAME ":" VALUE; no body may follow. */
static enum proxy_verdict
header(const char *s, size_t n, char *why, size_t whylen)
{
	const char *colon = memchr(s, ':', n);
	size_t name;

	if (n == 0 || s[0] == ' ' || s[0] == '\t')
		return bad(why, whylen, "folded or empty header line");
	if (colon == NULL)
		return bad(why, whylen, "header line without ':'");
	name = (size_t)(colon - s);
	for (size_t i = 0; i < name; i++)
		if (!token_char(s[i]))
			return bad(why, whylen, "bad character in a header name");
	if (name == 0)
		return bad(why, whylen, "empty header name");
	if (name == 17 && strncasecmp(s, "Transfer-Encoding", 17) == 0)
		return bad(why, whylen, "a request body is not allowed (Transfer-Encoding)");
	if (name == 14 && strncasecmp(s, "Content-Length", 14) == 0) {
		const char *v = colon + 1, *end = s + n;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end - v != 1 || *v != '0')
			return bad(why, whylen, "a request body is not allowed (Content-Length)");
	}
	return PROXY_OK;
}

enum proxy_verdict
proxy_request_check(const char *untrusted_head, size_t len, struct proxy_request *req,
    char *why, size_t whylen)
{
	const char *s = untrusted_head, *sp1, *sp2, *eol, *line, *end;
	size_t n = head_end(s, len < PROXY_HEAD_MAX ? len : PROXY_HEAD_MAX), mlen, tlen;
	unsigned port;

	if (n == 0)
		return len < PROXY_HEAD_MAX ? PROXY_MORE :
		    bad(why, whylen, "request head longer than %d bytes", PROXY_HEAD_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c > 0x7e)
			return bad(why, whylen, "request head is not printable ASCII");
		if ((c == '\r') != (i + 1 < n && s[i + 1] == '\n'))
			return bad(why, whylen, "bare CR or LF in the request head");
		if (c == '\n' && (i == 0 || s[i - 1] != '\r'))
			return bad(why, whylen, "bare CR or LF in the request head");
	}
	/* METHOD SP TARGET SP VERSION CRLF */
	eol = memchr(s, '\r', n);
	sp1 = memchr(s, ' ', (size_t)(eol - s));
	if (sp1 == NULL || (sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))) == NULL)
		return bad(why, whylen, "malformed request line");
	mlen = (size_t)(sp1 - s);
	tlen = (size_t)(sp2 - sp1 - 1);
	if ((size_t)(eol - sp2 - 1) != 8 || (strncmp(sp2 + 1, "HTTP/1.1", 8) != 0 &&
	    strncmp(sp2 + 1, "HTTP/1.0", 8) != 0))
		return bad(why, whylen, "not an HTTP/1.0 or HTTP/1.1 request");
	if ((mlen == 3 && strncmp(s, "GET", 3) == 0) || (mlen == 4 && strncmp(s, "HEAD", 4) == 0)) {
		if (!http_url(sp1 + 1, tlen))
			return bad(why, whylen, "GET and HEAD need an http://HOST[:PORT]/ URL");
		req->tunnel = false;
	} else if (mlen == 7 && strncmp(s, "CONNECT", 7) == 0) {
		if (!host_port(sp1 + 1, tlen, &port) || port == 0)
			return bad(why, whylen, "CONNECT needs HOST:PORT");
		if (port != 443)
			return bad(why, whylen, "CONNECT to port %u is not allowed (443 only)", port);
		req->tunnel = true;
	} else
		return bad(why, whylen, "method not allowed (GET, HEAD and CONNECT only)");
	/* The header lines, up to the blank line that ends the head. */
	end = s + n - 2;
	for (line = eol + 2; line < end; line = eol + 2) {
		enum proxy_verdict v;
		eol = memchr(line, '\r', (size_t)(end - line));
		if ((v = header(line, (size_t)(eol - line), why, whylen)) != PROXY_OK)
			return v;
	}
	req->head_len = n;
	return PROXY_OK;
}
