/* The vdagent char device of one qube's SpiceServer: spice-server writes the
 * viewer's agent messages into it and reads ours from it. The gateway plays
 * the agent: it answers the capability handshake. Clipboard transfers are
 * not offered yet (no policy path), so the viewer's clipboard messages are
 * read, bounded and dropped. */
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
	uint32_t caps[2] = { request, 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND };

	agent_queue(vm, VD_AGENT_ANNOUNCE_CAPABILITIES, caps, sizeof(caps));
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
		return;
	}
	switch (type) {
	case VD_AGENT_ANNOUNCE_CAPABILITIES:
		if (size >= 4 && data[0] != 0)
			announce(vm, 0);
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
	if (spice_server_add_interface(vm->server, &vm->agent.base) != 0)
		fatalx("%s: cannot add the agent interface", vm->name);
}
