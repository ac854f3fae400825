/* Which clipboard transfers a qube's display may make: viewer -> qube
 * (paste into the qube) and qube -> viewer (copy out of it). Asked for every
 * transfer through a callback, so that domd's policy service
 * (bulkhead.ClipboardFromViewer / ClipboardToViewer) can answer it later;
 * for now the answer comes from the command line, and by default sys-*
 * qubes get neither direction and other qubes both. */
#ifndef BULKHEAD_GW_CLIP_POLICY_H
#define BULKHEAD_GW_CLIP_POLICY_H

#include <stdbool.h>

enum clip_dir { CLIP_FROM_VIEWER = 1, CLIP_TO_VIEWER = 2 };

typedef bool (*clip_policy_fn)(void *ctx, const char *vm, enum clip_dir dir);

/* --clipboard NAME:in|out|both|none; false if malformed. */
bool clip_policy_add(const char *arg);
/* The command line's policy, as a clip_policy_fn. */
bool clip_policy_static(void *ctx, const char *vm, enum clip_dir dir);

#endif
