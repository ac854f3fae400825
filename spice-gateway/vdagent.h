/* Reassembly of vdagent messages from the chunks spice-server writes to the
 * agent char device: VDIChunkHeader{port,size} + at most
 * VD_AGENT_MAX_DATA_SIZE bytes, carrying VDAgentMessage{protocol,type,
 * opaque,size} + data that may span chunks. The total is bounded before
 * anything is allocated; an over-size message is skipped, not stored. Fed
 * by the viewer's side, so checked like any peer input (fuzz_vdagent.c). */
#ifndef BULKHEAD_GW_VDAGENT_H
#define BULKHEAD_GW_VDAGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VDA_CHUNK_HDR 8
#define VDA_MSG_HDR 20
#define VDA_PORTS 2 /* VDP_CLIENT_PORT = 1, VDP_SERVER_PORT = 2 */

/* data is NULL when the message was larger than the limit (then size is
 * what it declared). */
typedef void (*vda_msg_fn)(void *opaque, uint32_t port, uint32_t type, const uint8_t *data,
    uint32_t size);

struct vda_port {
	uint8_t hdr[VDA_MSG_HDR];
	size_t hdr_have;
	uint32_t type, size, have;
	bool skip;
	uint8_t *data;
};

struct vda_reasm {
	uint32_t max_msg;
	uint8_t chdr[VDA_CHUNK_HDR];
	size_t chdr_have;
	uint32_t chunk_port, chunk_left;
	struct vda_port port[VDA_PORTS];
};

void vda_init(struct vda_reasm *r, uint32_t max_msg);
void vda_free(struct vda_reasm *r);
/* Consumes all of untrusted_buf. -1: broken stream (bad port, chunk too
 * large, wrong protocol or out of memory); the reassembler is then reset. */
int vda_feed(struct vda_reasm *r, const uint8_t *untrusted_buf, size_t untrusted_len,
    vda_msg_fn fn, void *opaque);

/* Frames one message as chunks into out (room for vda_framed_len(len)).
 * Returns the bytes written. */
size_t vda_framed_len(uint32_t len);
size_t vda_frame(uint8_t *out, uint32_t port, uint32_t type, const uint8_t *data, uint32_t len);

#endif
