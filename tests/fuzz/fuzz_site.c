/* libFuzzer harness for site_parse_qube (lib/site.c): a site's qube file is
 * read on past its errors, blanking each bad assignment and parsing again,
 * with lines found by a statement scanner of its own. fuzz_qube_cfg covers
 * qube_parse_cfg; this covers the scanner, the blanking and the error
 * bookkeeping. Besides the sanitisers, it checks that
 *   - the verdict agrees with qube_parse_cfg on the same bytes (valid for
 *     one exactly when valid for the other);
 *   - every error is one line that names the file, at most
 *     SITE_FILE_ERRORS_MAX of them, and qube_parse_cfg's own first error is
 *     among them (with a line added where it had none);
 *   - property lines are within the file, and a file that is "valid apart
 *     from its bad properties" (1) yields a qube that passes qube_check. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"
#include "fuzz_check.h"

#define FILENAME "site/qubes.d/fuzz.cfg"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The part of an error after "FILE: " or "FILE:N: ". */
static const char *
message(const char *err)
{
	const char *p = err + strlen(FILENAME);

	if (*p == ':')
		p++;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == ':')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

static size_t
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qube q, plain;
	struct site_msgs errs = { NULL, 0 };
	int lines[SITE_PROPS_MAX], ret, plain_ret, nlines = 1;
	unsigned long bad;
	char err[1024];
	bool found = false;

	for (size_t i = 0; i < size; i++)
		nlines += data[i] == '\n';
	ret = site_parse_qube(&q, lines, &bad, (const char *)data, size, FILENAME, &errs);
	plain_ret = qube_parse_cfg(&plain, (const char *)data, size, FILENAME, err, sizeof(err));

	for (char *c = err; *c != '\0'; c++) /* site_msg_add keeps errors on one line */
		if (*c == '\r' || *c == '\n')
			*c = ' ';
	CHECK(ret >= -1 && ret <= 1, "ret %d", ret);
	CHECK((ret == 0) == (plain_ret == 0), "site_parse_qube %d, qube_parse_cfg %d (%s)", ret,
	    plain_ret, plain_ret ? err : "");
	CHECK((ret == 0) == (errs.n == 0), "ret %d with %zu errors", ret, errs.n);
	CHECK(errs.n <= SITE_FILE_ERRORS_MAX, "%zu errors", errs.n);
	for (size_t i = 0; i < errs.n; i++) {
		CHECK(strncmp(errs.v[i], FILENAME ":", strlen(FILENAME) + 1) == 0,
		    "error does not name the file: %s", errs.v[i]);
		CHECK(strchr(errs.v[i], '\n') == NULL, "error is not one line: %s", errs.v[i]);
		if (plain_ret != 0 && ends_with(errs.v[i], message(err)))
			found = true;
	}
	if (plain_ret != 0)
		CHECK(found, "qube_parse_cfg's error is not listed: %s", err);
	for (size_t i = 0; i < qube_nprops; i++)
		CHECK(lines[i] >= 0 && lines[i] <= nlines, "line %d of %s (file has %d)", lines[i],
		    qube_props[i].name, nlines);
	if (ret == 0)
		CHECK(memcmp(&q, &plain, sizeof(q)) == 0, "another qube than qube_parse_cfg's");
	if (ret == 1)
		CHECK(qube_check(&q, err, sizeof(err)) == 0, "rest of the file: %s", err);
	CHECK(ret != 0 || bad == 0, "valid, yet bad properties %lx", bad);
	site_msgs_free(&errs);
	return 0;
}
