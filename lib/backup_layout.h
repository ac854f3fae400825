/* Where each entry of a backup's archive belongs (backup_format.h): the
 * rules a reader checks before it acts on an entry. */
#ifndef BULKHEAD_BACKUP_LAYOUT_H
#define BULKHEAD_BACKUP_LAYOUT_H

#include <stddef.h>

#include "backup_archive.h"

#define BK_QUBES_MAX 512
#define BK_POLICY_MAX (1u << 20)

enum bk_kind { BK_K_CFG, BK_K_PRIVATE_IMG, BK_K_ROOT_IMG, BK_K_TREE, BK_K_POLICY };

struct bk_layout {
	char qube[32];                 /* the qube whose entries come now, "" none */
	char seen[BK_QUBES_MAX][32];   /* qubes begun (none may begin twice) */
	int nseen;
};

void bk_layout_init(struct bk_layout *l);
/* Classifies e: qube receives the qube's name (a checked qube name), rest
 * the path below the qube's folder. -1 with the reason when e has no place
 * in a backup. */
int bk_layout_check(struct bk_layout *l, const struct bk_entry *e, enum bk_kind *kind,
    const char **qube, const char **rest, char *err, size_t errlen);

#endif
