/*
 * The stream to the gateway: a call of `bulkhead-rpc sys-gui bulkhead.Gui`
 * (or the command given) with the stream on its stdin and stdout.  When the
 * call ends — the gateway restarted, sys-gui stopped, the policy denied it —
 * the agent calls again after a back-off and sends every window anew.
 */
#include "gui_agent.h"
#include "log.h"
#include "xalloc.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RETRY_MIN_MS 500
#define RETRY_MAX_MS 30000
#define STABLE_MS 10000                  /* a call this long resets the back-off */
#define CONGESTED_BYTES (16u << 20)      /* queued bytes at which damage waits */

static const char *link_cmd;
static const char *link_socket; /* instead of link_cmd: a gateway's socket */
static size_t clip_max;
static int fd = -1;
static pid_t child;
static long long up_since, retry_at;
static int retry_ms = RETRY_MIN_MS;
static uint8_t *in;
static size_t in_len, in_cap;
static uint8_t *out;
static size_t out_off, out_len, out_cap; /* unsent: out[out_off..out_len) */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
link_init(const char *cmd, const char *socket_path, size_t clip)
{
	link_cmd = cmd;
	link_socket = socket_path;
	clip_max = clip;
	in_cap = sizeof(struct gui_hdr) + GUI_CLIP_MAX;
	in = xmalloc(in_cap);
}

bool link_up(void) { return fd >= 0; }
int link_fd(void) { return fd; }
bool link_wants_write(void) { return out_len > out_off; }
bool link_congested(void) { return out_len - out_off >= CONGESTED_BYTES; }
size_t link_clip_max(void) { return clip_max; }

int
link_retry_ms(void)
{
	long long left;

	if (fd >= 0)
		return -1;
	left = retry_at - now_ms();
	return left < 0 ? 0 : (int)left;
}

/* The stream: a connection to the socket, or the command's stdin and
 * stdout; -1 (said why) if it could not start. */
static int
open_stream(void)
{
	int sv[2];
	pid_t pid;

	if (link_socket != NULL) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", link_socket);
		if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			log_warn("%s", link_socket);
			if (s >= 0)
				close(s);
			return -1;
		}
		child = 0;
		return s;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("socketpair");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(sv[1], 0);
		dup2(sv[1], 1);
		execl("/bin/sh", "sh", "-c", link_cmd, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	child = pid;
	return sv[0];
}

int
link_connect(void)
{
	struct gui_hello hello = { htole32(GUI_VERSION), 0 };

	fd = open_stream();
	if (fd < 0) {
		retry_at = now_ms() + retry_ms;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	up_since = now_ms();
	in_len = out_off = out_len = 0;
	log_info("calling the gateway: %s", link_socket ? link_socket : link_cmd);
	link_send(GUI_HELLO, 0, &hello, sizeof(hello));
	windows_resend();
	clip_reoffer();
	return 0;
}

void
link_down(const char *why)
{
	if (fd < 0)
		return;
	log_warnx("the gateway stream ended: %s", why);
	close(fd);
	fd = -1;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = 0;
	}
	in_len = out_off = out_len = 0;
	retry_ms = now_ms() - up_since >= STABLE_MS ? RETRY_MIN_MS :
	    retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : retry_ms * 2;
	retry_at = now_ms() + retry_ms;
	log_info("calling again in %d ms", retry_ms);
}

uint8_t *
link_reserve(uint32_t type, uint32_t window, uint32_t body_len)
{
	struct gui_hdr h = { htole32(type), htole32(window), htole32(body_len) };
	size_t need = sizeof(h) + body_len;
	uint8_t *p;

	if (out_off > 0) {
		memmove(out, out + out_off, out_len - out_off);
		out_len -= out_off;
		out_off = 0;
	}
	if (out_len + need > out_cap) {
		out_cap = out_len + need > out_cap * 2 ? out_len + need : out_cap * 2;
		out = xrealloc(out, out_cap);
	}
	p = out + out_len;
	memcpy(p, &h, sizeof(h));
	out_len += need;
	return p + sizeof(h);
}

void
link_send(uint32_t type, uint32_t window, const void *body, uint32_t len)
{
	uint8_t *p;

	if (fd < 0)
		return;
	p = link_reserve(type, window, len);
	if (len)
		memcpy(p, body, len);
}

static void
dispatch(const struct gui_gw_event *ev)
{
	switch (ev->type) {
	case GUI_HELLO:
		log_info("the gateway answered (protocol %u)", ev->u.hello.version);
		break;
	case GUI_CLIP_REQUEST:
		clip_request();
		break;
	case GUI_CLIP_DATA:
		clip_data(ev->data, ev->data_len);
		break;
	default:
		input_handle(ev);
		break;
	}
}

static void
link_read(void)
{
	ssize_t n = read(fd, in + in_len, in_cap - in_len);
	size_t off = 0;

	if (n == 0) {
		link_down("end of stream");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			link_down(strerror(errno));
		return;
	}
	in_len += (size_t)n;
	for (;;) {
		struct gui_gw_event ev;
		size_t used = 0;
		int r = gui_gw_parse(in + off, in_len - off, GUI_CLIP_MAX, &ev, &used);

		if (r == 0)
			break;
		if (r < 0) {
			link_down("malformed message from the gateway");
			return;
		}
		dispatch(&ev);
		if (fd < 0)
			return;
		off += used;
	}
	memmove(in, in + off, in_len - off);
	in_len -= off;
}

static void
link_write(void)
{
	ssize_t n = send(fd, out + out_off, out_len - out_off, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			link_down(strerror(errno));
		return;
	}
	out_off += (size_t)n;
	if (out_off == out_len)
		out_off = out_len = 0;
}

void
link_io(short revents)
{
	if (fd >= 0 && (revents & POLLIN))
		link_read();
	else if (fd >= 0 && (revents & (POLLHUP | POLLERR)) && !(revents & POLLOUT))
		link_down("hung up");
	if (fd >= 0 && link_wants_write())
		link_write();
}
