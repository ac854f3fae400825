#!/bin/sh
# The tests run inside the appliance's dom0 on a real Xen hypervisor, by its
# init in test mode.  They print TAP on the serial console; the host's
# run-xen.t reads it back from the serial log.
GUEST=/usr/share/bulkhead/guest
CHANPATH=/local/domain/0/data/bulkhead/chantest
CONLOG=/var/log/xen/console/guest-chantest.log
n=0
fails=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
# wait_for SECONDS COMMAND...: polls COMMAND every half second.
wait_for() {
	t=$(($1 * 2)); shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.5; t=$((t - 1)); done
	return 1
}
diag() { sed 's/^/# /'; }

echo "1..58"

xl list 2>&1 | grep -q '^Domain-0 ' ; ok $? "the toolstack is up: xl list shows Domain-0"

cat > /tmp/chantest.cfg <<CFG
name = "chantest"
type = "pv"
kernel = "$GUEST/vmlinux"
ramdisk = "$GUEST/initrd.gz"
extra = "console=hvc0 quiet bulkhead.chantest=0:$CHANPATH"
memory = 128
vcpus = 1
on_crash = "destroy"
CFG
t0=$(date +%s)
xl create -p /tmp/chantest.cfg >/tmp/create.log 2>&1
rc=$?
ok $rc "xl create of a PV guest (busybox + bulkhead-agent initramfs)"
[ $rc -eq 0 ] || diag < /tmp/create.log
domid=$(xl domid chantest 2>/dev/null)

# dom0 serves the channel; the guest's init connects as soon as it runs.
chan_peer_rc=1
if [ -n "$domid" ]; then
	timeout 120 /usr/lib/bulkhead/chan_peer server "$domid" "$CHANPATH" >/tmp/server.log 2>&1 &
	server=$!
	xl unpause chantest
fi
wait_for 90 grep -q 'guest-init: guest up' "$CONLOG"
ok $? "the guest reached its console (after $(($(date +%s) - t0)) s)"

if [ -n "$domid" ]; then
	wait "$server"
	chan_peer_rc=$?
fi
ok $chan_peer_rc "libxenvchan channel dom0 <-> guest through lib/chan.c, 1 MiB each way, checksums match"
diag < /tmp/server.log
wait_for 30 grep -q 'chan_peer: client: ok' "$CONLOG"
ok $? "the guest's side of the channel saw the right data"
wait_for 30 grep -q 'guest-init: starting the agent' "$CONLOG"
ok $? "the guest went on to start bulkhead-agent as PID 1"

xl destroy chantest >/dev/null 2>&1
! xl list 2>/dev/null | grep -q '^chantest '
ok $? "xl destroy removes the guest"
[ $fails -eq 0 ] || { echo "# guest console:"; diag < "$CONLOG"; }

# domd on the xen backend, driven by the bulkhead CLI.
state() { bulkhead ls 2>/dev/null | awk -v n="$1" '$1 == n { print $2 }'; }
xl_has() { xl list 2>/dev/null | grep -q "^$1 "; }
xl_paused() { xl list 2>/dev/null | awk -v n="$1" '$1 == n { print $5 }' | grep -q p; }
start_domd() {
	bulkhead-domd --backend xen --foreground >>/tmp/domd.log 2>&1 &
	domd=$!
	wait_for 20 bulkhead info >/dev/null 2>&1
}
start_domd
bulkhead info 2>&1 | grep -q 'xen'
ok $? "bulkhead-domd runs on the xen backend"
STORE=/var/lib/bulkhead/qubes
bulkhead template import minimal /usr/share/bulkhead/templates/minimal.img >/tmp/cli.log 2>&1 &&
	[ -f $STORE/minimal/root.img ]
ok $? "bulkhead template import of the minimal template's root image"
diag < /tmp/cli.log
root_sum=$(md5sum < $STORE/minimal/root.img)
bulkhead create work --template minimal --label blue --memory 128 --vcpus 1 >/tmp/cli.log 2>&1 &&
	bulkhead prefs work virt_mode pv >>/tmp/cli.log 2>&1 &&
	bulkhead prefs work private_size 96 >>/tmp/cli.log 2>&1
ok $? "bulkhead create work (AppVM of minimal, 128 MiB, PV, a 96 MiB private volume)"
diag < /tmp/cli.log
out=$(bulkhead prefs work private_size 12 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q 'invalid private_size'
ok $? "a private_size below the minimum is refused: $out"
# A leftover of a crash: a loop device still holding work's private image.
mkdir -p $STORE/work && truncate -s 1M $STORE/work/private.img && losetup -r -f $STORE/work/private.img
stale=$(grep -l "$STORE/work/private.img" /sys/block/loop*/loop/backing_file 2>/dev/null)
rm -f $STORE/work/private.img
t0=$(date +%s)
timeout 90 bulkhead start work >/tmp/cli.log 2>&1 && [ "$(state work)" = running ] && xl_has work
ok $? "bulkhead start work: a Xen domain named work runs ($(($(date +%s) - t0)) s)"
diag < /tmp/cli.log
[ -n "$stale" ] && ! grep -qs "$STORE/work/private.img (deleted)" /sys/block/loop*/loop/backing_file
ok $? "the start removed a leftover loop device of work's private image (${stale:-none made})"
wait_for 60 grep -q 'guest-init: starting the agent' $STORE/work/console.log
ok $? "work's console, in its log in domd's store, shows its agent starting"
# bulkhead run: the agent's control channel and each call's data over vchan.
t0=$(date +%s)
out=$(timeout 90 bulkhead run work -- echo hi 2>/tmp/run.err)
rc=$?
[ $rc -eq 0 ] && [ "$out" = hi ]
ok $? "bulkhead run work -- echo hi: 'hi' and status 0 over vchan ($(($(date +%s) - t0)) s after start)"
[ "$out" = hi ] || { echo "# rc $rc, out '$out'"; diag < /tmp/run.err; }
# The relay's connections to domd are read by work's guard, not by domd.
g=
for p in /proc/[0-9]*; do
	tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q '^bulkhead-guard --qube work ' && g=${p#/proc/}
done
[ -n "$g" ] && grep -q '^Seccomp:[[:space:]]*2$' "/proc/$g/status" &&
	grep -q '^CapEff:[[:space:]]*0000000000000000$' "/proc/$g/status" &&
	! grep -q '^Uid:[[:space:]]*0[[:space:]]' "/proc/$g/status"
ok $? "work's control socket is read by its guard (pid ${g:-none}): not root, no capabilities, Seccomp 2"
# dom0's relay for work: the root keeper (bulkhead-rings) makes rings and
# reads none; the framer and each call's splicer (bulkhead-relay) read the
# guest's bytes, confined.
titled() { # titled PREFIX: the processes whose title starts with PREFIX (one grep:
	# a process per /proc entry takes seconds under TCG)
	grep -la "^$1" /proc/[0-9]*/cmdline 2>/dev/null | sed 's|^/proc/\([0-9]*\)/cmdline$|\1|'
}
pids_of() { # pids_of TITLE: the processes whose title is TITLE
	for p in $(titled "$1"); do
		[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | sed 's/ *$//')" = "$1" ] && echo "$p"
	done
}
confined() { # confined PID: not root, no capabilities, no new privileges, Seccomp 2
	s=/proc/$1/status
	grep -q '^Seccomp:[[:space:]]*2$' "$s" && grep -q '^NoNewPrivs:[[:space:]]*1$' "$s" &&
		grep -q '^CapEff:[[:space:]]*0000000000000000$' "$s" &&
		grep -q '^CapBnd:[[:space:]]*0000000000000000$' "$s" &&
		! grep -q '^Uid:[[:space:]]*0[[:space:]]' "$s"
}
keeper=$(pids_of 'bulkhead-rings work')
framer=$(pids_of 'bulkhead-relay work')
[ -n "$keeper" ] && [ "$(echo "$framer" | wc -w)" -eq 1 ] && confined "$framer" &&
	[ "$(awk '/^Uid:/ { print $2 }' /proc/$framer/status)" != "$(awk '/^Uid:/ { print $2 }' /proc/$g/status)" ]
ok $? "work's relay framer (pid ${framer:-none}, keeper ${keeper:-none}): its own uid, no capabilities, NoNewPrivs, Seccomp 2"
timeout 60 bulkhead run work -- 'sleep 20' >/dev/null 2>&1 &
run=$!
splicers() { titled 'bulkhead-relay work call '; }
has_splicer() { [ -n "$(splicers)" ]; }
wait_for 15 has_splicer
spl=$(splicers)
rc=1
[ -n "$spl" ] && rc=0
for p in $spl; do confined "$p" || rc=1; done
kill $run 2>/dev/null
wait $run
ok $rc "a call's data ring is spliced by a confined process too (pids: $(echo $spl))"
# The attack: root in work stops its agent's reconnects, kills the agent's
# end of the control ring, takes the ring itself and sends a frame that
# names no connection.
cat > /tmp/badframe.sh <<'SH'
ino=$(awk '$NF == "/dev/bulkhead/control.sock" { print $7 }' /proc/net/unix)
for f in /proc/[0-9]*/fd/*; do
	[ "$(readlink "$f" 2>/dev/null)" = "socket:[$ino]" ] && { relay=${f#/proc/}; relay=${relay%%/*}; }
done
rpcd=$(awk '/^PPid:/ { print $2 }' "/proc/$relay/status")
echo "badframe: the agent's control relay is $relay, its reconnecting parent $rpcd"
kill -STOP "$rpcd"; kill -KILL "$relay"
sleep 3
/tmp/chan_peer badframe 0 data/bulkhead/control
kill -CONT "$rpcd"
SH
timeout 30 bulkhead run --pass-io --user root work -- 'cat > /tmp/badframe.sh' </tmp/badframe.sh >/tmp/run.err 2>&1 &&
	timeout 60 bulkhead run --pass-io --user root work -- 'cat > /tmp/chan_peer && chmod +x /tmp/chan_peer' \
		</usr/lib/bulkhead/chan_peer >>/tmp/run.err 2>&1 &&
	timeout 30 bulkhead run --user root work -- 'sh /tmp/badframe.sh </dev/null >/dev/console 2>&1 &' >>/tmp/run.err 2>&1 &&
	wait_for 40 grep -q 'chan_peer: badframe: dom0 ended the session' $STORE/work/console.log &&
	grep -q 'bulkhead-relay: a malformed frame from the guest' $STORE/work/console.log
rc=$?
ok $rc "root in work takes its control ring and sends a malformed frame: the framer ends that session"
[ $rc -eq 0 ] || { diag < /tmp/run.err; tail -n 20 $STORE/work/console.log | diag; }
says() { timeout 20 bulkhead run work -- echo "$1" >/tmp/run.out 2>&1 && [ "$(cat /tmp/run.out)" = "$1" ]; }
wait_for 60 says back && [ "$(pids_of 'bulkhead-rings work')" = "$keeper" ] && kill -0 "$domd"
rc=$?
ok $rc "after the attack the keeper (pid $keeper) still serves and the agent is back: bulkhead run works"
[ $rc -eq 0 ] || diag < /tmp/run.out
# A crashed framer: the keeper serves a new session, the agent reconnects.
framer=$(pids_of 'bulkhead-relay work')
kill -KILL $framer
wait_for 60 says again
rc=$?
new=$(pids_of 'bulkhead-relay work')
[ $rc -eq 0 ] && [ -n "$new" ] && [ "$new" != "$framer" ] && confined "$new" && kill -0 "$domd"
ok $? "the framer killed (pid $framer): a new confined one (pid ${new:-none}) serves work, domd unaffected"
timeout 30 bulkhead run work -- 'echo oops >&2; exit 7' >/dev/null 2>/tmp/run.err
rc=$?
[ $rc -eq 7 ] && grep -qx oops /tmp/run.err
ok $? "a failing command: its status (7) and its stderr come back (got $rc)"
timeout 30 bulkhead run work -- id -un >/tmp/run.out 2>&1 && grep -qx user /tmp/run.out &&
	timeout 30 bulkhead run --user root work -- id -u >>/tmp/run.out 2>&1 && tail -n1 /tmp/run.out | grep -qx 0
ok $? "commands run as user by default, as root with --user root"
diag < /tmp/run.out
# 2 MB out and 1 MB in: many data frames each way through the call's ring.
want=$(seq 1 300000 | md5sum)
got=$(timeout 60 bulkhead run work -- seq 1 300000 | md5sum)
[ "$got" = "$want" ]
ok $? "a 2 MB stdout arrives whole (md5 matches)"
want=$(head -c 1048576 /dev/zero | tr '\0' x | md5sum | cut -d' ' -f1)
got=$(head -c 1048576 /dev/zero | tr '\0' x | timeout 60 bulkhead run --pass-io work -- md5sum | cut -d' ' -f1)
[ "$got" = "$want" ]
ok $? "--pass-io: 1 MiB of stdin reaches the command whole (md5 matches)"
bulkhead stats work 2>&1 | grep -q '^memory .*MiB'
ok $? "bulkhead stats work reports the domain's memory"
bulkhead stats work 2>&1 | diag
bulkhead pause work >/dev/null 2>&1 && [ "$(state work)" = paused ] && xl_paused work &&
	bulkhead unpause work >/dev/null 2>&1 && [ "$(state work)" = running ] && ! xl_paused work
ok $? "pause and unpause reach the domain"
kill "$domd"; wait "$domd"
start_domd
[ "$(state work)" = running ]
ok $? "a restarted domd adopts the running domain by its uuid"
out=$(timeout 60 bulkhead run work -- echo again 2>&1)
[ "$out" = again ]
ok $? "after the restart, the agent is back through the relay: bulkhead run works"
echo "$out" | diag

# Disks: the template's root read-only under a volatile layer, /rw persistent.
[ "$(stat -c %s $STORE/work/private.img)" -eq $((96 * 1048576)) ] &&
	timeout 30 bulkhead run work -- 'grep -q "^/dev/xvdb /rw ext4" /proc/mounts'
ok $? "work's private volume is a 96 MiB image (private_size), mounted at /rw in the guest"
timeout 30 bulkhead run work -- 'echo kept > ~/kept' &&
	timeout 30 bulkhead run --user root work -- 'echo kept > /rw/kept && echo work > /etc/who && echo gone > /etc/gone'
ok $? "work writes to its home, /rw and /etc"
out=$(timeout 30 bulkhead run --user root work -- 'dd if=/dev/zero of=/dev/xvda bs=4096 count=1 2>&1; echo rc=$?')
echo "$out" | grep -q 'rc=[1-9]'
ok $? "the template's image is read-only to the guest: writing /dev/xvda fails"
echo "$out" | diag
# Calls from one qube to another: each qube's relay carries its callers too.
mkdir -p /etc/bulkhead/policy.d
cat > /etc/bulkhead/policy.d/50-test.policy <<'POL'
bulkhead.Filecopy  *  work      personal  allow
bulkhead.Filecopy  *  personal  work      ask
POL
t0=$(date +%s)
bulkhead create personal --template minimal --label green --memory 128 --vcpus 1 >/tmp/cli.log 2>&1 &&
	[ "$(bulkhead prefs personal virt_mode 2>&1)" = pvh ] &&
	timeout 90 bulkhead start personal >>/tmp/cli.log 2>&1 && [ "$(state personal)" = running ]
ok $? "a second AppVM of minimal, personal, starts in PVH mode (the default) ($(($(date +%s) - t0)) s)"
diag < /tmp/cli.log
t0=$(date +%s)
out=$(timeout 120 bulkhead run personal -- cat /sys/hypervisor/guest_type 2>&1)
# QEMU's TCG now and then triple-faults a PVH guest's early boot (Xen's
# "Triple fault - invoking HVM shutdown"); that is the emulator, not
# Bulkhead: say so and start it once more.
if [ "$out" != PVH ] && xl dmesg 2>/dev/null | grep -q "Triple fault"; then
	echo "# personal triple-faulted at boot under TCG; starting it once more"
	timeout 90 bulkhead start personal >/dev/null 2>&1
	out=$(timeout 120 bulkhead run personal -- cat /sys/hypervisor/guest_type 2>&1)
fi
[ "$out" = PVH ] && xl list -l personal 2>/dev/null | grep -q '"type": "pvh"'
rc=$?
ok $rc "personal answers bulkhead run and is a PVH guest (guest_type '$out', $(($(date +%s) - t0)) s)"
[ $rc -eq 0 ] || { echo "# personal's log:"; diag < $STORE/personal/console.log; xl dmesg 2>&1 | tail -n 15 | diag; }
# Under TCG a call can take seconds when both guests are busy: 60 s each.
timeout 60 bulkhead run --user root personal -- 'echo personal > /etc/who' &&
	[ "$(timeout 60 bulkhead run personal -- cat /etc/who)" = personal ] &&
	[ "$(timeout 60 bulkhead run work -- cat /etc/who)" = work ] &&
	! timeout 60 bulkhead run personal -- 'test -e /rw/kept'
ok $? "two AppVMs of one template each see their own writes (/etc/who, /rw)"
sum() { timeout 60 bulkhead run "$1" -- "md5sum < $2" 2>>/tmp/sum.err | cut -d' ' -f1; }
t0=$(date +%s)
timeout 60 bulkhead run work -- 'head -c 3000000 /dev/urandom > /tmp/f' &&
	timeout 120 bulkhead run work -- 'bulkhead-copy personal /tmp/f' >/tmp/copy.log 2>&1 &&
	want=$(sum work /tmp/f) && [ -n "$want" ] && [ "$(sum personal Incoming/work/f)" = "$want" ]
ok $? "bulkhead-copy of 3 MB from work to personal over vchan, md5 matches ($(($(date +%s) - t0)) s)"
diag < /tmp/copy.log
(timeout 120 bulkhead run personal -- 'head -c 200000 /dev/urandom > /tmp/g && bulkhead-copy work /tmp/g' \
	>/tmp/ask.log 2>&1; echo "rc=$?" >> /tmp/ask.log) &
asker=$!
ask_id() { bulkhead ask 2>/dev/null | awk '$2 == "bulkhead.Filecopy" && $3 == "personal" { print $1 }'; }
wait_for 60 sh -c "bulkhead ask 2>/dev/null | grep -q bulkhead.Filecopy" && id=$(ask_id) && [ -n "$id" ] &&
	bulkhead ask allow "$id" >/dev/null 2>&1
ok $? "personal's copy to work waits for the operator; allowed from dom0 (ask ${id:-?})"
wait "$asker"
want=$(sum personal /tmp/g)
got=$(sum work Incoming/personal/g)
grep -q 'rc=0' /tmp/ask.log && [ -n "$want" ] && [ "$got" = "$want" ]
ok $? "the allowed copy arrives in work, md5 matches"
diag < /tmp/ask.log
[ -n "$want" ] && [ "$got" = "$want" ] ||
	{ echo "# sent '$want', got '$got'"; diag < /tmp/sum.err; tail -n 30 $STORE/personal/console.log | diag; }
# The admin API from a qube, over the same relay: a listing filtered by
# policy, and a method the policy does not allow refused.
cat >> /etc/bulkhead/policy.d/50-test.policy <<'POL'
bulkhead.admin.vm.list  *  work  dom0      allow
bulkhead.admin.vm.list  *  work  personal  allow
POL
out=$(timeout 60 bulkhead run work -- 'bulkhead-rpc dom0 bulkhead.admin.vm.list </dev/null' 2>&1)
echo "$out" | grep -q '"ok":true' && echo "$out" | grep -q '"name":"personal"' &&
	! echo "$out" | grep -q '"name":"work"'
ok $? "work lists qubes through bulkhead.admin.vm.list: only personal, as policy says"
echo "$out" | cut -c1-200 | diag
timeout 60 bulkhead run work -- 'bulkhead-rpc personal bulkhead.admin.vm.kill </dev/null' >/tmp/admin.log 2>&1
rc=$?
[ $rc -eq 126 ] && [ "$(state personal)" = running ]
ok $? "work's bulkhead.admin.vm.kill of personal, which no rule allows, is refused (exit $rc)"
diag < /tmp/admin.log
timeout 60 bulkhead kill personal >/tmp/cli.log 2>&1 && [ "$(state personal)" = halted ] && ! xl_has personal
rc=$?
ok $rc "bulkhead kill destroys the domain"
[ $rc -eq 0 ] || { diag < /tmp/cli.log; bulkhead ls 2>&1 | diag; xl list 2>&1 | diag; tail -n 20 /tmp/domd.log | diag; }
t0=$(date +%s)
timeout 90 bulkhead shutdown work --wait --timeout 60 >/tmp/cli.log 2>&1 &&
	[ "$(state work)" = halted ] && ! xl_has work
rc=$?
ok $rc "bulkhead shutdown --wait: the guest powers off cleanly ($(($(date +%s) - t0)) s)"
diag < /tmp/cli.log
bulkhead ls 2>&1 | diag
[ $rc -eq 0 ] || { echo "# work's log:"; diag < $STORE/work/console.log; }
[ ! -e $STORE/work/volatile.img ] && [ ! -e $STORE/personal/volatile.img ] &&
	! grep -qs "$STORE/" /sys/block/loop*/loop/backing_file
ok $? "after the stops no volatile disk and no loop device of a qube is left"
grep -s . /sys/block/loop*/loop/backing_file | diag
t0=$(date +%s)
timeout 90 bulkhead start work >/tmp/cli.log 2>&1 &&
	[ "$(timeout 60 bulkhead run work -- 'cat /rw/kept ~/kept')" = "$(printf 'kept\nkept')" ]
ok $? "work restarted: /rw and its home kept their files ($(($(date +%s) - t0)) s)"
diag < /tmp/cli.log
timeout 30 bulkhead run work -- 'test ! -e /etc/gone && test ! -e /etc/who'
ok $? "work restarted: what it wrote to /etc is gone (the root's changes were volatile)"
mon=$(sed -n 's/^monitor_pid=//p' /run/bulkhead/qubes/work.run 2>/dev/null)
[ -n "$mon" ] && kill -9 "$mon" && wait_for 60 sh -c "[ \"\$(bulkhead ls 2>/dev/null | awk '\$1 == \"work\" { print \$2 }')\" = halted ]" &&
	! xl_has work && [ ! -e $STORE/work/volatile.img ] && ! grep -qs "$STORE/work/" /sys/block/loop*/loop/backing_file
ok $? "work's monitor killed: domd destroys the domain and removes its loop devices and volatile disk"
[ "$(md5sum < $STORE/minimal/root.img)" = "$root_sum" ]
ok $? "the template's root image is unchanged by its AppVMs (md5 before and after)"
# A DispVM reads its base's private image under a volatile layer of its own.
t0=$(date +%s)
bulkhead prefs work template_for_dispvms 1 >/tmp/cli.log 2>&1 &&
	out=$(timeout 150 bulkhead run --dispvm=work -- 'cat ~/kept && echo x > ~/dispfile && echo wrote' 2>&1) &&
	[ "$out" = "$(printf 'kept\nwrote')" ]
ok $? "a DispVM of work runs a call and sees work's private data ($(($(date +%s) - t0)) s)"
echo "$out" | diag
diag < /tmp/cli.log
# The call's end destroys the DispVM; its removal follows.
wait_for 60 sh -c '! bulkhead ls 2>/dev/null | grep -q "^disp"' &&
	! grep -qs "$STORE/disp" /sys/block/loop*/loop/backing_file &&
	timeout 90 bulkhead start work >/tmp/cli.log 2>&1 && timeout 30 bulkhead run work -- 'test ! -e ~/dispfile'
ok $? "the DispVM is gone with its disks, and what it wrote to work's private data too"
# A template runs and changes its root while work, an AppVM of it, runs
# (domd/rootgen.h): it writes a copy, root.new.img; work keeps the image it
# started with until its restart.
t0=$(date +%s)
bulkhead prefs minimal memory 128 >/tmp/cli.log 2>&1 &&
	timeout 150 bulkhead start minimal >>/tmp/cli.log 2>&1 && [ "$(state work)" = running ] &&
	timeout 60 bulkhead run --user root minimal -- 'echo gen1 > /etc/gen-mark && sync' >>/tmp/cli.log 2>&1 &&
	[ -e $STORE/minimal/root.new.img ] && timeout 30 bulkhead run work -- 'test ! -e /etc/gen-mark' &&
	[ "$(md5sum < $STORE/minimal/root.img)" = "$root_sum" ]
rc=$?
ok $rc "the template starts and writes its root while work runs; work and root.img do not change ($(($(date +%s) - t0)) s)"
[ $rc -eq 0 ] || { diag < /tmp/cli.log; tail -n 20 $STORE/minimal/console.log | diag; }
t0=$(date +%s)
timeout 120 bulkhead shutdown minimal --wait --timeout 90 >/tmp/cli.log 2>&1 &&
	bulkhead --json prefs minimal 2>/dev/null | grep -q '"root_generation": *1' &&
	bulkhead --json prefs work 2>/dev/null | grep -q '"outdated": *true' &&
	bulkhead ls 2>/dev/null | grep -q '^work *running\*' && [ ! -e $STORE/minimal/root.new.img ] &&
	[ -e $STORE/minimal/root.0.img ] && timeout 30 bulkhead run work -- 'test ! -e /etc/gen-mark'
rc=$?
ok $rc "its clean stop commits generation 1; work, still on generation 0 (root.0.img), is marked outdated ($(($(date +%s) - t0)) s)"
[ $rc -eq 0 ] || { diag < /tmp/cli.log; bulkhead ls 2>&1 | diag; ls $STORE/minimal | diag; }
t0=$(date +%s)
timeout 200 bulkhead restart work >/tmp/cli.log 2>&1 &&
	[ "$(timeout 60 bulkhead run work -- cat /etc/gen-mark)" = gen1 ] &&
	bulkhead --json prefs work 2>/dev/null | grep -q '"outdated": *false' &&
	wait_for 30 sh -c "[ ! -e $STORE/minimal/root.0.img ]"
rc=$?
ok $rc "restarted, work reads the new root; generation 0 is deleted ($(($(date +%s) - t0)) s)"
[ $rc -eq 0 ] || { diag < /tmp/cli.log; ls $STORE/minimal | diag; }
# A marker in /rw for the backup below, flushed: the next test destroys work.
timeout 30 bulkhead run --user root work -- 'echo backed-up > /rw/marker && sync' >>/tmp/cli.log 2>&1
# A guest that does not power off in time is destroyed: a process that
# ignores SIGTERM keeps its agent waiting for 5 s.
timeout 30 bulkhead run --user root work -- \
	'(trap "" TERM; exec sleep 1000) </dev/null >/dev/null 2>&1 &' >>/tmp/cli.log 2>&1
bulkhead shutdown work --wait --timeout 1 >>/tmp/cli.log 2>&1
[ "$(state work)" = halted ] && ! xl_has work &&
	bulkhead --json prefs work 2>/dev/null | grep -q 'shutdown timed out; killed'
rc=$?
ok $rc "a shutdown that times out destroys the domain"
[ $rc -eq 0 ] || { diag < /tmp/cli.log; bulkhead --json prefs work 2>&1 | diag; tail -n 20 /tmp/domd.log | diag; }
# Backup and restore: work's private.img into an encrypted file in dom0,
# verified, restored next to work as work-1, started, its marker read.
echo 'a passphrase for the test' > /tmp/pass
t0=$(date +%s)
timeout 120 bulkhead backup create work --to /tmp/work.bk --passphrase-file /tmp/pass \
	>/tmp/cli.log 2>&1 && [ -s /tmp/work.bk ]
ok $? "bulkhead backup create work to a file ($(($(date +%s) - t0)) s, $(stat -c %s /tmp/work.bk 2>/dev/null) bytes)"
diag < /tmp/cli.log
timeout 120 bulkhead backup verify /tmp/work.bk --passphrase-file /tmp/pass >/tmp/cli.log 2>&1 &&
	grep -q 'work' /tmp/cli.log
ok $? "bulkhead backup verify authenticates it and lists work"
diag < /tmp/cli.log
t0=$(date +%s)
timeout 120 bulkhead backup restore /tmp/work.bk --rename-conflicts --passphrase-file /tmp/pass \
	>/tmp/cli.log 2>&1 && [ "$(state work-1)" = halted ] &&
	[ "$(md5sum < $STORE/work-1/private.img)" = "$(md5sum < $STORE/work/private.img)" ]
ok $? "bulkhead backup restore --rename-conflicts: work-1, its private.img as work's ($(($(date +%s) - t0)) s)"
diag < /tmp/cli.log
t0=$(date +%s)
timeout 90 bulkhead start work-1 >/tmp/cli.log 2>&1 &&
	[ "$(timeout 60 bulkhead run work-1 -- 'cat /rw/marker ~/kept')" = "$(printf 'backed-up\nkept')" ]
rc=$?
ok $rc "the restored work-1 starts and reads work's data from /rw ($(($(date +%s) - t0)) s)"
diag < /tmp/cli.log
[ $rc -eq 0 ] || { echo "# work-1's log:"; diag < $STORE/work-1/console.log 2>/dev/null; }
timeout 60 bulkhead kill work-1 >/dev/null 2>&1
timeout 10 bulkhead create net1 --class standalone --label red --provides-network >/dev/null 2>&1
out=$(timeout 30 bulkhead start net1 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q 'not supported on the xen backend'
ok $? "what the xen backend cannot do yet is refused clearly (networks)"
echo "$out" | diag
kill "$domd"; wait "$domd"
[ $fails -eq 0 ] || { echo "# the relays' and monitors' messages:";
	grep -h 'bulkhead-relay\|bulkhead-agent: call\|bulkhead-monitor' $STORE/*/console.log | diag
	echo "# Xen's log:"; xl dmesg 2>&1 | tail -n 30 | diag; echo "# domd log:"; diag < /tmp/domd.log; echo "# work's log:"; diag < $STORE/work/console.log 2>/dev/null; }
exit $fails
