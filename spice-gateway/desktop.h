/* The desktop: one more display that shows the windows of all qubes
 * together, each framed in its qube's label colour with "[qube] title"
 * (the same decorations as the qube's own display, paint.h). Every qube's
 * windows keep their own positions (the desktop has the size of the
 * qubes' displays); windows of different qubes may overlap and are stacked
 * like any others: a click focuses and raises, keys go to the qube of the
 * focused window, the pointer to the window under it.
 *
 * Ctrl+Shift+C copies the focused qube's clipboard into the gateway's
 * buffer (with its source qube), Ctrl+Shift+V pastes it into the focused
 * qube if the policy allows (bulkhead.ClipboardPaste) and empties it; the
 * two keys never reach a qube. What happened shows as a notice bar at the
 * bottom of the desktop for a few seconds. */
#ifndef BULKHEAD_GW_DESKTOP_H
#define BULKHEAD_GW_DESKTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gui_wire.h"
#include "server.h"

#define DESKTOP_NAME "desktop" /* its files in the run dir: desktop.spice, ... */

struct vm;

/* paste_by_domd: ask domd's policy (else the command line's). */
void desktop_init(uint32_t w, uint32_t h, bool paste_by_domd);
/* Starts its display at place (vms_next_listen). */
int desktop_start(const struct listen_cfg *place);

/* These do nothing without a desktop. */
/* A checked event that screen_apply() applied to vm's screen. */
void desktop_event(struct vm *vm, const struct gui_event *ev);
/* vm's connection closed: its windows go. */
void desktop_forget(struct vm *vm);
void desktop_flush(void);
/* The desktop's viewer has not taken all it was shown yet. */
bool desktop_backlogged(void);
/* The text vm sent for a Ctrl+Shift+C (vm->clip_desktop_requested). */
void desktop_clip_data(struct vm *vm, const uint8_t *untrusted_text, size_t len);

#endif
