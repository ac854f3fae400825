/* domd's event loop: epoll entries that call back (fn, arg). */
#ifndef BULKHEAD_DOMD_LOOP_H
#define BULKHEAD_DOMD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

/* An fd's entry: kept inside the record it serves, so the callback gets
 * that record back. */
struct watch {
	void (*fn)(void *arg, uint32_t events);
	void *arg;
};

void loop_init(void);
void watch_add(int fd, uint32_t events, struct watch *w);
void watch_mod(int fd, uint32_t events, struct watch *w);
void watch_del(int fd);

/* Serves ready fds, one callback per wait, until *quit is true. */
void loop_run(const bool *quit);

#endif
