/*
 * bulkhead-updates-proxy: the service bulkhead.UpdatesProxy in a netvm.
 * A template's package manager reaches the network only through it, one
 * call per connection (the template's agent forwards each one). It checks
 * the request head (lib/proxy_request.h) before a byte reaches the proxy,
 * starts the proxy (tinyproxy, listening on the netvm's loopback only) when
 * it is not running, and relays: the tunnel both ways for a CONNECT, the
 * answer only for a GET or HEAD (what the client sends after that one
 * request is dropped, so nothing unchecked reaches the proxy).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "proxy_request.h"

#define PROXY_PORT 8082
#define PROXY_PROG "/usr/lib/bulkhead/tinyproxy"
#define PROXY_CONF "/etc/bulkhead/tinyproxy.conf"
#define HEAD_TIMEOUT_MS 30000

static int
usage(FILE *f, int code)
{
	fprintf(f, "usage: bulkhead-updates-proxy\n"
	    "The bulkhead.UpdatesProxy service of a netvm: reads one HTTP proxy request\n"
	    "on stdin (GET or HEAD of an http:// URL, or CONNECT to port 443), passes it\n"
	    "to " PROXY_PROG " on 127.0.0.1:%d (started if needed) and relays the\n"
	    "answer to stdout. Anything else is answered 403.\n", PROXY_PORT);
	return code;
}

static void
refuse(const char *why)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n"
	    "Connection: close\r\n\r\nbulkhead.UpdatesProxy: %s\n", why);

	log_warnx("refused: %s", why);
	fd_write_all(1, msg, (size_t)n);
}

static int
connect_proxy(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PROXY_PORT) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The proxy daemonises; a second one started by a call at the same time
 * cannot bind and exits, and both calls then reach the first. */
static int
start_proxy(void)
{
	pid_t pid = fork();
	int status, fd;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		execl(PROXY_PROG, "tinyproxy", "-c", PROXY_CONF, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	for (int i = 0; i < 100; i++) {
		if ((fd = connect_proxy()) >= 0)
			return fd;
		usleep(50000);
	}
	log_warnx("%s did not come up on 127.0.0.1:%d", PROXY_PROG, PROXY_PORT);
	return -1;
}

/* Reads stdin until the head is complete; the checked head in buf. */
static enum proxy_verdict
read_head(char *buf, size_t *len, struct proxy_request *req, char *why, size_t whylen)
{
	enum proxy_verdict v = PROXY_MORE;
	struct pollfd p = { .fd = 0, .events = POLLIN };
	ssize_t n;

	*len = 0;
	while (v == PROXY_MORE) {
		if (poll(&p, 1, HEAD_TIMEOUT_MS) <= 0) {
			snprintf(why, whylen, "no complete request within %d s", HEAD_TIMEOUT_MS / 1000);
			return PROXY_BAD;
		}
		n = read(0, buf + *len, PROXY_HEAD_MAX - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, whylen, "the request ended before its head did");
			return PROXY_BAD;
		}
		*len += (size_t)n;
		v = proxy_request_check(buf, *len, req, why, whylen);
	}
	return v;
}

/* Copies from one descriptor to another; 0 at EOF, -1 on error. With to
 * -1 the bytes are read and dropped. */
static int
pump(int from, int to)
{
	char buf[65536];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0)
		return 0;
	return to < 0 || fd_write_all(to, buf, (size_t)n) == 0 ? 1 : -1;
}

static void
relay(int proxy, const struct proxy_request *req)
{
	struct pollfd p[2] = { { .fd = 0, .events = POLLIN }, { .fd = proxy, .events = POLLIN } };
	bool client_open = true;

	for (;;) {
		p[0].fd = client_open ? 0 : -1;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (p[1].revents != 0 && pump(proxy, 1) <= 0)
			return;
		if (p[0].revents != 0) {
			int r = pump(0, req->tunnel ? proxy : -1);
			if (r < 0)
				return;
			if (r == 0) {
				client_open = false;
				if (req->tunnel)
					shutdown(proxy, SHUT_WR);
			}
		}
	}
}

int
main(int argc, char **argv)
{
	static char head[PROXY_HEAD_MAX];
	struct proxy_request req;
	char why[256];
	size_t len;
	int proxy;

	if (argc > 1 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		printf("bulkhead-updates-proxy %s\n", BULKHEAD_VERSION);
		return 0;
	}
	if (argc > 1)
		return usage(strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? stderr : stdout,
		    strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? 2 : 0);
	log_init("bulkhead-updates-proxy", 0, 0);
	signal(SIGPIPE, SIG_IGN);
	if (read_head(head, &len, &req, why, sizeof(why)) != PROXY_OK) {
		refuse(why);
		return 1;
	}
	if ((proxy = connect_proxy()) < 0 && (proxy = start_proxy()) < 0) {
		fd_write_all(1, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n", 47);
		return 1;
	}
	/* The checked head only; a GET's further bytes are dropped (relay). */
	if (fd_write_all(proxy, head, req.head_len) < 0)
		return 1;
	if (req.tunnel && len > req.head_len &&
	    fd_write_all(proxy, head + req.head_len, len - req.head_len) < 0)
		return 1;
	relay(proxy, &req);
	return 0;
}
