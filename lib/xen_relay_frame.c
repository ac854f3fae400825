#include "xen_relay_proto.h"

#include <endian.h>
#include <string.h>
#include <sys/types.h>

#include "chan.h"

int
xen_relay_send(struct chan *c, unsigned conn, const void *data, size_t len, unsigned ring)
{
	struct xen_relay_frame f = { htole32(conn), htole32((uint32_t)len), htole32(ring), 0 };

	if (chan_write(c, &f, sizeof(f)) != (ssize_t)sizeof(f))
		return -1;
	return len == 0 || chan_write(c, data, len) == (ssize_t)len ? 0 : -1;
}

int
xen_relay_parse(const void *untrusted_buf, size_t len, struct xen_relay_frame *f)
{
	if (len < sizeof(*f))
		return 0;
	memcpy(f, untrusted_buf, sizeof(*f));
	f->conn = le32toh(f->conn);
	f->len = le32toh(f->len);
	f->ring = le32toh(f->ring);
	if (f->conn >= XEN_RELAY_CONNS || f->len > XEN_RELAY_FRAME_MAX)
		return -1;
	return len - sizeof(*f) >= f->len ? 1 : 0;
}
