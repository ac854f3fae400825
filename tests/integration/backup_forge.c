/* A hostile writer for backup.t: encrypts an archive crafted by the test
 * (stdin, the plaintext of the stream) with the right passphrase, so that
 * what the restorer's parser does with bad entries is what is tested.
 * Usage: backup-forge PASSFILE <archive >backup */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "backup_stream.h"
#include "fdio.h"

static int
write_out(void *arg, const void *buf, size_t len)
{
	return fd_write_all(*(int *)arg, buf, len);
}

int
main(int argc, char **argv)
{
	char pass[1024], err[512];
	uint8_t key[BK_KEY_LEN], buf[65536];
	struct bk_header h;
	struct bk_out *o;
	FILE *f;
	ssize_t n;
	int out = 1;

	if (argc != 2 || (f = fopen(argv[1], "r")) == NULL || fgets(pass, sizeof(pass), f) == NULL) {
		fprintf(stderr, "usage: backup-forge PASSFILE <archive >backup\n");
		return 2;
	}
	fclose(f);
	pass[strcspn(pass, "\n")] = '\0';
	if (bk_header_new(&h, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN, pass,
	    strlen(pass), key, err, sizeof(err)) < 0 ||
	    (o = bk_out_new(write_out, &out, &h, key, 3, err, sizeof(err))) == NULL) {
		fprintf(stderr, "backup-forge: %s\n", err);
		return 1;
	}
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (bk_out_write(o, buf, (size_t)n, err, sizeof(err)) < 0)
			goto bad;
	if (n < 0 || bk_out_finish(o, err, sizeof(err)) < 0)
		goto bad;
	bk_out_free(o);
	return 0;
bad:
	fprintf(stderr, "backup-forge: %s\n", err);
	return 1;
}
