/* Both ends of a real channel between two Xen domains, through lib/chan.c:
 *   chan_peer server PEER_DOMID XS_PATH BYTES   (dom0)
 *   chan_peer client SERVER_DOMID XS_PATH [BYTES]   (the guest; both default 1 MiB)
 * The client sends BYTES of a fixed pseudo-random stream, the server checks
 * them and answers with another stream the client checks; each side prints
 * an FNV-1a checksum of what it received and the client's verdict travels
 * back, so the server's exit status says whether both directions worked.
 * For the benchmark, a raw stream with no per-byte work:
 *   chan_peer drain PEER_DOMID XS_PATH BYTES    (dom0: serves, reads BYTES)
 *   chan_peer blast SERVER_DOMID XS_PATH BYTES  (the guest: writes zeros)
 * An attack on dom0's relay (domd/backend/xen/xen_relay.h), from the guest:
 *   chan_peer badframe SERVER_DOMID XS_PATH
 * sends a frame header naming no connection and waits (20 s at most) for
 * dom0 to end the session, which it must. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"

#define MAX_BYTES (64u << 20)
#define BLOCK 4096

struct stream {
	uint32_t x;
	uint64_t fnv;
};

static void
stream_init(struct stream *s, uint32_t seed)
{
	s->x = seed;
	s->fnv = 0xcbf29ce484222325ull;
}

static uint8_t
stream_next(struct stream *s)
{
	s->x ^= s->x << 13;
	s->x ^= s->x >> 17;
	s->x ^= s->x << 5;
	return (uint8_t)s->x;
}

static void
fnv_add(struct stream *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s->fnv = (s->fnv ^ p[i]) * 0x100000001b3ull;
}

static int
write_all(struct chan *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = chan_write(c, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_all(struct chan *c, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = chan_read(c, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
send_stream(struct chan *c, uint32_t seed, uint64_t bytes)
{
	uint8_t buf[BLOCK];
	struct stream s;

	stream_init(&s, seed);
	while (bytes > 0) {
		size_t n = bytes < BLOCK ? (size_t)bytes : BLOCK;
		for (size_t i = 0; i < n; i++)
			buf[i] = stream_next(&s);
		if (write_all(c, buf, n) < 0)
			return -1;
		bytes -= n;
	}
	return 0;
}

/* 0 when the received bytes are the stream; the checksum either way. */
static int
check_stream(struct chan *c, uint32_t seed, uint64_t bytes, uint64_t *fnv)
{
	uint8_t buf[BLOCK];
	struct stream want, got;
	int bad = 0;

	stream_init(&want, seed);
	stream_init(&got, 0);
	while (bytes > 0) {
		size_t n = bytes < BLOCK ? (size_t)bytes : BLOCK;
		if (read_all(c, buf, n) < 0)
			return -1;
		fnv_add(&got, buf, n);
		for (size_t i = 0; i < n; i++)
			bad |= buf[i] != stream_next(&want);
		bytes -= n;
	}
	*fnv = got.fnv;
	return bad ? -1 : 0;
}

static void
put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int
server(int peer, const char *path, uint64_t bytes)
{
	char err[256];
	uint8_t hdr[8], verdict;
	uint64_t untrusted_len, fnv;
	struct chan *c = chan_listen(CHAN_VCHAN, peer, path, err, sizeof(err));

	if (c == NULL) {
		fprintf(stderr, "chan_peer: server: %s\n", err);
		return 1;
	}
	if (read_all(c, hdr, sizeof(hdr)) < 0) {
		fprintf(stderr, "chan_peer: server: no header from domain %d\n", peer);
		goto fail;
	}
	untrusted_len = get_le64(hdr);
	if (untrusted_len != bytes) {
		fprintf(stderr, "chan_peer: server: peer announced %" PRIu64 " bytes, want %"
		    PRIu64 "\n", untrusted_len, bytes);
		goto fail;
	}
	if (check_stream(c, 1, bytes, &fnv) < 0) {
		fprintf(stderr, "chan_peer: server: data from domain %d is wrong or short\n", peer);
		goto fail;
	}
	printf("chan_peer: server: received %" PRIu64 " bytes, fnv1a %016" PRIx64 "\n", bytes, fnv);
	if (send_stream(c, 2, bytes) < 0 || read_all(c, &verdict, 1) < 0) {
		fprintf(stderr, "chan_peer: server: sending back failed\n");
		goto fail;
	}
	if (verdict != 'K') {
		fprintf(stderr, "chan_peer: server: the client says the data it got was wrong\n");
		goto fail;
	}
	printf("chan_peer: server: ok, %" PRIu64 " bytes each way\n", bytes);
	chan_close(c);
	return 0;
fail:
	chan_close(c);
	return 1;
}

static int
client(int srv, const char *path, uint64_t bytes)
{
	char err[256];
	uint8_t hdr[8];
	uint64_t fnv;
	struct chan *c = chan_connect(CHAN_VCHAN, srv, path, err, sizeof(err));
	int ok;

	if (c == NULL) {
		printf("chan_peer: client: %s\n", err);
		return 1;
	}
	/* The client announces the size; the server checks it against its own. */
	put_le64(hdr, bytes);
	if (write_all(c, hdr, sizeof(hdr)) < 0 || send_stream(c, 1, bytes) < 0) {
		printf("chan_peer: client: sending failed\n");
		chan_close(c);
		return 1;
	}
	ok = check_stream(c, 2, bytes, &fnv) == 0;
	if (write_all(c, ok ? "K" : "F", 1) < 0)
		ok = 0;
	printf("chan_peer: client: %s, received %" PRIu64 " bytes, fnv1a %016" PRIx64 "\n",
	    ok ? "ok" : "FAILED", bytes, fnv);
	chan_close(c);
	return ok ? 0 : 1;
}

static int
raw_stream(int dom, const char *path, uint64_t bytes, int sending)
{
	static uint8_t buf[65536];
	char err[256];
	/* The ring of a call's data (domd/backend/xen/xen_relay.c): the same size. */
	struct chan *c = sending ? chan_connect(CHAN_VCHAN, dom, path, err, sizeof(err)) :
	    chan_listen_sized(CHAN_VCHAN, dom, path, 256 * 1024, err, sizeof(err));

	if (c == NULL) {
		fprintf(stderr, "chan_peer: %s\n", err);
		return 1;
	}
	while (bytes > 0) {
		size_t n = bytes < sizeof(buf) ? (size_t)bytes : sizeof(buf);
		ssize_t r = sending ? chan_write(c, buf, n) : chan_read(c, buf, n);
		if (r <= 0)
			break;
		bytes -= (uint64_t)r;
	}
	chan_close(c);
	return bytes == 0 ? 0 : 1;
}

static int
bad_frame(int srv, const char *path)
{
	/* conn 0x7fffffff, len 1, ring 0, pad 0: little-endian, then the byte. */
	static const uint8_t frame[17] = { 0xff, 0xff, 0xff, 0x7f, 1 };
	char err[256], byte;
	struct chan *c = chan_connect(CHAN_VCHAN, srv, path, err, sizeof(err));

	if (c == NULL) {
		printf("chan_peer: badframe: %s\n", err);
		return 1;
	}
	alarm(20);
	if (write_all(c, frame, sizeof(frame)) < 0) {
		printf("chan_peer: badframe: sending failed\n");
		return 1;
	}
	while (chan_read(c, &byte, 1) > 0)
		;
	printf("chan_peer: badframe: dom0 ended the session\n");
	chan_close(c);
	return 0;
}

int
main(int argc, char **argv)
{
	char *end;
	long dom;
	unsigned long long bytes = 1u << 20;

	if (argc < 4) {
		fprintf(stderr, "usage: chan_peer server PEER_DOMID XS_PATH [BYTES] | "
		    "client SERVER_DOMID XS_PATH [BYTES] | badframe SERVER_DOMID XS_PATH\n");
		return 2;
	}
	dom = strtol(argv[2], &end, 10);
	if (*end != '\0' || dom < 0 || dom > 0x7fef) {
		fprintf(stderr, "chan_peer: bad domain id '%s'\n", argv[2]);
		return 2;
	}
	if (argc > 4) {
		bytes = strtoull(argv[4], &end, 10);
		if (*end != '\0' || bytes == 0 || bytes > MAX_BYTES) {
			fprintf(stderr, "chan_peer: bad byte count '%s'\n", argv[4]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "server") == 0)
		return server((int)dom, argv[3], bytes);
	if (strcmp(argv[1], "client") == 0)
		return client((int)dom, argv[3], bytes);
	if (strcmp(argv[1], "badframe") == 0)
		return bad_frame((int)dom, argv[3]);
	if (strcmp(argv[1], "drain") == 0 || strcmp(argv[1], "blast") == 0)
		return raw_stream((int)dom, argv[3], bytes, argv[1][0] == 'b');
	fprintf(stderr, "chan_peer: unknown role '%s'\n", argv[1]);
	return 2;
}
