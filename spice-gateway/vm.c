#include "vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desktop.h"
#include "display.h"
#include "log.h"
#include "loop.h"

static void vm_io(int fd, int event, void *opaque);

static void
watch_mask(struct vm *vm)
{
	loop_watch_update(vm->watch, SPICE_WATCH_EVENT_READ |
	    (vm->out_len ? SPICE_WATCH_EVENT_WRITE : 0));
}

void
vm_disconnect(struct vm *vm, const char *why)
{
	if (vm->fd < 0)
		return;
	log_warnx("%s: qube disconnected: %s", vm->name, why);
	loop_watch_remove(vm->watch);
	vm->watch = NULL;
	close(vm->fd);
	vm->fd = -1;
	vm->in_len = 0;
	vm->out_len = 0;
	vm->clip_offered = vm->clip_vm_requested = false;
	vm->disconnects++;
	screen_reset(&vm->scr);
	desktop_forget(vm);
	vm_flush(vm);
}

void
vm_attach(struct vm *vm, int fd)
{
	struct gui_limits lim = vm->peer.lim;

	if (vm->fd >= 0)
		vm_disconnect(vm, "replaced by a new connection");
	gui_peer_init(&vm->peer, &lim);
	vm->fd = fd;
	vm->watch = loop_watch_add(fd, SPICE_WATCH_EVENT_READ, vm_io, vm);
	log_info("%s: qube connected", vm->name);
}

void
vm_send(struct vm *vm, uint32_t type, uint32_t window, const void *body, uint32_t len)
{
	size_t need = sizeof(struct gui_hdr) + len;

	if (vm->fd < 0)
		return;
	if (vm->out_len + need > VM_OUTBUF_MAX) {
		log_warnx("%s: qube does not read its input, message %u dropped", vm->name, type);
		return;
	}
	vm->out_len += gui_msg_build(vm->out + vm->out_len, type, window, body, len);
	watch_mask(vm);
}

void
vm_flush(struct vm *vm)
{
	struct rect d = vm->scr.dirty;

	if (d.w == 0 || d.h == 0)
		return;
	/* When too much is in flight the rectangle stays dirty; a release wakes us. */
	if (display_push(vm->view.disp, vm->scr.fb, (uint32_t)d.x, (uint32_t)d.y, d.w, d.h))
		screen_take_dirty(&vm->scr);
	desktop_flush();
}

static void
handle(struct vm *vm, const struct gui_event *ev)
{
	switch (ev->type) {
	case GUI_HELLO: {
		struct gui_hello h = { GUI_VERSION, 0 };
		vm_send(vm, GUI_HELLO, 0, &h, sizeof(h));
		break;
	}
	case GUI_CREATE:
	case GUI_CONFIGURE:
		/* Tell the qube the size it really got. */
		if (ev->clamped)
			vm_send(vm, GUI_CONFIGURE_REQ, ev->window, &ev->u.geom, sizeof(ev->u.geom));
		break;
	case GUI_CLIP_OFFER:
		agent_clip_offer(vm);
		break;
	case GUI_CLIP_DATA: {
		bool for_desktop = vm->clip_desktop_requested;

		vm->clip_desktop_requested = false;
		if (for_desktop)
			desktop_clip_data(vm, ev->data, ev->data_len);
		if (!for_desktop || vm->clip_vm_requested)
			agent_clip_data(vm, ev->data, ev->data_len);
		break;
	}
	default:
		break;
	}
}

static void
vm_read(struct vm *vm)
{
	ssize_t n = read(vm->fd, vm->in + vm->in_len, vm->in_cap - vm->in_len);
	size_t off = 0;

	if (n == 0) {
		vm_disconnect(vm, "end of stream");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			vm_disconnect(vm, strerror(errno));
		return;
	}
	vm->in_len += (size_t)n;
	for (;;) {
		struct gui_event ev;
		size_t used = 0;
		int r = gui_vm_parse(&vm->peer, vm->in + off, vm->in_len - off, &ev, &used);

		if (r == 0)
			break;
		if (r < 0) {
			vm_disconnect(vm, "protocol violation");
			return;
		}
		if (!screen_apply(&vm->scr, &ev)) {
			vm_disconnect(vm, "its windows are over the pixel budget");
			return;
		}
		desktop_event(vm, &ev);
		handle(vm, &ev);
		off += used;
		/* Each frame of damage goes out on its own while spice keeps up;
		 * when it does not, display_push() refuses and damage accumulates. */
		if (ev.type == GUI_DAMAGE)
			vm_flush(vm);
	}
	memmove(vm->in, vm->in + off, vm->in_len - off);
	vm->in_len -= off;
	vm_flush(vm);
}

static void
vm_write(struct vm *vm)
{
	ssize_t n = write(vm->fd, vm->out, vm->out_len);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			vm_disconnect(vm, strerror(errno));
		return;
	}
	memmove(vm->out, vm->out + n, vm->out_len - (size_t)n);
	vm->out_len -= (size_t)n;
	watch_mask(vm);
}

static void
vm_io(int fd, int event, void *opaque)
{
	struct vm *vm = opaque;

	if (event & SPICE_WATCH_EVENT_WRITE)
		vm_write(vm);
	if (vm->fd >= 0 && (event & SPICE_WATCH_EVENT_READ))
		vm_read(vm);
}
