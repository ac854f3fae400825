/* Rules between qubes: a template must be a template qube, a netvm must
 * provide network, no loops, nothing removed while used. */
#ifndef BULKHEAD_DOMD_REFS_H
#define BULKHEAD_DOMD_REFS_H

#include <stddef.h>

#include "vm.h"

/* Checks q's template and netvm against the other qubes; code gets an API
 * error code. */
int refs_check(const struct qube *q, char *code, char *err, size_t errlen);
/* The first qube that names vm as template or netvm, or NULL. */
const struct vm *refs_user(const struct vm *vm, const char **how);

#endif
