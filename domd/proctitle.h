/* Rewrites the process title shown by ps and matched by pkill -f. */
#ifndef BULKHEAD_DOMD_PROCTITLE_H
#define BULKHEAD_DOMD_PROCTITLE_H

void proctitle_init(int argc, char **argv);
void proctitle_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
