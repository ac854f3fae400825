#include "vdagent.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define VDA_CHUNK_MAX 2048 /* VD_AGENT_MAX_DATA_SIZE */
#define VDA_PROTOCOL 1

void
vda_init(struct vda_reasm *r, uint32_t max_msg)
{
	memset(r, 0, sizeof(*r));
	r->max_msg = max_msg;
}

void
vda_free(struct vda_reasm *r)
{
	for (int i = 0; i < VDA_PORTS; i++)
		free(r->port[i].data);
	vda_init(r, r->max_msg);
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static void
put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void
port_done(struct vda_port *p)
{
	free(p->data);
	memset(p, 0, sizeof(*p));
}

/* Takes up to n bytes of the current chunk for port p. -1 on a broken
 * message header. Returns the bytes used. */
static ssize_t
port_feed(struct vda_reasm *r, uint32_t portno, const uint8_t *b, size_t n, vda_msg_fn fn,
    void *opaque)
{
	struct vda_port *p = &r->port[portno - 1];
	size_t used = 0;

	if (p->hdr_have < VDA_MSG_HDR) {
		size_t take = VDA_MSG_HDR - p->hdr_have;

		if (take > n)
			take = n;
		memcpy(p->hdr + p->hdr_have, b, take);
		p->hdr_have += take;
		used = take;
		if (p->hdr_have < VDA_MSG_HDR)
			return (ssize_t)used;
		if (get32(p->hdr) != VDA_PROTOCOL)
			return -1;
		p->type = get32(p->hdr + 4);
		p->size = get32(p->hdr + 16);
		p->have = 0;
		p->skip = p->size > r->max_msg;
		if (!p->skip && p->size > 0 && (p->data = malloc(p->size)) == NULL)
			return -1;
	}
	if (p->have < p->size) {
		size_t take = p->size - p->have;

		if (take > n - used)
			take = n - used;
		if (!p->skip)
			memcpy(p->data + p->have, b + used, take);
		p->have += (uint32_t)take;
		used += take;
	}
	if (p->have == p->size) {
		/* An empty message still has a (non-NULL) body: only skipped ones have none. */
		fn(opaque, portno, p->type, p->skip ? NULL : p->data ? p->data : p->hdr, p->size);
		port_done(p);
	}
	return (ssize_t)used;
}

int
vda_feed(struct vda_reasm *r, const uint8_t *untrusted_buf, size_t untrusted_len, vda_msg_fn fn,
    void *opaque)
{
	size_t off = 0;

	while (off < untrusted_len) {
		if (r->chunk_left == 0) {
			size_t take = VDA_CHUNK_HDR - r->chdr_have;

			if (take > untrusted_len - off)
				take = untrusted_len - off;
			memcpy(r->chdr + r->chdr_have, untrusted_buf + off, take);
			r->chdr_have += take;
			off += take;
			if (r->chdr_have < VDA_CHUNK_HDR)
				break;
			r->chdr_have = 0;
			r->chunk_port = get32(r->chdr);
			r->chunk_left = get32(r->chdr + 4);
			if (r->chunk_port < 1 || r->chunk_port > VDA_PORTS ||
			    r->chunk_left > VDA_CHUNK_MAX)
				goto broken;
			continue;
		}
		size_t n = r->chunk_left;
		ssize_t used;

		if (n > untrusted_len - off)
			n = untrusted_len - off;
		/* A chunk may hold the end of one message and the start of the next. */
		used = port_feed(r, r->chunk_port, untrusted_buf + off, n, fn, opaque);
		if (used < 0)
			goto broken;
		off += (size_t)used;
		r->chunk_left -= (uint32_t)used;
	}
	return 0;
broken:
	vda_free(r);
	return -1;
}

size_t
vda_framed_len(uint32_t len)
{
	size_t total = VDA_MSG_HDR + (size_t)len;

	return total + (total + VDA_CHUNK_MAX - 1) / VDA_CHUNK_MAX * VDA_CHUNK_HDR;
}

size_t
vda_frame(uint8_t *out, uint32_t port, uint32_t type, const uint8_t *data, uint32_t len)
{
	uint8_t mh[VDA_MSG_HDR] = { 0 };
	size_t total = VDA_MSG_HDR + (size_t)len, done = 0, o = 0;

	put32(mh, VDA_PROTOCOL);
	put32(mh + 4, type);
	put32(mh + 16, len);
	while (done < total) {
		size_t n = total - done > VDA_CHUNK_MAX ? VDA_CHUNK_MAX : total - done;

		put32(out + o, port);
		put32(out + o + 4, (uint32_t)n);
		o += VDA_CHUNK_HDR;
		for (size_t i = 0; i < n; i++, done++)
			out[o++] = done < VDA_MSG_HDR ? mh[done] : data[done - VDA_MSG_HDR];
	}
	return o;
}
