/* Admin calls over RPC (lib/admin_rpc.h): domd hands the guard its end of
 * an allowed call's data channel; the guard reads the caller's STDIN frames
 * up to their end, parses the arguments and tells domd (GUARD_ADMIN_ARGS),
 * then reads on only to see the caller go (GUARD_ADMIN_GONE). domd writes
 * the replies on its own copy of the channel and never reads it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"
#include "log.h"
#include "rpc_wire.h"
#include "xalloc.h"

#define ADMIN_CALLS_MAX 64 /* open at once: a qube's event streams and requests */

struct admin_call {
	struct guard_watch w; /* first */
	int fd;
	uint32_t id, method;
	bool got_args;  /* the arguments went to domd: only the end may come */
	bool discard;   /* read and drop until the end (after the arguments,
	                 * or past what arguments may be) */
	size_t len;
	unsigned char untrusted_buf[sizeof(struct rpc_data_hdr) + ADMIN_RPC_PAYLOAD_MAX + 1];
	size_t payload_len;
	char payload[ADMIN_RPC_PAYLOAD_MAX + 1];
	struct admin_call *next;
};

static struct admin_call *calls;
static int ncalls;

static void
call_free(struct admin_call *a)
{
	for (struct admin_call **p = &calls; *p != NULL; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			break;
		}
	guard_watch_del(a->fd);
	close(a->fd);
	ncalls--;
	free(a);
}

static void
tell(struct admin_call *a, uint32_t type, const struct admin_rpc_args *args)
{
	struct guard_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.conn = a->id;
	if (args != NULL)
		m.admin = *args;
	guard_tell_domd(&m, -1);
}

/* The caller is done (or broke the framing): domd lets go of the call. */
static void
gone(struct admin_call *a)
{
	tell(a, GUARD_ADMIN_GONE, NULL);
	call_free(a);
}

static void
args_done(struct admin_call *a)
{
	struct admin_rpc_args args;

	admin_rpc_args_parse(a->method, a->payload, a->payload_len, &args);
	a->got_args = true;
	tell(a, GUARD_ADMIN_ARGS, &args);
}

/* A frame that is not the caller's stdin, or a broken header: the call
 * is refused (if its arguments had not come yet) and nothing more read. */
static void
malformed(struct admin_call *a)
{
	struct admin_rpc_args args;

	if (!a->got_args) {
		memset(&args, 0, sizeof(args));
		args.method = a->method;
		args.error = 1;
		snprintf(args.msg, sizeof(args.msg), "arguments: the stream broke its framing");
		a->got_args = true;
		tell(a, GUARD_ADMIN_ARGS, &args);
	}
	a->discard = true;
	a->len = 0;
}

/* Arguments past their limit are parsed as too long, so that domd answers
 * with the refusal; the rest of the stream is dropped. */
static void
too_long(struct admin_call *a)
{
	if (!a->got_args) {
		a->payload_len = ADMIN_RPC_PAYLOAD_MAX + 1;
		args_done(a);
	}
	a->discard = true;
	a->len = 0;
}

/* One frame from the caller, checked. */
static void
frame(struct admin_call *a, uint32_t type, const unsigned char *untrusted_data, uint32_t len)
{
	if (a->got_args || type != RPC_DATA_STDIN) {
		malformed(a);
		return;
	}
	if (len == 0)
		args_done(a);
	else if (a->payload_len + len > ADMIN_RPC_PAYLOAD_MAX)
		too_long(a);
	else {
		memcpy(a->payload + a->payload_len, untrusted_data, len);
		a->payload_len += len;
	}
}

static void
admin_io(struct guard_watch *w)
{
	struct admin_call *a = (struct admin_call *)w;
	ssize_t n = read(a->fd, a->untrusted_buf + a->len, sizeof(a->untrusted_buf) - a->len);
	uint32_t type, len;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		gone(a);
		return;
	}
	if (a->discard)
		return;
	a->len += (size_t)n;
	while (!a->discard && a->len >= sizeof(struct rpc_data_hdr)) {
		size_t whole;
		if (rpc_data_hdr_check(a->untrusted_buf, &type, &len) < 0) {
			malformed(a);
			return;
		}
		if (len > ADMIN_RPC_PAYLOAD_MAX) {
			too_long(a);
			return;
		}
		whole = sizeof(struct rpc_data_hdr) + len;
		if (a->len < whole)
			break;
		frame(a, type, a->untrusted_buf + sizeof(struct rpc_data_hdr), len);
		memmove(a->untrusted_buf, a->untrusted_buf + whole, a->len - whole);
		a->len -= whole;
	}
}

void
guard_admin_open(uint32_t id, uint32_t method, int fd)
{
	struct admin_call *a;

	if (ncalls >= ADMIN_CALLS_MAX || method >= admin_rpc_nmethods) {
		struct admin_call tmp = { .id = id };
		close(fd);
		tell(&tmp, GUARD_ADMIN_GONE, NULL);
		return;
	}
	a = xcalloc(1, sizeof(*a));
	a->w.fn = admin_io;
	a->fd = fd;
	a->id = id;
	a->method = method;
	a->next = calls;
	calls = a;
	ncalls++;
	guard_watch_add(fd, &a->w);
}
