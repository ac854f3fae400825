/* Channels between domains: one API, two transports. On the ns backend a
 * channel is a Unix stream socket (PORT is a socket path under a directory
 * bound into the qube); on xen it is a libxenvchan ring between two domains
 * (PORT is a xenstore path). Blocking, byte-stream semantics on both. */
#ifndef BULKHEAD_CHAN_H
#define BULKHEAD_CHAN_H

#include <stddef.h>
#include <sys/types.h>

enum chan_kind { CHAN_UNIX, CHAN_VCHAN };

struct chan;

/* Server side: listen on PORT for a peer in domain domid (ignored for unix).
 * For vchan this sets up the ring and returns at once; for unix, call
 * chan_accept() for each peer. NULL with err filled. */
struct chan *chan_listen(enum chan_kind kind, int domid, const char *port, char *err,
    size_t errlen);
/* The same with a vchan ring of ring bytes each way (a power of two). */
struct chan *chan_listen_sized(enum chan_kind kind, int domid, const char *port, size_t ring,
    char *err, size_t errlen);
struct chan *chan_accept(struct chan *listener, char *err, size_t errlen);
/* Client side: connect to PORT served by domain domid. */
struct chan *chan_connect(enum chan_kind kind, int domid, const char *port, char *err,
    size_t errlen);

/* Like read(2)/write(2): > 0 bytes moved, 0 at end of stream, -1 on error. */
ssize_t chan_read(struct chan *c, void *buf, size_t len);
ssize_t chan_write(struct chan *c, const void *buf, size_t len);
/* A descriptor to poll for readiness; for vchan, call chan_read/chan_write
 * after it fires (they consume the event). */
int chan_pollfd(const struct chan *c);
void chan_close(struct chan *c);

/* For event loops. After poll() saw chan_pollfd() readable, chan_event()
 * takes the notification (vchan; a no-op on unix); chan_read_ready() then
 * reads what is there without blocking: > 0 bytes, 0 nothing now, -1 the
 * peer is gone and everything it sent was read. A blocking chan_write() on
 * a vchan may take notifications meant for reads: call chan_read_ready()
 * before each poll(), not only after one. */
void chan_event(struct chan *c);
ssize_t chan_read_ready(struct chan *c, void *buf, size_t len);
/* 0 while a vchan server still waits for its client; 1 otherwise. */
int chan_peer_seen(const struct chan *c);

/* Moves bytes both ways between c and the local stream fd until either
 * side ends (the rest of what c holds is still delivered to fd). A vchan
 * server whose client has not come within wait_s seconds gives up. For
 * carrying a call's data stream across domains. 0, or -1 on an error. */
int chan_splice(struct chan *c, int fd, int wait_s);

#endif
