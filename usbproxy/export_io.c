/* The exporter's side of the channel: replies are queued and written when
 * the channel takes them, so a slow reader never blocks the USB side. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "xalloc.h"

static void
outq_append(struct export *ex, const void *p, size_t len)
{
	if (len == 0)
		return;
	if (ex->outoff > 0 && ex->outoff == ex->outlen)
		ex->outoff = ex->outlen = 0;
	if (ex->outlen + len > ex->outcap) {
		if (ex->outoff > 0) {
			memmove(ex->outq, ex->outq + ex->outoff, ex->outlen - ex->outoff);
			ex->outlen -= ex->outoff;
			ex->outoff = 0;
		}
		if (ex->outlen + len > ex->outcap) {
			ex->outcap = (ex->outlen + len) * 2;
			ex->outq = xrealloc(ex->outq, ex->outcap);
		}
	}
	memcpy(ex->outq + ex->outlen, p, len);
	ex->outlen += len;
}

void
export_send(struct export *ex, const void *hdr, size_t hlen, const void *data, size_t dlen)
{
	outq_append(ex, hdr, hlen);
	outq_append(ex, data, dlen);
}

int
export_flush(struct export *ex)
{
	while (ex->outoff < ex->outlen) {
		ssize_t n = write(ex->out_fd, ex->outq + ex->outoff, ex->outlen - ex->outoff);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		ex->outoff += (size_t)n;
	}
	ex->outoff = ex->outlen = 0;
	return 0;
}
