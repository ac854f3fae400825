/* Where a viewer finds a qube's display, as sys-gui's gateway writes it:
 * its URI on one line ("spice+unix:///home/..." or
 * "spice://127.0.0.1:PORT"), then its ticket. sys-gui is not trusted: this
 * is the one parser of that text in dom0 (fuzzed by
 * tests/fuzz/fuzz_viewer_info.c). */
#ifndef BULKHEAD_VIEWER_INFO_H
#define BULKHEAD_VIEWER_INFO_H

struct viewer_info {
	char path[256];      /* a Unix socket, as a path on this host; or "" */
	char host[16];
	int port;            /* 1-65535 for TCP, 0 for a Unix socket */
	char password[61];   /* 8-60 letters and digits */
};

/* untrusted is NUL-terminated and modified. A socket under /home of the
 * gateway's qube is named through that qube's root as this host sees it,
 * qube_root (/proc/PID/root of its init on the ns backend; NULL: refused).
 * 0 with v filled, -1 when malformed. */
int viewer_info_parse(char *untrusted, const char *qube_root, struct viewer_info *v);

#endif
