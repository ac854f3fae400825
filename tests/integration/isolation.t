#!/bin/bash
# Containment on the ns backend: attacks from inside a running qube, as its
# root and as its user, each of which must fail and leave the host and the
# other qubes untouched (tests/integration/isolation_probe.c makes the
# system calls); then the checks of the qube's user namespace, capabilities,
# seccomp mode and mounts, read directly.
. tests/integration/lib.sh

PROBE=$PWD/build/tests/isolation-probe
if [ ! -x "$PROBE" ]; then
	echo "1..1"
	echo "not ok 1 - $PROBE missing (make $PROBE)"
	exit 1
fi
CORE_WAS=$(cat /proc/sys/kernel/core_pattern)
DOMAIN_WAS=$(cat /proc/sys/kernel/domainname)
HOST_WAS=$(hostname)

domd_start || exit 1
setup_template
for vm in work other bomb third; do
	bh create $vm --class app --label blue --template tpl >/dev/null
done
bh prefs bomb pids_max 64 >/dev/null
# The attacker's tools in its private volume, and device nodes planted
# there as if a template or a backup had carried them.
p=$T/state/qubes/work/private
cp "$PROBE" "$p/probe"
mknod "$p/planted-mem" c 1 1 && mknod "$p/planted-sda" b 8 0 && chmod 666 "$p"/planted-*
bh start work other bomb >/dev/null || exit 1

rr() { bh run --user root "$@"; }

# The user namespace: root inside is a range of host ids of its own.
base=$(vm_field work uid_base)
obase=$(vm_field other uid_base)
ok $([ "$base" -ge $((1 << 29)) ] && [ $((base % 65536)) -eq 0 ] && [ "$base" != "$obase" ]; echo $?) \
	"qubes get distinct id ranges above the host's users ($base, $obase)"
map=$(rr work -- cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')
ok $([ "$map" = "0 $base 65536" ]; echo $?) "uid_map inside is '0 $base 65536' (got '$map')"
ok $(grep -q "^uid_base = $base\$" "$T/state/qubes/work/qube.cfg"; echo $?) "the range is kept in the qube's file"

# Capabilities, seccomp.
status=$(rr work -- cat /proc/self/status)
capbnd=$(echo "$status" | awk '/^CapBnd:/ { print $2 }')
has_cap() { [ $(( (0x$capbnd >> $1) & 1 )) -eq 1 ]; }
for c in 16:SYS_MODULE 17:SYS_RAWIO 21:SYS_ADMIN 22:SYS_BOOT 25:SYS_TIME 27:MKNOD 34:SYSLOG 39:BPF; do
	ok $(! has_cap ${c%%:*}; echo $?) "CAP_${c#*:} is not in the bounding set (CapBnd $capbnd)"
done
ok $(has_cap 12; echo $?) "CAP_NET_ADMIN stays (over the qube's own network)"
ok $(echo "$status" | grep -q "^Seccomp:[[:space:]]*2$"; echo $?) "Seccomp: 2 (a filter) for the qube's processes"
ok $(echo "$status" | grep -q "^NoNewPrivs:[[:space:]]*0$"; echo $?) "NoNewPrivs: 0 (su and sudo work inside)"

# Mounts, read from the qube's mountinfo: MOUNTPOINT OPTIONS.
mi=$(rr work -- cat /proc/self/mountinfo | awk '{ print $5, $6 }')
mount_has() { echo "$mi" | awk -v m="$1" '$1 == m { print $2 }' | tail -1 | tr , '\n' | grep -qx "$2"; }
ok $(mount_has /dev nodev; echo $?) "/dev is nodev"
ok $(mount_has /rw nodev; echo $?) "/rw is nodev"
ok $(mount_has / nodev; echo $?) "/ is nodev"
ok $(mount_has /sys ro; echo $?) "/sys is read-only"
ok $(mount_has /proc/sys ro; echo $?) "/proc/sys is read-only"
ok $(mount_has /proc/sys/net rw; echo $?) "/proc/sys/net (the qube's own network) is writable"
for m in /proc/keys /proc/timer_list /sys/firmware /sys/kernel; do
	[ -e "$m" ] || continue # not in this kernel: nothing to hide
	ok $(echo "$mi" | awk '{ print $1 }' | grep -qx "$m"; echo $?) "$m is masked"
done

# The attacks, as root and as the user.
for who in root user; do
	bh run --user $who work -- /rw/probe /rw/planted-mem /rw/planted-sda >"$T/probe.$who" 2>&1
	rc=$?
	n=$(grep -c '^refused' "$T/probe.$who")
	ok $([ $rc -eq 0 ] && [ "$n" -ge 30 ]; echo $?) "as $who: the probe's $n attempts were all refused"
	while read -r verdict what; do
		[ "$verdict" = refused ] || ok 1 "as $who: $what"
	done <"$T/probe.$who"
	grep -v '^refused' "$T/probe.$who" | sed 's/^/#   /'
done
ok $(grep -q "work: a process that is not its init's RPC endpoint said hello as the agent" "$T/domd.log"; echo $?) \
	"domd logged the hello as the agent from a process that is not the agent"
ok $([ "$(bh run work -- echo still)" = still ]; echo $?) "work's real agent still serves calls"
ok $([ "$(cat /proc/sys/kernel/core_pattern)" = "$CORE_WAS" ] &&
	[ "$(cat /proc/sys/kernel/domainname)" = "$DOMAIN_WAS" ] && [ "$(hostname)" = "$HOST_WAS" ]; echo $?) \
	"the host's core_pattern, domainname and hostname are unchanged"

# Other qubes: invisible, unsignalable, their files out of reach.
bh run other -- 'sleep 4242 >/dev/null 2>&1 &' >/dev/null
bh run --user root other -- 'sleep 4343 >/dev/null 2>&1 &' >/dev/null
sleep 0.3
spid=$(pgrep -f '^sleep 4242$' | head -1)
ok $([ -n "$spid" ] && [ "$(ps -o uid= -p "$spid" | tr -d ' ')" = $((obase + 1000)) ]; echo $?) \
	"other's user runs as host uid $((obase + 1000)), not the host's uid 1000"
ok $(! setpriv --reuid=1000 --regid=1000 --clear-groups ls "/proc/$spid/root/" >/dev/null 2>&1; echo $?) \
	"the host's uid 1000 cannot enter other's root through /proc"
ok $(! rr work -- 'ps -o pid,args' | grep -q 'sleep 4[23]4[23]'; echo $?) "work does not see other's processes"
ok $(rr work -- "[ ! -e '$T/state/qubes/other/private' ] && [ ! -e '$BULKHEAD_SOCKET' ]"; echo $?) \
	"other's files and domd's admin socket are not in work's file system"
rr work -- 'kill -9 -1' >/dev/null 2>&1
sleep 0.3
ok $(pgrep -f '^sleep 4242$' >/dev/null && pgrep -f '^sleep 4343$' >/dev/null; echo $?) \
	"kill -9 -1 as root in work leaves other's processes running"
ok $([ "$(vm_field other state)" = running ]; echo $?) "other still runs"

# The console log is bounded: an rc.local (the qube's own, in /rw) that
# writes 3 MiB to init's output leaves at most 1 MiB in console.log (and
# 1 MiB in console.log.old).
printf '#!/bin/sh\nhead -c 3145728 /dev/zero | tr "\\0" x\necho rc.local-done\n' >"$T/rc.local"
in_vm other 'mkdir -p /rw/config && cat > /rw/config/rc.local && chmod 755 /rw/config/rc.local' \
	<"$T/rc.local"
bh shutdown --wait other >/dev/null 2>&1 || bh kill other >/dev/null
bh start other >/dev/null
for _ in $(seq 100); do grep -qs rc.local-done "$T/state/qubes/other/console.log" && break; sleep 0.1; done
logsz=$(stat -c %s "$T/state/qubes/other/console.log")
oldsz=$(stat -c %s "$T/state/qubes/other/console.log.old" 2>/dev/null || echo 0)
ok $([ "$logsz" -le 1048576 ] && [ "$oldsz" -le 1048576 ] && [ "$oldsz" -gt 0 ] &&
	grep -q rc.local-done "$T/state/qubes/other/console.log"; echo $?) \
	"3 MiB of console output leave console.log at $logsz bytes, console.log.old at $oldsz"
ok $([ "$(vm_field other state)" = running ]; echo $?) "and the qube runs on"
rr other -- 'rm /rw/config/rc.local' >/dev/null

# A symlink planted in /rw is not followed by the next start's mounts
# (host root binds /rw/home at /home: a link to / would give the host's root).
rr work -- 'rm -rf /rw/home && ln -s / /rw/home' >/dev/null
bh shutdown --wait work >/dev/null 2>&1 || bh kill work >/dev/null
bh start work >"$T/out" 2>&1
ok $(grep -q "rw/home is not a directory" "$T/out"; echo $?) "a start over a planted /rw/home -> / symlink is refused: $(cat "$T/out")"
ok $([ "$(vm_field work state)" = halted ]; echo $?) "and work stays halted"

# A fork bomb meets the qube's process limit; the rest keeps working.
(timeout 30 "$CLI_BIN" run bomb -- 'f() { f | f & }; f' >/dev/null 2>&1 &)
pidsdir=/sys/fs/cgroup/pids/$CGROUP_PARENT/bomb
[ -d "$pidsdir" ] || pidsdir=/sys/fs/cgroup/$CGROUP_PARENT/bomb
# pids.events counts the forks the limit refused.
for _ in $(seq 150); do
	refusals=$(awk '$1 == "max" { print $2 }' "$pidsdir/pids.events" 2>/dev/null)
	[ "${refusals:-0}" -gt 0 ] && break
	sleep 0.1
done
cur=$(cat "$pidsdir/pids.current")
ok $([ "${refusals:-0}" -gt 0 ] && [ "$cur" -le 64 ]; echo $?) \
	"a fork bomb in bomb meets pids_max 64 ($cur processes, ${refusals:-0} forks refused)"
check "another qube starts meanwhile" bh start third
ok $([ "$(bh run third -- echo alive)" = alive ]; echo $?) "and answers"
bh kill bomb >/dev/null 2>&1

# /rw is a file system of private_size MiB of its own (an image on a loop
# device): filling it stops there, and the host's disk keeps its room.
bh create disk --class app --label blue --template tpl >/dev/null
bh prefs disk private_size 64 >/dev/null
bh start disk >/dev/null
hostfree=$(df -k --output=avail "$T/state" | tail -1)
rr disk -- 'dd if=/dev/urandom of=/rw/fill bs=1M count=200' >"$T/fill" 2>&1
fill=$(rr disk -- 'stat -c %s /rw/fill')
img=$(stat -c %s "$T/state/qubes/disk/private.img")
ok $(grep -q "No space left" "$T/fill" && [ "$fill" -lt $((64 << 20)) ] && [ "$img" -eq $((64 << 20)) ]; echo $?) \
	"filling /rw stops at private_size 64 MiB (wrote $fill bytes; the image is $img bytes)"
ok $([ $((hostfree - $(df -k --output=avail "$T/state" | tail -1))) -lt $((70 << 10)) ]; echo $?) \
	"the host's file system lost at most the image's room"
ok $([ "$(rr third -- 'echo ok > /rw/x && cat /rw/x')" = ok ]; echo $?) "another qube still writes its /rw"
ok $(rr disk -- cat /proc/self/mountinfo |
	awk '$5 == "/rw" { for (i = 7; i < NF; i++) if ($i == "-") print $(i + 1) }' | grep -qx ext4; echo $?) \
	"disk's /rw is an ext4 of its own"
bh shutdown --wait disk >/dev/null 2>&1 || bh kill disk >/dev/null
# Growing takes effect at the next start, in the kernel; shrinking is refused.
check "private_size grows to 128 while halted" bh prefs disk private_size 128
bh start disk >/dev/null
size=$(rr disk -- 'df -k /rw' | awk 'NR == 2 { print $2 }')
ok $([ "${size:-0}" -gt $((100 << 10)) ] && [ "$(rr disk -- 'stat -c %s /rw/fill')" = "$fill" ]; echo $?) \
	"after the restart /rw has ${size}k and keeps its data"
bh kill disk >/dev/null
bh prefs disk private_size 64 >"$T/out" 2>&1
ok $(grep -q "cannot shrink below its image's 128 MiB" "$T/out" && [ "$(vm_field disk private_size)" = 128 ]; echo $?) \
	"private_size cannot shrink the image: $(cat "$T/out")"
# Two file systems on one image would corrupt it: a host process that
# keeps a file of a stopped qube's /rw open holds its last mount, and the
# next start refuses (after a wait) instead of mounting the image again.
bh start disk >/dev/null
exec 7<"$(vm_root disk)/rw/fill"
bh kill disk >/dev/null
bh start disk >"$T/out" 2>&1
ok $(grep -q "private image .* is still mounted from /dev/loop" "$T/out" && [ "$(vm_field disk state)" = halted ]; echo $?) \
	"a start while the last run's mount is held is refused: $(cat "$T/out")"
exec 7<&-
check "once it is let go, disk starts again" bh start disk
bh kill disk >/dev/null

tap_end
