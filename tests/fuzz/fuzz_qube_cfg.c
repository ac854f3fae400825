/* libFuzzer harness for qube_parse_cfg: a qube file is operator or site input
 * and becomes trusted state. Besides the sanitisers, it checks that whatever
 * the parser accepts is a valid qube whose file form parses back to the very
 * same struct, and that whatever it refuses gets a one-line error naming the
 * file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qube.h"
#include "fuzz_check.h"

#define FILENAME "fuzz.cfg"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Says which invariant broke, then crashes so that libFuzzer keeps the input. */
static void
check_error(const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	CHECK(n > 0 && n < errlen, "error message empty or unterminated");
	CHECK(strncmp(err, FILENAME, strlen(FILENAME)) == 0, "error does not name the file: %s",
	    err);
	CHECK(strchr(err, '\n') == NULL, "error is not one line: %s", err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qube q, back;
	char err[256], *text;

	memset(err, 'E', sizeof(err));
	if (qube_parse_cfg(&q, (const char *)data, size, FILENAME, err, sizeof(err)) != 0) {
		check_error(err, sizeof(err));
		return 0;
	}

	CHECK(qube_name_valid(q.name), "name '%s'", q.name);
	CHECK(q.template_name[0] == '\0' || qube_name_valid(q.template_name), "template '%s'",
	    q.template_name);
	CHECK(q.netvm[0] == '\0' || qube_name_valid(q.netvm), "netvm '%s'", q.netvm);
	CHECK((unsigned)q.cls < QUBE_CLASS_COUNT && (unsigned)q.label < LABEL_COUNT,
	    "class %d, label %d", (int)q.cls, (int)q.label);
	CHECK(q.memory >= QUBE_MEMORY_MIN && q.memory <= QUBE_MEMORY_MAX, "memory %ld", q.memory);
	CHECK(q.vcpus >= QUBE_VCPUS_MIN && q.vcpus <= QUBE_VCPUS_MAX, "vcpus %ld", q.vcpus);
	CHECK(qube_check(&q, err, sizeof(err)) == 0, "%s", err);

	/* The file form of an accepted qube parses back to the same struct
	 * (both start from qube_init, so even the padding compares equal). */
	text = qube_format_cfg(&q);
	CHECK(qube_parse_cfg(&back, text, strlen(text), FILENAME, err, sizeof(err)) == 0,
	    "file form does not parse back: %s\n%s", err, text);
	CHECK(memcmp(&q, &back, sizeof(q)) == 0, "file form parses back to another qube:\n%s",
	    text);
	free(text);
	return 0;
}
