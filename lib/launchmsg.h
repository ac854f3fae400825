/* Messages on a qube's launch pipe: "P<pid>\n" from the monitor,
 * "E<reason>\n" from the launcher before it execs the qube's init, and "R"
 * from the Xen monitor when the domain runs. The pipe closes when the
 * qube's init runs (on ns the agent says "R" on a pipe of its own, read by
 * the qube's guard), but its bytes are still parsed strictly, here only. */
#ifndef BULKHEAD_LAUNCHMSG_H
#define BULKHEAD_LAUNCHMSG_H

#include <stddef.h>
#include <sys/types.h>

#define LAUNCHMSG_MAX 255 /* longest message, '\n' included */

enum launchmsg_kind { LM_NONE, LM_PID, LM_READY, LM_ERROR, LM_BAD };

struct launchmsg {
	enum launchmsg_kind kind;
	pid_t pid;         /* LM_PID: > 0 */
	char text[LAUNCHMSG_MAX + 1]; /* LM_ERROR: printable ASCII only */
};

/* Parses the first message of untrusted_buf. Returns the bytes it used (0 and
 * LM_NONE when the message is not complete yet); LM_BAD for anything
 * malformed or longer than LAUNCHMSG_MAX. */
size_t launchmsg_parse(const char *untrusted_buf, size_t untrusted_len, struct launchmsg *out);

#endif
