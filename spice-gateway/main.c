/* bulkhead-gateway: shows each qube's windows to remote SPICE viewers, one
 * SpiceServer per qube (and one for the desktop of all qubes), all on one
 * event loop (runs in sys-gui). */
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
#include "vms.h"
#include "xalloc.h"

static void
usage(FILE *f, int code)
{
	fprintf(f,
	    "usage: bulkhead-gateway [-v] --run-dir DIR [--tcp-port BASE] [--size WxH]\n"
	    "           [--clip-max BYTES] [--clipboard NAME:in|out|both|none ...]\n"
	    "           [--clipboard-policy static|domd] [--listen-fd FIRST[:COUNT]]\n"
	    "           [--rpc-socket PATH [--new-qubes]] [--desktop] --vm NAME:LABEL[:SOCKET] ...\n"
	    "       bulkhead-gateway --attach PATH   (the bulkhead.Gui service)\n"
	    "       bulkhead-gateway --help | --version\n"
	    "\n"
	    "Shows each qube's windows to remote SPICE viewers: one display per --vm,\n"
	    "each with its own ticket, all on one event loop (runs in sys-gui). Prints\n"
	    "one line per display: NAME URI TICKET-FILE. SIGTERM or SIGINT stop it.\n"
	    "\n"
	    "  --run-dir DIR         tickets, URIs, and the viewers' sockets DIR/NAME.spice\n"
	    "  --tcp-port BASE       viewers on 127.0.0.1, port BASE+i for the i-th display\n"
	    "  --listen-fd FIRST[:COUNT]  viewers on inherited listening sockets FIRST..\n"
	    "  --size WxH            the displays' size (default 1280x800)\n"
	    "  --vm NAME:LABEL[:SOCKET]  a display for the qube NAME in its label colour;\n"
	    "                        its GUI stream on SOCKET, or through --rpc-socket\n"
	    "  --rpc-socket PATH     GUI streams of bulkhead.Gui calls (--attach)\n"
	    "  --new-qubes           a display for a caller that has none\n"
	    "  --desktop             one more display with the windows of all qubes\n"
	    "  --clipboard-policy static|domd  who decides clipboard transfers\n"
	    "  --clipboard NAME:in|out|both|none  a qube's clipboard rule (tests)\n"
	    "  --clip-max BYTES      the largest clipboard text (default 64000)\n"
	    "  --attach PATH         relay stdin/stdout to the gateway at PATH\n"
	    "  -v, --verbose         debug log\n"
	    "  -h, --help            this text\n"
	    "  -V, --version         print the version\n");
	exit(code);
}

static void
on_signal(int fd, int event, void *opaque)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == sizeof(si))
		loop_quit(0);
}

/* FIRST[:COUNT]; without COUNT, as many as there are displays to start. */
static void
parse_listen_fd(const char *arg, struct vms_cfg *c)
{
	char *end;

	c->listen.kind = LISTEN_FD;
	c->listen.fd = (int)strtol(arg, &end, 10);
	c->listen_fds = -1;
	if (*end == ':')
		c->listen_fds = (int)strtol(end + 1, &end, 10);
	if (*end != '\0' || c->listen.fd < 3 || (c->listen_fds != -1 && c->listen_fds < 1))
		usage(stderr, 2);
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
		{ "new-qubes", no_argument, NULL, 'N' },
		{ "desktop", no_argument, NULL, 'D' },
		{ "attach", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *vm_args[VMS_MAX], *rpc_sock = NULL;
	struct vms_cfg cfg = { .listen.kind = LISTEN_UNIX, .clip = clip_policy_static };
	struct listen_cfg place;
	unsigned w = 1280, h = 800;
	int nvm = 0, verbose = 0, desktop = 0, c, sfd, rc;
	sigset_t mask;
	SpiceWatch *signal_watch;

	gui_limits_default(&cfg.lim);
	while ((c = getopt_long(argc, argv, "vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.listen.run_dir = optarg; break;
		case 't': cfg.listen.kind = LISTEN_TCP; cfg.listen.tcp_port = atoi(optarg); break;
		case 's':
			if (sscanf(optarg, "%ux%u", &w, &h) != 2 || w < 64 || h < 64 || w > 4096 ||
			    h > 4096)
				usage(stderr, 2);
			break;
		case 'c': cfg.lim.clip_max = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'm':
			if (nvm == VMS_MAX)
				usage(stderr, 2);
			vm_args[nvm++] = optarg;
			break;
		case 'p':
			if (!clip_policy_add(optarg))
				usage(stderr, 2);
			break;
		case 'P':
			if (!strcmp(optarg, "domd"))
				cfg.clip = clip_policy_rpc;
			else if (strcmp(optarg, "static") != 0)
				usage(stderr, 2);
			break;
		case 'r': rpc_sock = optarg; break;
		case 'f': parse_listen_fd(optarg, &cfg); break;
		case 'N': cfg.new_qubes = true; break;
		case 'D': desktop = 1; break;
		case 'a': return attach_main(optarg);
		case 'v': verbose++; break;
		case 'h': usage(stdout, 0); break;
		case 'V': printf("bulkhead-gateway %s\n", BULKHEAD_VERSION); return 0;
		default: usage(stderr, 2);
		}
	}
	if (cfg.listen.run_dir == NULL || nvm == 0 || optind != argc ||
	    (cfg.new_qubes && rpc_sock == NULL))
		usage(stderr, 2);
	if (cfg.listen.kind == LISTEN_FD && cfg.listen_fds == -1)
		cfg.listen_fds = nvm + desktop;
	if (cfg.listen.kind == LISTEN_TCP &&
	    (cfg.listen.tcp_port < 1 || cfg.listen.tcp_port + nvm + desktop > 65535))
		usage(stderr, 2);
	log_init("bulkhead-gateway", verbose, 0);
	/* A qube's windows never need to be larger than its display. */
	cfg.lim.max_width = cfg.w = w;
	cfg.lim.max_height = cfg.h = h;
	gui_limits_sanitise(&cfg.lim);

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

	vms_init(&cfg);
	for (int i = 0; i < nvm; i++) {
		struct vm *vm = vms_add_arg(vm_args[i]);

		/* Its files in the run dir would be the desktop's. */
		if (desktop && !strcmp(vm->name, DESKTOP_NAME))
			fatalx("--desktop: a qube may not be called %s", DESKTOP_NAME);
	}
	if (desktop)
		desktop_init(w, h, cfg.clip == clip_policy_rpc);
	if (rpc_sock != NULL && attach_listen(rpc_sock) < 0)
		exit(1);
	if (vms_start_all() < 0)
		exit(1);
	/* The desktop's port and fd come after the qubes'. */
	if (desktop && (!vms_next_listen(&place) || desktop_start(&place) < 0))
		exit(1);
	log_info("serving %d qube(s)%s", nvm, desktop ? " and the desktop" : "");
	rc = loop_run();
	vms_disconnect_all("gateway stopping");
	loop_watch_remove(signal_watch);
	/* spice-server's worker threads are not torn down: exiting ends them. */
	return rc;
}
