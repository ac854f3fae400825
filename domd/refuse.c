#include "refuse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

struct refused {
	bool used;
	int fd;
	struct watch w;
	char owner[48];
	time_t deadline;
	unsigned long seq; /* order of refusal: the oldest goes first */
};

static struct refused slots[REFUSE_MAX];
static unsigned long next_seq;

static void drain(void *arg, uint32_t events);

static void
slot_close(struct refused *r)
{
	watch_del(r->fd);
	close(r->fd);
	r->used = false;
}

void
refuse_linger(int fd, const char *owner)
{
	struct refused *r = NULL, *oldest = NULL, *owners_oldest = NULL;
	int n = 0;

	/* No more replies: the peer reads the refusal, then end of file. */
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < REFUSE_MAX; i++) {
		struct refused *s = &slots[i];
		if (!s->used) {
			r = r ? r : s;
			continue;
		}
		if (oldest == NULL || s->seq < oldest->seq)
			oldest = s;
		if (!strcmp(s->owner, owner)) {
			n++;
			if (owners_oldest == NULL || s->seq < owners_oldest->seq)
				owners_oldest = s;
		}
	}
	/* The newest refusal lingers: the longer a peer had, the likelier it
	 * has read its refusal already. */
	if (n >= REFUSE_PER_OWNER)
		r = owners_oldest;
	else if (r == NULL)
		r = oldest;
	if (r->used)
		slot_close(r);
	r->used = true;
	r->fd = fd;
	r->w = (struct watch){ drain, r };
	snprintf(r->owner, sizeof(r->owner), "%s", owner);
	r->deadline = time(NULL) + REFUSE_LINGER;
	r->seq = next_seq++;
	watch_add(fd, EPOLLIN, &r->w);
}

static void
drain(void *arg, uint32_t events)
{
	struct refused *r = arg;
	char buf[4096];
	ssize_t n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	slot_close(r);
}

void
refuse_tick(void)
{
	time_t now = time(NULL);

	for (int i = 0; i < REFUSE_MAX; i++)
		if (slots[i].used && now >= slots[i].deadline)
			slot_close(&slots[i]);
}
