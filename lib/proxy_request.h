/* The head of the one request a template sends through
 * bulkhead.UpdatesProxy, checked before a byte of it reaches the proxy:
 * what package managers need and nothing else. GET and HEAD of an
 * absolute http:// URL, or CONNECT to port 443; no request body; printable
 * ASCII only; no folded header lines. */
#ifndef BULKHEAD_PROXY_REQUEST_H
#define BULKHEAD_PROXY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define PROXY_HEAD_MAX 16384

enum proxy_verdict { PROXY_MORE, PROXY_OK, PROXY_BAD };

struct proxy_request {
	size_t head_len;   /* bytes of the head, its blank line included */
	bool tunnel;       /* CONNECT: the bytes after the head are the tunnel's */
};

/* Judges untrusted_head[0..len): PROXY_MORE while no blank line ends it
 * (and len < PROXY_HEAD_MAX), PROXY_OK with req filled, PROXY_BAD with
 * why, a short text for the caller's 403 answer. */
enum proxy_verdict proxy_request_check(const char *untrusted_head, size_t len,
    struct proxy_request *req, char *why, size_t whylen);

#endif
