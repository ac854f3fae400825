#!/bin/bash
# Each running qube's control socket is read by its own guard process, not
# by domd: the guard has no capabilities, a uid of its own, Seccomp 2, an
# empty root; killed, it takes its own qube's connections along and
# nothing else, and a new one serves the qube at once (at its next start
# when it keeps dying).
. tests/integration/lib.sh

mkdir -p "$T/cfg/policy.d"
printf 'cgroup_parent = "%s"\nstart_timeout = 20\nask_timeout = 30\n' "$CGROUP_PARENT" >"$T/cfg/domd.conf"
cat >"$T/cfg/policy.d/50-test.policy" <<'EOF2'
test.Echo        *    @anyvm  @anyvm    allow
test.Wait        *    work    other     ask
EOF2
domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl >/dev/null
bh create other --class app --label red --template tpl >/dev/null
bh start work >/dev/null && bh start other >/dev/null
for q in work other; do
	bh run --pass-io --user root "$q" -- 'mkdir -p /rw/config/rpc; cat > /rw/config/rpc/test.Echo; chmod 755 /rw/config/rpc/test.Echo' <<'EOF2'
#!/bin/sh
echo "echo from $(hostname)"
EOF2
done

guard_pid() { pgrep -P "$DOMD_PID" -f "bulkhead-guard --qube $1 " | head -1; }
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
# Waits until a call from $1 to $2 goes through (its agent reconnects).
call_works() {
	for _ in $(seq 50); do
		[ "$(bh run "$1" -- "bulkhead-rpc $2 test.Echo" 2>/dev/null)" = "echo from $2" ] && return 0
		sleep 0.2
	done
	return 1
}

g=$(guard_pid work)
g2=$(guard_pid other)
ok $([ -n "$g" ] && [ -n "$g2" ] && [ "$g" != "$g2" ]; echo $?) "each running qube has its guard (work: $g, other: $g2)"

# What the guard holds.
uids=$(status_field "$g" Uid); gids=$(status_field "$g" Gid)
uid=$(echo "$uids" | awk '{print $1}')
ok $([ "$uid" -gt 0 ] && [ "$(echo "$uids" | tr '\t' '\n' | sort -u | wc -l)" -eq 1 ] &&
	[ "$(echo "$gids" | awk '{print $1}')" = "$uid" ]; echo $?) "the guard runs as a non-root uid and gid, real, effective, saved and fs ($uids)"
base=$(vm_field work uid_base)
ok $([ "$uid" -lt "$base" ] && [ "$uid" != "$(status_field "$g2" Uid | awk '{print $1}')" ]; echo $?) \
	"its uid ($uid) is no uid of the qube's range ($base..) and not the other guard's"
caps=
for f in CapInh CapPrm CapEff CapBnd CapAmb; do caps="$caps $f=$(status_field "$g" $f)"; done
ok $(! echo "$caps" | grep -q '=0*[1-9a-f]'; echo $?) "the guard has no capabilities, not even in its bounding set:$caps"
ok $([ "$(status_field "$g" Seccomp)" = 2 ] && [ "$(status_field "$g" NoNewPrivs)" = 1 ]; echo $?) \
	"the guard runs under a seccomp filter (Seccomp: $(status_field "$g" Seccomp)) with no new privileges"
root=$(readlink "/proc/$g/root")
ok $([ "$root" = "$T/run/guard-root" ] && [ -z "$(ls -A "$root")" ]; echo $?) "its root is an empty directory ($root), not the store"
ok $([ "$(ls -l "/proc/$g/fd" | grep -c socket)" -ge 2 ] && ! ls -l "/proc/$g/fd" | grep -q "$T/state"; echo $?) \
	"it holds sockets and no file of the store"

# The qube's calls go through the guard; domd still decides them.
ok $(call_works work other; echo $?) "work calls other through its guard"

# A malformed message is the guard's to read: the connection is dropped,
# and the guard, domd and the qube's next call are fine.
python3 - "$(vm_root work)/dev/bulkhead/control.sock" <<'EOF2' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"\x01\x00\x00\x00\xff\xff\xff\xff" + b"x" * 600)
s.settimeout(5)
try:
    s.recv(16)
except OSError:
    pass
EOF2
sleep 0.3
ok $(grep -q "qube work: a malformed message on its control channel; disconnected" "$T/domd.log" &&
	[ "$(guard_pid work)" = "$g" ]; echo $?) "a malformed message: that connection is dropped, logged by domd; the guard lives on"

# A call waiting for the operator, then the guard killed under it.
(bh run work -- 'bulkhead-rpc other test.Wait' >"$T/wait.out" 2>&1; echo "rc=$?" >>"$T/wait.out") &
bg=$!
for _ in $(seq 50); do [ -n "$(bh --json ask | python3 -c 'import json,sys; print(len(json.load(sys.stdin)) or "")')" ] && break; sleep 0.1; done
kill -9 "$g"
for _ in $(seq 50); do grep -q "rc=" "$T/wait.out" 2>/dev/null && break; sleep 0.1; done
ok $(grep -q "rc=" "$T/wait.out" && ! grep -q "rc=0" "$T/wait.out"; echo $?) \
	"guard killed: the waiting call of work fails at once ($(tr '\n' ' ' <"$T/wait.out"))"
wait $bg
ok $(grep -q "qube work: its guard ended; its connections were closed, and a new guard" "$T/domd.log"; echo $?) "domd logs the guard's end and the new guard"
ok $(kill -0 "$DOMD_PID" && bh ls >/dev/null; echo $?) "domd keeps serving"
ok $(call_works other work; echo $?) "other's calls (even to work) keep working"
gn=$(guard_pid work)
ok $([ -n "$gn" ] && [ "$gn" != "$g" ] && [ "$(status_field "$gn" Seccomp)" = 2 ] && [ "$(status_field "$gn" CapEff)" = 0000000000000000 ]; echo $?) \
	"work has a new guard at once (pid $gn), as confined"
ok $(call_works work other && [ "$(bh run work -- echo back)" = back ]; echo $?) "work's agent reconnected: its calls and bulkhead run work again"

# A netvm's guard reads its firewall socket too: bulkhead-firewall's
# answers, and a hostile netvm's garbage.
bh create nv --label red --template tpl --provides-network >/dev/null
bh start nv >/dev/null
gnv=$(guard_pid nv)
ok $([ -n "$gnv" ] && tr '\0' ' ' <"/proc/$gnv/cmdline" | grep -q -- "--firewall"; echo $?) "a netvm's guard serves its firewall socket too"
applied() {
	for _ in $(seq 50); do
		case $(vm_field nv network_status) in applied*) return 0 ;; esac
		sleep 0.2
	done
	return 1
}
ok $(applied; echo $?) "bulkhead-firewall's answer reaches domd through the guard ($(vm_field nv network_status))"
# The newest connection is the daemon's: one from the netvm's side that
# answers garbage, then one that never ends its line, while the real
# bulkhead-firewall is stopped (it would reconnect at once).
fw_say() {
	python3 - "$(vm_root nv)/dev/bulkhead/firewall.sock" "$1" <<'EOF2' 2>/dev/null
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(3)
try:
    s.recv(65536)  # domd's configuration
except OSError:
    pass
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
try:
    s.recv(16)     # end of file: cut off
except OSError:
    pass
EOF2
}
fwd=$(pgrep -P "$(vm_pid nv)" -f bulkhead-firewall)
kill -STOP $fwd
fw_say 'ok many rules\n'
ok $(grep -q "nv: bulkhead-firewall sent a malformed or unasked answer; closing its channel" "$T/domd.log" &&
	[ "$(guard_pid nv)" = "$gnv" ]; echo $?) "a malformed answer: the channel is cut, domd logs it, the guard lives on"
fw_say "$(head -c 600 /dev/zero | tr '\0' x)"
ok $(grep -q "nv: bulkhead-firewall sent a line that is too long; closing its channel" "$T/domd.log" &&
	[ "$(guard_pid nv)" = "$gnv" ]; echo $?) "an answer line past 512 bytes: cut off, logged"
kill -CONT $fwd
ok $(applied; echo $?) "bulkhead-firewall reconnects and applies again"
nconn=$(grep -c "nv: bulkhead-firewall connected" "$T/domd.log")
napplied=$(grep -c "nv: netvm applied" "$T/domd.log")
kill -9 "$gnv"
for _ in $(seq 50); do
	[ "$(grep -c "nv: netvm applied" "$T/domd.log")" -gt "$napplied" ] && break
	sleep 0.1
done
ok $([ -n "$(guard_pid nv)" ] && [ "$(guard_pid nv)" != "$gnv" ] &&
	[ "$(grep -c "nv: bulkhead-firewall connected" "$T/domd.log")" -gt "$nconn" ] &&
	[ "$(grep -c "nv: netvm applied" "$T/domd.log")" -gt "$napplied" ] && applied; echo $?) \
	"the netvm's guard killed: a new one; bulkhead-firewall reconnects through it and applies again"
bh kill nv >/dev/null

# The agent says ready on a pipe of its own, which the guard reads; the
# launch pipe is closed before the qube's init runs. A hostile init that
# writes a launch message of the monitor's ("E" + a reason) on the ready
# pipe is not believed: the guard reports it as garbage, and the qube does
# not pass for ready.
cp -a "$TEMPLATE_ROOT" "$T/hostile-root"
rm -f "$T/hostile-root/sbin/init"
cat >"$T/hostile-root/sbin/init" <<'EOF2'
#!/bin/sh
fd=$BULKHEAD_READY_FD
eval "printf 'Eforged reason\nR' >&$fd"
exec sleep 60
EOF2
chmod 755 "$T/hostile-root/sbin/init"
bh template import hostile "$T/hostile-root" >/dev/null
bh start hostile >"$T/hostile.out" 2>&1 &
hs=$!
for _ in $(seq 50); do grep -q "qube hostile: something other than" "$T/domd.log" && break; sleep 0.1; done
ok $(grep -q "qube hostile: something other than \"R\" on its agent's ready pipe; ignored" "$T/domd.log"; echo $?) \
	"a forged launch message on the agent's ready pipe goes to the guard, which calls it garbage"
ok $([ "$(vm_field hostile state)" = starting ] && ! grep -q "forged reason" "$T/domd.log" &&
	[ "$(vm_field hostile reason)" != "forged reason" ]; echo $?) "the qube is not ready, and its forged reason is nowhere ($(vm_field hostile state))"
hp=$(vm_pid hostile)
ok $([ -n "$hp" ] && [ -e "/proc/$hp/fd/4" ] && [ ! -e "/proc/$hp/fd/3" ]; echo $?) \
	"the qube's init has its ready pipe (fd 4) and not the launch pipe (fd 3)"
bh kill hostile >/dev/null 2>&1
wait $hs

# A guard that keeps dying: no restart loop; the next start brings it back.
for _ in 1 2 3 4 5 6; do
	p=$(guard_pid work)
	[ -n "$p" ] && kill -9 "$p"
	for _ in $(seq 20); do [ "$(guard_pid work)" != "$p" ] && break; sleep 0.1; done
done
sleep 0.3
ok $(grep -q "qube work: its guard (pid [0-9]*) ended; it failed 5 times in a minute, so its RPC stays off until its next start" "$T/domd.log" &&
	[ -z "$(guard_pid work)" ]; echo $?) "killed again and again: domd stops restarting it and says so"
ok $(call_works other other; echo $?) "other is unaffected"
bh kill work >/dev/null && bh start work >/dev/null
ok $([ -n "$(guard_pid work)" ] && call_works work other; echo $?) "at work's next start it has a guard and working calls again"
bh kill work >/dev/null
sleep 0.3
ok $([ -z "$(guard_pid work)" ]; echo $?) "a halted qube has no guard"

tap_end
