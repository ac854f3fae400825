/* Baseline for the copy benchmarks: BYTES through a socketpair between two
 * processes, in 64 KiB writes, as fast as the kernel moves them. Prints
 * "raw_mb_s X". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long long total = argc > 1 ? atoll(argv[1]) : 1LL << 30, got = 0;
	static char buf[65536];
	struct timespec a, b;
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		for (long long left = total; left > 0;) {
			ssize_t n = write(sp[1], buf, left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));
			if (n <= 0)
				_exit(1);
			left -= n;
		}
		_exit(0);
	}
	close(sp[1]);
	for (ssize_t n; (n = read(sp[0], buf, sizeof(buf))) > 0;)
		got += n;
	waitpid(pid, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (got != total)
		return 1;
	printf("raw_mb_s %.1f\n", total / 1e6 / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9));
	return 0;
}
