#!/usr/bin/env python3
"""A stand-in for the kernel's vhci-hcd behind a fake sysfs directory, for
tests on kernels without USB/IP.

  fake_vhci.py DIR WRITER_PID

DIR is the fake vhci_hcd.0 directory. When "port sockfd devid speed" is
written to DIR/attach, the socket is taken from process WRITER_PID (domd)
as the kernel would take it from the writer (pidfd_getfd), and the port
shows as used in DIR/status; when the port is written to DIR/detach, it is
let go and shows as free again. Each is printed ("attach PORT DEVID SPEED",
"detach PORT"; "refused PORT: WHY" when sockfd is not a socket of
WRITER_PID's) and the file emptied, as the kernel's files read empty."""
import ctypes
import os
import stat
import sys
import time

SYS_pidfd_open, SYS_pidfd_getfd = 434, 438
libc = ctypes.CDLL(None, use_errno=True)


def take_fd(pid, fd):
    pidfd = libc.syscall(SYS_pidfd_open, pid, 0)
    if pidfd < 0:
        return -1
    got = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
    os.close(pidfd)
    return got


def set_port(d, port, used):
    lines = open(os.path.join(d, "status")).read().splitlines()
    out = []
    for l in lines:
        f = l.split()
        if len(f) > 2 and f[1].isdigit() and int(f[1]) == port:
            f[2] = "006" if used else "004"
            l = "%-3s %s %s %s" % (f[0], f[1], f[2], " ".join(f[3:]))
        out.append(l)
    open(os.path.join(d, "status"), "w").write("\n".join(out) + "\n")


def main(d, writer):
    held = {}
    while True:
        try:
            a = open(os.path.join(d, "attach")).read()
            de = open(os.path.join(d, "detach")).read()
        except OSError:
            return 0
        if a.strip():
            open(os.path.join(d, "attach"), "w").close()
            port, sockfd, devid, speed = (int(x) for x in a.split()[:4])
            fd = take_fd(writer, sockfd)
            if fd < 0 or not stat.S_ISSOCK(os.fstat(fd).st_mode):
                print("refused %d: fd %d of %d is no socket" % (port, sockfd, writer), flush=True)
                if fd >= 0:
                    os.close(fd)
            else:
                held[port] = fd
                set_port(d, port, True)
                print("attach %d %d %d" % (port, devid, speed), flush=True)
        if de.strip():
            open(os.path.join(d, "detach"), "w").close()
            port = int(de.split()[0])
            print("detach %d" % port, flush=True)
            if port in held:
                os.close(held.pop(port))
            set_port(d, port, False)
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
