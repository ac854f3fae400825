/* USB attachments (usb.h). An attachment is: the importer command running
 * in the qube (domd holds the other end of its stdio channel: when that
 * ends, the import ended), a one-shot grant for its bulkhead.USB call, then
 * a dup of the channel between importer and exporter, shut down on detach;
 * on the ns backend also the host's vhci-hcd port domd plugged for it
 * (usb_vhci.h), detached when the attachment ends. */
#include "usb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "domd.h"
#include "log.h"
#include "rpc.h"
#include "store.h"
#include "usb_nodes.h"
#include "usb_vhci.h"
#include "xalloc.h"

#define GRANT_SECONDS 30 /* for the importer to place its call */
#define IMPORTER "/usr/lib/bulkhead/bulkhead-usbproxy"

struct usb_att {
	char vm[QUBE_NAME_MAX + 1];
	char id[QUBE_USB_LEN];
	char usbvm[QUBE_NAME_MAX + 1];
	char arg[16];          /* the service argument: BUSID or VID.PID */
	int run_fd;            /* domd's end of the importer's stdio channel */
	struct watch w;
	bool granted;          /* the grant is still to be used */
	bool ending;           /* cut by a detach; gone when the import ends */
	time_t grant_until;
	int chan_fd;           /* a handle on importer <-> exporter, -1 before */
	struct usb_vhci_port vhci; /* ns: the host port domd plugged, once */
	bool plugged;          /* the importer had its port (one per attachment) */
	struct usb_att *next;
};

static struct usb_att *atts;

static void att_io(void *arg, uint32_t events);

static void reconcile(void);

/* Assigned devices are retried at most every RETRY_SECONDS: a device that
 * is not there must not start an importer every second. */
#define RETRY_SECONDS 10
static struct {
	char key[QUBE_NAME_MAX + 2 + QUBE_USB_LEN];
	time_t at;
} tries[64];

static bool
tried_recently(const char *vm, const char *id)
{
	char key[sizeof(tries[0].key)];
	time_t now = time(NULL);
	size_t oldest = 0;

	snprintf(key, sizeof(key), "%s/%s", vm, id);
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (!strcmp(tries[i].key, key)) {
			if (now - tries[i].at < RETRY_SECONDS)
				return true;
			tries[i].at = now;
			return false;
		}
		if (tries[i].at < tries[oldest].at)
			oldest = i;
	}
	snprintf(tries[oldest].key, sizeof(tries[oldest].key), "%s", key);
	tries[oldest].at = now;
	return false;
}

static struct usb_att *
find(const char *vm, const char *id)
{
	for (struct usb_att *a = atts; a != NULL; a = a->next)
		if ((vm == NULL || !strcmp(a->vm, vm)) && !strcmp(a->id, id))
			return a;
	return NULL;
}

static void
att_free(struct usb_att *a, const char *why)
{
	for (struct usb_att **p = &atts; *p != NULL; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			break;
		}
	if (a->chan_fd >= 0) {
		shutdown(a->chan_fd, SHUT_RDWR); /* both ends see the end */
		close(a->chan_fd);
	}
	usb_vhci_unplug(&a->vhci);
	if (a->run_fd >= 0) {
		watch_del(a->run_fd);
		close(a->run_fd);
	}
	log_info("usb: %s detached from %s: %s", a->id, a->vm, why);
	free(a);
}

static bool
up(const struct vm *vm)
{
	return vm != NULL && vm->state == VM_RUNNING;
}

/* Cuts a's channel; the importer detaches its port and ends by itself. */
static void
cut(struct usb_att *a)
{
	if (a->chan_fd >= 0) {
		shutdown(a->chan_fd, SHUT_RDWR);
		close(a->chan_fd);
		a->chan_fd = -1;
	}
	usb_vhci_unplug(&a->vhci);
	a->granted = false;
	a->ending = true;
	a->grant_until = time(NULL) + GRANT_SECONDS;
}

int
usb_attach(struct vm *vm, const char *id, char *code, char *err, size_t errlen)
{
	char usbvm[QUBE_NAME_MAX + 1], dev[16], cmd[256];
	struct vm *u;
	struct usb_att *a;
	int sp[2];

	strcpy(code, "invalid");
	if (!qube_usb_id_valid(id, usbvm, dev)) {
		snprintf(err, errlen, "invalid usb device '%.48s' (expected USBVM:BUSID like "
		    "sys-usb:1-1, or USBVM:VID:PID)", id);
		return -1;
	}
	if ((u = vm_find(usbvm)) == NULL || !u->q.provides_usb) {
		snprintf(err, errlen, "'%s' is not a qube with provides_usb", usbvm);
		return -1;
	}
	if (u == vm) {
		snprintf(err, errlen, "a qube cannot attach its own devices");
		return -1;
	}
	strcpy(code, "bad-state");
	if (!up(u) || !up(vm)) {
		snprintf(err, errlen, "%s is not running", !up(u) ? u->q.name : vm->q.name);
		return -1;
	}
	if ((a = find(NULL, id)) != NULL) {
		strcpy(code, a->ending ? "bad-state" : "in-use");
		if (a->ending) {
			snprintf(err, errlen, "%s is still being detached from %s", id, a->vm);
			return -1;
		}
		snprintf(err, errlen, "%s is attached to %s already", id, a->vm);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0) {
		strcpy(code, "internal");
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	a = xcalloc(1, sizeof(*a));
	snprintf(a->vm, sizeof(a->vm), "%s", vm->q.name);
	snprintf(a->id, sizeof(a->id), "%s", id);
	snprintf(a->usbvm, sizeof(a->usbvm), "%s", usbvm);
	/* The RPC argument cannot carry ':'. */
	snprintf(a->arg, sizeof(a->arg), "%s", dev);
	if (strchr(a->arg, ':') != NULL)
		*strchr(a->arg, ':') = '.';
	a->run_fd = sp[0];
	a->chan_fd = -1;
	a->vhci.port = a->vhci.kernel_end = -1;
	a->granted = true;
	a->grant_until = time(NULL) + GRANT_SECONDS;
	a->w = (struct watch){ att_io, a };
	a->next = atts;
	atts = a;
	watch_add(a->run_fd, EPOLLIN, &a->w);
	/* On ns the qube cannot write the host's vhci-hcd: domd plugs the port
	 * when the importer asks (usb_vhci_grant). */
	snprintf(cmd, sizeof(cmd), "exec " IMPORTER " import%s%s -- bulkhead-rpc %s bulkhead.USB+%s",
	    domd.backend == &backend_ns ? " --vhci-by-domd " : "",
	    domd.backend == &backend_ns ? a->arg : "", usbvm, a->arg);
	rpc_exec_dom0(vm, cmd, "root", sp[1]);
	log_info("usb: attaching %s to %s", id, vm->q.name);
	return 0;
}

int
usb_detach(struct vm *vm, const char *id, char *err, size_t errlen)
{
	struct usb_att *a = find(vm->q.name, id);

	if (a == NULL || a->ending) {
		snprintf(err, errlen, "%.48s is not attached to %s", id, vm->q.name);
		return -1;
	}
	/* Cut the channel now; the importer then detaches its port and ends,
	 * and its end frees the record (att_io), or the tick does. */
	cut(a);
	log_info("usb: detaching %s from %s", a->id, a->vm);
	return 0;
}

void
usb_each(void (*fn)(const char *vm, const char *device, const char *state, void *arg),
    void *arg)
{
	for (struct usb_att *a = atts; a != NULL; a = a->next)
		fn(a->vm, a->id, a->ending ? "detaching" : a->chan_fd >= 0 ? "attached" :
		    "attaching", arg);
}

bool
usb_grant_take(const char *source, const char *arg, const char *target)
{
	for (struct usb_att *a = atts; a != NULL; a = a->next)
		if (a->granted && !strcmp(a->vm, source) && !strcmp(a->arg, arg) &&
		    !strcmp(a->usbvm, target) && time(NULL) <= a->grant_until) {
			a->granted = false;
			return true;
		}
	return false;
}

void
usb_channel(const char *source, const char *arg, int fd)
{
	for (struct usb_att *a = atts; a != NULL; a = a->next)
		if (!a->granted && a->chan_fd < 0 && !strcmp(a->vm, source) &&
		    !strcmp(a->arg, arg)) {
			a->chan_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
			log_info("usb: %s attached to %s", a->id, a->vm);
			return;
		}
}

int
usb_vhci_grant(struct vm *vm, const struct vhci_arg *va, char *err, size_t errlen)
{
	int taken[64], fd;
	size_t ntaken = 0;
	struct usb_att *a;

	if (va == NULL) {
		snprintf(err, errlen, "expected BUSID+DEVID+SPEED");
		return -1;
	}
	for (a = atts; a != NULL; a = a->next)
		if (!strcmp(a->vm, vm->q.name) && !strcmp(a->arg, va->busid))
			break;
	/* Only after its bulkhead.USB call was connected, and only once. */
	if (a == NULL || a->ending || a->chan_fd < 0 || a->plugged) {
		snprintf(err, errlen, "no attachment of %s to %s waits for its port", va->busid,
		    vm->q.name);
		return -1;
	}
	for (struct usb_att *o = atts; o != NULL && ntaken < 64; o = o->next)
		if (o->vhci.port >= 0)
			taken[ntaken++] = o->vhci.port;
	if ((fd = usb_vhci_plug(va->devid, va->speed, taken, ntaken, &a->vhci, err, errlen)) < 0)
		return -1;
	a->plugged = true;
	log_info("usb: %s plugged into vhci-hcd port %d for %s", a->id, a->vhci.port, a->vm);
	return fd;
}

/* The importer's stdio channel: its output is not needed, its end is. */
static void
att_io(void *arg, uint32_t events)
{
	struct usb_att *a = arg;
	char buf[4096];
	ssize_t n;

	while ((n = read(a->run_fd, buf, sizeof(buf))) > 0)
		;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		att_free(a, a->ending ? "its channel was cut" : "the import ended");
		reconcile(); /* an assigned device may come back at once */
	}
}

/* Attaches every assigned device whose two qubes run and that is not
 * attached (or still being detached). */
static void
reconcile(void)
{
	char code[32], err[256];

	for (struct vm *v = domd.vms; v != NULL; v = v->next) {
		if (!up(v))
			continue;
		for (int i = 0; i < v->q.nusb; i++) {
			char usbvm[QUBE_NAME_MAX + 1];
			if (!qube_usb_id_valid(v->q.usb[i], usbvm, NULL) || find(NULL, v->q.usb[i]) ||
			    !up(vm_find(usbvm)) || tried_recently(v->q.name, v->q.usb[i]))
				continue;
			if (usb_attach(v, v->q.usb[i], code, err, sizeof(err)) < 0)
				log_warnx("usb: %s: %s", v->q.name, err);
		}
	}
}

void
usb_vm_running(struct vm *vm)
{
	/* A qube that just started gets its devices without waiting. */
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++)
		tries[i].at = 0;
	usb_nodes_sync(vm);
	reconcile();
}

void
usb_vm_halted(struct vm *vm)
{
	for (struct usb_att *a = atts, *next; a != NULL; a = next) {
		next = a->next;
		if (!strcmp(a->vm, vm->q.name))
			att_free(a, "its qube halted");
		else if (!strcmp(a->usbvm, vm->q.name) && !a->ending)
			cut(a); /* the importer still has its port to give back */
	}
}

void
usb_tick(void)
{
	time_t now = time(NULL);

	for (struct usb_att *a = atts, *next; a != NULL; a = next) {
		next = a->next;
		if (a->granted && now > a->grant_until)
			att_free(a, "the importer did not call in time");
		else if (a->ending && now > a->grant_until)
			att_free(a, "its channel was cut (the importer did not end by itself)");
	}
	/* Devices come and go on the host: a USB qube's nodes follow. */
	for (struct vm *v = domd.vms; v != NULL; v = v->next)
		usb_nodes_sync(v);
	reconcile();
}
