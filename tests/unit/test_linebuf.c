/* Unit tests for lib/linebuf.h: line reassembly from a stream, size bound. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linebuf.h"

struct fixture {
	int rd, wr; /* a socketpair: rd is read by the linebuf, wr is the peer */
	struct linebuf lb;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int sv[2];

	if (f == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	f->rd = sv[0];
	f->wr = sv[1];
	linebuf_init(&f->lb, 16);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	linebuf_free(&f->lb);
	close(f->rd);
	if (f->wr >= 0)
		close(f->wr);
	free(f);
	return 0;
}

static void
send_str(struct fixture *f, const char *s)
{
	size_t len = strlen(s);

	assert_int_equal(write(f->wr, s, len), (ssize_t)len);
}

/* Sends s and reads it in one fill (socket writes this small are read whole). */
static void
feed(struct fixture *f, const char *s)
{
	send_str(f, s);
	assert_int_equal(linebuf_fill(&f->lb, f->rd), (ssize_t)strlen(s));
}

static void
expect_line(struct fixture *f, const char *want)
{
	char *line = NULL;
	int r = linebuf_next(&f->lb, &line);

	if (r != 1)
		fail_msg("expected line \"%s\", got %d", want, r);
	assert_non_null(line);
	assert_string_equal(line, want);
}

static void
expect_none(struct fixture *f)
{
	char *line = NULL;

	assert_int_equal(linebuf_next(&f->lb, &line), 0);
}

static void
test_empty(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(linebuf_pending(&f->lb), 0);
	expect_none(f);
	expect_none(f);
	assert_int_equal(linebuf_pending(&f->lb), 0);
}

static void
test_split_across_reads(void **state)
{
	struct fixture *f = *state;

	feed(f, "hel");
	expect_none(f);
	assert_int_equal(linebuf_pending(&f->lb), 3);
	feed(f, "lo");
	expect_none(f);
	assert_int_equal(linebuf_pending(&f->lb), 5);
	feed(f, "\nwor");
	expect_line(f, "hello");
	assert_int_equal(linebuf_pending(&f->lb), 3);
	expect_none(f);
	assert_int_equal(linebuf_pending(&f->lb), 3);
	feed(f, "ld");
	expect_none(f);
	feed(f, "\n");
	expect_line(f, "world");
	expect_none(f);
	assert_int_equal(linebuf_pending(&f->lb), 0);
}

static void
test_byte_by_byte(void **state)
{
	struct fixture *f = *state;
	const char *s = "ab\ncd\n\nefgh";
	char *line;
	int got = 0;

	for (const char *p = s; *p; p++) {
		char one[2] = { *p, '\0' };
		feed(f, one);
		while (linebuf_next(&f->lb, &line) == 1) {
			static const char *const want[] = { "ab", "cd", "" };
			assert_true(got < 3);
			assert_string_equal(line, want[got]);
			got++;
		}
	}
	assert_int_equal(got, 3);
	assert_int_equal(linebuf_pending(&f->lb), 4);
}

static void
test_several_lines_one_read(void **state)
{
	struct fixture *f = *state;

	feed(f, "a\nbb\n\nccc\nrest");
	assert_int_equal(linebuf_pending(&f->lb), 14);
	expect_line(f, "a");
	assert_int_equal(linebuf_pending(&f->lb), 12);
	expect_line(f, "bb");
	expect_line(f, "");
	expect_line(f, "ccc");
	assert_int_equal(linebuf_pending(&f->lb), 4);
	expect_none(f);
	feed(f, "\n");
	expect_line(f, "rest");
	expect_none(f);
	assert_int_equal(linebuf_pending(&f->lb), 0);
}

/* Lines are popped while more arrive, so the unconsumed part is moved to
 * the front of the buffer many times; order and content must survive. */
static void
test_interleaved_compaction(void **state)
{
	struct fixture *f = *state;
	char want[32], *line;
	int sent = 0, next = 0, r;

	for (int round = 0; round < 1000; round++) {
		for (int i = 0; i < 5; i++) {
			snprintf(want, sizeof(want), "line %d\n", sent++);
			send_str(f, want);
		}
		assert_true(linebuf_fill(&f->lb, f->rd) > 0);
		for (int i = 0; i < 3 && (r = linebuf_next(&f->lb, &line)) == 1; i++) {
			snprintf(want, sizeof(want), "line %d", next++);
			assert_string_equal(line, want);
		}
	}
	shutdown(f->wr, SHUT_WR);
	for (;;) {
		while ((r = linebuf_next(&f->lb, &line)) == 1) {
			snprintf(want, sizeof(want), "line %d", next++);
			assert_string_equal(line, want);
		}
		assert_int_equal(r, 0);
		if (linebuf_fill(&f->lb, f->rd) == 0)
			break;
	}
	assert_int_equal(next, sent);
	assert_int_equal(linebuf_pending(&f->lb), 0);
}

static void
test_max_exact(void **state)
{
	struct fixture *f = *state;

	/* max is 16: a 16-byte line is accepted, with its '\n' ... */
	feed(f, "0123456789abcdef\n");
	expect_line(f, "0123456789abcdef");
	/* ... and while it waits for its '\n'. */
	feed(f, "0123456789abcdef");
	expect_none(f);
	assert_int_equal(linebuf_pending(&f->lb), 16);
	feed(f, "\n");
	expect_line(f, "0123456789abcdef");
	expect_none(f);
}

static void
test_max_plus_one_with_newline(void **state)
{
	struct fixture *f = *state;
	char *line;

	feed(f, "ok\n0123456789abcdefg\n");
	expect_line(f, "ok");
	assert_int_equal(linebuf_next(&f->lb, &line), -1);
	/* It stays refused. */
	assert_int_equal(linebuf_next(&f->lb, &line), -1);
}

static void
test_max_plus_one_without_newline(void **state)
{
	struct fixture *f = *state;
	char *line;

	/* Refused as soon as it is too long, without waiting for the '\n'. */
	feed(f, "0123456789abcdefg");
	assert_int_equal(linebuf_next(&f->lb, &line), -1);
}

static void
test_max_plus_one_in_pieces(void **state)
{
	struct fixture *f = *state;
	char *line;

	feed(f, "0123456789");
	expect_none(f);
	feed(f, "abcdef");
	expect_none(f);
	feed(f, "g");
	assert_int_equal(linebuf_next(&f->lb, &line), -1);
}

static void
test_max_zero(void **state)
{
	struct fixture *f = *state;
	char *line;

	linebuf_free(&f->lb);
	linebuf_init(&f->lb, 0);
	feed(f, "\n\n");
	expect_line(f, "");
	expect_line(f, "");
	expect_none(f);
	feed(f, "x");
	assert_int_equal(linebuf_next(&f->lb, &line), -1);
}

static void
test_eof(void **state)
{
	struct fixture *f = *state;

	feed(f, "done\npartial");
	close(f->wr);
	f->wr = -1;
	assert_int_equal(linebuf_fill(&f->lb, f->rd), 0);
	assert_int_equal(linebuf_fill(&f->lb, f->rd), 0);
	expect_line(f, "done");
	expect_none(f);
	/* The unterminated tail is not a line, but it is counted. */
	assert_int_equal(linebuf_pending(&f->lb), 7);
}

static void
test_eof_immediately(void **state)
{
	struct fixture *f = *state;

	close(f->wr);
	f->wr = -1;
	assert_int_equal(linebuf_fill(&f->lb, f->rd), 0);
	assert_int_equal(linebuf_pending(&f->lb), 0);
	expect_none(f);
}

static void
test_read_error(void **state)
{
	struct fixture *f = *state;
	int fl = fcntl(f->rd, F_GETFL);

	assert_int_equal(fcntl(f->rd, F_SETFL, fl | O_NONBLOCK), 0);
	errno = 0;
	assert_int_equal(linebuf_fill(&f->lb, f->rd), -1);
	assert_int_equal(errno, EAGAIN);
	errno = 0;
	assert_int_equal(linebuf_fill(&f->lb, -1), -1);
	assert_int_equal(errno, EBADF);
	/* The buffer is still usable. */
	feed(f, "x\n");
	expect_line(f, "x");
}

static void
on_alarm(int sig)
{
}

/* A signal that interrupts the read is not an error: the fill goes on reading
 * (the handler is installed without SA_RESTART, so read(2) fails with EINTR). */
static void
test_fill_retries_on_eintr(void **state)
{
	struct fixture *f = *state;
	struct sigaction sa, old;
	struct itimerval it = { .it_value = { .tv_sec = 0, .tv_usec = 50 * 1000 } };
	pid_t pid;
	ssize_t n;
	int st;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		usleep(300 * 1000);
		_exit(write(f->wr, "late\n", 5) == 5 ? 0 : 1);
	}
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	errno = 0;
	n = linebuf_fill(&f->lb, f->rd);
	sigaction(SIGALRM, &old, NULL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (n != 5)
		fail_msg("fill returned %zd (%s) instead of the 5 bytes sent after the signal", n,
		    strerror(errno));
	expect_line(f, "late");
}

/* A peer writes a stream into the pipe p from a child process. */
static pid_t
writer(int p[2], size_t len, char fill, const char *tail)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char chunk[65536];
		int fd = p[1];
		/* Without its own copy of the read end, the child gets EPIPE
		 * and exits, instead of blocking forever, if the test fails
		 * before reading everything. */
		close(p[0]);
		alarm(120);
		memset(chunk, fill, sizeof(chunk));
		while (len > 0) {
			size_t n = len < sizeof(chunk) ? len : sizeof(chunk);
			ssize_t w = write(fd, chunk, n);
			if (w <= 0)
				_exit(1);
			len -= (size_t)w;
		}
		if (tail != NULL && write(fd, tail, strlen(tail)) != (ssize_t)strlen(tail))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	return pid;
}

static void
finish(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* At the default bound: a line of exactly LINEBUF_MAX_DEFAULT bytes arrives in
 * many reads and is accepted whole; the buffer stays bounded. */
static void
test_default_max_exact(void **state)
{
	struct linebuf lb;
	int p[2];
	pid_t pid;
	char *line = NULL;
	int r;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = writer(p, LINEBUF_MAX_DEFAULT, 'x', "\nnext\n");
	linebuf_init(&lb, LINEBUF_MAX_DEFAULT);
	while ((r = linebuf_next(&lb, &line)) == 0)
		assert_true(linebuf_fill(&lb, p[0]) > 0);
	assert_int_equal(r, 1);
	assert_int_equal(strlen(line), LINEBUF_MAX_DEFAULT);
	assert_true(line[0] == 'x' && line[LINEBUF_MAX_DEFAULT - 1] == 'x');
	assert_true(lb.cap <= LINEBUF_MAX_DEFAULT + 65536);
	while ((r = linebuf_next(&lb, &line)) == 0)
		assert_true(linebuf_fill(&lb, p[0]) > 0);
	assert_int_equal(r, 1);
	assert_string_equal(line, "next");
	linebuf_free(&lb);
	close(p[0]);
	finish(pid);
}

/* One byte more, and no '\n' ever: refused once it exceeds the bound, with
 * the memory held staying bounded while the peer keeps sending. */
static void
test_default_max_plus_one(void **state)
{
	struct linebuf lb;
	int p[2];
	pid_t pid;
	char *line = NULL;
	int r;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = writer(p, 4 * (size_t)LINEBUF_MAX_DEFAULT, 'y', NULL);
	linebuf_init(&lb, LINEBUF_MAX_DEFAULT);
	while ((r = linebuf_next(&lb, &line)) == 0) {
		assert_true(linebuf_pending(&lb) <= LINEBUF_MAX_DEFAULT);
		assert_true(linebuf_fill(&lb, p[0]) > 0);
	}
	assert_int_equal(r, -1);
	assert_true(linebuf_pending(&lb) > LINEBUF_MAX_DEFAULT);
	assert_true(lb.cap <= LINEBUF_MAX_DEFAULT + 65536);
	linebuf_free(&lb);
	close(p[0]);
	finish(pid);

	/* The same with the '\n' right after the extra byte. */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = writer(p, LINEBUF_MAX_DEFAULT + 1, 'z', "\n");
	linebuf_init(&lb, LINEBUF_MAX_DEFAULT);
	while ((r = linebuf_next(&lb, &line)) == 0)
		assert_true(linebuf_fill(&lb, p[0]) > 0);
	assert_int_equal(r, -1);
	linebuf_free(&lb);
	close(p[0]);
	finish(pid);
}

static void
test_free_resets(void **state)
{
	struct linebuf lb;

	linebuf_init(&lb, 100);
	assert_null(lb.buf);
	assert_int_equal(lb.max, 100);
	assert_int_equal(linebuf_pending(&lb), 0);
	linebuf_free(&lb);
	assert_null(lb.buf);
	assert_int_equal(lb.len, 0);
	/* Freeing twice is harmless. */
	linebuf_free(&lb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_across_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_by_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_lines_one_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interleaved_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_plus_one_with_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_plus_one_without_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_plus_one_in_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof_immediately, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill_retries_on_eintr, setup, teardown),
		cmocka_unit_test(test_default_max_exact),
		cmocka_unit_test(test_default_max_plus_one),
		cmocka_unit_test(test_free_resets),
	};

	signal(SIGPIPE, SIG_IGN); /* writers get EPIPE instead */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
