#include "admin_rpc_in.h"

#include <stdio.h>
#include <string.h>

#include "rpc_wire.h"

void
admin_rpc_in_init(struct admin_rpc_in *in, uint32_t method)
{
	memset(in, 0, sizeof(*in));
	in->method = method;
}

void *
admin_rpc_in_room(struct admin_rpc_in *in, size_t *room)
{
	/* A whole frame fits, and is taken out as soon as it is whole. */
	*room = sizeof(in->untrusted_buf) - in->len;
	return in->untrusted_buf + in->len;
}

/* The end: the arguments, or a refusal (msg not NULL). */
static int
finish(struct admin_rpc_in *in, const char *msg, struct admin_rpc_args *out)
{
	in->done = true;
	in->len = 0;
	if (msg == NULL) {
		/* A refused payload comes back as out->error: domd answers it. */
		admin_rpc_args_parse(in->method, in->payload, in->payload_len, out);
		return 1;
	}
	memset(out, 0, sizeof(*out));
	out->method = in->method;
	out->error = 1;
	snprintf(out->msg, sizeof(out->msg), "arguments: %s", msg);
	return 1;
}

int
admin_rpc_in_took(struct admin_rpc_in *in, size_t n, struct admin_rpc_args *out)
{
	uint32_t type, len;
	size_t whole;

	if (in->done) {
		in->len = 0;
		return 0;
	}
	in->len += n;
	while (in->len >= sizeof(struct rpc_data_hdr)) {
		if (rpc_data_hdr_check(in->untrusted_buf, &type, &len) < 0 || type != RPC_DATA_STDIN)
			return finish(in, "the stream broke its framing", out);
		if (len > ADMIN_RPC_PAYLOAD_MAX || in->payload_len + len > ADMIN_RPC_PAYLOAD_MAX)
			return finish(in, "more than 8 KiB", out);
		whole = sizeof(struct rpc_data_hdr) + len;
		if (in->len < whole)
			return 0;
		if (len == 0)
			return finish(in, NULL, out);
		memcpy(in->payload + in->payload_len, in->untrusted_buf + sizeof(struct rpc_data_hdr),
		    len);
		in->payload_len += len;
		memmove(in->untrusted_buf, in->untrusted_buf + whole, in->len - whole);
		in->len -= whole;
	}
	return 0;
}
