/* usbip-peer: a USB/IP importer for the tests, standing where the kernel's
 * vhci-hcd would. It starts the exporter (normally under usb-fakedev) on a
 * socketpair and drives it through one scenario:
 *
 *   usbip-peer [--import BIN --vhci DIR [--spawn 1]] SCENARIO [ARG] -- COMMAND...
 *
 * functional   descriptors, stall, special requests, interrupt reads,
 *              unlinks, a bulk loopback of ARG MiB (default 16) with a
 *              checksum, then an unplug (SIGUSR1 to COMMAND) mid-transfer
 * bench        loopback of ARG MiB timed, and the median round trip of
 *              1000 control requests; prints key=value lines
 * bad-NAME     one malformed or out-of-order message: the exporter must
 *              end by itself with status 1
 * flood        ARG (default 512) bulk IN URBs of 1 MiB that never complete,
 *              then end of input: the exporter must hold back past its
 *              in-flight limit, then cancel everything and exit 0
 * idle-unplug  an unplug with nothing in flight: the exporter notices
 *              (hotplug) and exits 0
 * evil-exporter (with --import) one bulk IN of 8 bytes, to which COMMAND,
 *              a hostile stand-in for the exporter, answers wrongly: the
 *              importer must detach the port and exit 1
 *
 * With --import, the exporter's channel goes to `BIN import` instead, and
 * the peer plays the kernel's part: it reads the attach line from the
 * vhci directory DIR (attach is a FIFO there), takes the socket with
 * pidfd_getfd(2), marks the port used in DIR/status, and after an unplug
 * checks that the importer detached the port. With --spawn 1 the importer
 * starts COMMAND itself (`BIN import -- COMMAND...`): no unplug then. Each check prints a TAP-like
 * "# ok"/"FAIL" line; the exit status is 0 only if all passed. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "usbip_wire.h"
#include "usbtest.h"

#define CHUNK LOOP_CHUNK
#define WINDOW LOOP_WINDOW
#define TIMEOUT_MS 10000

struct reply {
	struct reply *next;
	struct usbip_ret r;
	uint8_t *data;
};

struct peer {
	int fd;
	uint32_t devid, seq;
	uint8_t *out;
	size_t outlen, outcap, outoff;
	uint8_t *in;
	size_t inlen;
	bool eof;
	struct usbip_pendtab pend;
	struct reply *replies;
};

static int failures;
static pid_t export_pid = -1, import_pid = -1;

static void
check(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf(ok ? "# ok: " : "FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
	if (!ok)
		failures++;
}

static __attribute__((noreturn)) void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (export_pid > 0)
		kill(export_pid, SIGKILL);
	if (import_pid > 0)
		kill(import_pid, SIGKILL);
	exit(1);
}

static void
queue(struct peer *p, const void *b, size_t n)
{
	if (p->outlen + n > p->outcap && p->outoff > 0) {
		memmove(p->out, p->out + p->outoff, p->outlen - p->outoff);
		p->outlen -= p->outoff;
		p->outoff = 0;
	}
	if (p->outlen + n > p->outcap) {
		p->outcap = (p->outlen + n) * 2;
		if ((p->out = realloc(p->out, p->outcap)) == NULL)
			die("out of memory");
	}
	memcpy(p->out + p->outlen, b, n);
	p->outlen += n;
}

/* One round of I/O: writes what is queued, reads and checks replies. */
static void
pump(struct peer *p, int timeout_ms)
{
	struct pollfd pfd = { p->fd, POLLIN, 0 };
	size_t off = 0, used;
	struct usbip_ret r;
	const char *why;
	ssize_t n;
	int res;

	if (p->outoff < p->outlen)
		pfd.events |= POLLOUT;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return;
	if (pfd.revents & POLLOUT) {
		n = write(p->fd, p->out + p->outoff, p->outlen - p->outoff);
		if (n > 0)
			p->outoff += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			p->outoff = p->outlen; /* the exporter is gone: EOF will tell */
	}
	if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)) || p->eof)
		return;
	n = read(p->fd, p->in + p->inlen, USBIP_MSG_MAX - p->inlen);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			p->eof = true;
		return;
	}
	p->inlen += (size_t)n;
	while ((res = usbip_ret_parse(p->in + off, p->inlen - off, &p->pend, &r, &used, &why)) == 1) {
		struct reply *rp = calloc(1, sizeof(*rp)), **tail = &p->replies;

		if (rp == NULL)
			die("out of memory");
		rp->r = r;
		if (r.in_data != NULL && r.actual_length > 0) {
			if ((rp->data = malloc(r.actual_length)) == NULL)
				die("out of memory");
			memcpy(rp->data, r.in_data, r.actual_length);
		}
		rp->r.in_data = NULL;
		usbip_pend_answered(&p->pend, &r);
		while (*tail != NULL)
			tail = &(*tail)->next;
		*tail = rp;
		off += used;
	}
	if (res < 0)
		die("exporter sent a bad reply: %s", why);
	memmove(p->in, p->in + off, p->inlen - off);
	p->inlen -= off;
}

/* Pumps for ms milliseconds whatever happens. */
static void
settle(struct peer *p, int ms)
{
	int64_t end = now_us() + ms * 1000LL;

	while (now_us() < end && !p->eof)
		pump(p, 10);
}

static uint32_t
submit(struct peer *p, uint32_t dir, uint32_t ep, uint32_t len, const uint8_t *setup,
    const void *data)
{
	uint8_t h[USBIP_HDR_SIZE];
	struct usbip_pending pd = { ++p->seq, USBIP_CMD_SUBMIT, dir, len, 0 };

	usbip_put_cmd_submit(h, pd.seqnum, p->devid, dir, ep, 0, len, 0, setup);
	queue(p, h, sizeof(h));
	if (dir == USBIP_DIR_OUT && len > 0)
		queue(p, data, len);
	if (usbip_pend_add(&p->pend, &pd) != 0)
		die("too many in flight");
	return pd.seqnum;
}

static uint32_t
unlink_seq(struct peer *p, uint32_t target)
{
	uint8_t h[USBIP_HDR_SIZE];
	struct usbip_pending pd = { ++p->seq, USBIP_CMD_UNLINK, 0, 0, target };

	usbip_put_cmd_unlink(h, pd.seqnum, p->devid, 0, 0, target);
	queue(p, h, sizeof(h));
	if (usbip_pend_add(&p->pend, &pd) != 0)
		die("too many in flight");
	return pd.seqnum;
}

/* The reply to seq if it has come (taken from the list), else NULL. */
static struct reply *
take(struct peer *p, uint32_t seq)
{
	for (struct reply **rp = &p->replies; *rp != NULL; rp = &(*rp)->next)
		if ((*rp)->r.seqnum == seq) {
			struct reply *r = *rp;
			*rp = r->next;
			return r;
		}
	return NULL;
}

static struct reply *
wait_for(struct peer *p, uint32_t seq)
{
	int64_t end = now_us() + TIMEOUT_MS * 1000LL;
	struct reply *r;

	while ((r = take(p, seq)) == NULL) {
		if (p->eof)
			die("exporter closed the channel while seqnum %u was awaited", seq);
		if (now_us() > end)
			die("no reply to seqnum %u in %d ms", seq, TIMEOUT_MS);
		pump(p, 100);
	}
	return r;
}

static void
free_reply(struct reply *r)
{
	free(r->data);
	free(r);
}

static struct reply *
control(struct peer *p, uint8_t type, uint8_t req, uint16_t value, uint16_t index, uint16_t len,
    const void *data)
{
	uint8_t setup[8] = { type, req, (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)index,
		(uint8_t)(index >> 8), (uint8_t)len, (uint8_t)(len >> 8) };

	return wait_for(p, submit(p, (type & 0x80) ? USBIP_DIR_IN : USBIP_DIR_OUT, 0, len, setup,
	    data));
}

/* Bulk OUT 1 -> IN 1 through the device's loopback; returns MiB/s. */
static double
loopback(struct peer *p, size_t total)
{
	static uint8_t chunk[CHUNK];
	uint32_t outs[WINDOW * 4], ins[WINDOW * 4];
	size_t nouts = 0, nins = 0, sent = 0, asked = 0, got = 0;
	uint64_t hs = FNV_INIT, hr = hs, x = PATTERN_INIT;
	int64_t t0 = now_us(), last = t0;

	while (got < total) {
		struct reply *r;

		while (nouts < WINDOW && sent < total) {
			size_t n = total - sent < CHUNK ? total - sent : CHUNK;

			pattern(chunk, n, &x);
			hs = fnv(hs, chunk, n);
			outs[nouts++] = submit(p, USBIP_DIR_OUT, 1, (uint32_t)n, NULL, chunk);
			sent += n;
		}
		while (nins < WINDOW && asked < total) {
			size_t n = total - asked < CHUNK ? total - asked : CHUNK;

			ins[nins++] = submit(p, USBIP_DIR_IN, 1, (uint32_t)n, NULL, NULL);
			asked += n;
		}
		pump(p, 100);
		if (nouts > 0 && (r = take(p, outs[0])) != NULL) {
			if (r->r.status != 0)
				die("bulk OUT status %d", r->r.status);
			memmove(outs, outs + 1, --nouts * sizeof(outs[0]));
			free_reply(r);
			last = now_us();
		}
		while (nins > 0 && (r = take(p, ins[0])) != NULL) {
			if (r->r.status != 0)
				die("bulk IN status %d", r->r.status);
			hr = fnv(hr, r->data, r->r.actual_length);
			got += r->r.actual_length;
			/* A short read leaves bytes to ask for again. */
			asked -= r->r.req.length - r->r.actual_length;
			memmove(ins, ins + 1, --nins * sizeof(ins[0]));
			free_reply(r);
			last = now_us();
		}
		if (p->eof)
			die("exporter closed the channel during the loopback");
		if (now_us() - last > TIMEOUT_MS * 1000LL)
			die("loopback stalled at %zu of %zu bytes", got, total);
	}
	check(hs == hr && got == total, "bulk loopback of %zu MiB, checksum %016" PRIx64 " both ways",
	    total >> 20, hr);
	return (double)total / (1 << 20) / ((double)(now_us() - t0) / 1e6);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t
rtt_median(struct peer *p, int n)
{
	int64_t *t = calloc((size_t)n, sizeof(*t)), med;

	for (int i = 0; i < n; i++) {
		int64_t t0 = now_us();
		struct reply *r = control(p, 0x80, 0, 0, 0, 2, NULL); /* GET_STATUS */

		t[i] = now_us() - t0;
		if (r->r.status != 0)
			die("GET_STATUS status %d", r->r.status);
		free_reply(r);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_i64);
	med = t[n / 2];
	free(t);
	return med;
}

static void
expect_eof(struct peer *p, const char *what)
{
	int64_t end = now_us() + TIMEOUT_MS * 1000LL;

	while (!p->eof && now_us() < end)
		pump(p, 100);
	check(p->eof, "%s: the exporter closed the channel", what);
}

static int
wait_child(pid_t pid, const char *what)
{
	int st;

	for (int i = 0; i < TIMEOUT_MS / 10; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	check(false, "%s did not exit", what);
	return -1;
}

static void
functional(struct peer *p, size_t mib)
{
	struct reply *r;
	uint32_t a, b, u;
	uint32_t prev = 0;

	r = control(p, 0x80, 6, 0x0100, 0, 18, NULL);
	check(r->r.status == 0 && r->r.actual_length == 18 && r->data[0] == 18 && r->data[1] == 1 &&
	    r->data[8] == 0x09 && r->data[9] == 0x12 && r->data[10] == 0xb0 && r->data[11] == 0xb0,
	    "GET_DESCRIPTOR(device) over control: 18 bytes, 1209:b0b0");
	free_reply(r);
	r = control(p, 0x80, 6, 0x0200, 0, 255, NULL);
	check(r->r.status == 0 && r->r.actual_length == 39 && r->data[1] == 2,
	    "GET_DESCRIPTOR(configuration): a short reply of 39 bytes to a 255-byte request");
	free_reply(r);
	r = control(p, 0x80, 6, 0x0301, 0x0409, 255, NULL);
	check(r->r.status == 0 && r->r.actual_length == 28 && r->data[1] == 3,
	    "GET_DESCRIPTOR(string 1)");
	free_reply(r);
	r = control(p, 0xc0, 0x42, 0, 0, 4, NULL);
	check(r->r.status == -EPIPE && r->r.actual_length == 0, "unknown IN request stalls: %d",
	    r->r.status);
	free_reply(r);
	r = control(p, 0x40, 0x43, 0, 0, 4, "abcd");
	check(r->r.status == -EPIPE, "unknown OUT request with data stalls: %d", r->r.status);
	free_reply(r);
	r = control(p, 0x80, 6, 0x0100, 0, 18, NULL);
	check(r->r.status == 0, "control works again after a stall");
	free_reply(r);
	r = control(p, 0x01, 11, 0, 0, 0, NULL);
	check(r->r.status == 0, "SET_INTERFACE(0, 0) through libusb");
	free_reply(r);
	r = control(p, 0x02, 1, 0, 0x81, 0, NULL);
	check(r->r.status == 0, "CLEAR_FEATURE(ENDPOINT_HALT) on 0x81 through libusb");
	free_reply(r);
	r = control(p, 0x02, 1, 0, 0x85, 0, NULL);
	check(r->r.status == -EINVAL, "CLEAR_FEATURE(ENDPOINT_HALT) on a missing endpoint: %d",
	    r->r.status);
	free_reply(r);

	for (int i = 0; i < 3; i++) {
		uint32_t c;

		r = wait_for(p, submit(p, USBIP_DIR_IN, 2, 8, NULL, NULL));
		memcpy(&c, r->data != NULL ? r->data : (uint8_t *)"\0\0\0\0", 4);
		check(r->r.status == 0 && r->r.actual_length == 8 && !memcmp(r->data + 4, "INTR", 4) &&
		    (i == 0 || c == prev + 1), "interrupt IN read %d: report %u", i + 1, c);
		prev = c;
		free_reply(r);
	}

	/* Nothing to loop back: this IN waits until unlinked. */
	a = submit(p, USBIP_DIR_IN, 1, 512, NULL, NULL);
	settle(p, 200);
	u = unlink_seq(p, a);
	r = wait_for(p, u);
	check(r->r.status == -ECONNRESET, "unlink of a pending bulk IN: RET_UNLINK %d", r->r.status);
	free_reply(r);
	settle(p, 200);
	check(take(p, a) == NULL && usbip_pend_find(&p->pend, a) == NULL,
	    "no RET_SUBMIT for the unlinked URB");
	r = wait_for(p, unlink_seq(p, 999999));
	check(r->r.status == 0, "unlink of a seqnum not in flight: RET_UNLINK 0");
	free_reply(r);

	loopback(p, mib << 20);

	/* Unplug with two transfers waiting. */
	a = submit(p, USBIP_DIR_IN, 1, 4096, NULL, NULL);
	b = submit(p, USBIP_DIR_IN, 1, 4096, NULL, NULL);
	settle(p, 200);
	kill(export_pid, SIGUSR1);
	r = wait_for(p, a);
	check(r->r.status == -ENODEV || r->r.status == -ESHUTDOWN,
	    "unplug mid-transfer: pending IN ends with %d", r->r.status);
	free_reply(r);
	r = wait_for(p, b);
	check(r->r.status == -ENODEV || r->r.status == -ESHUTDOWN,
	    "unplug mid-transfer: second pending IN ends with %d", r->r.status);
	free_reply(r);
	expect_eof(p, "after the unplug");
}

/* Malformed or out-of-order input. */
static void
bad(struct peer *p, const char *name)
{
	uint8_t h[USBIP_HDR_SIZE];
	uint8_t setup[8] = { 0x80, 6, 0, 1, 0, 0, 18, 0 };

	if (!strcmp(name, "ep")) {
		usbip_put_cmd_submit(h, 1, p->devid, USBIP_DIR_IN, 7, 0, 64, 0, NULL);
	} else if (!strcmp(name, "dir")) {
		usbip_put_cmd_submit(h, 1, p->devid, USBIP_DIR_OUT, 2, 0, 8, 0, NULL);
	} else if (!strcmp(name, "len")) {
		usbip_put_cmd_submit(h, 1, p->devid, USBIP_DIR_IN, 1, 0, 0x7fffffff, 0, NULL);
	} else if (!strcmp(name, "devid")) {
		usbip_put_cmd_submit(h, 1, p->devid ^ 1, USBIP_DIR_IN, 1, 0, 64, 0, NULL);
	} else if (!strcmp(name, "wlength")) {
		setup[6] = 200;
		usbip_put_cmd_submit(h, 1, p->devid, USBIP_DIR_IN, 0, 0, 18, 0, setup);
	} else if (!strcmp(name, "ret")) {
		usbip_put_ret_submit(h, 1, 0, 0, 0);
	} else if (!strcmp(name, "iso")) {
		usbip_put_cmd_submit(h, 1, p->devid, USBIP_DIR_IN, 1, 0, 64, 0, NULL);
		h[35] = 4; /* number_of_packets */
	} else if (!strcmp(name, "dupseq")) {
		/* A second URB with the seqnum of one still in flight. */
		submit(p, USBIP_DIR_IN, 1, 64, NULL, NULL);
		usbip_put_cmd_submit(h, p->seq, p->devid, USBIP_DIR_IN, 1, 0, 64, 0, NULL);
	} else if (!strcmp(name, "unlinkseq")) {
		submit(p, USBIP_DIR_IN, 1, 64, NULL, NULL);
		usbip_put_cmd_unlink(h, p->seq, p->devid, 0, 0, 12345);
	} else if (!strcmp(name, "truncated")) {
		/* Half a header, then the channel closes. */
		usbip_put_cmd_submit(h, 1, p->devid, USBIP_DIR_IN, 1, 0, 64, 0, NULL);
		queue(p, h, 20);
		while (p->outoff < p->outlen)
			pump(p, 100);
		shutdown(p->fd, SHUT_WR);
		expect_eof(p, "truncated");
		return;
	} else if (!strcmp(name, "garbage")) {
		for (size_t i = 0; i < sizeof(h); i++)
			h[i] = (uint8_t)(i * 37 + 11);
	} else
		die("unknown bad-%s", name);
	queue(p, h, sizeof(h));
	expect_eof(p, name);
}

/* The kernel's part for --import: the attach line, the socket, the port. */
static int
play_vhci(const char *dir, pid_t imp, int *port_out)
{
	char path[512], line[128] = "", tmp[512];
	int port, sockfd, speed, pidfd, fd, n = 0;
	unsigned devid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/attach", dir);
	if ((fd = open(path, O_RDONLY)) < 0) /* a FIFO: waits for the importer */
		die("open %s: %s", path, strerror(errno));
	for (ssize_t r; n < (int)sizeof(line) - 1 && (r = read(fd, line + n, sizeof(line) - 1 - (size_t)n)) > 0;)
		n += (int)r;
	close(fd);
	line[n] = '\0';
	if (sscanf(line, "%d %d %u %d", &port, &sockfd, &devid, &speed) != 4)
		die("bad attach line '%s'", line);
	check(port == 1 && devid == (1u << 16 | 2) && speed == 3,
	    "importer wrote \"%.*s\" to attach (first free hs port, devid, high speed)", n - 1, line);
	if ((pidfd = (int)syscall(SYS_pidfd_open, imp, 0)) < 0 ||
	    (fd = (int)syscall(SYS_pidfd_getfd, pidfd, sockfd, 0)) < 0)
		die("taking the importer's socket: %s", strerror(errno));
	close(pidfd);
	/* The port is now in use, as the kernel would show it. */
	snprintf(tmp, sizeof(tmp), "%s/status.tmp", dir);
	snprintf(path, sizeof(path), "%s/status", dir);
	if ((f = fopen(tmp, "w")) == NULL)
		die("%s: %s", tmp, strerror(errno));
	fprintf(f, "hub port sta spd dev      sockfd local_busid\n"
		   "hs  0000 006 003 00010002 000003 1-1\n"
		   "hs  0001 006 003 %08x %06d 1-1\n"
		   "ss  0002 004 000 00000000 000000 0-0\n", devid, sockfd);
	fclose(f);
	rename(tmp, path);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	*port_out = port;
	return fd;
}

static pid_t
spawn(char **argv, int chan, const char *vhci)
{
	pid_t pid = fork();

	if (pid == 0) {
		dup2(chan, STDIN_FILENO);
		dup2(chan, STDOUT_FILENO);
		if (vhci != NULL)
			setenv("BULKHEAD_VHCI_SYSFS", vhci, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		die("fork: %s", strerror(errno));
	return pid;
}

int
main(int argc, char **argv)
{
	const char *importer = NULL, *vhci = NULL, *scenario, *arg = NULL;
	bool import_spawns = false;
	struct peer *p = calloc(1, sizeof(*p));
	int sv[2], i = 1, port = -1, st;
	char line[64];
	size_t n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]; i += 2) {
		if (!strcmp(argv[i], "--import"))
			importer = argv[i + 1];
		else if (!strcmp(argv[i], "--vhci"))
			vhci = argv[i + 1];
		else if (!strcmp(argv[i], "--spawn"))
			import_spawns = atoi(argv[i + 1]) != 0;
		else
			die("unknown option %s", argv[i]);
	}
	if (i >= argc)
		die("usage: usbip-peer [--import BIN --vhci DIR [--spawn 1]] SCENARIO [ARG] -- COMMAND...");
	scenario = argv[i++];
	if (i < argc && strcmp(argv[i], "--") != 0)
		arg = argv[i++];
	if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc || (importer && !vhci))
		die("usage: usbip-peer [--import BIN --vhci DIR [--spawn 1]] SCENARIO [ARG] -- COMMAND...");
	p->in = malloc(USBIP_MSG_MAX);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	if (import_spawns) {
		/* BIN import -- COMMAND...: the importer runs the exporter. */
		char **imp_argv = calloc((size_t)(argc - i + 3), sizeof(char *));

		if (importer == NULL || imp_argv == NULL)
			die("--spawn needs --import");
		imp_argv[0] = (char *)importer;
		imp_argv[1] = "import";
		for (int k = i; k < argc; k++)
			imp_argv[k - i + 2] = argv[k];
		close(sv[0]);
		import_pid = spawn(imp_argv, sv[1], vhci);
		close(sv[1]);
		free(imp_argv);
		p->fd = play_vhci(vhci, import_pid, &port);
		p->devid = 1u << 16 | 2;
	} else if (importer != NULL) {
		char *imp_argv[] = { (char *)importer, "import", NULL };

		export_pid = spawn(argv + i + 1, sv[1], NULL);
		close(sv[1]);
		import_pid = spawn(imp_argv, sv[0], vhci);
		close(sv[0]);
		p->fd = play_vhci(vhci, import_pid, &port);
		p->devid = 1u << 16 | 2;
	} else {
		export_pid = spawn(argv + i + 1, sv[1], NULL);
		close(sv[1]);
		p->fd = sv[0];
		while (n < sizeof(line) - 1 && read(p->fd, line + n, 1) == 1 && line[n] != '\n')
			n++;
		line[n] = '\0';
		check(!strcmp(line, "65538 480"), "first line \"%s\" is \"<devid> <speed>\"", line);
		p->devid = (uint32_t)strtoul(line, NULL, 10);
		fcntl(p->fd, F_SETFL, O_NONBLOCK);
	}

	if (!strcmp(scenario, "functional")) {
		functional(p, arg ? strtoul(arg, NULL, 10) : 16);
		st = wait_child(export_pid, "exporter");
		check(st == 0, "exporter exits 0 after the unplug (status %d)", st);
	} else if (!strcmp(scenario, "bench")) {
		double mibs = loopback(p, (arg ? strtoul(arg, NULL, 10) : 64) << 20);
		int64_t rtt = rtt_median(p, 1000);

		printf("throughput_mib_s=%.1f\nrtt_median_us=%" PRId64 "\n", mibs, rtt);
		close(p->fd);
		if (export_pid > 0) {
			st = wait_child(export_pid, "exporter");
			check(st == 0, "exporter exits 0 at end of input (status %d)", st);
		}
	} else if (!strcmp(scenario, "flood")) {
		unsigned long count = arg ? strtoul(arg, NULL, 10) : 512;

		for (unsigned long k = 0; k < count; k++) {
			submit(p, USBIP_DIR_IN, 1, USBIP_XFER_MAX, NULL, NULL);
			if (p->pend.n == USBIP_INFLIGHT_MAX)
				break;
		}
		settle(p, 1000);
		check(p->replies == NULL && !p->eof, "flood of %u MiB of IN URBs: no reply, channel open",
		    p->pend.n);
		shutdown(p->fd, SHUT_WR);
		expect_eof(p, "flood, then end of input");
		st = wait_child(export_pid, "exporter");
		check(st == 0, "exporter cancels the flood and exits 0 (status %d)", st);
	} else if (!strcmp(scenario, "idle-unplug")) {
		settle(p, 200);
		kill(export_pid, SIGUSR1);
		expect_eof(p, "idle unplug");
		st = wait_child(export_pid, "exporter");
		check(st == 0, "exporter exits 0 after an idle unplug (status %d)", st);
	} else if (!strcmp(scenario, "evil-exporter") && import_pid > 0) {
		submit(p, USBIP_DIR_IN, 1, 8, NULL, NULL);
		expect_eof(p, "hostile reply");
		check(p->replies == NULL, "the hostile reply did not reach the kernel's side");
		wait_child(export_pid, "hostile exporter");
	} else if (!strncmp(scenario, "bad-", 4)) {
		bad(p, scenario + 4);
		st = wait_child(export_pid, "exporter");
		check(st == 1, "bad-%s: exporter ends by itself with status 1 (status %d)",
		    scenario + 4, st);
	} else
		die("unknown scenario %s", scenario);

	if (import_pid > 0) {
		char path[512], buf[32] = "";
		FILE *f;

		close(p->fd);
		st = wait_child(import_pid, "importer");
		snprintf(path, sizeof(path), "%s/detach", vhci);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(buf, sizeof(buf), f) == NULL)
				buf[0] = '\0';
			fclose(f);
		}
		if (!strcmp(scenario, "evil-exporter"))
			check(st == 1 && atoi(buf) == port && buf[0] != '\0',
			    "importer detached port %d and exited 1 (status %d)", port, st);
		else if (!strcmp(scenario, "functional"))
			check(st == 0 && atoi(buf) == port && buf[0] != '\0',
			    "importer detached port %d after the unplug and exited 0 (status %d, detach \"%s\")",
			    port, st, strtok(buf, "\n") ? buf : "");
		else
			check(st == 0, "importer exited 0 when the kernel let go (status %d)", st);
	}
	while (p->replies != NULL) {
		struct reply *r = p->replies;
		p->replies = r->next;
		free_reply(r);
	}
	free(p->in);
	free(p->out);
	free(p);
	printf(failures ? "FAIL: %d checks failed\n" : "# all checks passed\n", failures);
	return failures ? 1 : 0;
}
