/* One qube in the gateway: the connection that speaks the GUI protocol (any
 * connected stream fd: a Unix socket, or a bulkhead.Gui call through attach.c), the
 * parser's state, the composed screen, and the SpiceServer that shows it. */
#ifndef BULKHEAD_GW_VM_H
#define BULKHEAD_GW_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spice.h>

#include "clip_policy.h"
#include "gui_wire.h"
#include "screen.h"
#include "seat.h"
#include "server.h"
#include "vdagent.h"

#define VM_OUTBUF_MAX (1024 * 1024) /* input queued for a qube that does not read */
/* Beyond its largest whole message, the qube's read buffer takes this much
 * more, so that one read brings many small ones. */
#define VM_INBUF_SLACK (256 * 1024)
#define VM_READ_ROWS 256 /* rows of damage one read fills at most */

struct vm {
	char name[32];
	char label[16];

	/* The qube's side. */
	SpiceWatch *qube_listen_watch;
	int fd; /* -1: no qube connected */
	SpiceWatch *watch;
	struct gui_peer peer;
	uint8_t *in; /* whole messages, and the heads of DAMAGE ones */
	size_t in_len, in_cap;
	/* A DAMAGE message whose pixels are still coming: they go straight
	 * into the window's pixels, row by row. */
	bool damage_open;
	struct gui_event damage;
	size_t damage_done, damage_left; /* pixel bytes */
	/* Not read while a viewer has not taken its last damage: the qube
	 * waits, as for a real display, instead of the gateway reading and
	 * dropping frames. */
	bool stalled;
	uint8_t *out;
	size_t out_len;
	unsigned long disconnects; /* for the log and the tests */

	struct screen scr;

	/* The viewer's side. */
	struct viewer view;
	struct seat seat;
	SpiceCharDeviceInstance agent;
	struct vda_reasm vda;
	uint8_t *agent_out;
	size_t agent_out_len, agent_out_off;

	/* Clipboard: every transfer is asked of the policy. */
	clip_policy_fn clip_allowed;
	void *clip_ctx;
	bool clip_offered;        /* the qube has text for the viewer */
	bool clip_vm_requested;   /* we asked the qube for it */
	bool clip_viewer_grabbed; /* we asked the viewer for its text */
	bool clip_desktop_requested; /* Ctrl+Shift+C on the desktop asked for it */
};

/* Takes a connected stream from the qube; an existing one is dropped. */
void vm_attach(struct vm *vm, int fd);
/* Closes the qube's connection and clears its windows. */
void vm_disconnect(struct vm *vm, const char *why);
/* Queues a message for the qube (dropped, with a warning, when its queue is full). */
void vm_send(struct vm *vm, uint32_t type, uint32_t window, const void *body, uint32_t len);
/* Sends what changed on the screen to the viewer. */
void vm_flush(struct vm *vm);
/* Goes on reading a stalled qube once its viewers took what they were sent. */
void vm_resume(struct vm *vm);

/* Sets up vm->view for server_start(): this qube's display, keyboard,
 * tablet and agent. */
void vm_view_init(struct vm *vm);
/* agent.c: the vdagent char device of vm->server. */
void agent_add(struct vm *vm);
/* The qube offers text / sends the text the viewer asked for. */
void agent_clip_offer(struct vm *vm);
void agent_clip_data(struct vm *vm, const uint8_t *untrusted_text, size_t len);

#endif
