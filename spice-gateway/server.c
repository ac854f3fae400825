#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "atomicfile.h"
#include "display.h"
#include "log.h"
#include "loop.h"
#include "sock.h"
#include "xalloc.h"

static void
make_ticket(char *out, size_t len)
{
	static const char abc[] = "abcdefghijkmnpqrstuvwxyz23456789";
	unsigned char rnd[64];

	if (getrandom(rnd, len - 1, 0) != (ssize_t)(len - 1))
		fatal("getrandom");
	for (size_t i = 0; i < len - 1; i++)
		out[i] = abc[rnd[i] % 32];
	out[len - 1] = '\0';
}

static void
on_viewer(int fd, int event, void *opaque)
{
	struct viewer *v = opaque;
	int c = sock_accept(fd, v->name);

	/* spice-server takes the fd; the ticket authenticates the viewer. */
	if (c >= 0 && spice_server_add_client(v->server, c, 0) != 0) {
		log_warnx("%s: spice-server refused a viewer", v->name);
		close(c);
	}
}

static void
on_released(int fd, int event, void *opaque)
{
	struct viewer *v = opaque;

	display_ack(v->disp);
	v->flush(v->opaque);
}

static int
listen_on(struct viewer *v, const struct listen_cfg *cfg, char *uri, size_t urilen)
{
	int fd;

	if (cfg->kind == LISTEN_UNIX) {
		char *path = xasprintf("%s/%s.spice", cfg->run_dir, v->name);

		fd = sock_listen_unix(path, v->name);
		snprintf(uri, urilen, "spice+unix://%s", path);
		free(path);
		if (fd < 0)
			return -1;
	} else if (cfg->kind == LISTEN_FD) {
		struct sockaddr_in sa;
		socklen_t salen = sizeof(sa);
		int listening = 0;
		socklen_t len = sizeof(listening);

		fd = cfg->fd;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening ||
		    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 || sa.sin_family != AF_INET) {
			log_warnx("%s: fd %d is not a listening TCP socket", v->name, fd);
			return -1;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		snprintf(uri, urilen, "spice://%s:%d", inet_ntoa(sa.sin_addr), ntohs(sa.sin_port));
	} else {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(cfg->tcp_port) };
		int one = 1;

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
			log_warn("%s: 127.0.0.1:%d", v->name, cfg->tcp_port);
			return -1;
		}
		snprintf(uri, urilen, "spice://127.0.0.1:%d", cfg->tcp_port);
	}
	v->listen_fd = fd;
	v->listen_watch = loop_watch_add(fd, SPICE_WATCH_EVENT_READ, on_viewer, v);
	return 0;
}

int
server_start(struct viewer *v, const struct listen_cfg *cfg, uint32_t w, uint32_t h)
{
	char uri[160], *path, *line;
	SpiceServer *s;

	make_ticket(v->ticket, sizeof(v->ticket));
	s = v->server = spice_server_new();
	if (s == NULL)
		return -1;
	spice_server_set_ticket(s, v->ticket, 0, 0, 0);
	/* Exact pixels and no unbounded dictionaries: see the notes on GLZ. */
	spice_server_set_image_compression(s, SPICE_IMAGE_COMPRESSION_OFF);
	spice_server_set_jpeg_compression(s, SPICE_WAN_COMPRESSION_NEVER);
	spice_server_set_zlib_glz_compression(s, SPICE_WAN_COMPRESSION_NEVER);
	spice_server_set_streaming_video(s, SPICE_STREAM_VIDEO_OFF);
	spice_server_set_agent_mouse(s, 0);
	spice_server_set_agent_copypaste(s, 1);
	spice_server_set_agent_file_xfer(s, 0);
	spice_server_set_name(s, v->name);
	if (spice_server_init(s, loop_core()) != 0) {
		log_warnx("%s: spice_server_init failed", v->name);
		return -1;
	}
	v->disp = display_new(s, w, h);
	v->disp_watch = loop_watch_add(display_wakeup_fd(v->disp), SPICE_WATCH_EVENT_READ,
	    on_released, v);
	v->add_devices(v->opaque);
	spice_server_vm_start(s);
	v->flush(v->opaque);

	if (listen_on(v, cfg, uri, sizeof(uri)) < 0)
		return -1;
	path = xasprintf("%s/%s.ticket", cfg->run_dir, v->name);
	line = xasprintf("%s\n", v->ticket);
	if (atomic_write_file(cfg->run_dir, strrchr(path, '/') + 1, line, strlen(line), 0600) < 0) {
		log_warn("%s: %s", v->name, path);
		free(path);
		free(line);
		return -1;
	}
	/* For `bulkhead gui` in dom0, which reads it through domd. */
	free(line);
	line = xasprintf("%s\n", uri);
	free(path);
	path = xasprintf("%s.uri", v->name);
	if (atomic_write_file(cfg->run_dir, path, line, strlen(line), 0644) < 0)
		log_warn("%s: %s/%s", v->name, cfg->run_dir, path);
	free(path);
	path = xasprintf("%s/%s.ticket", cfg->run_dir, v->name);
	printf("%s %s %s\n", v->name, uri, path);
	fflush(stdout);
	free(path);
	free(line);
	return 0;
}
