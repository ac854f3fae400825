/* domd.conf, in xl.cfg syntax: read once at start, by main.c for domd's own
 * keys and by the chosen backend for its own (backend.h, configure). */
#ifndef BULKHEAD_DOMD_CONF_H
#define BULKHEAD_DOMD_CONF_H

#include <stdbool.h>

struct domd_conf;

/* NULL when the file does not exist; a file that does not parse is fatal. */
struct domd_conf *conf_open(const char *path);
void conf_close(struct domd_conf *c);
/* true and *out set when key is there; a value out of [min, max] is fatal,
 * with the key and the range in the message. */
bool conf_long(const struct domd_conf *c, const char *key, long min, long max, long *out);
/* true and *out set when key is there; *out lives until conf_close. */
bool conf_string(const struct domd_conf *c, const char *key, const char **out);
/* For messages: the file's path. */
const char *conf_path(const struct domd_conf *c);

#endif
