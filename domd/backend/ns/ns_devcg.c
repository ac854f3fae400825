#include "ns_devcg.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What a qube's /dev holds, its own ptys (devpts instances use majors
 * 136-143) and, last, the USB device nodes for a qube with provides_usb. */
static const struct devcg_rule rules_all[] = {
	{ 1, 1, 3 }, { 1, 1, 5 }, { 1, 1, 7 }, { 1, 1, 8 }, { 1, 1, 9 }, /* null zero full random urandom */
	{ 5, 5, 0 }, { 5, 5, 2 }, /* tty, ptmx */
	{ 136, 143, -1 },
	{ 189, 189, -1 }, /* /dev/bus/usb */
};

size_t
devcg_rules(bool usb, const struct devcg_rule **rules)
{
	size_t n = sizeof(rules_all) / sizeof(rules_all[0]);

	*rules = rules_all;
	return usb ? n : n - 1;
}

void
devcg_v1_line(const struct devcg_rule *rule, unsigned major, char *buf, size_t len)
{
	if (rule->minor < 0)
		snprintf(buf, len, "c %u:* rwm", major);
	else
		snprintf(buf, len, "c %u:%d rwm", major, rule->minor);
}

/* The program is raw BPF (no compiler or libbpf at run time). Its context is
 * struct bpf_cgroup_dev_ctx: access_type (access << 16 | device type), major,
 * minor; it returns 1 to allow and 0 to deny (EPERM). Each rule is a block
 * that returns 1 on a match and otherwise jumps over its own end, so no jump
 * needs patching. */
#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define AND_K(d, k) INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, k)
#define MOV_K(d, k) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define JMP_K(op, d, k, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, k)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0, R1, R2, R3, R4 };
/* 5 instructions at most per rule, 7 around them */
#define MAX_INSNS (sizeof(rules_all) / sizeof(rules_all[0]) * 5 + 7)

static size_t
emit_rule(struct bpf_insn *p, const struct devcg_rule *r)
{
	size_t n = 0;

	if (r->major_lo == r->major_hi) {
		/* major != lo: skip the minor test (if any), the mov and the exit */
		p[n++] = JMP_K(BPF_JNE, R3, (int32_t)r->major_lo, r->minor < 0 ? 2 : 3);
	} else {
		p[n++] = JMP_K(BPF_JLT, R3, (int32_t)r->major_lo, r->minor < 0 ? 3 : 4);
		p[n++] = JMP_K(BPF_JGT, R3, (int32_t)r->major_hi, r->minor < 0 ? 2 : 3);
	}
	if (r->minor >= 0)
		p[n++] = JMP_K(BPF_JNE, R4, r->minor, 2);
	p[n++] = MOV_K(R0, 1);
	p[n++] = EXIT();
	return n;
}

static size_t
build_prog(struct bpf_insn *p, bool usb)
{
	const struct devcg_rule *rules;
	size_t nrules = devcg_rules(usb, &rules), n = 0;

	p[n++] = LDX_W(R2, R1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	p[n++] = AND_K(R2, 0xffff);
	p[n++] = LDX_W(R3, R1, offsetof(struct bpf_cgroup_dev_ctx, major));
	p[n++] = LDX_W(R4, R1, offsetof(struct bpf_cgroup_dev_ctx, minor));
	/* not a character device: deny (skip to the final mov) */
	p[n++] = JMP_K(BPF_JNE, R2, BPF_DEVCG_DEV_CHAR, 0);
	size_t deny_jump = n - 1;
	for (size_t i = 0; i < nrules; i++)
		n += emit_rule(p + n, &rules[i]);
	p[deny_jump].off = (int16_t)(n - deny_jump - 1);
	p[n++] = MOV_K(R0, 0);
	p[n++] = EXIT();
	return n;
}

static int
sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Loads the program; the verifier's log is asked for only when it fails. */
static int
load_prog(bool usb, char *err, size_t errlen)
{
	struct bpf_insn insns[MAX_INSNS];
	static char log[16384];
	union bpf_attr attr;
	int prog, saved;
	size_t len;

	log[0] = '\0';
	for (int verbose = 0; verbose <= 1; verbose++) {
		memset(&attr, 0, sizeof(attr));
		attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
		attr.insns = (uint64_t)(uintptr_t)insns;
		attr.insn_cnt = (uint32_t)build_prog(insns, usb);
		attr.license = (uint64_t)(uintptr_t)"GPL";
		if (verbose) {
			attr.log_buf = (uint64_t)(uintptr_t)log;
			attr.log_size = sizeof(log);
			attr.log_level = 1;
		}
		prog = sys_bpf(BPF_PROG_LOAD, &attr);
		if (prog >= 0)
			return prog;
		saved = errno;
		if (saved != EINVAL && saved != EACCES)
			break; /* not the verifier's refusal */
	}
	/* the verifier's reason is on the log's last line */
	len = strnlen(log, sizeof(log));
	while (len > 0 && log[len - 1] == '\n')
		log[--len] = '\0';
	const char *last = strrchr(log, '\n');
	snprintf(err, errlen, "cannot load the device program: %s%s%.200s", strerror(saved),
	    log[0] ? ": " : "", last ? last + 1 : log);
	return -1;
}

int
devcg_bpf_attach(int cgroup_fd, bool usb, char *err, size_t errlen)
{
	union bpf_attr attr;
	int prog, saved;

	prog = load_prog(usb, err, errlen);
	if (prog < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = 0; /* exclusive: a sub-group cannot override it */
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) {
		saved = errno;
		close(prog);
		snprintf(err, errlen, "cannot attach the device program: %s", strerror(saved));
		return -1;
	}
	close(prog); /* the cgroup holds the program from here on */
	return 0;
}
