/* The qubes' network, backend-neutral: which client is linked to which
 * netvm, and what each netvm's firewall is told. The links themselves are
 * the backend's (ns: veth pairs through libnl). */
#include "net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domd.h"
#include "events.h"
#include "lifecycle.h"
#include "log.h"
#include "netcfg.h"
#include "netvm_chan.h"
#include "store.h"

static bool
up(const struct vm *vm)
{
	return vm->state == VM_RUNNING || vm->state == VM_PAUSED;
}

int
net_assign_ip(struct vm *vm, char *err, size_t errlen)
{
	uint32_t base, host;
	char buf[16];

	if (vm->q.ip[0] != '\0')
		return 0;
	netcfg_ip_parse(NET_RANGE, &base);
	/* The lowest free host number; .0/.255 of each /24 are skipped to keep
	 * addresses unsurprising. */
	for (host = 2; host < (1u << (32 - NET_RANGE_PREFIX)) - 1; host++) {
		bool used = false;
		if ((host & 255) == 0 || (host & 255) == 255)
			continue;
		netcfg_ip_str(htonl(ntohl(base) + host), buf);
		for (struct vm *o = domd.vms; o != NULL && !used; o = o->next)
			used = !strcmp(o->q.ip, buf);
		if (used)
			continue;
		snprintf(vm->q.ip, sizeof(vm->q.ip), "%s", buf);
		if (store_save(vm) < 0) {
			snprintf(err, errlen, "cannot save the address of %s", vm->q.name);
			vm->q.ip[0] = '\0';
			return -1;
		}
		log_info("%s: address %s", vm->q.name, buf);
		event_property(vm, "ip");
		return 0;
	}
	snprintf(err, errlen, "no free address left in %s/%d", NET_RANGE, NET_RANGE_PREFIX);
	return -1;
}

const char *
net_vif_name(const struct vm *client)
{
	static char buf[16];
	uint32_t ip = 0;

	netcfg_ip_parse(client->q.ip, &ip);
	snprintf(buf, sizeof(buf), "vif%u", ntohl(ip) & 0xffff);
	return buf;
}

/* Is c on the way from q to the outside: q itself, or a netvm of its
 * chain? */
static bool
on_chain(const struct vm *q, const struct vm *c)
{
	for (int depth = 0; q != NULL && depth < 16; depth++) {
		if (q == c)
			return true;
		q = q->q.netvm[0] ? vm_find(q->q.netvm) : NULL;
	}
	return false;
}

/* The TCP ports a netvm forwards from its uplink to its client c: what c
 * listens on, and what the qubes behind it (c a netvm) listen on; each
 * netvm of the chain forwards them one hop on, with the same ports. */
static void
forwards_text(FILE *f, const struct vm *c)
{
	struct qube_ports pr[QUBE_LISTEN_MAX];
	int n, total = 0;

	for (const struct vm *q = domd.vms; q != NULL; q = q->next) {
		if (q->q.listen[0] == '\0' || !on_chain(q, c))
			continue;
		n = qube_listen_parse(q->q.listen, pr);
		for (int i = 0; i < n && total < NETCFG_FORWARDS_MAX; i++, total++)
			fprintf(f, "forward %u-%u\n", pr[i].lo, pr[i].hi);
	}
}

static void
client_text(FILE *f, const struct vm *c)
{
	const struct qube *q = &c->q;

	fprintf(f, "client %s %s %s %s\n", q->name, q->ip, net_vif_name(c),
	    fwrule_action_name(q->fw.policy));
	forwards_text(f, c);
	for (int i = 0; i < q->fw.n; i++) {
		struct fwrule r;
		char err[300];
		/* Stored rules were checked; should one not parse now, the
		 * client gets nothing through (fail closed). */
		if (fwrule_parse(qube_fw_rule(q, i), &r, err, sizeof(err)) < 0) {
			fprintf(f, "bad firewall rule %d: %s\n", i + 1, err);
			return;
		}
		fprintf(f, "rule %s\n", qube_fw_rule(q, i));
	}
}

char *
net_config_text(const struct vm *netvm, size_t *len)
{
	const struct net_uplink *u = &netvm->uplink;
	char *text = NULL, a[16], b[16];
	FILE *f = open_memstream(&text, len);

	if (f == NULL)
		fatalx("out of memory");
	fprintf(f, "netcfg %d\nself %s\nupstream %s\n", NETCFG_VERSION, netvm->q.ip,
	    u->ifname[0] ? u->ifname : "-");
	if (u->addr != 0)
		fprintf(f, "uplink %s/%d %s\n", netcfg_ip_str(u->addr, a), u->prefix,
		    netcfg_ip_str(u->gw, b));
	if (u->nresolvers > 0)
		fprintf(f, "resolver %s%s%s\n", netcfg_ip_str(u->resolvers[0], a),
		    u->nresolvers > 1 ? " " : "",
		    u->nresolvers > 1 ? netcfg_ip_str(u->resolvers[1], b) : "");
	if (netvm->net_ipv6)
		fprintf(f, "ipv6\n");
	for (const struct vm *c = domd.vms; c != NULL; c = c->next)
		if (c->net_attached && up(c) && !strcmp(c->q.netvm, netvm->q.name))
			client_text(f, c);
	fprintf(f, "end\n");
	if (fclose(f) != 0 || text == NULL)
		fatalx("out of memory");
	return text;
}

static void
attach(struct vm *client, struct vm *netvm)
{
	char err[512];

	if (domd.backend->net_attach == NULL || client->net_attached)
		return;
	if (net_assign_ip(client, err, sizeof(err)) < 0 ||
	    domd.backend->net_attach(client, netvm, err, sizeof(err)) < 0) {
		log_warnx("%s: cannot link it to its netvm %s: %s", client->q.name,
		    netvm->q.name, err);
		return;
	}
	client->net_attached = true;
	log_info("%s: linked to netvm %s as %s (%s)", client->q.name, netvm->q.name,
	    net_vif_name(client), client->q.ip);
}

void
net_vm_running(struct vm *vm)
{
	struct vm *netvm = vm->q.netvm[0] ? vm_find(vm->q.netvm) : NULL;
	char err[512];

	if (vm->q.provides_network && vm->netchan != NULL) {
		memset(&vm->uplink, 0, sizeof(vm->uplink));
		/* As it starts: its clients are linked with or without IPv6. */
		vm->net_ipv6 = vm->q.ipv6;
		if (vm->q.netvm[0] != '\0')
			snprintf(vm->uplink.ifname, sizeof(vm->uplink.ifname), "eth0");
		else if (domd.backend->uplink_attach != NULL &&
		    domd.backend->uplink_attach(vm, &vm->uplink, err, sizeof(err)) < 0)
			log_warnx("%s: no uplink: %s", vm->q.name, err);
		/* Its clients that run already (it restarted, or domd did). */
		for (struct vm *c = domd.vms; c != NULL; c = c->next)
			if (up(c) && !strcmp(c->q.netvm, vm->q.name))
				attach(c, vm);
		netvm_send(vm);
	}
	if (netvm != NULL && up(netvm)) {
		attach(vm, netvm);
		netvm_send(netvm);
	}
}

void
net_vm_halted(struct vm *vm)
{
	struct vm *netvm = vm->q.netvm[0] ? vm_find(vm->q.netvm) : NULL;

	vm->net_attached = false;
	if (vm->netchan != NULL) {
		/* Its clients' links went with it. */
		for (struct vm *c = domd.vms; c != NULL; c = c->next)
			if (!strcmp(c->q.netvm, vm->q.name))
				c->net_attached = false;
		if (domd.backend->uplink_detach != NULL && vm->q.netvm[0] == '\0')
			domd.backend->uplink_detach(vm);
		netvm_unlisten(vm);
		memset(&vm->uplink, 0, sizeof(vm->uplink));
	}
	if (netvm != NULL && up(netvm))
		netvm_send(netvm);
}

void
net_netvm_changed(struct vm *vm, const char *old_netvm)
{
	struct vm *old = old_netvm[0] ? vm_find(old_netvm) : NULL;
	struct vm *now = vm->q.netvm[0] ? vm_find(vm->q.netvm) : NULL;
	char err[512];

	if (!up(vm))
		return;
	if (vm->net_attached && domd.backend->net_detach != NULL) {
		if (domd.backend->net_detach(vm, err, sizeof(err)) < 0)
			log_warnx("%s: %s", vm->q.name, err);
		vm->net_attached = false;
	}
	if (old != NULL && up(old))
		netvm_send(old);
	if (now != NULL && up(now)) {
		attach(vm, now);
		netvm_send(now);
	}
}

unsigned long
net_rules_changed(struct vm *vm, struct vm **netvm)
{
	struct vm *n = vm->q.netvm[0] ? vm_find(vm->q.netvm) : NULL;

	*netvm = n;
	if (n == NULL || !up(n) || !vm->net_attached)
		return 0;
	return netvm_send(n);
}

void
net_listen_changed(struct vm *vm)
{
	/* Every running netvm of its chain forwards its ports one hop on. */
	struct vm *n = vm->q.netvm[0] ? vm_find(vm->q.netvm) : NULL;

	for (int depth = 0; n != NULL && depth < 16; depth++) {
		if (up(n))
			netvm_send(n);
		n = n->q.netvm[0] ? vm_find(n->q.netvm) : NULL;
	}
}
