/* The netvm's side of its links, through libnl: each client's vif up with
 * the netvm's own address on it and a host route to the client (IPv6 too
 * with "ipv6"); the uplink's address and default route; IPv4 forwarding
 * on. IPv6 forwarding is links_ipv6_forwarding()'s, once the rules are. */
#include "links.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "nlnet.h"

static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC | O_CREAT, 0644);
	ssize_t w = -1;

	if (fd >= 0) {
		w = write(fd, text, strlen(text));
		close(fd);
	}
	return w == (ssize_t)strlen(text) ? 0 : -1;
}

/* A forwarding host ignores router advertisements unless told: the
 * uplink's IPv6 address and route come from them (as a Qubes sys-net's). */
static void
accept_ra(const char *ifname)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_ra", ifname);
	if (write_file(path, "2") < 0)
		log_warn("%s", path);
}

/* The netvm's IPv6 address on the client's link, a host route to the
 * client's. */
static int
client_ipv6(struct nl_sock *sk, const struct netcfg *c, const struct netcfg_client *cl,
    char *err, size_t errlen)
{
	uint8_t self[16], addr[16];

	netcfg_ip6_of(c->self, self);
	netcfg_ip6_of(cl->ip, addr);
	if (nlnet_addr_add6(sk, cl->ifname, self, 128, err, errlen) < 0 ||
	    nlnet_route_set6(sk, addr, 128, NULL, cl->ifname, err, errlen) < 0)
		return -1;
	return 0;
}

int
links_ipv6_forwarding(bool on)
{
	/* No IPv6 in the kernel: nothing is forwarded anyway. */
	if (access("/proc/sys/net/ipv6/conf/all/forwarding", F_OK) < 0 && !on)
		return 0;
	return write_file("/proc/sys/net/ipv6/conf/all/forwarding", on ? "1" : "0");
}

int
links_apply(const struct netcfg *c, char *err, size_t errlen)
{
	struct nl_sock *sk = nlnet_open(0, err, errlen);
	char lerr[256];
	int r = 0;

	if (sk == NULL)
		return -1;
	if (write_file("/proc/sys/net/ipv4/ip_forward", "1") < 0) {
		snprintf(err, errlen, "cannot enable forwarding: %s", strerror(errno));
		nlnet_close(sk);
		return -1;
	}
	nlnet_link_up(sk, "lo", lerr, sizeof(lerr));
	if (c->has_uplink && c->upstream[0] != '\0') {
		if (nlnet_link_up(sk, c->upstream, err, errlen) < 0 ||
		    nlnet_addr_add(sk, c->upstream, c->uplink_addr, c->uplink_prefix, err,
		    errlen) < 0 ||
		    nlnet_route_set(sk, 0, 0, c->uplink_gw, c->upstream, err, errlen) < 0)
			r = -1;
	} else if (c->upstream[0] != '\0')
		nlnet_link_up(sk, c->upstream, lerr, sizeof(lerr));
	if (c->ipv6 && c->upstream[0] != '\0')
		accept_ra(c->upstream);
	/* A client whose link is not there (yet) is logged, not fatal: the
	 * others must get through. */
	for (int i = 0; i < c->nclients; i++) {
		const struct netcfg_client *cl = &c->clients[i];
		if (nlnet_link_up(sk, cl->ifname, lerr, sizeof(lerr)) < 0 ||
		    nlnet_addr_add(sk, cl->ifname, c->self, 32, lerr, sizeof(lerr)) < 0 ||
		    nlnet_route_set(sk, cl->ip, 32, 0, cl->ifname, lerr, sizeof(lerr)) < 0 ||
		    (c->ipv6 && client_ipv6(sk, c, cl, lerr, sizeof(lerr)) < 0))
			log_warnx("client %s: %s", cl->name, lerr);
	}
	nlnet_close(sk);
	return r;
}

int
links_write_resolv(const struct netcfg *c)
{
	char text[256], a[16], b[16];

	/* Only the netvm that talks to the real resolvers; the others keep the
	 * virtual addresses their template has. */
	if (!c->has_uplink || c->nresolvers == 0)
		return 0;
	snprintf(text, sizeof(text), "# written by bulkhead-firewall\nnameserver %s\n%s%s%s"
	    "options timeout:2 attempts:2\n", netcfg_ip_str(c->resolvers[0], a),
	    c->nresolvers > 1 ? "nameserver " : "",
	    c->nresolvers > 1 ? netcfg_ip_str(c->resolvers[1], b) : "",
	    c->nresolvers > 1 ? "\n" : "");
	return write_file("/etc/resolv.conf", text);
}
