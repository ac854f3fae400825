/* The desktop's clipboard keys, Qubes-style. Ctrl+Shift+C: GUI_CLIP_REQUEST
 * to the focused qube; its GUI_CLIP_DATA (bounded by the parser, checked
 * for UTF-8 here) fills the gateway's buffer with its source. Ctrl+Shift+V:
 * the policy decides on bulkhead.ClipboardPaste from the source to the
 * focused qube (domd's may ask the operator: the call runs without
 * blocking the loop); on allow the text goes to the focused qube as
 * GUI_CLIP_DATA and the buffer is empty. A deny keeps the buffer. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clip_policy.h"
#include "desktop_int.h"
#include "log.h"
#include "loop.h"
#include "rpc_call.h"
#include "vm.h"
#include "xalloc.h"

static struct vm *
focused_qube(void)
{
	struct vm *vm = desk->focus.vm;

	if (vm == NULL || vm->fd < 0) {
		desktop_notice(NOTICE_ERROR_BG, "No window has the focus");
		return NULL;
	}
	return vm;
}

void
desktop_copy(void)
{
	struct vm *vm = focused_qube();

	if (vm == NULL)
		return;
	if (desk->copy_from != NULL)
		desk->copy_from->clip_desktop_requested = false;
	desk->copy_from = vm;
	vm->clip_desktop_requested = true;
	vm_send(vm, GUI_CLIP_REQUEST, 0, NULL, 0);
}

void
desktop_clip_data(struct vm *vm, const uint8_t *untrusted_text, size_t len)
{
	if (desk == NULL || desk->copy_from != vm)
		return;
	desk->copy_from = NULL;
	/* The parser bounded len by the clipboard limit. */
	if (!gui_utf8_valid(untrusted_text, len)) {
		desktop_notice(NOTICE_ERROR_BG, "Copy from [%s] refused: not UTF-8 text", vm->name);
		return;
	}
	free(desk->clip);
	desk->clip = xmalloc(len ? len : 1);
	memcpy(desk->clip, untrusted_text, len);
	desk->clip_len = len;
	desk->clip_full = true;
	snprintf(desk->clip_src, sizeof(desk->clip_src), "%s", vm->name);
	desktop_notice(NOTICE_INFO_BG, "Copied %zu bytes from [%s]: Ctrl+Shift+V pastes them", len,
	    vm->name);
}

/* allowed, or why not. */
static void
paste_done(bool allowed, const char *why)
{
	struct vm *to = desk->paste_to;

	if (allowed && to->fd >= 0) {
		vm_send(to, GUI_CLIP_DATA, 0, desk->paste_text, (uint32_t)desk->paste_len);
		desktop_notice(NOTICE_INFO_BG, "Pasted %zu bytes from [%s] into [%s]", desk->paste_len,
		    desk->paste_src, to->name);
		free(desk->paste_text);
	} else {
		desktop_notice(NOTICE_ERROR_BG, "Paste from [%s] into [%s] %s", desk->paste_src,
		    to->name, allowed ? "failed: it went away" : why);
		/* The text stays for another paste, unless a copy replaced it. */
		if (!desk->clip_full) {
			desk->clip = desk->paste_text;
			desk->clip_len = desk->paste_len;
			desk->clip_full = true;
			snprintf(desk->clip_src, sizeof(desk->clip_src), "%s", desk->paste_src);
		} else
			free(desk->paste_text);
	}
	desk->paste_text = NULL;
	desk->paste_to = NULL;
}

static void
on_paste_answer(int fd, int event, void *opaque)
{
	int status = rpc_call_status(desk->paste_pid);
	bool allowed = status == 0;

	loop_watch_remove(desk->paste_watch);
	desk->paste_watch = NULL;
	close(desk->paste_pidfd);
	desk->paste_pidfd = -1;
	desk->paste_pid = -1;
	log_info("desktop: paste from %s into %s: %s by domd", desk->paste_src, desk->paste_to->name,
	    allowed ? "allowed" : "denied");
	paste_done(allowed, status == RPC_CALL_TIMED_OUT ? "denied: no answer in time" :
	    "denied by the policy");
}

void
desktop_paste(void)
{
	struct vm *vm = focused_qube();

	if (vm == NULL)
		return;
	if (desk->paste_to != NULL) {
		desktop_notice(NOTICE_ERROR_BG, "A paste into [%s] waits for its answer",
		    desk->paste_to->name);
		return;
	}
	if (!desk->clip_full) {
		desktop_notice(NOTICE_ERROR_BG, "Nothing to paste: copy with Ctrl+Shift+C first");
		return;
	}
	/* The buffer is the paste's now: a copy meanwhile starts a new one. */
	desk->paste_to = vm;
	desk->paste_text = desk->clip;
	desk->paste_len = desk->clip_len;
	snprintf(desk->paste_src, sizeof(desk->paste_src), "%s", desk->clip_src);
	desk->clip = NULL;
	desk->clip_len = 0;
	desk->clip_full = false;
	if (!desk->paste_by_domd) {
		paste_done(clip_paste_static(desk->paste_src, vm->name), "denied by the policy");
		return;
	}
	desk->paste_pid = clip_paste_rpc_start(desk->paste_src, vm->name, &desk->paste_pidfd);
	if (desk->paste_pid < 0) {
		paste_done(false, "failed: cannot ask domd");
		return;
	}
	desk->paste_watch = loop_watch_add(desk->paste_pidfd, SPICE_WATCH_EVENT_READ,
	    on_paste_answer, NULL);
	desktop_notice(NOTICE_INFO_BG, "Paste from [%s] into [%s]: asking the policy", desk->paste_src,
	    vm->name);
}

void
desktop_clip_forget(struct vm *vm)
{
	vm->clip_desktop_requested = false;
	if (desk->copy_from == vm) {
		desk->copy_from = NULL;
		desktop_notice(NOTICE_ERROR_BG, "Copy from [%s] failed: it went away", vm->name);
	}
}
