/* What a qube's monitor process (ns or xen) tells domd: a launch failure
 * on the launch pipe, and its records under RUN/qubes. */
#include "monitor_rec.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "domd.h"

/* Tells domd why the launch failed, on the launch pipe, and exits. */
void
launch_fail(int fd, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	int n;

	msg[0] = 'E';
	va_start(ap, fmt);
	n = vsnprintf(msg + 1, sizeof(msg) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 3)
		n = (int)sizeof(msg) - 3;
	msg[n + 1] = '\n';
	if (write(fd, msg, (size_t)n + 2) < 0) {
		/* nobody to tell */
	}
	_exit(127);
}

/* Records live in the run directory, which a reboot empties (tmpfs): they
 * must only never be seen half written, so a rename suffices and no fsync
 * holds up a qube's start. */
void
write_record(const char *path, const char *text)
{
	char tmp[4200];
	size_t len = strlen(text);
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	if (write(fd, text, len) != (ssize_t)len || close(fd) < 0 || rename(tmp, path) < 0)
		unlink(tmp);
}

const char *
rt_path(const char *name, const char *ext)
{
	static char buf[4][4200];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s.%s", domd.paths.rt_dir, name, ext);
	return buf[i];
}

long long
record_value(const char *rec, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = rec; (p = strstr(p, pat)) != NULL; p++)
		if (p == rec || p[-1] == '\n')
			return strtoll(p + strlen(pat), NULL, 10);
	return -1;
}

int
pidfd_open_pid(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}
