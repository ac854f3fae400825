/* Descriptors passed over Unix sockets (SCM_RIGHTS): one attached to a
 * message, and what came with a received one. */
#ifndef BULKHEAD_FDPASS_H
#define BULKHEAD_FDPASS_H

#include <sys/socket.h>

/* Room for the control data of one descriptor. */
union fdpass_one {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int))];
};

/* Attaches fd to msg, using room (which must live as long as msg). */
void fdpass_attach(struct msghdr *msg, union fdpass_one *room, int fd);

/* The first descriptor that came with msg (-1 if none) when keep_first,
 * every other one closed; with !keep_first all are closed and -1 is
 * returned (a peer that has no business sending any). */
int fdpass_take(struct msghdr *msg, int keep_first);

#endif
