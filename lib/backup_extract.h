/* One archive entry of a backup written below a staging folder
 * (backup_extract.c). */
#ifndef BULKHEAD_BACKUP_EXTRACT_H
#define BULKHEAD_BACKUP_EXTRACT_H

#include "backup_archive.h"

/* rel: e's path below root (checked by bk_layout_check); root: a folder
 * made for this restore. For a FILE its data is read from ar. -1 with a
 * one-line reason. */
int bk_extract(int root, const char *rel, const struct bk_entry *e, struct bk_ar *ar, char *err,
    size_t errlen);

#endif
