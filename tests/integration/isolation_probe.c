/*
 * Attacks from inside a qube (isolation.t runs it there as root and as the
 * qube's user). Each attempt prints "refused NAME (errno)" when the kernel
 * said no (EPERM or EACCES; for files also EROFS, or ENOENT where the
 * kernel lacks the file), or "BREACH NAME" when it went through or failed
 * for another reason (junk arguments fail late only for the privileged);
 * the exit status is the number of breaches. Extra arguments are files
 * that must not open (device nodes planted by the test).
 */
#include <errno.h>
#include <fcntl.h>
#include <endian.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static int breaches;

static void
verdict(const char *name, long r, bool file)
{
	int e = errno;

	if (r < 0 && (e == EPERM || e == EACCES || (file && (e == EROFS || e == ENOENT ||
	    e == ENODATA))))
		printf("refused %s (%s)\n", name, strerror(e));
	else {
		printf("BREACH %s (%s)\n", name, r < 0 ? strerror(e) : "succeeded");
		breaches++;
	}
	fflush(stdout);
}

static void
report(const char *name, long r)
{
	verdict(name, r, false);
}

static void
report_file(const char *name, long r)
{
	verdict(name, r, true);
}

static long
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -1;
	r = write(fd, text, strlen(text));
	close(fd);
	return r;
}

static long
open_dev(const char *path)
{
	char c;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -1;
	r = read(fd, &c, 1);
	close(fd);
	return r;
}

static void
kernel_attacks(void)
{
	static const char junk[64];
	union bpf_attr ba = { 0 };
	struct perf_event_attr pa = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(pa),
		.config = PERF_COUNT_SW_CPU_CLOCK };
	struct { unsigned int bytes; int type; unsigned char h[64]; } fh = { 8, 1, { 0 } };
	struct timespec now;
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	report("init_module", syscall(SYS_init_module, junk, sizeof(junk), ""));
	report("finit_module", syscall(SYS_finit_module, nullfd, "", 0));
	report("delete_module", syscall(SYS_delete_module, "bulkhead_no_such_module", O_NONBLOCK));
	report("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
	report("reboot", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
	    LINUX_REBOOT_CMD_CAD_ON, NULL));
	report("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
	report("add_key", syscall(SYS_add_key, "user", "probe", "x", 1, KEY_SPEC_SESSION_KEYRING));
	report("request_key", syscall(SYS_request_key, "user", "probe", NULL,
	    KEY_SPEC_SESSION_KEYRING));
	ba.map_type = BPF_MAP_TYPE_ARRAY;
	ba.key_size = 4;
	ba.value_size = 4;
	ba.max_entries = 1;
	report("bpf", syscall(SYS_bpf, BPF_MAP_CREATE, &ba, sizeof(ba)));
	report("perf_event_open", syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0));
	report("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY));
	report("swapon", swapon("/dev/null", 0));
	clock_gettime(CLOCK_REALTIME, &now);
	report("clock_settime", clock_settime(CLOCK_REALTIME, &now));
	report("unshare user namespace", unshare(CLONE_NEWUSER));
	report("unshare mount namespace", unshare(CLONE_NEWNS));
	report("sethostname", sethostname("evil", 4));
	close(nullfd);
}

static void
mount_attacks(void)
{
	mkdir("/tmp/probe-mnt", 0700);
	report("mount proc", mount("proc", "/tmp/probe-mnt", "proc", 0, NULL));
	report("mount sysfs", mount("sysfs", "/tmp/probe-mnt", "sysfs", 0, NULL));
	report("mount cgroup v1 (release_agent)", mount("cgroup", "/tmp/probe-mnt", "cgroup", 0,
	    "none,name=probe"));
	report("mount cgroup2", mount("cgroup2", "/tmp/probe-mnt", "cgroup2", 0, NULL));
	report("mount tmpfs", mount("tmpfs", "/tmp/probe-mnt", "tmpfs", 0, NULL));
	report("remount /sys read-write", mount(NULL, "/sys", NULL, MS_REMOUNT, NULL));
	report("remount /proc/sys read-write", mount(NULL, "/proc/sys", NULL,
	    MS_REMOUNT | MS_BIND, NULL));
	report("unmount a mask (/proc/keys)", umount2("/proc/keys", MNT_DETACH));
	report("unmount /dev/null", umount2("/dev/null", MNT_DETACH));
}

static void
file_attacks(void)
{
	report_file("write core_pattern", write_file("/proc/sys/kernel/core_pattern", "|/bin/sh"));
	report_file("write a host sysctl (kernel.domainname)", write_file("/proc/sys/kernel/domainname",
	    "evil"));
	report_file("write /proc/sysrq-trigger", write_file("/proc/sysrq-trigger", "h"));
	report_file("read /proc/kcore", open_dev("/proc/kcore"));
	errno = ENODATA; /* a mask reads empty */
	report_file("read /proc/keys", open_dev("/proc/keys") > 0 ? 1 : -1);
	report_file("write /sys (lo's mtu)", write_file("/sys/class/net/lo/mtu", "1500"));
	report("mknod block device", mknod("/tmp/probe-sda", S_IFBLK | 0600, makedev(8, 0)));
	report("mknod char device (mem)", mknod("/tmp/probe-mem", S_IFCHR | 0600,
	    makedev(1, 1)));
}

/* Says hello as the qube's agent on the control socket: domd must hang up
 * (only the init's RPC endpoint is the agent), not keep the connection. */
static void
agent_impersonation(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct { uint32_t type, len, version, role; } hello = {
		htole32(1), htole32(8), htole32(1), htole32(1) }; /* RPC_HELLO, agent */
	struct pollfd pfd;
	char c;
	long r = -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "/dev/bulkhead/control.sock");
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    write(fd, &hello, sizeof(hello)) == (ssize_t)sizeof(hello)) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		errno = ETIMEDOUT;
		if (poll(&pfd, 1, 3000) == 1 && read(fd, &c, 1) == 0) {
			errno = EPERM; /* hung up on */
			r = -1;
		} else
			r = 0;
	}
	if (fd >= 0)
		close(fd);
	report("hello as the agent", r);
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	kernel_attacks();
	mount_attacks();
	file_attacks();
	agent_impersonation();
	for (int i = 1; i < argc; i++) {
		char name[300];
		snprintf(name, sizeof(name), "open planted device %s", argv[i]);
		report_file(name, open_dev(argv[i]));
	}
	return breaches > 125 ? 125 : breaches;
}
