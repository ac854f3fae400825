/* The passphrase of a backup: from a file, or asked on the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "backup.h"

/* One line from fd into buf (without its newline); its length, or -1. */
static ssize_t
read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR && !bk_interrupted())
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= len) {
			errno = EOVERFLOW;
			return -1;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (ssize_t)n;
}

static ssize_t
ask(int tty, const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	ssize_t n;
	int saved;

	if (write(tty, prompt, strlen(prompt)) < 0)
		return -1;
	if (tcgetattr(tty, &old) < 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(tty, TCSAFLUSH, &quiet) < 0)
		return -1;
	n = read_line(tty, buf, len);
	saved = errno;
	tcsetattr(tty, TCSAFLUSH, &old);
	if (write(tty, "\n", 1) < 0) {
		/* the prompt's line stays open; nothing lost */
	}
	errno = saved;
	return n;
}

int
bk_passphrase(const char *file, bool confirm, char *buf, size_t len, char *err, size_t errlen)
{
	char again[BK_PASS_MAX];
	ssize_t n;
	int fd;

	if (file != NULL) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
			snprintf(err, errlen, "cannot open the passphrase file %s: %s", file,
			    strerror(errno));
			return -1;
		}
		n = read_line(fd, buf, len);
		close(fd);
		if (n < 0) {
			snprintf(err, errlen, "cannot read the passphrase file %s: %s", file,
			    errno == EOVERFLOW ? "line too long" : strerror(errno));
			return -1;
		}
		if (n == 0) {
			snprintf(err, errlen, "the passphrase file %s holds an empty first line", file);
			return -1;
		}
		return (int)n;
	}
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(err, errlen, "no terminal to ask the passphrase on: give --passphrase-file");
		return -1;
	}
	n = ask(fd, "Backup passphrase: ", buf, len);
	if (n > 0 && confirm) {
		ssize_t m = ask(fd, "Passphrase again: ", again, sizeof(again));
		if (m != n || memcmp(again, buf, (size_t)n) != 0) {
			sodium_memzero(again, sizeof(again));
			close(fd);
			snprintf(err, errlen, "the passphrases differ");
			return -1;
		}
		sodium_memzero(again, sizeof(again));
	}
	close(fd);
	if (n <= 0) {
		snprintf(err, errlen, n == 0 ? "empty passphrase" : "cannot read the passphrase");
		return -1;
	}
	return (int)n;
}
