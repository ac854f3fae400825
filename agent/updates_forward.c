/*
 * In a template (domd makes TEMPLATE_MARK), init keeps
 * bulkhead-updates-forward running: it listens on the template's loopback
 * at the port its package manager's proxy setting names, and carries each
 * connection as one call of bulkhead.UpdatesProxy to the netvm the policy
 * picks (@default). A template has no network of its own: this is its
 * package manager's only way out, and the netvm's service checks every
 * request.
 */
#include "agent.h"
#include "log.h"
#include "rpc_paths.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <grp.h>
#include <unistd.h>

static struct supervised forward = { UPDATES_FORWARD_PROG, "bulkhead-updates-forward", 0, 0 };

void
updates_forward_start(void)
{
	if (access(TEMPLATE_MARK, F_OK) < 0)
		return; /* not a template */
	supervise_spawn(&forward);
}

int
updates_forward_exited(pid_t pid, int status)
{
	return supervise_exited(&forward, pid, status);
}

void
updates_forward_forget(void)
{
	forward.pid = 0;
}

/* One connection: the call's stdin and stdout. */
static void
serve(int conn)
{
	char prog[] = "bulkhead-rpc", target[] = "@default", service[] = "bulkhead.UpdatesProxy";
	char *argv[] = { prog, target, service, NULL };

	if (dup2(conn, 0) < 0 || dup2(conn, 1) < 0)
		_exit(1);
	close(conn);
	_exit(rpc_client_main(3, argv));
}

int
updates_forward_main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(UPDATES_PROXY_PORT) };
	int one = 1, fd, conn;

	if (argc > 1 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		printf("bulkhead-updates-forward %s\n", BULKHEAD_VERSION);
		return 0;
	}
	if (argc > 1) {
		fprintf(argc > 1 && strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? stderr :
		    stdout, "usage: bulkhead-updates-forward\n"
		    "In a template: listens on 127.0.0.1:%d and carries each connection as a\n"
		    "call of bulkhead.UpdatesProxy to the netvm the RPC policy picks.\n",
		    UPDATES_PROXY_PORT);
		return strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? 2 : 0;
	}
	log_init("bulkhead-updates-forward", 0, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
		fatal("listen on 127.0.0.1:%d", UPDATES_PROXY_PORT);
	/* Nothing more needs root: the control socket takes any user. */
	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		fatal("drop to nobody");
	signal(SIGCHLD, SIG_IGN); /* the calls reap themselves */
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if ((conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			continue;
		}
		switch (fork()) {
		case -1:
			log_warn("fork");
			break;
		case 0:
			close(fd);
			signal(SIGCHLD, SIG_DFL);
			serve(conn);
			break;
		}
		close(conn);
	}
}
