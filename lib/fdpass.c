#include "fdpass.h"

#include <string.h>
#include <unistd.h>

void
fdpass_attach(struct msghdr *msg, union fdpass_one *room, int fd)
{
	struct cmsghdr *c;

	memset(room, 0, sizeof(*room));
	msg->msg_control = room->buf;
	msg->msg_controllen = sizeof(room->buf);
	c = CMSG_FIRSTHDR(msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
}

int
fdpass_take(struct msghdr *msg, int keep_first)
{
	int first = -1;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (keep_first && first < 0)
				first = fd;
			else
				close(fd);
		}
	}
	return first;
}
