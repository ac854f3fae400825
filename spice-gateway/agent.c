/* The vdagent char device of one qube's SpiceServer: spice-server writes the
 * viewer's agent messages into it and reads ours from it. The gateway plays
 * the agent: it answers the capability handshake and carries text between
 * the viewer's clipboard and the qube's, each transfer asked of the policy,
 * UTF-8 only, bounded by the clipboard limit.
 *
 * Viewer -> qube: GRAB{types} -> (policy) REQUEST{UTF8} -> CLIPBOARD{text}
 * -> GUI_CLIP_DATA. Qube -> viewer: GUI_CLIP_OFFER -> (policy) GRAB{UTF8};
 * the viewer's REQUEST -> GUI_CLIP_REQUEST; the qube's GUI_CLIP_DATA ->
 * CLIPBOARD{text}. Without CLIPBOARD_SELECTION the messages carry no
 * selection prefix. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <spice/vd_agent.h>

#include "log.h"
#include "vm.h"

#define AGENT_OF(sin) ((struct vm *)((char *)(sin) - offsetof(struct vm, agent)))
#define AGENT_OUT_MAX (512 * 1024)

static void
agent_queue(struct vm *vm, uint32_t type, const void *data, uint32_t len)
{
	size_t n = vda_framed_len(len);
	uint8_t *p;

	if (vm->agent_out_len - vm->agent_out_off + n > AGENT_OUT_MAX) {
		log_warnx("%s: viewer's agent does not read, message %u dropped", vm->name, type);
		return;
	}
	if (vm->agent_out_off) {
		memmove(vm->agent_out, vm->agent_out + vm->agent_out_off,
		    vm->agent_out_len - vm->agent_out_off);
		vm->agent_out_len -= vm->agent_out_off;
		vm->agent_out_off = 0;
	}
	p = realloc(vm->agent_out, vm->agent_out_len + n);
	if (p == NULL) {
		log_warnx("%s: out of memory for the agent", vm->name);
		return;
	}
	vm->agent_out = p;
	vm->agent_out_len += vda_frame(p + vm->agent_out_len, VDP_CLIENT_PORT, type, data, len);
	spice_server_char_device_wakeup(&vm->agent);
}

static void
announce(struct vm *vm, uint32_t request)
{
	uint32_t caps[2] = { htole32(request), htole32(1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND) };

	agent_queue(vm, VD_AGENT_ANNOUNCE_CAPABILITIES, caps, sizeof(caps));
}

static bool
allowed(struct vm *vm, enum clip_dir dir)
{
	bool ok = vm->clip_allowed(vm->clip_ctx, vm->name, dir);

	log_info("%s: clipboard %s: %s", vm->name,
	    dir == CLIP_FROM_VIEWER ? "viewer to qube" : "qube to viewer", ok ? "allowed" : "denied");
	return ok;
}

/* CLIPBOARD{type, text} to the viewer; empty text answers a refused request. */
static void
send_text(struct vm *vm, const uint8_t *text, uint32_t len)
{
	uint8_t *m = malloc(4 + (size_t)len);
	uint32_t type = htole32(VD_AGENT_CLIPBOARD_UTF8_TEXT);

	if (m == NULL)
		return;
	memcpy(m, &type, 4);
	if (len)
		memcpy(m + 4, text, len);
	agent_queue(vm, VD_AGENT_CLIPBOARD, m, 4 + len);
	free(m);
}

static void
grab_to_viewer(struct vm *vm)
{
	uint32_t type = htole32(VD_AGENT_CLIPBOARD_UTF8_TEXT);

	agent_queue(vm, VD_AGENT_CLIPBOARD_GRAB, &type, sizeof(type));
}

void
agent_clip_offer(struct vm *vm)
{
	vm->clip_offered = allowed(vm, CLIP_TO_VIEWER);
	if (vm->clip_offered)
		grab_to_viewer(vm);
}

void
agent_clip_data(struct vm *vm, const uint8_t *untrusted_text, size_t len)
{
	if (!vm->clip_vm_requested) {
		log_warnx("%s: clipboard data the gateway did not ask for, dropped", vm->name);
		return;
	}
	vm->clip_vm_requested = false;
	/* The parser bounded len by the clipboard limit. */
	if (!gui_utf8_valid(untrusted_text, len)) {
		log_warnx("%s: clipboard to the viewer refused: not UTF-8", vm->name);
		send_text(vm, NULL, 0);
		return;
	}
	send_text(vm, untrusted_text, (uint32_t)len);
}

/* The viewer's clipboard messages; data is bounded by the reassembly. */
static void
viewer_clip(struct vm *vm, uint32_t type, const uint8_t *data, uint32_t size)
{
	uint32_t t;

	switch (type) {
	case VD_AGENT_CLIPBOARD_GRAB: {
		bool text = false;

		for (uint32_t i = 0; i + 4 <= size; i += 4) {
			memcpy(&t, data + i, 4);
			text |= le32toh(t) == VD_AGENT_CLIPBOARD_UTF8_TEXT;
		}
		vm->clip_viewer_grabbed = false;
		if (!text || !allowed(vm, CLIP_FROM_VIEWER))
			return;
		vm->clip_viewer_grabbed = true;
		t = htole32(VD_AGENT_CLIPBOARD_UTF8_TEXT);
		agent_queue(vm, VD_AGENT_CLIPBOARD_REQUEST, &t, sizeof(t));
		return;
	}
	case VD_AGENT_CLIPBOARD:
		if (!vm->clip_viewer_grabbed || size < 4)
			return;
		vm->clip_viewer_grabbed = false;
		memcpy(&t, data, 4);
		if (le32toh(t) != VD_AGENT_CLIPBOARD_UTF8_TEXT || !gui_utf8_valid(data + 4, size - 4) ||
		    size - 4 > vm->peer.lim.clip_max) {
			log_warnx("%s: clipboard from the viewer refused: not UTF-8 text", vm->name);
			return;
		}
		vm_send(vm, GUI_CLIP_DATA, 0, data + 4, size - 4);
		return;
	case VD_AGENT_CLIPBOARD_REQUEST:
		memcpy(&t, data, size >= 4 ? 4 : 0);
		if (size < 4 || le32toh(t) != VD_AGENT_CLIPBOARD_UTF8_TEXT || !vm->clip_offered ||
		    vm->fd < 0 || !allowed(vm, CLIP_TO_VIEWER)) {
			send_text(vm, NULL, 0);
			return;
		}
		vm->clip_vm_requested = true;
		vm_send(vm, GUI_CLIP_REQUEST, 0, NULL, 0);
		return;
	case VD_AGENT_CLIPBOARD_RELEASE:
		vm->clip_viewer_grabbed = false;
		return;
	}
}

static void
on_message(void *opaque, uint32_t port, uint32_t type, const uint8_t *data, uint32_t size)
{
	struct vm *vm = opaque;

	if (port == VDP_SERVER_PORT) {
		log_debug("%s: agent: server message %u", vm->name, type);
		return;
	}
	if (data == NULL) {
		log_warnx("%s: agent: viewer message %u of %u bytes is over the limit, dropped",
		    vm->name, type, size);
		if (type == VD_AGENT_CLIPBOARD)
			vm->clip_viewer_grabbed = false;
		return;
	}
	switch (type) {
	case VD_AGENT_ANNOUNCE_CAPABILITIES:
		if (size >= 4 && data[0] != 0)
			announce(vm, 0);
		/* A new viewer: tell it the qube has text, if it may have it. */
		if (vm->clip_offered && vm->fd >= 0 && allowed(vm, CLIP_TO_VIEWER))
			grab_to_viewer(vm);
		break;
	case VD_AGENT_CLIPBOARD_GRAB:
	case VD_AGENT_CLIPBOARD:
	case VD_AGENT_CLIPBOARD_REQUEST:
	case VD_AGENT_CLIPBOARD_RELEASE:
		viewer_clip(vm, type, data, size);
		break;
	default:
		log_debug("%s: agent: viewer message %u (%u bytes) dropped", vm->name, type, size);
		break;
	}
}

static void
agent_state(SpiceCharDeviceInstance *sin, int connected)
{
	struct vm *vm = AGENT_OF(sin);

	if (!connected) {
		vda_free(&vm->vda);
		vm->agent_out_len = vm->agent_out_off = 0;
		vm->clip_viewer_grabbed = false;
	}
}

static int
agent_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
	struct vm *vm = AGENT_OF(sin);

	if (vda_feed(&vm->vda, buf, (size_t)len, on_message, vm) < 0)
		log_warnx("%s: agent: broken stream from the viewer, state reset", vm->name);
	return len;
}

static int
agent_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
	struct vm *vm = AGENT_OF(sin);
	size_t n = vm->agent_out_len - vm->agent_out_off;

	if (n > (size_t)len)
		n = (size_t)len;
	if (n == 0)
		return 0;
	memcpy(buf, vm->agent_out + vm->agent_out_off, n);
	vm->agent_out_off += n;
	if (vm->agent_out_off == vm->agent_out_len)
		vm->agent_out_off = vm->agent_out_len = 0;
	return (int)n;
}

static const SpiceCharDeviceInterface agent_iface = {
	.base = {
		.type = SPICE_INTERFACE_CHAR_DEVICE,
		.description = "bulkhead gateway agent",
		.major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
		.minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR,
	},
	.state = agent_state,
	.write = agent_write,
	.read = agent_read,
};

void
agent_add(struct vm *vm)
{
	vda_init(&vm->vda, vm->peer.lim.clip_max + 4 + 8);
	vm->agent.base.sif = &agent_iface.base;
	vm->agent.subtype = "vdagent";
	if (spice_server_add_interface(vm->view.server, &vm->agent.base) != 0)
		fatalx("%s: cannot add the agent interface", vm->name);
}
