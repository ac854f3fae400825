/* net_blast HOST PORT SECONDS: one TCP stream of zeros for SECONDS, then
 * prints the bytes per second the receiver took (it closes after reading
 * all). The sender of tests/bench/net.sh: C, so that the figure is the
 * network path's and not an interpreter's. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	double start, secs;
	unsigned long long sent = 0;
	int fd;

	bench_prog = "net_blast";
	if (argc != 4 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 ||
	    (secs = atof(argv[3])) <= 0)
		die("usage: net_blast HOST PORT SECONDS");
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect %s:%s failed", argv[1], argv[2]);
	start = now_ms();
	while (now_ms() - start < secs * 1000) {
		ssize_t n = write(fd, buf, sizeof(buf));
		if (n <= 0)
			die("write failed");
		sent += (unsigned long long)n;
	}
	shutdown(fd, SHUT_WR);
	if (read(fd, buf, 1) < 0)
		die("read failed");
	printf("%.0f\n", sent / ((now_ms() - start) / 1000));
	return 0;
}
