/* usb-direct: the bench's baseline. The same bulk loopback and control round
 * trips as `usbip-peer bench`, but straight through libusb on the fake
 * device, with the same chunk size and window:
 *
 *   usb-fakedev -- usb-direct MIB
 *
 * Prints throughput_mib_s=X and rtt_median_us=Y. */
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libusb.h>

#include "usbtest.h"

#define CHUNK LOOP_CHUNK
#define WINDOW LOOP_WINDOW

static size_t total, sent, asked, got;
static int nouts, nins, failed;
static uint64_t hs = FNV_INIT, hr = FNV_INIT, x = PATTERN_INIT;

static void
done_cb(struct libusb_transfer *t)
{
	if (t->status != LIBUSB_TRANSFER_COMPLETED)
		failed = 1;
	if (t->endpoint & 0x80) {
		hr = fnv(hr, t->buffer, (size_t)t->actual_length);
		got += (size_t)t->actual_length;
		asked -= (size_t)(t->length - t->actual_length);
		nins--;
	} else
		nouts--;
	free(t->buffer);
	libusb_free_transfer(t);
}

static void
start(libusb_device_handle *h, unsigned char ep, size_t n)
{
	struct libusb_transfer *t = libusb_alloc_transfer(0);
	uint8_t *buf = malloc(n);

	if (!(ep & 0x80)) {
		pattern(buf, n, &x);
		hs = fnv(hs, buf, n);
	}
	libusb_fill_bulk_transfer(t, h, ep, buf, (int)n, done_cb, NULL, 0);
	if (libusb_submit_transfer(t) != 0)
		failed = 1;
}

/* The exporter's event loop (poll, then libusb without blocking), so both
 * sides meet the fake device's always-ready descriptor the same way. */
static void
pump(libusb_context *ctx)
{
	const struct libusb_pollfd **u = libusb_get_pollfds(ctx);
	struct pollfd pfd[16];
	struct timeval zero = { 0, 0 };
	int n = 0;

	for (int i = 0; u != NULL && u[i] != NULL && n < 16; i++)
		pfd[n++] = (struct pollfd){ u[i]->fd, u[i]->events, 0 };
	libusb_free_pollfds(u);
	poll(pfd, (nfds_t)n, 200);
	libusb_handle_events_timeout_completed(ctx, &zero, NULL);
}

static int
cmp(const void *a, const void *b)
{
	int64_t p = *(const int64_t *)a, q = *(const int64_t *)b;

	return p < q ? -1 : p > q;
}

int
main(int argc, char **argv)
{
	libusb_context *ctx;
	libusb_device_handle *h;
	int64_t t0, rtt[1000];
	double secs;

	total = (argc > 1 ? strtoul(argv[1], NULL, 10) : 64) << 20;
	if (libusb_init(&ctx) != 0 ||
	    (h = libusb_open_device_with_vid_pid(ctx, 0x1209, 0xb0b0)) == NULL ||
	    (libusb_kernel_driver_active(h, 0) == 1 && libusb_detach_kernel_driver(h, 0) != 0) ||
	    libusb_claim_interface(h, 0) != 0) {
		fprintf(stderr, "usb-direct: cannot open the test device\n");
		return 1;
	}
	t0 = now_us();
	while (got < total && !failed) {
		while (nouts < WINDOW && sent < total) {
			size_t n = total - sent < CHUNK ? total - sent : CHUNK;
			start(h, 0x01, n);
			sent += n;
			nouts++;
		}
		while (nins < WINDOW && asked < total) {
			size_t n = total - asked < CHUNK ? total - asked : CHUNK;
			start(h, 0x81, n);
			asked += n;
			nins++;
		}
		pump(ctx);
	}
	secs = (double)(now_us() - t0) / 1e6;
	if (failed || hs != hr) {
		fprintf(stderr, "usb-direct: loopback failed or checksum differs\n");
		return 1;
	}
	for (int i = 0; i < 1000; i++) {
		uint8_t st[2];
		int64_t s = now_us();

		if (libusb_control_transfer(h, 0x80, 0, 0, 0, st, 2, 1000) != 2)
			return 1;
		rtt[i] = now_us() - s;
	}
	qsort(rtt, 1000, sizeof(rtt[0]), cmp);
	printf("throughput_mib_s=%.1f\nrtt_median_us=%" PRId64 "\n", (double)(total >> 20) / secs,
	    rtt[500]);
	libusb_release_interface(h, 0);
	libusb_close(h);
	libusb_exit(ctx);
	return 0;
}
