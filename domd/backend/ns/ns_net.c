/* Network links of the ns backend: the virtual hardware Xen's vifs give a
 * domain. A client and its netvm share a veth pair, "eth0" in the client
 * and "vifN" in the netvm; the client's side gets its address and routes
 * here (as a Xen guest reads them from xenstore), the netvm's side is set
 * up by the netvm's own bulkhead-firewall. The uplink of a netvm without a
 * netvm is a host interface moved into it, or (host-nat) a veth to the
 * host, which masquerades (ns_hostnat.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "domd.h"
#include "log.h"
#include "net.h"
#include "netcfg.h"
#include "nlnet.h"
#include "ns_net.h"
#include "readfile.h"
#include "xalloc.h"

#define CLIENT_IF "eth0"
#define HOSTNAT_IF "uplink0"

/* With its netvm's ipv6: the client's IPv6 address, a route to the
 * netvm's and the default route through it (Qubes' addresses). */
static int
client_setup6(struct nl_sock *sk, uint32_t ip, uint32_t gw, char *err, size_t errlen)
{
	static const uint8_t any[16];
	uint8_t ip6[16], gw6[16];

	netcfg_ip6_of(ip, ip6);
	netcfg_ip6_of(gw, gw6);
	if (nlnet_addr_add6(sk, CLIENT_IF, ip6, 128, err, errlen) < 0 ||
	    nlnet_route_set6(sk, gw6, 128, NULL, CLIENT_IF, err, errlen) < 0 ||
	    nlnet_route_set6(sk, any, 0, gw6, CLIENT_IF, err, errlen) < 0)
		return -1;
	return 0;
}

static int
client_setup(struct vm *client, uint32_t ip, uint32_t gw, bool ipv6, char *err, size_t errlen)
{
	struct nl_sock *sk = nlnet_open(client->rt.init_pid, err, errlen);
	int r = -1;

	if (sk == NULL)
		return -1;
	if (nlnet_link_up(sk, "lo", err, errlen) == 0 &&
	    nlnet_link_up(sk, CLIENT_IF, err, errlen) == 0 &&
	    nlnet_addr_add(sk, CLIENT_IF, ip, 32, err, errlen) == 0 &&
	    nlnet_route_set(sk, gw, 32, 0, CLIENT_IF, err, errlen) == 0 &&
	    nlnet_route_set(sk, 0, 0, gw, CLIENT_IF, err, errlen) == 0 &&
	    (!ipv6 || client_setup6(sk, ip, gw, err, errlen) == 0))
		r = 0;
	nlnet_close(sk);
	return r;
}

int
ns_net_attach(struct vm *client, struct vm *netvm, char *err, size_t errlen)
{
	struct nl_sock *host = NULL, *in = NULL;
	uint32_t ip, gw;
	int fc = -1, fn = -1, r = -1;

	if (netcfg_ip_parse(client->q.ip, &ip) < 0 || netcfg_ip_parse(netvm->q.ip, &gw) < 0) {
		snprintf(err, errlen, "%s or %s has no address", client->q.name, netvm->q.name);
		return -1;
	}
	if ((in = nlnet_open(client->rt.init_pid, err, errlen)) == NULL)
		return -1;
	if (!nlnet_link_exists(in, CLIENT_IF)) {
		host = nlnet_open(0, err, errlen);
		fc = nlnet_ns_fd(client->rt.init_pid);
		fn = nlnet_ns_fd(netvm->rt.init_pid);
		if (host == NULL)
			goto out;
		if (fc < 0 || fn < 0) {
			snprintf(err, errlen, "cannot open the network namespaces: %s", strerror(errno));
			goto out;
		}
		if (nlnet_veth_create(host, CLIENT_IF, fc, net_vif_name(client), fn, err, errlen) < 0)
			goto out;
	}
	r = client_setup(client, ip, gw, netvm->net_ipv6, err, errlen);
out:
	nlnet_close(in);
	nlnet_close(host);
	if (fc >= 0)
		close(fc);
	if (fn >= 0)
		close(fn);
	return r;
}

int
ns_net_detach(struct vm *client, char *err, size_t errlen)
{
	struct nl_sock *sk = nlnet_open(client->rt.init_pid, err, errlen);
	int r;

	if (sk == NULL)
		return -1;
	/* Deleting one end of a veth pair deletes both. */
	r = nlnet_link_del(sk, CLIENT_IF, err, errlen);
	nlnet_close(sk);
	return r;
}

/* Is a (network order) one of the host's own addresses? A netvm behind
 * host-nat may not reach those (ns_hostnat.c). */
static bool
host_address(uint32_t a)
{
	struct ifaddrs *ifs, *i;
	bool own = false;

	if (getifaddrs(&ifs) < 0)
		return false;
	for (i = ifs; i != NULL && !own; i = i->ifa_next)
		own = i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET &&
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == a;
	freeifaddrs(ifs);
	return own;
}

/* The host's resolvers, for a netvm behind host-nat: the first two of
 * /etc/resolv.conf that the netvm can reach (not loopback, not one of the
 * host's own addresses). */
static void
host_resolvers(struct net_uplink *up)
{
	char text[4096], *save = NULL;

	if (read_text_file("/etc/resolv.conf", text, sizeof(text)) < 0)
		return;
	for (char *line = strtok_r(text, "\n", &save); line != NULL && up->nresolvers < 2;
	    line = strtok_r(NULL, "\n", &save)) {
		char addr[64];
		uint32_t a;
		if (sscanf(line, "nameserver %63s", addr) == 1 && netcfg_ip_parse(addr, &a) == 0 &&
		    (ntohl(a) >> 24) != 127 && !host_address(a))
			up->resolvers[up->nresolvers++] = a;
	}
}

static void
parse_dns(const char *s, struct net_uplink *up)
{
	char buf[32], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, " ", &save); t != NULL && up->nresolvers < 2;
	    t = strtok_r(NULL, " ", &save))
		if (netcfg_ip_parse(t, &up->resolvers[up->nresolvers]) == 0)
			up->nresolvers++;
}

/* A dev: uplink's network namespace per netvm, held from the device's move
 * into it until it is moved back (the netvm may be gone by then). */
struct held_ns {
	char netvm[QUBE_NAME_MAX + 1];
	int fd;
	struct held_ns *next;
};

static struct held_ns *held;

/* netvm's held namespace, or NULL. */
static struct held_ns *
held_find(const char *netvm)
{
	for (struct held_ns *h = held; h != NULL; h = h->next)
		if (!strcmp(h->netvm, netvm))
			return h;
	return NULL;
}

static void
held_set(const char *netvm, int fd)
{
	struct held_ns *h = held_find(netvm);

	if (h == NULL) {
		h = xcalloc(1, sizeof(*h));
		snprintf(h->netvm, sizeof(h->netvm), "%s", netvm);
		h->next = held;
		held = h;
	} else
		close(h->fd);
	h->fd = fd;
}

static void
held_drop(struct held_ns *gone)
{
	for (struct held_ns **p = &held; *p != NULL; p = &(*p)->next)
		if (*p == gone) {
			*p = gone->next;
			break;
		}
	close(gone->fd);
	free(gone);
}

/* Moves ifname from the host into the netvm unless it is there already, and
 * holds the netvm's namespace: a namespace that ends destroys a virtual link
 * in it (only a physical one returns to the host), so ns_uplink_detach()
 * moves it back once the netvm's processes are gone. */
static int
move_in(struct vm *netvm, const char *ifname, char *err, size_t errlen)
{
	struct nl_sock *in = NULL, *host = NULL;
	int fd, r = -1;

	if ((fd = nlnet_ns_fd(netvm->rt.init_pid)) < 0) {
		snprintf(err, errlen, "cannot open the network namespace of %s", netvm->q.name);
		return -1;
	}
	if ((in = nlnet_open_ns(fd, err, errlen)) == NULL)
		goto out;
	if (!nlnet_link_exists(in, ifname)) {
		if ((host = nlnet_open(0, err, errlen)) == NULL ||
		    nlnet_link_move(host, ifname, fd, NULL, err, errlen) < 0)
			goto out;
	}
	held_set(netvm->q.name, fd);
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	nlnet_close(in);
	nlnet_close(host);
	return r;
}

/* Gives a dev: uplink back to the host (without the addresses sys-net gave
 * it) and lets the netvm's namespace go. */
static void
move_out(struct vm *netvm, struct held_ns *ns, const char *ifname)
{
	struct nl_sock *in;
	char err[256];
	int host;

	if ((in = nlnet_open_ns(ns->fd, err, sizeof(err))) == NULL) {
		log_warnx("%s: uplink %s not given back: %s", netvm->q.name, ifname, err);
	} else if (nlnet_link_exists(in, ifname)) {
		if ((host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 ||
		    nlnet_link_move(in, ifname, host, NULL, err, sizeof(err)) < 0)
			log_warnx("%s: uplink %s not given back: %s", netvm->q.name, ifname,
			    host < 0 ? strerror(errno) : err);
		else
			log_info("%s: uplink %s is back on the host", netvm->q.name, ifname);
		if (host >= 0)
			close(host);
	}
	nlnet_close(in);
	held_drop(ns);
}

int
ns_uplink_attach(struct vm *netvm, struct net_uplink *up, char *err, size_t errlen)
{
	const struct qube *q = &netvm->q;

	memset(up, 0, sizeof(*up));
	if (q->uplink[0] == '\0' || !strcmp(q->uplink, "none"))
		return 0;
	if (!strncmp(q->uplink, "dev:", 4)) {
		const char *dev = q->uplink + 4;
		if (move_in(netvm, dev, err, errlen) < 0)
			return -1;
		snprintf(up->ifname, sizeof(up->ifname), "%s", dev);
		if (q->uplink_address[0] != '\0')
			netcfg_cidr_parse(q->uplink_address, &up->addr, &up->prefix);
		if (q->uplink_gateway[0] != '\0')
			netcfg_ip_parse(q->uplink_gateway, &up->gw);
		parse_dns(q->uplink_dns, up);
		return 0;
	}
	if (hostnat_up(netvm, HOSTNAT_IF, up, err, errlen) < 0)
		return -1;
	snprintf(up->ifname, sizeof(up->ifname), HOSTNAT_IF);
	if (q->uplink_dns[0] != '\0')
		parse_dns(q->uplink_dns, up);
	else
		host_resolvers(up);
	if (up->nresolvers == 0)
		log_warnx("%s: no resolver for its clients (the host's are on the host itself, "
		    "which host-nat does not let it reach; set uplink_dns)", q->name);
	return 0;
}

void
ns_uplink_detach(struct vm *netvm)
{
	struct held_ns *ns = held_find(netvm->q.name);

	if (!strcmp(netvm->q.uplink, "host-nat"))
		hostnat_down(netvm);
	if (ns != NULL)
		move_out(netvm, ns, netvm->uplink.ifname);
}
