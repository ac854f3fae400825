/* Links, addresses and routes through libnl (rtnetlink), in this or in
 * another network namespace. Used by domd's ns backend to wire qubes
 * together and by bulkhead-firewall inside a netvm. Addresses are IPv4 in
 * network byte order (the *6 functions: IPv6, 16 bytes); every error is one
 * line naming the link. */
#ifndef BULKHEAD_NLNET_H
#define BULKHEAD_NLNET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct nl_sock;

/* A route socket in the network namespace of pid (0: our own). */
struct nl_sock *nlnet_open(pid_t pid, char *err, size_t errlen);
/* The same in the namespace ns_fd refers to (-1: our own). */
struct nl_sock *nlnet_open_ns(int ns_fd, char *err, size_t errlen);
void nlnet_close(struct nl_sock *sk);

/* The namespace of pid as a descriptor (for the ns_fd arguments), or -1. */
int nlnet_ns_fd(pid_t pid);

/* A veth pair: end a named name_a in namespace ns_a, end b named name_b in
 * ns_b (-1: the socket's own namespace). */
int nlnet_veth_create(struct nl_sock *sk, const char *name_a, int ns_a, const char *name_b,
    int ns_b, char *err, size_t errlen);
/* Moves a link to namespace ns_fd, renamed to new_name unless NULL. */
int nlnet_link_move(struct nl_sock *sk, const char *ifname, int ns_fd, const char *new_name,
    char *err, size_t errlen);
/* 0 when deleted or absent. */
int nlnet_link_del(struct nl_sock *sk, const char *ifname, char *err, size_t errlen);
int nlnet_link_exists(struct nl_sock *sk, const char *ifname);
int nlnet_link_up(struct nl_sock *sk, const char *ifname, char *err, size_t errlen);
/* Adds ip/prefix to the link (present already: fine). */
int nlnet_addr_add(struct nl_sock *sk, const char *ifname, uint32_t ip, int prefix, char *err,
    size_t errlen);
/* Sets (replaces) the route dst/prefix through the link, via gw unless 0. */
int nlnet_route_set(struct nl_sock *sk, uint32_t dst, int prefix, uint32_t gw,
    const char *ifname, char *err, size_t errlen);
/* The same for IPv6 (added without duplicate address detection); gw NULL:
 * on the link. */
int nlnet_addr_add6(struct nl_sock *sk, const char *ifname, const uint8_t ip[16], int prefix,
    char *err, size_t errlen);
int nlnet_route_set6(struct nl_sock *sk, const uint8_t dst[16], int prefix, const uint8_t *gw,
    const char *ifname, char *err, size_t errlen);

#endif
