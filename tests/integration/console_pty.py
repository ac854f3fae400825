#!/usr/bin/env python3
"""The far end of a serial line for the console tests: runs `bulkhead console`
on a pseudo-terminal whose window size is 0x0 (as a serial line's is) and
plays the terminal: it answers the cursor position report (ESC [ 6 n) with a
given size, or never.

  console_pty.py CLI OUT [--term T] [--size RxC] [--answer RxC] [--type TEXT]
                 [--then RxC]

--size RxC    the pty's window size (default 0x0: unknown, as on a serial line)

--answer RxC  answer each question with ESC [ R ; C R (default: never)
--type TEXT   typed as soon as the first question comes, before any answer
--then RxC    after the first frame, answer RxC from now on and press Ctrl-L
OUT gets what the console wrote up to the last frame (before quitting),
less the questions, to be replayed on a terminal of another size.
Prints key=value lines: asked (questions seen), first_frame_s (from start
to the first bar), winsize (the pty's size at the end, as the console set
it), rc (the console's exit status)."""
import fcntl, os, pty, select, struct, sys, termios, time

QUESTION = b"\x1b[6n"


def parse_size(s):
    r, c = s.lower().split("x")
    return int(r), int(c)


def main():
    args = sys.argv[1:]
    cli, out = args[0], args[1]
    opts = {"--term": "vt220", "--size": None, "--answer": None, "--type": None,
            "--then": None}
    i = 2
    while i < len(args):
        if args[i] not in opts or i + 1 >= len(args):
            sys.exit("console_pty.py: bad argument %r" % args[i])
        opts[args[i]] = args[i + 1]
        i += 2
    answer = parse_size(opts["--answer"]) if opts["--answer"] else None

    start = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        if opts["--size"]:
            r, c = parse_size(opts["--size"])
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))
        os.environ["TERM"] = opts["--term"]
        os.environ.pop("NO_COLOR", None)
        os.execv(cli, [cli, "console"])

    data = b""
    asked = 0
    first_frame = None
    typed = False

    def pump(secs):
        """Reads for secs (until quiet for secs once output stops);
        answers questions as they come. False once the console is gone."""
        nonlocal data, asked, typed
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return True
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return True
            try:
                b = os.read(fd, 65536)
            except OSError:
                return False
            if not b:
                return False
            data += b
            n = data.count(QUESTION)
            while asked < n:
                asked += 1
                if opts["--type"] and not typed:
                    os.write(fd, opts["--type"].encode())
                    typed = True
                    time.sleep(0.05)
                if answer:
                    os.write(fd, b"\x1b[%d;%dR" % answer)

    def wait_frame(limit, since):
        """Until a bar is drawn after offset since, then 0.3 s of quiet."""
        nonlocal first_frame
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if not pump(0.05):
                return False
            if b"Help" in data[since:]:
                if first_frame is None:
                    first_frame = time.monotonic() - start
                n = len(data)
                while pump(0.3) and len(data) != n:
                    n = len(data)
                return True
        return False

    ok = wait_frame(10, 0)
    if ok and opts["--then"]:
        answer = parse_size(opts["--then"])
        mark = len(data)
        os.write(fd, b"\x0c")
        ok = wait_frame(5, mark)
    with open(out, "wb") as f:  # without the questions: a replay asks nothing
        f.write(data.replace(QUESTION, b""))
    ws = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
    rows, cols, _, _ = struct.unpack("HHHH", ws)
    # Esc leaves a filter or form, q quits; SIGTERM if that did not work.
    os.write(fd, b"\x1b")
    pump(0.3)
    os.write(fd, b"q")
    pump(1.0)
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        os.kill(pid, 15)
        pump(1.0)
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    print("asked=%d" % asked)
    print("first_frame_s=%s" % ("%.3f" % first_frame if first_frame is not None else "none"))
    print("winsize=%dx%d" % (rows, cols))
    print("rc=%d" % (os.waitstatus_to_exitcode(status)))


main()
