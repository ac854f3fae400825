#include "procstat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Field n (>= 3) of PID/stat under procfd (AT_FDCWD: /proc) as a number;
 * 0 if it is gone. */
static unsigned long long
stat_field(int procfd, pid_t pid, int n)
{
	char path[64], buf[2048], *p;
	unsigned long long v = 0;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "%s%d/stat", procfd == AT_FDCWD ? "/proc/" : "", (int)pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	/* The command name may hold spaces and parens: skip to the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	/* ')' ends field 2; each space found starts the next field */
	for (int field = 2; field < n && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

unsigned long long
proc_starttime(pid_t pid)
{
	return stat_field(AT_FDCWD, pid, 22);
}

pid_t
proc_ppid(pid_t pid)
{
	return (pid_t)stat_field(AT_FDCWD, pid, 4);
}

pid_t
proc_ppid_at(int procfd, pid_t pid)
{
	return (pid_t)stat_field(procfd, pid, 4);
}
