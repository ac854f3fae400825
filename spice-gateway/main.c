/* bulkhead-gateway: shows each qube's windows to remote SPICE viewers, one
 * SpiceServer per qube, all on one event loop (runs in sys-gui). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "attach.h"
#include "desktop.h"
#include "log.h"
#include "loop.h"
#include "qube.h"
#include "server.h"
#include "vmlink.h"
#include "xalloc.h"

#define MAX_VMS 64

static struct vm *vms[MAX_VMS]; /* live until exit */
static clip_policy_fn clip_policy = clip_policy_static;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bulkhead-gateway [-v] --run-dir DIR [--tcp-port BASE] [--size WxH]\n"
	    "           [--clip-max BYTES] [--clipboard NAME:in|out|both|none ...]\n"
	    "           [--clipboard-policy static|domd] [--listen-fd FIRST]\n"
	    "           [--rpc-socket PATH] [--desktop] --vm NAME:LABEL[:SOCKET] ...\n"
	    "       bulkhead-gateway --attach PATH   (the bulkhead.Gui service)\n");
	exit(2);
}

static void
on_signal(int fd, int event, void *opaque)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == sizeof(si))
		loop_quit(0);
}

/* NAME:LABEL[:SOCKET]; without a socket the qube comes only through RPC. */
static struct vm *
parse_vm(const char *arg, uint32_t w, uint32_t h, const struct gui_limits *lim)
{
	char *s = xstrdup(arg), *label, *path;
	uint32_t rgb;
	struct vm *vm;

	label = strchr(s, ':');
	if (label == NULL)
		fatalx("--vm %s: expected NAME:LABEL[:SOCKET]", arg);
	*label++ = '\0';
	if ((path = strchr(label, ':')) != NULL)
		*path++ = '\0';
	if (!qube_name_valid(s))
		fatalx("--vm %s: bad qube name", arg);
	if (!screen_label_rgb(label, &rgb))
		fatalx("--vm %s: unknown label %s", arg, label);
	vm = xcalloc(1, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", s);
	snprintf(vm->label, sizeof(vm->label), "%s", label);
	vm->fd = -1;
	vm_view_init(vm);
	vm->clip_allowed = clip_policy;
	gui_peer_init(&vm->peer, lim);
	vm->in_cap = gui_peer_max_msg(&vm->peer);
	vm->in = xmalloc(vm->in_cap);
	vm->out = xmalloc(VM_OUTBUF_MAX);
	screen_init(&vm->scr, vm->name, rgb, w, h);
	if (path != NULL && vmlink_listen_unix(vm, path) < 0)
		exit(1);
	free(s);
	return vm;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run-dir", required_argument, NULL, 'd' },
		{ "tcp-port", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ "clip-max", required_argument, NULL, 'c' },
		{ "vm", required_argument, NULL, 'm' },
		{ "clipboard", required_argument, NULL, 'p' },
		{ "clipboard-policy", required_argument, NULL, 'P' },
		{ "rpc-socket", required_argument, NULL, 'r' },
		{ "listen-fd", required_argument, NULL, 'f' },
		{ "attach", required_argument, NULL, 'a' },
		{ "desktop", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *vm_args[MAX_VMS], *rpc_sock = NULL;
	struct listen_cfg cfg = { .kind = LISTEN_UNIX };
	struct gui_limits lim;
	unsigned w = 1280, h = 800;
	int nvm = 0, verbose = 0, desktop = 0, c, sfd, rc;
	sigset_t mask;
	SpiceWatch *signal_watch;

	gui_limits_default(&lim);
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.run_dir = optarg; break;
		case 't': cfg.kind = LISTEN_TCP; cfg.tcp_port = atoi(optarg); break;
		case 's':
			if (sscanf(optarg, "%ux%u", &w, &h) != 2 || w < 64 || h < 64 || w > 4096 ||
			    h > 4096)
				usage();
			break;
		case 'c': lim.clip_max = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'm':
			if (nvm == MAX_VMS)
				usage();
			vm_args[nvm++] = optarg;
			break;
		case 'p':
			if (!clip_policy_add(optarg))
				usage();
			break;
		case 'P':
			if (!strcmp(optarg, "domd"))
				clip_policy = clip_policy_rpc;
			else if (strcmp(optarg, "static") != 0)
				usage();
			break;
		case 'r': rpc_sock = optarg; break;
		case 'f': cfg.kind = LISTEN_FD; cfg.fd = atoi(optarg); break;
		case 'a': return attach_main(optarg);
		case 'D': desktop = 1; break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (cfg.run_dir == NULL || nvm == 0 || optind != argc)
		usage();
	if (cfg.kind == LISTEN_FD && cfg.fd < 3)
		usage();
	if (cfg.kind == LISTEN_TCP && (cfg.tcp_port < 1 || cfg.tcp_port + nvm + desktop > 65535))
		usage();
	log_init("bulkhead-gateway", verbose, 0);
	/* A qube's windows never need to be larger than its display. */
	lim.max_width = w;
	lim.max_height = h;
	gui_limits_sanitise(&lim);

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	loop_init();
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		fatal("signalfd");
	signal_watch = loop_watch_add(sfd, SPICE_WATCH_EVENT_READ, on_signal, NULL);

	for (int i = 0; i < nvm; i++) {
		vms[i] = parse_vm(vm_args[i], w, h, &lim);
		for (int j = 0; j < i; j++)
			if (!strcmp(vms[i]->name, vms[j]->name))
				fatalx("qube %s given twice", vms[i]->name);
		/* Its files in the run dir would be the desktop's. */
		if (desktop && !strcmp(vms[i]->name, DESKTOP_NAME))
			fatalx("--desktop: a qube may not be called %s", DESKTOP_NAME);
	}
	if (desktop)
		desktop_init(w, h, clip_policy == clip_policy_rpc);
	if (rpc_sock != NULL && attach_listen(rpc_sock, vms, nvm) < 0)
		exit(1);
	for (int i = 0; i < nvm; i++) {
		if (server_start(&vms[i]->view, &cfg, w, h) < 0)
			exit(1);
		cfg.tcp_port++;
		cfg.fd++;
	}
	/* The desktop's port and fd come after the qubes'. */
	if (desktop && desktop_start(&cfg) < 0)
		exit(1);
	log_info("serving %d qube(s)", nvm);
	rc = loop_run();
	for (int i = 0; i < nvm; i++)
		vm_disconnect(vms[i], "gateway stopping");
	loop_watch_remove(signal_watch);
	/* spice-server's worker threads are not torn down: exiting ends them. */
	return rc;
}
