/* Where a qube meets domd: the launcher binds the qube's control directory
 * here (a path the agent's own mounts do not cover). */
#ifndef BULKHEAD_AGENT_RPC_PATHS_H
#define BULKHEAD_AGENT_RPC_PATHS_H

#define RPC_CONTROL_DIR "/dev/bulkhead"
#define RPC_CONTROL_SOCK RPC_CONTROL_DIR "/control.sock"
/* Services: per-qube ones in the private volume first, then the template's. */
#define RPC_SERVICE_DIR_RW "/rw/config/rpc"
#define RPC_SERVICE_DIR "/etc/bulkhead/rpc"
#define RPC_DEFAULT_USER "user"
/* Only in netvms: where their bulkhead-firewall hears from domd. */
#define NETVM_FIREWALL_SOCK RPC_CONTROL_DIR "/firewall.sock"
#define NETVM_FIREWALL_PROG "/usr/lib/bulkhead/bulkhead-firewall"
/* Only in templates (domd makes the file): the port their package manager's
 * proxy setting names, forwarded to bulkhead.UpdatesProxy in a netvm. */
#define TEMPLATE_MARK RPC_CONTROL_DIR "/template"
#define UPDATES_FORWARD_PROG "/usr/bin/bulkhead-updates-forward"
#define UPDATES_PROXY_PORT 8082
/* Only in X-capable templates: the GUI agent, which init starts. */
#define GUI_AGENT_PROG "/usr/lib/bulkhead/bulkhead-gui-agent"

int rpc_connect_control(void);

#endif
