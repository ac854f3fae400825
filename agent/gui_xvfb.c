/*
 * The qube's X server: Xvfb, a real X server drawing into memory, on the
 * display apps use (DISPLAY=:0).  The agent starts it unless one answers
 * there already, and waits until it accepts clients (-displayfd).
 */
#include "gui_agent.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XVFB_PATH "/usr/bin/Xvfb"
#define XVFB_WAIT_MS 20000

static bool
answers(const char *display)
{
	xcb_connection_t *c = xcb_connect(display, NULL);
	bool ok = !xcb_connection_has_error(c);

	xcb_disconnect(c);
	return ok;
}

pid_t
xvfb_start(const char *display, const char *size)
{
	char screen[64], fdarg[16], buf[32];
	struct pollfd pfd;
	int p[2];
	pid_t pid;
	ssize_t n;
	size_t got;

	if (answers(display)) {
		log_info("an X server answers on %s already", display);
		return 0;
	}
	snprintf(screen, sizeof(screen), "%sx24", size);
	if (pipe(p) < 0) {
		log_warn("pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
		/* No cursor: Xvfb draws it in software, and its removal for a
		 * GetImage under it is damage the server reports in the middle
		 * of the image reply, which breaks the connection's framing.
		 * The viewer draws its own cursor. */
		execl(XVFB_PATH, "Xvfb", display, "-screen", "0", screen, "-nolisten", "tcp",
		    "-nocursor", "-displayfd", fdarg, (char *)NULL);
		log_warn("exec %s", XVFB_PATH);
		_exit(127);
	}
	close(p[1]);
	/* Xvfb writes its display number and a newline once it accepts
	 * connections; closing the pipe before the newline would kill it. */
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (got = 0; got == 0 || buf[got - 1] != '\n';) {
		while ((n = poll(&pfd, 1, XVFB_WAIT_MS)) < 0 && errno == EINTR)
			;
		if (n <= 0 || got == sizeof(buf) || (n = read(p[0], buf + got, sizeof(buf) - got)) <= 0) {
			close(p[0]);
			log_warnx("Xvfb on %s did not come up", display);
			return -1;
		}
		got += (size_t)n;
	}
	close(p[0]);
	log_info("Xvfb (pid %d) serves %s at %s", (int)pid, display, screen);
	return pid;
}
