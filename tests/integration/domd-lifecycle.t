#!/bin/bash
# Qubes on the ns backend: namespaces, root and private volumes, template
# updates, memory limit, pause, kill, and adoption after domd is SIGKILLed.
. tests/integration/lib.sh

domd_start || exit 1
setup_template
bh events --json >"$T/events" 2>&1 &
events_pid=$!
sleep 0.2
check "create AppVM work" bh create work --class app --label blue --template tpl --memory 64
check "start work" bh start work
ok $([ "$(vm_field work state)" = running ]; echo $?) "work is running"
pid=$(vm_pid work)

same=0
for ns in mnt pid net uts ipc cgroup; do
	[ "$(readlink /proc/$pid/ns/$ns)" = "$(readlink /proc/self/ns/$ns)" ] && { same=1; diag "$ns namespace is the host's"; }
done
ok $same "work runs in its own mount, pid, net, uts, ipc and cgroup namespaces"
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	ok 0 "# SKIP favordynmods: this host has cgroup v2"
else
	ok $(awk '$9 == "cgroup" && $NF ~ /favordynmods/' /proc/self/mountinfo | grep -q .; echo $?) \
		"on cgroup v1 a hierarchy with favordynmods makes moves into cgroups cheap"
fi
ok $([ "$(in_vm work hostname)" = work ]; echo $?) "its hostname is its name"
ok $([ "$(in_vm work 'echo $$')" != "" ] && in_vm work 'cat /proc/1/cmdline' | grep -q init; echo $?) "PID 1 in the qube is the agent (/sbin/init)"

in_vm work 'echo persistent > /rw/keep; echo volatile > /scratch'
echo "from-template" > "$T/state/qubes/tpl/root/etc/tpl-update"
check "shutdown --wait work" bh shutdown --wait work
ok $([ "$(vm_field work state)" = halted ]; echo $?) "work is halted after shutdown"
ok $(vm_field work state_reason | grep -q "status 0"; echo $?) "clean shutdown is recorded as exit status 0"
check "start work again" bh start work
ok $([ "$(in_vm work 'cat /rw/keep')" = persistent ]; echo $?) "a file under /rw survives a restart"
ok $(in_vm work 'test ! -e /scratch'; echo $?) "a file written under / is gone after a restart"
ok $([ "$(in_vm work 'cat /etc/tpl-update')" = from-template ]; echo $?) "a file added to the template root appears after restart"
ok $([ "$(in_vm work 'cat /home/../rw/keep')" = persistent ] && in_vm work 'grep -q " /home " /proc/mounts'; echo $?) "/home comes from /rw/home"

# Memory: a hog inside the qube is OOM-killed there; domd and host carry on.
in_vm work 'awk "BEGIN { s = \"xxxxxxxx\"; for (i = 0; i < 40; i++) s = s s; print length(s) }" >/dev/null 2>&1; echo "rc=$?" > /rw/hog'
diag "hog: $(in_vm work 'cat /rw/hog')"
ok $([ "$(in_vm work 'cat /rw/hog')" = rc=137 ]; echo $?) "a process allocating past memory=64 is killed by SIGKILL inside the qube"
ok $([ "$(vm_field work state)" = running ] && kill -0 "$DOMD_PID"; echo $?) "the qube's init and domd still run"
ok $(grep -qs "oom_kill [1-9]" /sys/fs/cgroup/memory/$CGROUP_PARENT/work/memory.oom_control /sys/fs/cgroup/$CGROUP_PARENT/work/memory.events; echo $?) "the kernel's OOM kill was inside the qube's cgroup"

# Pause stops progress, unpause resumes it.
in_vm work 'i=0; while true; do i=$((i+1)); echo $i > /tmp/ctr; sleep 0.05; done' </dev/null >/dev/null 2>&1 &
for _ in $(seq 100); do [ -s "/proc/$(vm_pid work)/root/tmp/ctr" ] && break; sleep 0.05; done
sleep 0.2
check "pause work" bh pause work
ok $([ "$(vm_field work state)" = paused ]; echo $?) "work is paused"
pid=$(vm_pid work); a=$(cat /proc/$pid/root/tmp/ctr); sleep 0.6; b=$(cat /proc/$pid/root/tmp/ctr)
ok $([ -n "$a" ] && [ "$a" = "$b" ]; echo $?) "no progress while paused ($a -> $b)"
check "unpause work" bh unpause work
sleep 0.6; c=$(cat /proc/$pid/root/tmp/ctr)
ok $([ "$c" -gt "$b" ]; echo $?) "progress resumes after unpause ($b -> $c)"

# domd dies hard; the qube lives on and is adopted.
domd_kill9
ok $(kill -0 "$pid"; echo $?) "the qube survives SIGKILL of domd"
ok $(grep -q '"event":"created","vm":"work"' "$T/events" && grep -q '"vm":"work","state":"running"' "$T/events" && grep -q '"vm":"work","state":"paused"' "$T/events"; echo $?) "subscribers got created and state events"
wait $events_pid 2>/dev/null
domd_start
ok $([ "$(vm_field work state)" = running ] && [ "$(vm_pid work)" = "$pid" ]; echo $?) "restarted domd adopts the running qube"
bh events --json >"$T/events" 2>&1 &
events_pid=$!
sleep 0.2
check "adopted qube shuts down" bh shutdown --wait --timeout 10 work
ok $(! kill -0 "$pid" 2>/dev/null; echo $?) "its init is gone"

check "start work for kill" bh start work
pid=$(vm_pid work)
check "kill work" bh kill work
ok $([ "$(vm_field work state)" = halted ] && ! kill -0 "$pid" 2>/dev/null; echo $?) "kill has halted the qube when it returns"
ok $(vm_field work state_reason | grep -q "killed by the operator"; echo $?) "the reason says it was killed"

# A template can be started to update it; its AppVMs see the change.
check "start template" bh start tpl
in_vm tpl 'echo updated-inside > /etc/motd'
check "shutdown template" bh shutdown --wait tpl
check "start work after template update" bh start work
ok $([ "$(in_vm work 'cat /etc/motd')" = updated-inside ]; echo $?) "a change made in the running template reaches the AppVM"
check "kill work" bh kill work

# A standalone qube has its own root.
check "create standalone" bh create solo --class standalone --label red --template tpl
check "start solo" bh start solo
in_vm solo 'echo mine > /etc/solo-only'
ok $([ ! -e "$T/state/qubes/tpl/root/etc/solo-only" ] && [ -e "$T/state/qubes/solo/root/etc/solo-only" ]; echo $?) "a standalone writes its own root, not the template's"
check "kill solo" bh kill solo

# Clones carry the private data; the source must be halted.
in_vm work 'echo precious > /rw/data' 2>/dev/null || { bh start work >/dev/null; in_vm work 'echo precious > /rw/data'; }
bh kill work >/dev/null 2>&1; sleep 0.3
check "clone work to work2" bh clone work work2
bh start work2 >/dev/null
ok $([ "$(in_vm work2 'cat /rw/data')" = precious ] && [ "$(vm_field work2 uuid)" != "$(vm_field work uuid)" ]; echo $?) "the clone has the private data and a new uuid"
bh kill work2 >/dev/null 2>&1; sleep 0.3
check "remove the clone" bh remove work2
ok $(! bh prefs work2 >/dev/null 2>&1 && [ ! -e "$T/state/qubes/work2" ]; echo $?) "a removed qube is gone from the list and the disk"

# The event stream saw the lifecycle.
sleep 0.3; kill $events_pid 2>/dev/null; wait $events_pid 2>/dev/null; grep -c . "$T/events" | sed "s/^/# events seen: /"
ok $(grep -q '"event":"created","vm":"work2"' "$T/events" && grep -q '"event":"removed","vm":"work2"' "$T/events"; echo $?) "subscribers get created and removed events"

# A init that dies is recorded as halted with the reason.
check "start work" bh start work
kill -9 "$(vm_pid work)"
for _ in $(seq 50); do [ "$(vm_field work state)" = halted ] && break; sleep 0.05; done
ok $(vm_field work state_reason | grep -q "signal 9"; echo $?) "a dead init is recorded with its reason ($(vm_field work state_reason))"

# Without --foreground domd runs as a daemon, and SIGTERM still stops it.
mkdir -p "$T/d2/cfg"
cp "$T/cfg/domd.conf" "$T/d2/cfg/"
"$DOMD_BIN" --backend ns --config-dir "$T/d2/cfg" --state-dir "$T/d2/state" --run-dir "$T/d2/run" \
	>>"$T/domd.log" 2>&1
for _ in $(seq 100); do [ -S "$T/d2/run/admin.sock" ] && break; sleep 0.05; done
d2=$(pgrep -f -- "--config-dir $T/d2/cfg" | head -1)
ok $([ -n "$d2" ] && [ -S "$T/d2/run/admin.sock" ]; echo $?) "domd without --foreground daemonizes and serves"
kill -TERM "$d2" 2>/dev/null
gone=1
for _ in $(seq 40); do
	case $(awk '/^State/ { print $2 }' "/proc/$d2/status" 2>/dev/null) in ''|Z) gone=0; break ;; esac
	sleep 0.05
done
ok $gone "the daemon stops on SIGTERM"
[ $gone -eq 0 ] || kill -9 "$d2" 2>/dev/null

tap_end
