#include "vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "desktop.h"
#include "display.h"
#include "log.h"
#include "loop.h"

static void vm_io(int fd, int event, void *opaque);

static void
watch_mask(struct vm *vm)
{
	loop_watch_update(vm->watch, (vm->stalled ? 0 : SPICE_WATCH_EVENT_READ) |
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
	vm->damage_open = false;
	vm->damage_left = 0;
	vm->stalled = false;
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
	uint32_t *pix;

	/* When too much is in flight the rectangle stays dirty; a release wakes us. */
	if (!rect_empty(d) && vm->view.disp != NULL &&
	    (pix = display_begin(vm->view.disp, (uint32_t)d.x, (uint32_t)d.y, d.w, d.h)) != NULL) {
		screen_paint(&vm->scr, &(struct canvas){ pix, d });
		display_end(vm->view.disp);
		screen_take_dirty(&vm->scr);
	}
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

/* Where the pending damage's pixel byte done goes; *room: the bytes left
 * in its row. */
static uint8_t *
damage_dst(struct vm *vm, size_t done, size_t *room)
{
	const struct gui_damage *d = &vm->damage.u.damage;
	size_t row_bytes = (size_t)d->width * 4;
	uint32_t row = (uint32_t)(done / row_bytes);
	size_t col = done % row_bytes;

	*room = row_bytes - col;
	return (uint8_t *)screen_pixels_at(&vm->scr, vm->damage.slot, d->x, d->y + row) + col;
}

/* Puts up to len bytes of the stream into the pending damage's rows. */
static size_t
damage_take(struct vm *vm, const uint8_t *untrusted_src, size_t len)
{
	size_t taken = 0;

	while (taken < len && vm->damage_left > 0) {
		size_t room;
		uint8_t *dst = damage_dst(vm, vm->damage_done, &room);
		size_t n = room < len - taken ? room : len - taken;

		memcpy(dst, untrusted_src + taken, n);
		taken += n;
		vm->damage_done += n;
		vm->damage_left -= n;
	}
	return taken;
}

/* Reads the pending damage's pixels straight into the window's rows, and,
 * once its last row is in the request, what follows into vm->in. */
static ssize_t
read_into_window(struct vm *vm)
{
	struct iovec iov[VM_READ_ROWS + 1];
	size_t done = vm->damage_done, left = vm->damage_left, px;
	int n = 0;
	ssize_t r;

	while (left > 0 && n < VM_READ_ROWS) {
		size_t room;

		iov[n].iov_base = damage_dst(vm, done, &room);
		iov[n++].iov_len = room;
		done += room;
		left -= room;
	}
	if (left == 0)
		iov[n++] = (struct iovec){ vm->in + vm->in_len, vm->in_cap - vm->in_len };
	r = readv(vm->fd, iov, n);
	if (r <= 0)
		return r;
	px = (size_t)r < vm->damage_left ? (size_t)r : vm->damage_left;
	vm->damage_done += px;
	vm->damage_left -= px;
	vm->in_len += (size_t)r - px;
	return r;
}

/* Applies a checked event; false if the qube was disconnected. */
static bool
apply(struct vm *vm, const struct gui_event *ev)
{
	if (!screen_apply(&vm->scr, ev)) {
		vm_disconnect(vm, "its windows are over the pixel budget");
		return false;
	}
	desktop_event(vm, ev);
	handle(vm, ev);
	/* Each frame of damage goes out on its own while spice keeps up;
	 * when it does not, display_begin() refuses, the damage stays dirty
	 * and consume() stops reading the qube until a release. */
	if (ev->type == GUI_DAMAGE)
		vm_flush(vm);
	return true;
}

/* Damage that a viewer has not taken yet (its display refused it). */
static bool
backlogged(const struct vm *vm)
{
	return (vm->view.disp != NULL && !rect_empty(vm->scr.dirty)) || desktop_backlogged();
}

/* Applies the messages in vm->in; stops, stalled, after a damage that a
 * viewer could not take yet. */
static void
consume(struct vm *vm)
{
	size_t off = 0;

	for (;;) {
		struct gui_event ev;
		size_t used = 0;
		int r;

		if (vm->damage_open) {
			off += damage_take(vm, vm->in + off, vm->in_len - off);
			if (vm->damage_left > 0)
				break;
			vm->damage_open = false;
			if (!apply(vm, &vm->damage))
				return;
			if (backlogged(vm)) {
				vm->stalled = true;
				watch_mask(vm);
				break;
			}
			continue;
		}
		r = gui_vm_parse_head(&vm->peer, vm->in + off, vm->in_len - off, &ev, &used);
		if (r == 0)
			break;
		if (r < 0) {
			vm_disconnect(vm, "protocol violation");
			return;
		}
		off += used;
		if (ev.type == GUI_DAMAGE) {
			/* Checked: the rectangle lies in the window, data_len bytes follow. */
			vm->damage = ev;
			vm->damage_open = true;
			vm->damage_done = 0;
			vm->damage_left = ev.data_len;
			continue;
		}
		if (!apply(vm, &ev))
			return;
	}
	memmove(vm->in, vm->in + off, vm->in_len - off);
	vm->in_len -= off;
	vm_flush(vm);
}

void
vm_resume(struct vm *vm)
{
	if (vm->fd < 0 || !vm->stalled || backlogged(vm))
		return;
	vm->stalled = false;
	watch_mask(vm);
	consume(vm);
}

static void
vm_read(struct vm *vm)
{
	ssize_t n;

	if (vm->damage_open && vm->in_len == 0) {
		n = read_into_window(vm);
	} else {
		n = read(vm->fd, vm->in + vm->in_len, vm->in_cap - vm->in_len);
		if (n > 0)
			vm->in_len += (size_t)n;
	}
	if (n == 0) {
		vm_disconnect(vm, "end of stream");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			vm_disconnect(vm, strerror(errno));
		return;
	}
	consume(vm);
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
