#include "ns_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ns_devcg.h"
#include "readfile.h"

/* v1 controllers domd uses; cpuacct may share a mount with cpu. Each is a
 * separate move of the qube's init at start (an RCU grace period each on
 * v1 without favordynmods), so only those with a job are used. */
enum { CG_MEMORY, CG_CPU, CG_CPUACCT, CG_FREEZER, CG_PIDS, CG_DEVICES, CG_NCTRL };
static const char *const ctrl_names[CG_NCTRL] = { "memory", "cpu", "cpuacct", "freezer",
	"pids", "devices" };

static bool v2;
static bool v1_favor_dynmods; /* some v1 hierarchy is mounted with favordynmods */
static char v2_root[512];
static char v1_mount[CG_NCTRL][512];
static char parent_name[64];

bool
cg_is_v2(void)
{
	return v2;
}

static int
write_str(const char *dir, const char *file, const char *val)
{
	char path[4200];
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static int
read_str(const char *dir, const char *file, char *buf, size_t len)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return read_text_file(path, buf, len);
}

static uint64_t
read_u64(const char *dir, const char *file)
{
	char buf[64];

	if (read_str(dir, file, buf, sizeof(buf)) < 0)
		return 0;
	if (!strncmp(buf, "max", 3))
		return UINT64_MAX;
	return strtoull(buf, NULL, 10);
}

/* Finds where each v1 controller is mounted. */
static void
find_v1_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sep = strstr(line, " - "), mnt[512], fstype[64], src[256], opts[1024];
		int i = 0;
		char *tok, *save;

		if (sep == NULL)
			continue;
		/* field 5 is the mount point */
		for (tok = strtok_r(line, " ", &save); tok && i < 4; tok = strtok_r(NULL, " ", &save))
			i++;
		if (tok == NULL)
			continue;
		snprintf(mnt, sizeof(mnt), "%s", tok);
		if (sscanf(sep + 3, "%63s %255s %1023s", fstype, src, opts) != 3 ||
		    strcmp(fstype, "cgroup") != 0)
			continue;
		if (strstr(opts, "favordynmods") != NULL)
			v1_favor_dynmods = true;
		for (int c = 0; c < CG_NCTRL; c++) {
			char *o, *osave;
			char copy[1024];
			snprintf(copy, sizeof(copy), "%s", opts);
			for (o = strtok_r(copy, ",", &osave); o; o = strtok_r(NULL, ",", &osave))
				if (!strcmp(o, ctrl_names[c]) && v1_mount[c][0] == '\0')
					snprintf(v1_mount[c], sizeof(v1_mount[c]), "%s", mnt);
		}
	}
	fclose(f);
}

static void
group_dir(char *buf, size_t len, int ctrl, const char *name)
{
	const char *base = v2 ? v2_root : v1_mount[ctrl];
	int n;

	if (name != NULL)
		n = snprintf(buf, len, "%s/%s/%s", base, parent_name, name);
	else
		n = snprintf(buf, len, "%s/%s", base, parent_name);
	if (n < 0 || (size_t)n >= len)
		fatalx("cgroup path too long under %s", base);
}

/* Moving a process into a v1 group takes the kernel's thread-group lock for
 * writing, which first waits for an RCU grace period: ~13 ms here, most of a
 * qube's start. A hierarchy mounted with favordynmods (Linux 6.0+) keeps
 * that lock in the mode where writers do not wait, for every hierarchy, at
 * some cost to forks and exits; there is no remount for it, so domd mounts
 * a named hierarchy of its own for it once, where systemd keeps its own. */
static void
favor_dynmods(void)
{
	static const char dir[] = "/sys/fs/cgroup/bulkhead";

	if (v1_favor_dynmods)
		return;
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "none,name=bulkhead,favordynmods") < 0) {
		log_warnx("cgroups: cannot mount %s with favordynmods (%s): every qube start "
		    "waits for an RCU grace period", dir, strerror(errno));
		return;
	}
	log_info("cgroups: %s mounted with favordynmods (fast moves into cgroups; set "
	    "cgroup_favordynmods = 0 in domd.conf not to)", dir);
}

int
cg_init(const char *parent, bool favor, char *err, size_t errlen)
{
	char dir[1024];

	snprintf(parent_name, sizeof(parent_name), "%s", parent);
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
		v2 = true;
		snprintf(v2_root, sizeof(v2_root), "/sys/fs/cgroup");
		group_dir(dir, sizeof(dir), 0, NULL);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			goto fail;
		/* Controllers must be enabled on every level down to the qubes. */
		write_str(v2_root, "cgroup.subtree_control", "+memory +cpu +pids");
		if (write_str(dir, "cgroup.subtree_control", "+memory +cpu +pids") < 0)
			goto fail;
		return 0;
	}
	find_v1_mounts();
	if (v1_mount[CG_MEMORY][0] == '\0' || v1_mount[CG_FREEZER][0] == '\0' ||
	    v1_mount[CG_PIDS][0] == '\0' || v1_mount[CG_DEVICES][0] == '\0') {
		snprintf(err, errlen, "no cgroup v2 and no v1 memory, freezer, pids and devices "
		    "controllers mounted");
		return -1;
	}
	if (favor)
		favor_dynmods();
	for (int c = 0; c < CG_NCTRL; c++) {
		if (v1_mount[c][0] == '\0')
			continue;
		group_dir(dir, sizeof(dir), c, NULL);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			goto fail;
		if (c == CG_MEMORY)
			write_str(dir, "memory.use_hierarchy", "1");
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot set up cgroup %s: %s", dir, strerror(errno));
	return -1;
}

/* v1 shares directories when controllers are co-mounted: visit each once. */
static bool
dup_mount(int c)
{
	for (int p = 0; p < c; p++)
		if (!strcmp(v1_mount[p], v1_mount[c]))
			return true;
	return false;
}

int
cg_set_limits(const char *name, long memory_mib, long vcpus)
{
	char dir[1024], val[64];
	uint64_t bytes = (uint64_t)memory_mib * 1024 * 1024;

	if (v2) {
		group_dir(dir, sizeof(dir), 0, name);
		snprintf(val, sizeof(val), "%" PRIu64, bytes);
		if (write_str(dir, "memory.max", val) < 0)
			return -1;
		write_str(dir, "memory.swap.max", "0");
		snprintf(val, sizeof(val), "%ld 100000", vcpus * 100000);
		return write_str(dir, "cpu.max", val);
	}
	group_dir(dir, sizeof(dir), CG_MEMORY, name);
	snprintf(val, sizeof(val), "%" PRIu64, bytes);
	/* memsw must stay >= the limit: order depends on the direction. */
	if (write_str(dir, "memory.limit_in_bytes", val) < 0) {
		write_str(dir, "memory.memsw.limit_in_bytes", val);
		if (write_str(dir, "memory.limit_in_bytes", val) < 0)
			return -1;
	} else
		write_str(dir, "memory.memsw.limit_in_bytes", val);
	if (v1_mount[CG_CPU][0] != '\0') {
		group_dir(dir, sizeof(dir), CG_CPU, name);
		write_str(dir, "cpu.cfs_period_us", "100000");
		snprintf(val, sizeof(val), "%ld", vcpus * 100000);
		if (write_str(dir, "cpu.cfs_quota_us", val) < 0)
			return -1;
	}
	return 0;
}

/* v1: deny every device, then allow the list; v2: the same list as a BPF
 * device program on the group (ns_devcg.c). */
static int
set_devices(const char *name, bool usb, char *err, size_t errlen)
{
	const struct devcg_rule *rules;
	size_t n = devcg_rules(usb, &rules);
	char dir[1024], line[64];
	int fd, ret;

	group_dir(dir, sizeof(dir), CG_DEVICES, name);
	if (v2) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			goto fail;
		ret = devcg_bpf_attach(fd, usb, err, errlen);
		close(fd);
		return ret;
	}
	if (write_str(dir, "devices.deny", "a") < 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		for (unsigned major = rules[i].major_lo; major <= rules[i].major_hi; major++) {
			devcg_v1_line(&rules[i], major, line, sizeof(line));
			if (write_str(dir, "devices.allow", line) < 0)
				goto fail;
		}
	return 0;
fail:
	snprintf(err, errlen, "cannot set the devices of cgroup %s: %s", dir, strerror(errno));
	return -1;
}

static int
set_pids(const char *name, long pids_max)
{
	char dir[1024], val[32];

	group_dir(dir, sizeof(dir), CG_PIDS, name);
	snprintf(val, sizeof(val), "%ld", pids_max);
	return write_str(dir, "pids.max", val);
}

int
cg_create(const char *name, const struct cg_limits *lim, char *err, size_t errlen)
{
	char dir[1024];

	cg_destroy(name); /* a leftover from a crash */
	for (int c = 0; c < (v2 ? 1 : CG_NCTRL); c++) {
		if (!v2 && (v1_mount[c][0] == '\0' || dup_mount(c)))
			continue;
		group_dir(dir, sizeof(dir), c, name);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			goto fail;
	}
	if (cg_set_limits(name, lim->memory_mib, lim->vcpus) < 0) {
		group_dir(dir, sizeof(dir), CG_MEMORY, name);
		goto fail;
	}
	if (set_pids(name, lim->pids_max) < 0) {
		group_dir(dir, sizeof(dir), CG_PIDS, name);
		goto fail;
	}
	if (set_devices(name, lim->usb, err, errlen) < 0) {
		cg_destroy(name);
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot create cgroup %s: %s", dir, strerror(errno));
	cg_destroy(name);
	return -1;
}

int
cg_attach(const char *name, pid_t pid)
{
	char dir[1024], val[32];

	snprintf(val, sizeof(val), "%d", (int)pid);
	for (int c = 0; c < (v2 ? 1 : CG_NCTRL); c++) {
		if (!v2 && (v1_mount[c][0] == '\0' || dup_mount(c)))
			continue;
		group_dir(dir, sizeof(dir), c, name);
		if (write_str(dir, "cgroup.procs", val) < 0)
			return -1;
	}
	return 0;
}

int
cg_destroy(const char *name)
{
	char dir[1024];
	int ret = 0;

	for (int c = 0; c < (v2 ? 1 : CG_NCTRL); c++) {
		if (!v2 && (v1_mount[c][0] == '\0' || dup_mount(c)))
			continue;
		group_dir(dir, sizeof(dir), c, name);
		/* The kernel empties a group shortly after its last task exits. */
		for (int tries = 0; rmdir(dir) < 0; tries++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			if (errno == ENOENT)
				break;
			if (errno != EBUSY || tries >= 200) {
				ret = -1;
				break;
			}
			nanosleep(&ts, NULL);
		}
	}
	return ret;
}

int
cg_freeze(const char *name, bool frozen, char *err, size_t errlen)
{
	char dir[1024], state[64];

	if (v2) {
		group_dir(dir, sizeof(dir), 0, name);
		if (write_str(dir, "cgroup.freeze", frozen ? "1" : "0") < 0)
			goto fail;
		return 0;
	}
	group_dir(dir, sizeof(dir), CG_FREEZER, name);
	if (write_str(dir, "freezer.state", frozen ? "FROZEN" : "THAWED") < 0)
		goto fail;
	/* v1 freezing is asynchronous: wait until it has taken effect. */
	for (int i = 0; frozen && i < 500; i++) {
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		if (read_str(dir, "freezer.state", state, sizeof(state)) == 0 &&
		    !strncmp(state, "FROZEN", 6))
			return 0;
		nanosleep(&ts, NULL);
	}
	if (frozen) {
		snprintf(err, errlen, "freezing %s did not complete", name);
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot %s %s: %s", frozen ? "freeze" : "thaw", dir,
	    strerror(errno));
	return -1;
}

bool
cg_frozen(const char *name)
{
	char dir[1024], buf[256];

	if (v2) {
		group_dir(dir, sizeof(dir), 0, name);
		return read_str(dir, "cgroup.events", buf, sizeof(buf)) == 0 &&
		    strstr(buf, "frozen 1") != NULL;
	}
	group_dir(dir, sizeof(dir), CG_FREEZER, name);
	return read_str(dir, "freezer.state", buf, sizeof(buf)) == 0 &&
	    !strncmp(buf, "FROZEN", 6);
}

int
cg_stats(const char *name, struct vm_stats *st)
{
	char dir[1024], buf[4096], *p;

	memset(st, 0, sizeof(*st));
	if (!v2) {
		group_dir(dir, sizeof(dir), CG_PIDS, name);
		st->pids = read_u64(dir, "pids.current");
	}
	if (v2) {
		group_dir(dir, sizeof(dir), 0, name);
		st->memory_bytes = read_u64(dir, "memory.current");
		st->memory_limit_bytes = read_u64(dir, "memory.max");
		st->pids = read_u64(dir, "pids.current");
		if (read_str(dir, "cpu.stat", buf, sizeof(buf)) == 0 &&
		    (p = strstr(buf, "usage_usec ")) != NULL)
			st->cpu_ns = strtoull(p + 11, NULL, 10) * 1000;
		return 0;
	}
	group_dir(dir, sizeof(dir), CG_MEMORY, name);
	st->memory_bytes = read_u64(dir, "memory.usage_in_bytes");
	st->memory_limit_bytes = read_u64(dir, "memory.limit_in_bytes");
	if (v1_mount[CG_CPUACCT][0] != '\0') {
		group_dir(dir, sizeof(dir), CG_CPUACCT, name);
		st->cpu_ns = read_u64(dir, "cpuacct.usage");
	}
	return 0;
}
