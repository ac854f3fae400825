#!/usr/bin/env python3
"""Packets for the network tests: echo servers and probes.

  netprobe.py serve PORT...              TCP and UDP echo on every address,
                                         IPv4 and IPv6
  netprobe.py tcp HOST PORT [SRC]        prints the echo of a line, or fails
  netprobe.py udp HOST PORT              the same over UDP
  netprobe.py dns SERVER NAME            prints NAME's first A record, or fails
  netprobe.py sink PORT                  accepts TCP streams, discards them

HOST and SRC may be IPv6 addresses (fe80::1%eth0 for a link-local one).
A probe exits 0 when the echo (or answer) came back within 2 s, 1 when it
did not, 2 on a local error (e.g. no route)."""
import os
import random
import select
import socket
import struct
import sys
import threading

TIMEOUT = 2.0


def serve(ports):
    def tcp_conn(c):
        with c:
            while True:
                d = c.recv(65536)
                if not d:
                    return
                c.sendall(d)

    def tcp_loop(s):
        while True:
            c, peer = s.accept()
            print("tcp %d from %s" % (s.getsockname()[1], peer[0]), flush=True)
            threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()

    def udp_loop(s):
        while True:
            d, a = s.recvfrom(65536)
            s.sendto(d, a)

    def listen(family, any_addr, p):
        t = socket.socket(family, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        u = socket.socket(family, socket.SOCK_DGRAM)
        if family == socket.AF_INET6:
            for x in (t, u):
                x.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        t.bind((any_addr, p))
        t.listen(64)
        threading.Thread(target=tcp_loop, args=(t,), daemon=True).start()
        u.bind((any_addr, p))
        threading.Thread(target=udp_loop, args=(u,), daemon=True).start()

    for p in ports:
        listen(socket.AF_INET, "0.0.0.0", p)
        if socket.has_ipv6 and os.path.exists("/proc/net/if_inet6"):
            listen(socket.AF_INET6, "::", p)
    print("ready", flush=True)
    threading.Event().wait()


def address(host, port, kind):
    """The family and socket address of host (IPv4 or IPv6, numeric)."""
    ai = socket.getaddrinfo(host, port, 0, kind, 0, socket.AI_NUMERICHOST)[0]
    return ai[0], ai[4]


def tcp(host, port, src=None):
    family, dst = address(host, port, socket.SOCK_STREAM)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    msg = b"hello %d\n" % random.randrange(1 << 30)
    try:
        if src:
            s.bind(address(src, 0, socket.SOCK_STREAM)[1])
        s.connect(dst)
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            d = s.recv(65536)
            if not d:
                break
            got += d
    except socket.timeout:
        return 1
    except OSError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1 if e.errno in (111, 104) else 2
    print(got.decode().strip())
    return 0 if got == msg else 1


def udp(host, port):
    family, dst = address(host, port, socket.SOCK_DGRAM)
    s = socket.socket(family, socket.SOCK_DGRAM)
    msg = b"hello %d" % random.randrange(1 << 30)
    try:
        s.sendto(msg, dst)
    except OSError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    r, _, _ = select.select([s], [], [], TIMEOUT)
    if not r:
        return 1
    d = s.recv(65536)
    print(d.decode())
    return 0 if d == msg else 1


def dns(server, name):
    qid = random.randrange(1 << 16)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(q, (server, 53))
    except OSError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    r, _, _ = select.select([s], [], [], TIMEOUT)
    if not r:
        return 1
    d = s.recv(4096)
    rid, flags, qd, an = struct.unpack(">HHHH", d[:8])
    if rid != qid or an == 0:
        return 1
    off = len(q)  # the question comes back as sent
    for _ in range(an):
        if d[off] & 0xC0 == 0xC0:
            off += 2
        else:
            while d[off]:
                off += d[off] + 1
            off += 1
        typ, _, _, rdlen = struct.unpack(">HHIH", d[off:off + 10])
        off += 10
        if typ == 1 and rdlen == 4:
            print(socket.inet_ntoa(d[off:off + 4]))
            return 0
        off += rdlen
    return 1


def sink(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(8)
    print("ready", flush=True)
    buf = bytearray(1 << 20)
    while True:
        c, _ = s.accept()
        with c:
            while c.recv_into(buf):
                pass


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "serve":
        serve([int(p) for p in argv[2:]])
    elif cmd == "tcp":
        return tcp(argv[2], int(argv[3]), argv[4] if len(argv) > 4 else None)
    elif cmd == "udp":
        return udp(argv[2], int(argv[3]))
    elif cmd == "dns":
        return dns(argv[2], argv[3])
    elif cmd == "sink":
        sink(int(argv[2]))
    print("unknown command %s" % cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
