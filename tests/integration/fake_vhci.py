#!/usr/bin/env python3
"""A stand-in for the kernel's vhci-hcd behind a fake sysfs directory, for
tests on kernels without USB/IP.

  fake_vhci.py DIR IMPORTER_PATTERN

DIR is the fake vhci_hcd.0 directory as seen from here (e.g. through
/proc/PID/root). When the importer writes "port sockfd devid speed" to
DIR/attach, the socket is taken from the importer as the kernel would take
it (pidfd_getfd), and the port shows as used in DIR/status; when the port
is written to DIR/detach, it is let go and shows as free again. Each is
printed ("attach PORT DEVID SPEED", "detach PORT") and the file emptied, as
the kernel's files read empty."""
import ctypes
import os
import subprocess
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


def main(d, pattern):
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
            pids = subprocess.run(["pgrep", "-f", pattern], capture_output=True,
                                  text=True).stdout.split()
            for p in pids:
                fd = take_fd(int(p), sockfd)
                if fd >= 0:
                    held[port] = fd
                    set_port(d, port, True)
                    print("attach %d %d %d" % (port, devid, speed), flush=True)
                    break
        if de.strip():
            open(os.path.join(d, "detach"), "w").close()
            port = int(de.split()[0])
            print("detach %d" % port, flush=True)
            if port in held:
                os.close(held.pop(port))
            set_port(d, port, False)
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
