#!/bin/bash
# The real agent as PID 1 of fresh namespaces, on the minimal template, set
# up the way domd's ns launcher does it (overlay root, /rw, tmpfs /dev,
# pivot_root): ready byte, API mounts, rc.local, and both shutdown paths
# (everybody obeys SIGTERM; somebody needs SIGKILL after the grace).
# Also the agent's refusal and test modes outside a namespace.
#
# Run from the repo root as root after `make all template`.  The agent and
# template are never sanitised, so $BUILD does not matter here.
set -u

AGENT=build/bulkhead-agent
TPL=build/template/root
PLAN=17

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
# check DESCRIPTION 'SHELL CONDITION' (evaluated here, so && and ! work)
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
diag() { sed 's/^/# /' -- "$@" 2>/dev/null; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root for namespaces and mounts"
	exit 0
fi
echo "1..$PLAN"
if [ ! -x "$AGENT" ] || [ ! -x "$TPL/sbin/init" ]; then
	echo "Bail out! $AGENT or $TPL missing: run make all template"
	exit 1
fi
command -v unshare >/dev/null || { echo "Bail out! unshare (util-linux) missing"; exit 1; }

T=$(mktemp -d /tmp/bulkhead-agent-t.XXXXXX)
kill_list=()
cleanup() {
	local p
	# By pid only; tm-pids holds what a broken agent may have left behind.
	for p in "${kill_list[@]}" $(cat "$T/tm-pids" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf -- "$T"
}
trap cleanup EXIT

### Outside a namespace: by hand, and test mode.

out=$("$AGENT" --version 2>&1)
rc=$?
check "--version exits 0 and names the agent ($out)" '[ $rc -eq 0 ] && [[ $out == "bulkhead-agent "* ]]'
out=$("$AGENT" --help 2>&1)
rc=$?
check "--help exits 0 with a usage line" '[ $rc -eq 0 ] && [[ $out == usage:* ]]'
out=$(env -u BULKHEAD_AGENT_TEST "$AGENT" 2>&1)
rc=$?
check "refuses to run when not PID 1: status $rc, one line" \
	'[ "$rc" -eq 2 ] && [ "$(printf "%s\n" "$out" | wc -l)" -eq 1 ]'

# Test mode: rc.local leaves a well-behaved child and one that ignores
# SIGTERM; a bystander that is not the agent's descendant must survive.
cat > "$T/tm-rc" <<RC
#!/bin/sh
sleep 1000 & echo \$! >> "$T/tm-pids"
sh -c 'trap "" TERM; exec sleep 1001' & echo \$! >> "$T/tm-pids"
RC
chmod 0755 "$T/tm-rc"
sleep 1002 &
bystander=$!
kill_list+=("$bystander")
mkfifo "$T/tm-ready"
timeout 10 cat "$T/tm-ready" > "$T/tm-ready.out" &
reader=$!
BULKHEAD_AGENT_TEST=1 BULKHEAD_RC_LOCAL="$T/tm-rc" BULKHEAD_STOP_GRACE=1 \
	BULKHEAD_READY_FD=7 "$AGENT" 7>"$T/tm-ready" 2>"$T/tm-console" &
apid=$!
kill_list+=("$apid")
wait "$reader"
check "test mode: 'R' on the ready pipe, then EOF" '[ "$(cat "$T/tm-ready.out")" = R ]'
for _ in $(seq 50); do
	[ "$(wc -l < "$T/tm-pids" 2>/dev/null)" = 2 ] && break
	sleep 0.1
done
kill -TERM "$apid"
wait "$apid"
rc=$?
alive=0
for p in $(cat "$T/tm-pids" 2>/dev/null); do
	kill -0 "$p" 2>/dev/null && alive=$((alive + 1))
done
check "test mode: SIGTERM -> status $rc, rc.local's children gone ($alive alive)" \
	'[ "$rc" -eq 0 ] && [ "$alive" -eq 0 ] && [ -s "$T/tm-pids" ]'
check "test mode: a process that is not its descendant is left alone" 'kill -0 "$bystander"'
[ "$failed" -eq 0 ] || diag "$T/tm-console"

### As PID 1 of new namespaces.

# Does what domd's ns launcher does, then execs /sbin/init as PID 1.
cat > "$T/launch.sh" <<'LAUNCH'
set -e
q=$1 tpl=$2
mount -t tmpfs -o mode=0700 stage "$q/stage"
mkdir "$q/stage/upper" "$q/stage/work"
mount -t overlay overlay -o "lowerdir=$tpl,upperdir=$q/stage/upper,workdir=$q/stage/work" "$q/root"
mount --bind "$q/rw" "$q/root/rw"
mount --bind "$q/root/rw/home" "$q/root/home"
mount -t tmpfs -o mode=0755,size=1m,nosuid,noexec dev "$q/root/dev"
for d in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
	set -- $d
	mknod -m 0666 "$q/root/dev/$1" c "$2" "$3"
done
hostname qube-test
exec 7>"$q/ready"
cd "$q/root"
pivot_root . .
umount -l .
cd /
export BULKHEAD_READY_FD=7
exec /sbin/init </dev/null
LAUNCH

# start_qube NAME GRACE RC_LOCAL_TEXT: sets Q (its dir), UPID (unshare) and
# APID (the agent, PID 1 inside); returns 0 once 'R' arrived and the agent
# closed the pipe.
start_qube() {
	local reader i
	Q=$T/$1
	mkdir -p "$Q/root" "$Q/stage" "$Q/rw/home" "$Q/rw/config"
	printf '%s\n' "$3" > "$Q/rw/config/rc.local"
	chmod 0755 "$Q/rw/config/rc.local"
	mkfifo "$Q/ready"
	# cat sees EOF only when every holder closed the write end: the agent
	# must close it and rc.local must not have inherited it.
	timeout 20 cat "$Q/ready" > "$Q/ready.out" &
	reader=$!
	BULKHEAD_STOP_GRACE=$2 unshare --fork --kill-child --pid --mount --uts --ipc --net \
		bash "$T/launch.sh" "$Q" "$PWD/$TPL" > "$Q/console.log" 2>&1 &
	UPID=$!
	kill_list+=("$UPID")
	for i in $(seq 200); do
		kill -0 "$reader" 2>/dev/null || break
		kill -0 "$UPID" 2>/dev/null || { kill "$reader" 2>/dev/null; break; }
		sleep 0.1
	done
	wait "$reader"
	APID=$(cat "/proc/$UPID/task/$UPID/children" 2>/dev/null)
	APID=${APID%% }
	[ -n "$APID" ] && kill_list+=("$APID")
	[ "$(cat "$Q/ready.out")" = R ]
}

wait_for() { # FILE: up to 10 s
	local i
	for i in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# stop_qube: SIGTERM to the agent from the host; sets RC and ELAPSED_MS.
stop_qube() {
	local t0
	t0=$(now_ms)
	kill -TERM "$APID"
	wait "$UPID"
	RC=$?
	ELAPSED_MS=$(($(now_ms) - t0))
}

has() { grep -qx -- "$1" "$Q/rw/rc.out"; }

# Run A: rc.local records what it sees, then keeps running (sleep 30), so
# the ready byte can only come before it ends.
start_qube a 5 '#!/bin/sh
{
	echo "pid1=$(cat /proc/1/comm)"
	while read -r dev mnt type rest; do
		case $mnt in /proc|/sys|/tmp|/run|/dev/pts|/dev/shm) echo "mount $mnt $type" ;; esac
	done < /proc/mounts
	echo "tmpmode=$(stat -c %a /tmp)"
	echo "readyenv=${BULKHEAD_READY_FD-unset}"
	if [ -e /proc/$$/fd/7 ]; then echo fd7=open; else echo fd7=closed; fi
} > /rw/rc.out.new && mv /rw/rc.out.new /rw/rc.out
exec sleep 30'
rc=$?
check "ns: 'R' arrives and the pipe closes while rc.local still runs" '[ $rc -eq 0 ]'
wait_for "$Q/rw/rc.out"
check "ns: rc.local ran, in the new pid namespace under the agent as PID 1" 'has "pid1=init"'
check "ns: /proc (proc) and /sys (sysfs) mounted" 'has "mount /proc proc" && has "mount /sys sysfs"'
check "ns: /tmp, /run, /dev/shm (tmpfs) and /dev/pts (devpts) mounted" \
	'has "mount /tmp tmpfs" && has "mount /run tmpfs" && has "mount /dev/shm tmpfs" && has "mount /dev/pts devpts"'
check "ns: /tmp is mode 1777" 'has "tmpmode=1777"'
check "ns: rc.local inherits neither BULKHEAD_READY_FD nor the pipe" 'has "readyenv=unset" && has "fd7=closed"'
stop_qube
check "ns: SIGTERM -> init exited with status $RC in ${ELAPSED_MS} ms (grace 5 s)" \
	'[ "$RC" -eq 0 ] && [ "$ELAPSED_MS" -lt 5000 ]'
check "ns: console log says stopping and stopped" \
	'grep -q "^bulkhead-agent: stopping$" "$Q/console.log" && grep -q "^bulkhead-agent: stopped$" "$Q/console.log"'
[ "$failed" -eq 0 ] || { diag "$Q/console.log"; diag "$Q/rw/rc.out"; }

# Run B: a child ignores SIGTERM, so the agent must wait out the grace and
# SIGKILL it.
start_qube b 1 '#!/bin/sh
sh -c "trap \"\" TERM; echo armed > /rw/armed; exec sleep 1000" &'
rc=$?
check "ns: 'R' arrives (second qube)" '[ $rc -eq 0 ]'
wait_for "$Q/rw/armed"
stop_qube
check "ns: SIGTERM-ignoring child -> init exited with status $RC after ${ELAPSED_MS} ms (grace 1 s)" \
	'[ "$RC" -eq 0 ] && [ "$ELAPSED_MS" -ge 1000 ] && [ "$ELAPSED_MS" -lt 5000 ]'
check "ns: the agent sent SIGKILL and everything was gone before it stopped" \
	'grep -q "sending SIGKILL" "$Q/console.log" && grep -q "^bulkhead-agent: stopped$" "$Q/console.log" &&
	 ! grep -q "even after SIGKILL" "$Q/console.log"'
[ "$failed" -eq 0 ] || diag "$Q/console.log"

[ "$n" -eq "$PLAN" ] || { echo "# ran $n tests, planned $PLAN"; exit 1; }
[ "$failed" -eq 0 ]
