/* `import [--vhci-by-domd BUSID] [-- COMMAND [ARG...]]`: the AppVM side.
 * Reads "<devid> <speed>\n" from the channel (standard input/output, or
 * COMMAND's, which is started on a socketpair: e.g. the RPC call to
 * sys-usb), hands one end of a socketpair to vhci-hcd on a free port (or,
 * with --vhci-by-domd, gets that end from domd, which plugs the host's
 * port: import_domd.c) and relays URB messages between the channel and that
 * socket. Each direction is parsed: the kernel's commands to learn what is
 * in flight, sys-usb's replies (hostile) against them. When the channel
 * ends the port is detached (by domd in its mode: when the import ends);
 * when the kernel lets go of the socket, the import ends. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "import_domd.h"
#include "log.h"
#include "usbproxy.h"
#include "vhci.h"
#include "xalloc.h"

#define ATTACH_WAIT_MS 5000

/* One direction of the relay: bytes read, then checked, then written. */
struct flow {
	const char *name;
	int in_fd, out_fd;
	uint8_t *buf;
	size_t len, checked, sent;
	bool eof;
};

struct import {
	struct flow down;  /* channel -> kernel: replies */
	struct flow up;    /* kernel -> channel: commands */
	uint32_t devid;
	struct usbip_eptab any; /* the kernel may use any endpoint */
	struct usbip_pendtab *pend;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	stop = 1;
}

/* Reads the first line byte by byte, so no URB bytes are taken with it. */
static int
read_hello(int fd, uint32_t *devid, int *speed)
{
	char untrusted_line[32], word[16];
	unsigned long long untrusted_devid;
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, &untrusted_line[n], 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_warnx("channel ended before the device line");
			return -1;
		}
		if (untrusted_line[n] == '\n')
			break;
		if (++n == sizeof(untrusted_line) - 1) {
			log_warnx("device line too long");
			return -1;
		}
	}
	untrusted_line[n] = '\0';
	if (sscanf(untrusted_line, "%10llu %15s", &untrusted_devid, word) != 2 ||
	    untrusted_devid > UINT32_MAX || (*speed = usbip_speed_from_mbps(word)) == 0) {
		log_warnx("malformed device line from the exporter");
		return -1;
	}
	*devid = (uint32_t)untrusted_devid;
	return 0;
}

/* Checks the unchecked bytes of a flow; -1 on a bad message (logged). */
static int
check(struct import *im, struct flow *f)
{
	size_t used;
	const char *why;
	int r;

	for (;;) {
		const uint8_t *p = f->buf + f->checked;
		size_t avail = f->len - f->checked;

		if (f == &im->up) {
			struct usbip_cmd c;
			struct usbip_pending pd;

			if ((r = usbip_cmd_parse(p, avail, im->devid, &im->any, &c, &used, &why)) != 1)
				break;
			pd = (struct usbip_pending){ c.seqnum, c.command, c.direction, c.length,
				c.unlink_seqnum };
			if (usbip_pend_add(im->pend, &pd) != 0) {
				log_warnx("kernel: seqnum %u reused or too many in flight", c.seqnum);
				return -1;
			}
		} else {
			struct usbip_ret rt;

			if ((r = usbip_ret_parse(p, avail, im->pend, &rt, &used, &why)) != 1)
				break;
			usbip_pend_answered(im->pend, &rt);
		}
		f->checked += used;
	}
	if (r < 0) {
		log_warnx("malformed message %s: %s", f->name, why);
		return -1;
	}
	return 0;
}

static int
relay(struct import *im)
{
	struct flow *flows[2] = { &im->up, &im->down };

	while (!stop) {
		struct pollfd pfd[4];
		struct flow *who[4];
		int n = 0;

		for (int i = 0; i < 2; i++) {
			struct flow *f = flows[i];

			if (f->sent < f->checked) {
				who[n] = f;
				pfd[n++] = (struct pollfd){ f->out_fd, POLLOUT, 0 };
			} else if (!f->eof) {
				/* All checked bytes are out: keep only the partial message. */
				memmove(f->buf, f->buf + f->checked, f->len - f->checked);
				f->len -= f->checked;
				f->checked = f->sent = 0;
				who[n] = f;
				pfd[n++] = (struct pollfd){ f->in_fd, POLLIN, 0 };
			} else
				return f == &im->down ? 1 : 0;
		}
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (int i = 0; i < n; i++) {
			struct flow *f = who[i];
			ssize_t r;

			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].events == POLLOUT) {
				r = write(f->out_fd, f->buf + f->sent, f->checked - f->sent);
				if (r < 0 && errno != EAGAIN && errno != EINTR) {
					log_warn("%s: write", f->name);
					return f == &im->down ? 0 : 1;
				}
				if (r > 0)
					f->sent += (size_t)r;
				continue;
			}
			r = read(f->in_fd, f->buf + f->len, USBIP_MSG_MAX - f->len);
			if (r < 0 && errno != EAGAIN && errno != EINTR) {
				log_warn("%s: read", f->name);
				f->eof = true;
			} else if (r == 0)
				f->eof = true;
			else if (r > 0) {
				f->len += (size_t)r;
				if (check(im, f) != 0)
					return -1;
			}
		}
	}
	return -1;
}

/* The kernel takes its own reference on the socket during the write to
 * `attach`; we keep ours until the port shows as used. */
static int
wait_attached(const char *dir, int port)
{
	for (int ms = 0; ms < ATTACH_WAIT_MS; ms += 10) {
		int st = vhci_port_state(dir, port);

		if (st >= 0 && st != VHCI_ST_NULL)
			return 0;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	log_warnx("port %d did not become used after attach", port);
	return -1;
}

/* COMMAND on a socketpair, as its standard input and output; our end. */
static int
spawn_channel(char **argv, pid_t *pid)
{
	int ch[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch) < 0) {
		log_warn("socketpair");
		return -1;
	}
	if ((*pid = fork()) < 0) {
		log_warn("fork");
		close(ch[0]);
		close(ch[1]);
		return -1;
	}
	if (*pid == 0) {
		if (dup2(ch[1], STDIN_FILENO) < 0 || dup2(ch[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "bulkhead-usbproxy: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(ch[1]);
	return ch[0];
}

/* The channel's command ends when its end closes; a grace, then TERM. */
static int
reap_channel(pid_t pid)
{
	int st = 0;

	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	return st;
}

/* Plugs a vhci-hcd port ourselves: a free port and one end of a new
 * socketpair; the other end, or -1. */
static int
own_port(const char *dir, uint32_t devid, int speed, int *port)
{
	int sv[2];

	if ((*port = vhci_free_port(dir, speed, NULL, 0)) < 0) {
		log_warnx("no free vhci port for speed %d", speed);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("socketpair");
		return -1;
	}
	if (vhci_attach(dir, *port, sv[1], devid, speed) != 0 || wait_attached(dir, *port) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	return sv[0];
}

static int
import_run(int argc, char **argv)
{
	struct import im;
	const char *dir = vhci_dir(), *by_domd = NULL;
	int link, chan_in = STDIN_FILENO, chan_out = STDOUT_FILENO, port = -1, speed, r;
	int rc = 1;
	pid_t child = -1;
	struct sigaction sa;

	if (argc > 2 && strcmp(argv[1], "--vhci-by-domd") == 0) {
		by_domd = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc > 2 && strcmp(argv[1], "--") == 0) {
		signal(SIGPIPE, SIG_IGN);
		if ((chan_in = chan_out = spawn_channel(argv + 2, &child)) < 0)
			return 1;
	} else if (argc != 1) {
		log_warnx("usage: %s", usbproxy_import_cmd.usage);
		return 2;
	}
	memset(&im, 0, sizeof(im));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (read_hello(chan_in, &im.devid, &speed) != 0)
		goto out;
	link = by_domd != NULL ? import_domd_link(by_domd, im.devid, speed) :
	    own_port(dir, im.devid, speed, &port);
	if (link < 0)
		goto out;
	log_debug("%s: devid %u on vhci port %d", __func__, im.devid, port);
	memset(im.any.type, USBIP_EP_BULK, sizeof(im.any.type));
	im.any.type[0][0] = im.any.type[1][0] = USBIP_EP_CONTROL;
	im.pend = xcalloc(1, sizeof(*im.pend));
	im.up = (struct flow){ "from the kernel", link, chan_out, xmalloc(USBIP_MSG_MAX), 0, 0, 0,
		false };
	im.down = (struct flow){ "from the exporter", chan_in, link, xmalloc(USBIP_MSG_MAX), 0, 0,
		0, false };
	fcntl(link, F_SETFL, O_NONBLOCK);
	fcntl(chan_out, F_SETFL, fcntl(chan_out, F_GETFL) | O_NONBLOCK);
	r = relay(&im);
	/* 1: the exporter ended (unplug, or sys-usb went away); 0: the kernel
	 * let go of the port; -1: a bad message or a signal. */
	if (r != 0 && port >= 0 && vhci_detach(dir, port) != 0)
		log_warnx("port %d: detach failed", port);
	rc = r < 0 ? 1 : 0;
	close(link);
	free(im.up.buf);
	free(im.down.buf);
	free(im.pend);
out:
	if (child > 0) {
		close(chan_in);
		reap_channel(child);
	}
	return rc;
}

const struct usbproxy_cmd usbproxy_import_cmd = { "import",
	"import [--vhci-by-domd BUSID] [-- COMMAND [ARG...]]",
	import_run };
