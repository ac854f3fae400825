#include "launchmsg.h"

#include <string.h>

size_t
launchmsg_parse(const char *untrusted_buf, size_t untrusted_len, struct launchmsg *out)
{
	const char *nl;
	size_t n, i;
	long pid = 0;

	memset(out, 0, sizeof(*out));
	if (untrusted_len == 0)
		return 0;
	if (untrusted_buf[0] == 'R') {
		out->kind = LM_READY;
		return 1;
	}
	if (untrusted_buf[0] != 'P' && untrusted_buf[0] != 'E') {
		out->kind = LM_BAD;
		return 1;
	}
	n = untrusted_len < LAUNCHMSG_MAX ? untrusted_len : LAUNCHMSG_MAX;
	nl = memchr(untrusted_buf, '\n', n);
	if (nl == NULL) {
		if (untrusted_len >= LAUNCHMSG_MAX)
			out->kind = LM_BAD;
		return out->kind == LM_BAD ? untrusted_len : 0;
	}
	n = (size_t)(nl - untrusted_buf); /* without the '\n' */
	if (untrusted_buf[0] == 'P') {
		if (n < 2 || n > 8) {
			out->kind = LM_BAD;
			return n + 1;
		}
		for (i = 1; i < n; i++) {
			if (untrusted_buf[i] < '0' || untrusted_buf[i] > '9') {
				out->kind = LM_BAD;
				return n + 1;
			}
			pid = pid * 10 + (untrusted_buf[i] - '0');
		}
		if (pid <= 0) {
			out->kind = LM_BAD;
			return n + 1;
		}
		out->kind = LM_PID;
		out->pid = (pid_t)pid;
		return n + 1;
	}
	/* Error text: keep printable ASCII, replace the rest. */
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)untrusted_buf[i];
		out->text[i - 1] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out->text[n - 1] = '\0';
	out->kind = LM_ERROR;
	return n + 1;
}
