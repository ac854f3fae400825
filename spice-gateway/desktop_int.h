/* The desktop's state, shared by desktop.c (composition, stacking, input)
 * and desktop_clip.c (Ctrl+Shift+C/V and the notices). */
#ifndef BULKHEAD_GW_DESKTOP_INT_H
#define BULKHEAD_GW_DESKTOP_INT_H

#include <sys/types.h>

#include "desktop.h"
#include "paint.h"
#include "seat.h"

#define NOTICE_H 16
#define NOTICE_MS 4000
#define NOTICE_INFO_BG 0x2e3436u
#define NOTICE_ERROR_BG 0xa40000u

/* A mapped window on the desktop, and where it was last drawn. */
struct dwin {
	struct vm *vm;
	int slot;
	struct rect outer;
};

struct desktop {
	struct viewer view;
	struct seat seat;
	uint32_t w, h;
	struct rect dirty; /* composed only when sent, into the drawable */
	struct dwin *order; /* bottom to top */
	int norder, cap;
	struct seat_win focus;
	bool ctrl_l, ctrl_r, shift_l, shift_r;
	uint32_t swallow; /* released C (1) / V (2) keys the gateway took */

	/* The gateway's clipboard buffer. */
	bool paste_by_domd;
	uint8_t *clip;
	size_t clip_len;
	bool clip_full;
	char clip_src[32];
	struct vm *copy_from; /* asked for its clipboard */
	/* A paste waiting for domd's answer (maybe the operator's). */
	pid_t paste_pid;
	int paste_pidfd;
	SpiceWatch *paste_watch;
	struct vm *paste_to;
	uint8_t *paste_text;
	size_t paste_len;
	char paste_src[32];

	char notice[160];
	uint32_t notice_bg;
	SpiceTimer *notice_timer;
};

extern struct desktop *desk;

/* Shows text in the notice bar for NOTICE_MS. */
void desktop_notice(uint32_t bg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* desktop_clip.c: Ctrl+Shift+C and Ctrl+Shift+V on the focused window. */
void desktop_copy(void);
void desktop_paste(void);
/* A qube went away: forget what it was asked. */
void desktop_clip_forget(struct vm *vm);

#endif
