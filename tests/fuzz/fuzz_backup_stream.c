/* libFuzzer harness for a backup's outer framing: the header, the chunk
 * lengths, authentication, decompression. Inputs whose header asks for the
 * cheapest Argon2id (what the seeds have) are read with the passphrase
 * "fuzz"; nothing may crash, and a stream that is read to its end must
 * have ended with its authenticated final chunk. */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "backup_stream.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *p;
	size_t len, pos;
};

static ssize_t
mem_read(void *arg, void *buf, size_t len)
{
	struct mem *m = arg;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;

	if (n > 4093) /* short reads */
		n = 4093;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 16];
	struct bk_header h;
	struct mem m = { data, size, BK_HEADER_LEN };
	uint8_t key[BK_KEY_LEN];
	struct bk_in *in;
	char err[512];
	ssize_t n;

	if (size < BK_HEADER_LEN || bk_header_parse(&h, data, err, sizeof(err)) < 0)
		return 0;
	if (h.ops != crypto_pwhash_OPSLIMIT_MIN || h.mem != crypto_pwhash_MEMLIMIT_MIN)
		return 0; /* the KDF's cost is not what is fuzzed */
	CHECK(bk_key_derive(&h, "fuzz", 4, key, err, sizeof(err)) == 0, "%s", err);
	in = bk_in_new(mem_read, &m, &h, key);
	CHECK(in != NULL, "bk_in_new");
	while ((n = bk_in_read(in, out, sizeof(out), err, sizeof(err))) > 0)
		;
	if (n == 0)
		CHECK(m.pos == m.len, "accepted with %zu bytes unread", m.len - m.pos);
	bk_in_free(in);
	return 0;
}
