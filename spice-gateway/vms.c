#include "vms.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "qube.h"
#include "rpc_call.h"
#include "vmlink.h"
#include "xalloc.h"

static struct vms_cfg cfg;
static struct vm *vms[VMS_MAX]; /* live until exit */
static int nvms, nstarted, places_used;

void
vms_init(const struct vms_cfg *c)
{
	cfg = *c;
	/* Spare inherited sockets are not for the calls to dom0 we run. */
	for (int i = 0; cfg.listen.kind == LISTEN_FD && i < cfg.listen_fds; i++)
		fcntl(cfg.listen.fd + i, F_SETFD, FD_CLOEXEC);
}

static struct vm *
find(const char *name)
{
	for (int i = 0; i < nvms; i++)
		if (!strcmp(vms[i]->name, name))
			return vms[i];
	return NULL;
}

static struct vm *
make(const char *name, const char *label, uint32_t rgb)
{
	struct vm *vm;

	if (nvms == VMS_MAX) {
		log_warnx("%s: no room for more than %d qubes", name, VMS_MAX);
		return NULL;
	}
	vm = xcalloc(1, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	snprintf(vm->label, sizeof(vm->label), "%s", label);
	vm->fd = -1;
	vm_view_init(vm);
	vm->clip_allowed = cfg.clip;
	gui_peer_init(&vm->peer, &cfg.lim);
	vm->in_cap = gui_peer_max_head(&vm->peer) + VM_INBUF_SLACK;
	vm->in = xmalloc(vm->in_cap);
	vm->out = xmalloc(VM_OUTBUF_MAX);
	screen_init(&vm->scr, vm->name, rgb, cfg.w, cfg.h);
	vms[nvms++] = vm;
	return vm;
}

/* NAME:LABEL[:SOCKET]; without a socket the qube comes only through RPC. */
struct vm *
vms_add_arg(const char *arg)
{
	char *s = xstrdup(arg), *label, *path;
	uint32_t rgb;
	struct vm *vm;

	label = strchr(s, ':');
	if (label == NULL)
		fatalx("--vm %s: expected NAME:LABEL[:SOCKET]", arg);
	*label++ = '\0';
	if ((path = strchr(label, ':')) != NULL)
		*path++ = '\0';
	if (!qube_name_valid(s))
		fatalx("--vm %s: bad qube name", arg);
	if (!screen_label_rgb(label, &rgb))
		fatalx("--vm %s: unknown label %s", arg, label);
	if (find(s) != NULL)
		fatalx("qube %s given twice", s);
	if ((vm = make(s, label, rgb)) == NULL)
		exit(1);
	if (path != NULL && vmlink_listen_unix(vm, path) < 0)
		exit(1);
	free(s);
	return vm;
}

bool
vms_next_listen(struct listen_cfg *out)
{
	*out = cfg.listen;
	if (cfg.listen.kind == LISTEN_FD && places_used >= cfg.listen_fds)
		return false;
	if (cfg.listen.kind == LISTEN_TCP && cfg.listen.tcp_port > 65535)
		return false;
	cfg.listen.tcp_port++;
	cfg.listen.fd++;
	places_used++;
	return true;
}

int
vms_start_all(void)
{
	struct listen_cfg place;

	for (; nstarted < nvms; nstarted++) {
		if (!vms_next_listen(&place)) {
			log_warnx("%s: no listening socket left for its display", vms[nstarted]->name);
			return -1;
		}
		if (server_start(&vms[nstarted]->view, &place, cfg.w, cfg.h) < 0)
			return -1;
	}
	return 0;
}

struct vm *
vms_for_stream(const char *name)
{
	char call[96], label[32];
	struct vm *vm = find(name);
	struct listen_cfg place;
	uint32_t rgb;

	/* A qube whose display could not be started has none to draw on. */
	if (vm != NULL || !cfg.new_qubes)
		return vm != NULL && vm->view.disp != NULL ? vm : NULL;
	/* Only a qube that may send its windows here has a label for us. */
	snprintf(call, sizeof(call), "bulkhead.GuiLabel+%s", name);
	if (!rpc_call_line(call, label, sizeof(label)) || !screen_label_rgb(label, &rgb)) {
		log_warnx("rpc: domd gives no label for qube %s", name);
		return NULL;
	}
	if (!vms_next_listen(&place)) {
		log_warnx("%s: no listening socket left for a new qube's display", name);
		return NULL;
	}
	if ((vm = make(name, label, rgb)) == NULL)
		return NULL;
	nstarted = nvms;
	if (server_start(&vm->view, &place, cfg.w, cfg.h) < 0)
		return NULL;
	log_info("%s: a display for a new qube (%s)", name, label);
	return vm;
}

void
vms_disconnect_all(const char *why)
{
	for (int i = 0; i < nvms; i++)
		vm_disconnect(vms[i], why);
}

void
vms_resume(void)
{
	for (int i = 0; i < nvms; i++)
		vm_resume(vms[i]);
}
