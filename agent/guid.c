/*
 * In a qube whose template carries the GUI agent (an X-capable template),
 * init keeps it running: it starts the qube's X server and streams its
 * windows to sys-gui.  A qube that has no display there is refused by the
 * gateway; the GUI agent then calls again at its longest back-off.
 */
#include "agent.h"
#include "log.h"
#include "rpc_paths.h"

#include <unistd.h>

static struct supervised guid = { GUI_AGENT_PROG, "bulkhead-gui-agent", 0, 0 };

void
guid_start(void)
{
	if (access(GUI_AGENT_PROG, X_OK) < 0)
		return; /* a template without X */
	supervise_spawn(&guid);
}

int
guid_exited(pid_t pid, int status)
{
	return supervise_exited(&guid, pid, status);
}

void
guid_forget(void)
{
	guid.pid = 0;
}
