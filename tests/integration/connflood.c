/*
 * connflood SOCKET N SECONDS: opens N connections to the Unix socket and
 * holds them for SECONDS without a word, as a hostile peer would; then
 * prints "connected C refused R held H" (refused: domd answered or closed
 * before anything was sent) and the printable part of the first refusal.
 * Static, so that it runs in a qube of the busybox template too.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char first[512] = "";
	int n, secs, *fds, connected = 0, refused = 0;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: connflood SOCKET N SECONDS\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	n = atoi(argv[2]);
	secs = atoi(argv[3]);
	if (n <= 0 || (fds = calloc((size_t)n, sizeof(int))) == NULL)
		return 2;
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			fprintf(stderr, "connflood: connection %d: %s\n", i, strerror(errno));
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = -1;
			continue;
		}
		connected++;
	}
	sleep(1); /* domd answers the refused ones at once */
	for (int i = 0; i < n; i++) {
		struct pollfd p = { fds[i], POLLIN, 0 };
		char buf[512];
		ssize_t got;

		if (fds[i] < 0 || poll(&p, 1, 0) != 1)
			continue;
		refused++;
		got = recv(fds[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (got > 0 && first[0] == '\0') {
			size_t k = 0;
			for (ssize_t j = 0; j < got; j++)
				if (buf[j] >= ' ' && buf[j] <= '~')
					first[k++] = buf[j];
			first[k] = '\0';
		}
	}
	printf("connected %d refused %d held %d\n%s\n", connected, refused,
	    connected - refused, first);
	fflush(stdout);
	sleep((unsigned)secs);
	return 0;
}
