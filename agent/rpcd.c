/*
 * The agent's RPC endpoint: a child of init that keeps the control channel
 * to domd (reconnecting when domd restarts) and runs the services and
 * commands domd asks for, each in a relay process of its own.
 */
#include "agent.h"
#include "log.h"
#include "rpc_paths.h"
#include "rpc_relay.h"
#include "rpc_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t rpcd_pid;

int
rpc_connect_control(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", RPC_CONTROL_SOCK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* /etc/passwd without NSS: the agent is static. */
static int
lookup_user(const char *name, uid_t *uid, gid_t *gid, char *home, size_t homelen)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[1024];
	int found = -1;

	if (f == NULL)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f) != NULL) {
		char *fields[7], *save = NULL, *p = line;
		int n = 0;
		for (char *t; n < 7 && (t = strsep(&p, ":\n")) != NULL;)
			fields[n++] = t;
		(void)save;
		if (n < 6 || strcmp(fields[0], name) != 0)
			continue;
		*uid = (uid_t)strtoul(fields[2], NULL, 10);
		*gid = (gid_t)strtoul(fields[3], NULL, 10);
		snprintf(home, homelen, "%s", fields[5]);
		found = 0;
	}
	fclose(f);
	return found;
}

static const char *
find_service(const char *service, const char *arg, char *path, size_t len)
{
	static const char *const dirs[] = { RPC_SERVICE_DIR_RW, RPC_SERVICE_DIR };

	for (size_t i = 0; i < 2; i++) {
		if (arg[0] != '\0') {
			snprintf(path, len, "%s/%s+%s", dirs[i], service, arg);
			if (access(path, X_OK) == 0)
				return path;
		}
		snprintf(path, len, "%s/%s", dirs[i], service);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

/* In the service's own process: become the user, then exec. */
static void __attribute__((noreturn))
exec_service(const struct rpc_msg *m)
{
	const struct rpc_exec *e = &m->u.exec;
	const char *user = e->user[0] ? e->user : RPC_DEFAULT_USER;
	char home[512] = "/", path[512], env_home[600];
	uid_t uid = 0;
	gid_t gid = 0;

	if (lookup_user(user, &uid, &gid, home, sizeof(home)) < 0) {
		fprintf(stderr, "bulkhead-agent: no user '%s' in this qube\n", user);
		_exit(126);
	}
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		fprintf(stderr, "bulkhead-agent: cannot become %s: %s\n", user, strerror(errno));
		_exit(126);
	}
	if (chdir(home) < 0 && chdir("/") < 0)
		_exit(126);
	snprintf(env_home, sizeof(env_home), "%s", home);
	clearenv();
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", env_home, 1);
	setenv("USER", user, 1);
	setenv("BULKHEAD_RPC_SOURCE", e->source, 1);
	if (m->cmdline != NULL) {
		execl("/bin/sh", "sh", "-c", m->cmdline, (char *)NULL);
		fprintf(stderr, "bulkhead-agent: exec /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	setenv("BULKHEAD_RPC_SERVICE", e->service, 1);
	setenv("BULKHEAD_RPC_ARG", e->arg, 1);
	if (find_service(e->service, e->arg, path, sizeof(path)) == NULL) {
		fprintf(stderr, "bulkhead-agent: no service %s in this qube\n", e->service);
		_exit(127);
	}
	execl(path, path, (char *)NULL);
	fprintf(stderr, "bulkhead-agent: exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

/* A relay process per call: owns the data channel and the service. */
static void
spawn_call(const struct rpc_msg *m, int data_fd)
{
	int in[2], out[2], err[2];
	pid_t relay, child;

	relay = fork();
	if (relay != 0) {
		if (relay < 0)
			log_warn("fork");
		return;
	}
	signal(SIGCHLD, SIG_DFL);
	setsid();
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		_exit(1);
	/* Big pipes: fewer, larger frames for bulk data (file copy). */
	fcntl(in[1], F_SETPIPE_SZ, 1 << 20);
	fcntl(out[1], F_SETPIPE_SZ, 1 << 20);
	child = fork();
	if (child < 0)
		_exit(1);
	if (child == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(data_fd);
		exec_service(m);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	rpc_relay_service(data_fd, child, in[1], out[0], err[0]);
	_exit(0);
}

static void __attribute__((noreturn))
rpcd_main(void)
{
	static char buf[sizeof(struct rpc_hdr) + sizeof(struct rpc_exec) + RPC_CMDLINE_MAX];
	struct timespec retry = { 0, 200 * 1000 * 1000 };

	/* Relays are reaped by the kernel: nothing here waits for them. */
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct rpc_hello hello = { RPC_VERSION, RPC_ROLE_AGENT };
		struct rpc_msg m;
		int fd = agent_on_xen() ? rpc_connect_vchan() : rpc_connect_control(), data_fd, r;

		if (fd < 0) {
			nanosleep(&retry, NULL);
			continue;
		}
		if (rpc_send(fd, RPC_HELLO, &hello, sizeof(hello), NULL, 0, -1, false) < 0) {
			close(fd);
			continue;
		}
		log_debug("%s: connected to domd", __func__);
		while ((r = rpc_recv(fd, buf, sizeof(buf), &m, &data_fd)) == 1) {
			if (m.type == RPC_EXEC && data_fd >= 0)
				spawn_call(&m, data_fd);
			else
				log_warnx("unexpected message %u from domd", m.type);
			if (data_fd >= 0)
				close(data_fd);
		}
		close(fd);
		nanosleep(&retry, NULL);
	}
}

/* The default user's home lives in the private volume. */
static void
make_user_home(void)
{
	char home[512];
	uid_t uid;
	gid_t gid;

	if (lookup_user(RPC_DEFAULT_USER, &uid, &gid, home, sizeof(home)) < 0)
		return;
	if (mkdir(home, 0700) == 0 && chown(home, uid, gid) < 0)
		log_warn("chown %s", home);
}

void
rpcd_start(void)
{
	pid_t pid;

	if (!agent_test_mode)
		make_user_home();
	pid = fork();
	if (pid < 0) {
		log_warn("fork rpcd");
		return;
	}
	if (pid == 0) {
		signals_reset_child();
		rpcd_main();
	}
	rpcd_pid = pid;
}

int
rpcd_exited(pid_t pid, int status)
{
	if (pid != rpcd_pid || rpcd_pid == 0)
		return 0;
	log_warnx("rpc endpoint exited (status 0x%x); restarting", status);
	sleep(1);
	rpcd_start();
	return 1;
}

void
rpcd_forget(void)
{
	rpcd_pid = 0;
}
