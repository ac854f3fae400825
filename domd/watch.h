/* What an epoll entry in domd's loop stands for. */
#ifndef BULKHEAD_DOMD_WATCH_H
#define BULKHEAD_DOMD_WATCH_H

#include <stdint.h>

enum watch_kind { W_LISTEN, W_CLIENT, W_SIGNAL, W_TIMER, W_READY, W_EXIT, W_RPC_LISTEN, W_RPC_CONN,
	W_NETVM_LISTEN, W_NETVM_CONN, W_USB, W_REFUSED };

struct watch {
	enum watch_kind kind;
	void *ptr;
};

void watch_add(int fd, uint32_t events, struct watch *w);
void watch_mod(int fd, uint32_t events, struct watch *w);
void watch_del(int fd);

#endif
