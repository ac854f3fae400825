#include "vhci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"

const char *
vhci_dir(void)
{
	const char *d = getenv("BULKHEAD_VHCI_SYSFS");

	return d != NULL && d[0] != '\0' ? d : VHCI_SYSFS_DEFAULT;
}

/* Calls fn for each port line of `status`:
 * "hub port sta spd dev sockfd local_busid", e.g. "hs  0000 004 000 ...". */
static int
each_port(const char *dir, int (*fn)(const char *hub, int port, int sta, void *arg), void *arg)
{
	char path[512], line[256], hub[8];
	FILE *f;
	int port, sta, r = -1;

	snprintf(path, sizeof(path), "%s/status", dir);
	if ((f = fopen(path, "re")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	while (r < 0 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%7s %d %d", hub, &port, &sta) == 3)
			r = fn(hub, port, sta, arg);
	fclose(f);
	return r;
}

struct free_arg {
	int speed;
	const int *taken;
	size_t ntaken;
};

static int
free_cb(const char *hub, int port, int sta, void *arg)
{
	const struct free_arg *a = arg;
	const char *want = a->speed >= 5 ? "ss" : "hs";

	if (sta != VHCI_ST_NULL || strcmp(hub, want) != 0)
		return -1;
	for (size_t i = 0; i < a->ntaken; i++)
		if (a->taken[i] == port)
			return -1;
	return port;
}

int
vhci_free_port(const char *dir, int speed, const int *taken, size_t ntaken)
{
	struct free_arg a = { speed, taken, ntaken };

	return each_port(dir, free_cb, &a);
}

struct state_arg {
	int port, sta;
};

static int
state_cb(const char *hub, int port, int sta, void *arg)
{
	struct state_arg *a = arg;

	if (port != a->port)
		return -1;
	a->sta = sta;
	return 0;
}

int
vhci_port_state(const char *dir, int port)
{
	struct state_arg a = { port, -1 };

	each_port(dir, state_cb, &a);
	return a.sta;
}

static int
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
		log_warn("%s", path);
		return -1;
	}
	if ((r = fd_write_all(fd, text, strlen(text))) != 0)
		log_warn("writing %s", path);
	close(fd);
	return r;
}

int
vhci_attach(const char *dir, int port, int sockfd, uint32_t devid, int speed)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%d %d %u %d\n", port, sockfd, devid, speed);
	return write_file(dir, "attach", buf);
}

int
vhci_detach(const char *dir, int port)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d\n", port);
	return write_file(dir, "detach", buf);
}
