/* Baseline for the copy benchmarks: BYTES through a socketpair between two
 * processes, in 64 KiB writes, as fast as the kernel moves them. With SRC
 * and DST, the bytes are read from the file SRC and written to the existing
 * file DST: what a plain copy of a file through a socket costs on that file
 * system. Prints "raw_mb_s X". */
#include <fcntl.h>
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
	int sp[2], src = -1, dst = -1;
	pid_t pid;

	if (argc == 4 && ((src = open(argv[2], O_RDONLY)) < 0 ||
	    (dst = open(argv[3], O_WRONLY | O_TRUNC)) < 0)) {
		perror(src < 0 ? argv[2] : argv[3]);
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		for (long long left = total; left > 0;) {
			size_t want = left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf);
			ssize_t n = src >= 0 ? read(src, buf, want) : (ssize_t)want;
			if (n <= 0 || write(sp[1], buf, (size_t)n) != n)
				_exit(1);
			left -= n;
		}
		_exit(0);
	}
	close(sp[1]);
	for (ssize_t n; (n = read(sp[0], buf, sizeof(buf))) > 0;) {
		if (dst >= 0 && write(dst, buf, (size_t)n) != n)
			return 1;
		got += n;
	}
	waitpid(pid, NULL, 0);
	if (dst >= 0 && close(dst) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (got != total)
		return 1;
	printf("raw_mb_s %.1f\n", total / 1e6 / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9));
	return 0;
}
