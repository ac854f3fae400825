/* The devices a qube may use, as the cgroup enforces them: one table, written
 * as v1 `devices.allow` rules or compiled into a v2 BPF device program. */
#ifndef BULKHEAD_DOMD_NS_DEVCG_H
#define BULKHEAD_DOMD_NS_DEVCG_H

#include <stdbool.h>
#include <stddef.h>

/* Character devices with a major in [major_lo, major_hi] and the given minor
 * (-1: any); read, write and mknod. No block device is ever allowed. */
struct devcg_rule {
	unsigned major_lo, major_hi;
	int minor;
};

/* The rules for a qube (usb: it has provides_usb); returns their count. */
size_t devcg_rules(bool usb, const struct devcg_rule **rules);

/* The v1 `devices.allow` line for major MAJOR of RULE, e.g. "c 136:* rwm". */
void devcg_v1_line(const struct devcg_rule *rule, unsigned major, char *buf, size_t len);

/* Loads the v2 device program for a qube and attaches it to the cgroup
 * directory CGROUP_FD (no override: nothing below may replace it). */
int devcg_bpf_attach(int cgroup_fd, bool usb, char *err, size_t errlen);

#endif
