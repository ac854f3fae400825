/* Which clipboard transfers a qube's display may make: viewer -> qube
 * (paste into the qube) and qube -> viewer (copy out of it), asked for
 * every transfer through a callback. In sys-gui domd's policy answers
 * (clip_policy_rpc: bulkhead.ClipboardFromViewer / ClipboardToViewer +QUBE);
 * without domd (tests, benches) the command line does, and then by default
 * sys-* qubes get neither direction and other qubes both. A --clipboard
 * rule for a qube overrides either. */
#ifndef BULKHEAD_GW_CLIP_POLICY_H
#define BULKHEAD_GW_CLIP_POLICY_H

#include <stdbool.h>
#include <sys/types.h>

#define CLIP_PASTE_TIMEOUT_S 600 /* longest wait for a paste's answer */

enum clip_dir { CLIP_FROM_VIEWER = 1, CLIP_TO_VIEWER = 2 };

typedef bool (*clip_policy_fn)(void *ctx, const char *vm, enum clip_dir dir);

/* --clipboard NAME:in|out|both|none; false if malformed. */
bool clip_policy_add(const char *arg);
/* The command line's policy, as a clip_policy_fn. */
bool clip_policy_static(void *ctx, const char *vm, enum clip_dir dir);
/* domd's: `bulkhead-rpc dom0 SERVICE+QUBE` exits 0 when allowed (a few ms,
 * on the gateway's loop: transfers are rare). */
bool clip_policy_rpc(void *ctx, const char *vm, enum clip_dir dir);

/* A paste on the desktop of text copied from src into dst. From the
 * command line: allowed if src may copy to a viewer and dst may take a
 * paste from one. */
bool clip_paste_static(const char *src, const char *dst);
/* From domd's policy (bulkhead.ClipboardPaste+SRC+DST), which may ask the
 * operator: runs the call without waiting. Returns its pid and a pidfd
 * that becomes readable when it ended (then rpc_call_wait() it), or -1. */
pid_t clip_paste_rpc_start(const char *src, const char *dst, int *pidfd);

#endif
