/* rtnetlink through libnl-route. A socket is bound to the namespace it was
 * created in, so entering another namespace only for the socket() call is
 * enough to work there from this process. */
#include "nlnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

int
nlnet_ns_fd(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

struct nl_sock *
nlnet_open(pid_t pid, char *err, size_t errlen)
{
	struct nl_sock *sk;
	int target;

	if (pid <= 0)
		return nlnet_open_ns(-1, err, errlen);
	if ((target = nlnet_ns_fd(pid)) < 0) {
		snprintf(err, errlen, "cannot enter the network namespace of pid %d: %s",
		    (int)pid, strerror(errno));
		return NULL;
	}
	sk = nlnet_open_ns(target, err, errlen);
	close(target);
	return sk;
}

struct nl_sock *
nlnet_open_ns(int ns_fd, char *err, size_t errlen)
{
	struct nl_sock *sk = nl_socket_alloc();
	int self = -1, r;

	if (sk == NULL) {
		snprintf(err, errlen, "out of memory for a netlink socket");
		return NULL;
	}
	if (ns_fd >= 0) {
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(ns_fd, CLONE_NEWNET) < 0) {
			snprintf(err, errlen, "cannot enter a network namespace: %s",
			    strerror(errno));
			goto fail;
		}
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	if (self >= 0 && setns(self, CLONE_NEWNET) < 0) {
		/* Staying in a qube's namespace would be far worse than dying. */
		perror("setns back to our own network namespace");
		_exit(70);
	}
	if (r < 0) {
		snprintf(err, errlen, "netlink: %s", nl_geterror(r));
		goto fail;
	}
	if (self >= 0)
		close(self);
	return sk;
fail:
	if (self >= 0)
		close(self);
	nl_socket_free(sk);
	return NULL;
}

void
nlnet_close(struct nl_sock *sk)
{
	if (sk != NULL)
		nl_socket_free(sk);
}

static int
nlfail(char *err, size_t errlen, int r, const char *what, const char *ifname)
{
	snprintf(err, errlen, "%s %s: %s", what, ifname, nl_geterror(r));
	return -1;
}

int
nlnet_veth_create(struct nl_sock *sk, const char *name_a, int ns_a, const char *name_b,
    int ns_b, char *err, size_t errlen)
{
	struct rtnl_link *a = rtnl_link_veth_alloc(), *b;
	int r;

	if (a == NULL)
		return nlfail(err, errlen, -NLE_NOMEM, "veth", name_a);
	b = rtnl_link_veth_get_peer(a);
	rtnl_link_set_name(a, name_a);
	rtnl_link_set_name(b, name_b);
	if (ns_a >= 0)
		rtnl_link_set_ns_fd(a, ns_a);
	if (ns_b >= 0)
		rtnl_link_set_ns_fd(b, ns_b);
	r = rtnl_link_add(sk, a, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(b);
	rtnl_link_veth_release(a);
	if (r < 0)
		return nlfail(err, errlen, r, "cannot create veth", name_a);
	return 0;
}

static int
get_link(struct nl_sock *sk, const char *ifname, struct rtnl_link **out, char *err, size_t errlen)
{
	int r = rtnl_link_get_kernel(sk, 0, ifname, out);

	if (r < 0)
		return nlfail(err, errlen, r, "no link", ifname);
	return 0;
}

int
nlnet_link_exists(struct nl_sock *sk, const char *ifname)
{
	struct rtnl_link *l;

	if (rtnl_link_get_kernel(sk, 0, ifname, &l) < 0)
		return 0;
	rtnl_link_put(l);
	return 1;
}

int
nlnet_link_move(struct nl_sock *sk, const char *ifname, int ns_fd, const char *new_name,
    char *err, size_t errlen)
{
	struct rtnl_link *l, *chg;
	int r;

	if (get_link(sk, ifname, &l, err, errlen) < 0)
		return -1;
	chg = rtnl_link_alloc();
	rtnl_link_set_ns_fd(chg, ns_fd);
	if (new_name != NULL)
		rtnl_link_set_name(chg, new_name);
	r = rtnl_link_change(sk, l, chg, 0);
	rtnl_link_put(chg);
	rtnl_link_put(l);
	if (r < 0)
		return nlfail(err, errlen, r, "cannot move link", ifname);
	return 0;
}

int
nlnet_link_del(struct nl_sock *sk, const char *ifname, char *err, size_t errlen)
{
	struct rtnl_link *l;
	int r;

	if (rtnl_link_get_kernel(sk, 0, ifname, &l) < 0)
		return 0;
	r = rtnl_link_delete(sk, l);
	rtnl_link_put(l);
	if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
		return nlfail(err, errlen, r, "cannot delete link", ifname);
	return 0;
}

int
nlnet_link_up(struct nl_sock *sk, const char *ifname, char *err, size_t errlen)
{
	struct rtnl_link *l, *chg;
	int r = 0;

	if (get_link(sk, ifname, &l, err, errlen) < 0)
		return -1;
	if (!(rtnl_link_get_flags(l) & IFF_UP)) {
		chg = rtnl_link_alloc();
		rtnl_link_set_flags(chg, IFF_UP);
		r = rtnl_link_change(sk, l, chg, 0);
		rtnl_link_put(chg);
	}
	rtnl_link_put(l);
	if (r < 0)
		return nlfail(err, errlen, r, "cannot bring up", ifname);
	return 0;
}

/* An address of family (AF_INET: 4 bytes, AF_INET6: 16) with a prefix. */
static struct nl_addr *
addr_of(int family, const void *ip, int prefix)
{
	struct nl_addr *a = nl_addr_build(family, ip, family == AF_INET ? 4 : 16);

	if (a != NULL)
		nl_addr_set_prefixlen(a, prefix);
	return a;
}

static int
addr_add(struct nl_sock *sk, const char *ifname, int family, const void *ip, int prefix,
    char *err, size_t errlen)
{
	struct rtnl_link *l;
	struct rtnl_addr *a;
	struct nl_addr *local;
	int r, full = family == AF_INET ? 32 : 128, flags = 0;

	if (get_link(sk, ifname, &l, err, errlen) < 0)
		return -1;
	a = rtnl_addr_alloc();
	local = addr_of(family, ip, prefix);
	rtnl_addr_set_ifindex(a, rtnl_link_get_ifindex(l));
	rtnl_addr_set_local(a, local);
	/* A host address gets no prefix route: the routes are set on their
	 * own. IPv6 skips duplicate detection: the address is ours by
	 * assignment, and is usable at once instead of after a second. */
	if (prefix == full)
		flags |= IFA_F_NOPREFIXROUTE;
	if (family == AF_INET6)
		flags |= IFA_F_NODAD;
	rtnl_addr_set_flags(a, (unsigned)flags);
	r = rtnl_addr_add(sk, a, 0);
	nl_addr_put(local);
	rtnl_addr_put(a);
	rtnl_link_put(l);
	if (r < 0 && r != -NLE_EXIST)
		return nlfail(err, errlen, r, "cannot add an address to", ifname);
	return 0;
}

int
nlnet_addr_add(struct nl_sock *sk, const char *ifname, uint32_t ip, int prefix, char *err,
    size_t errlen)
{
	return addr_add(sk, ifname, AF_INET, &ip, prefix, err, errlen);
}

int
nlnet_addr_add6(struct nl_sock *sk, const char *ifname, const uint8_t ip[16], int prefix,
    char *err, size_t errlen)
{
	return addr_add(sk, ifname, AF_INET6, ip, prefix, err, errlen);
}

/* gw NULL: a route on the link itself. */
static int
route_set(struct nl_sock *sk, int family, const void *dst, int prefix, const void *gw,
    const char *ifname, char *err, size_t errlen)
{
	struct rtnl_link *l;
	struct rtnl_route *rt;
	struct rtnl_nexthop *nh;
	struct nl_addr *d, *g = NULL;
	int r;

	if (get_link(sk, ifname, &l, err, errlen) < 0)
		return -1;
	rt = rtnl_route_alloc();
	d = addr_of(family, dst, prefix);
	rtnl_route_set_family(rt, (uint8_t)family);
	rtnl_route_set_dst(rt, d);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_scope(rt, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	nh = rtnl_route_nh_alloc();
	rtnl_route_nh_set_ifindex(nh, rtnl_link_get_ifindex(l));
	if (gw) {
		g = addr_of(family, gw, family == AF_INET ? 32 : 128);
		rtnl_route_nh_set_gateway(nh, g);
	}
	rtnl_route_add_nexthop(rt, nh);
	r = rtnl_route_add(sk, rt, NLM_F_REPLACE);
	nl_addr_put(d);
	if (g != NULL)
		nl_addr_put(g);
	rtnl_route_put(rt);
	rtnl_link_put(l);
	if (r < 0)
		return nlfail(err, errlen, r, "cannot set a route through", ifname);
	return 0;
}

int
nlnet_route_set(struct nl_sock *sk, uint32_t dst, int prefix, uint32_t gw, const char *ifname,
    char *err, size_t errlen)
{
	return route_set(sk, AF_INET, &dst, prefix, gw ? &gw : NULL, ifname, err, errlen);
}

int
nlnet_route_set6(struct nl_sock *sk, const uint8_t dst[16], int prefix, const uint8_t *gw,
    const char *ifname, char *err, size_t errlen)
{
	return route_set(sk, AF_INET6, dst, prefix, gw, ifname, err, errlen);
}
