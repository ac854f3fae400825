/* bulkhead-firewall: runs in every netvm (started by its init). It hears
 * from domd only — never from the clients — what its clients are and their
 * rules, sets up the links (links.c) and the packet filter (fw_iptc.c) in
 * one commit per change, answers one line, and re-applies when a rule's
 * expire time passes. Anything unreadable drops all client traffic. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fw_iptc.h"
#include "links.h"
#include "log.h"
#include "netcfg.h"
#include "readfile.h"
#include "xalloc.h"

#define DEFAULT_SOCKET "/dev/bulkhead/firewall.sock"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: bulkhead-firewall [-v] [--socket PATH]\n"
	    "       bulkhead-firewall [-v] --apply FILE\n"
	    "       bulkhead-firewall --help | --version\n"
	    "\n"
	    "The packet filter of a Bulkhead netvm. Connects to domd through PATH\n"
	    "(default " DEFAULT_SOCKET "), receives the network configuration of\n"
	    "the netvm's clients and applies it: links, addresses and routes through\n"
	    "netlink, one iptables (and ip6tables) chain per client through libiptc.\n"
	    "Reconnects when domd restarts. --apply applies one configuration message\n"
	    "from FILE and exits (0 when applied).\n"
	    "\n"
	    "  -v, --verbose   more log\n"
	    "  -h, --help      this text\n"
	    "  -V, --version   print the version\n");
}

/* Applies cfg; the answer line for domd into ans. 0 or -1. */
static int
apply(const struct netcfg *cfg, time_t *next_expire, char *ans, size_t anslen)
{
	struct fw_result res = { 0 };
	char err[512];

	if (links_apply(cfg, err, sizeof(err)) < 0)
		log_warnx("links: %s", err);
	if (links_write_resolv(cfg) < 0)
		log_warn("cannot write /etc/resolv.conf");
	if (!cfg->ipv6 && links_ipv6_forwarding(false) < 0)
		log_warn("cannot turn IPv6 forwarding off");
	if (fw_iptc_apply(cfg, time(NULL), NULL, &res, err, sizeof(err)) < 0) {
		log_warnx("cannot apply the rules: %s", err);
		snprintf(ans, anslen, "error %s\n", err);
		return -1;
	}
	/* Only now: until the IPv6 chains are there, nothing may pass. */
	if (cfg->ipv6 && links_ipv6_forwarding(true) < 0) {
		log_warn("cannot turn IPv6 forwarding on");
		snprintf(ans, anslen, "error cannot turn IPv6 forwarding on\n");
		return -1;
	}
	*next_expire = res.next_expire;
	log_info("applied: %d clients, %d entries%s", cfg->nclients, res.nrules,
	    res.nfailed ? " (some clients fail closed: see above)" : "");
	snprintf(ans, anslen, "ok %d\n", res.nrules);
	return 0;
}

/* A message that does not parse: nothing from any client link passes. */
static int
apply_failed(const char *why, char *ans, size_t anslen)
{
	struct netcfg empty = { 0 };
	time_t unused;
	char ignored[600];

	log_warnx("unreadable configuration, dropping all client traffic: %s", why);
	apply(&empty, &unused, ignored, sizeof(ignored));
	snprintf(ans, anslen, "error %s\n", why);
	return -1;
}

static int
apply_text(const char *text, size_t len, struct netcfg *keep, time_t *next_expire, char *ans,
    size_t anslen)
{
	struct netcfg cfg;
	char err[512];

	if (netcfg_parse(text, len, &cfg, err, sizeof(err)) < 0)
		return apply_failed(err, ans, anslen);
	netcfg_free(keep);
	*keep = cfg;
	return apply(keep, next_expire, ans, anslen);
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static void
send_line(int fd, const char *line)
{
	size_t off = 0, len = strlen(line);

	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* One connection: messages until domd goes away. */
static void
serve(int fd, struct netcfg *cfg)
{
	size_t cap = 65536, len = 0;
	char *buf = xmalloc(cap), ans[600];
	time_t next_expire = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int timeout = -1;
		char *end;
		ssize_t n;

		if (next_expire != 0) {
			time_t now = time(NULL);
			timeout = next_expire > now ? (int)(next_expire - now) * 1000 : 0;
		}
		if (poll(&p, 1, timeout) == 0) {
			/* A rule expired: the same configuration, without it. */
			log_info("a rule expired; re-applying");
			next_expire = 0;
			apply(cfg, &next_expire, ans, sizeof(ans));
			continue;
		}
		if (len == cap) {
			if (cap >= NETCFG_MSG_MAX) {
				apply_failed("message too large", ans, sizeof(ans));
				send_line(fd, ans);
				break;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		/* Every message starts with "netcfg" and ends with an "end" line. */
		while ((end = memmem(buf, len, "\nend\n", 5)) != NULL) {
			size_t mlen = (size_t)(end - buf) + 5;
			next_expire = 0;
			apply_text(buf, mlen, cfg, &next_expire, ans, sizeof(ans));
			send_line(fd, ans);
			memmove(buf, buf + mlen, len - mlen);
			len -= mlen;
		}
	}
	free(buf);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "apply", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = DEFAULT_SOCKET, *file = NULL;
	struct netcfg cfg = { 0 };
	int verbose = 0, c;
	bool said = false;

	while ((c = getopt_long(argc, argv, "s:a:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'a': file = optarg; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("bulkhead-firewall %s\n", BULKHEAD_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "bulkhead-firewall: unexpected argument '%s' (try --help)\n",
		    argv[optind]);
		return 2;
	}
	log_init("bulkhead-firewall", verbose, 0);
	signal(SIGPIPE, SIG_IGN);
	if (file != NULL) {
		char *text, ans[600], why[256];
		size_t len;
		time_t unused;
		int r;

		if ((text = read_file_alloc(file, NETCFG_MSG_MAX, &len, why, sizeof(why))) == NULL) {
			fprintf(stderr, "bulkhead-firewall: %s: %s\n", file, why);
			return 1;
		}
		r = apply_text(text, len, &cfg, &unused, ans, sizeof(ans));
		free(text);
		netcfg_free(&cfg);
		fputs(ans, r == 0 ? stdout : stderr);
		return r == 0 ? 0 : 1;
	}
	for (;;) {
		int fd = connect_to(sock);
		if (fd < 0) {
			if (!said)
				log_info("waiting for domd on %s", sock);
			said = true;
			sleep(1);
			continue;
		}
		said = false;
		log_info("connected to domd");
		serve(fd, &cfg);
		close(fd);
		log_info("domd went away; the rules stay as they are until it is back");
	}
}
