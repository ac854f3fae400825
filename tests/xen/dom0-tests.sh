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

echo "1..8"

xl list 2>&1 | grep -q '^Domain-0 ' ; ok $? "the toolstack is up: xl list shows Domain-0"

cat > /tmp/chantest.cfg <<CFG
name = "chantest"
type = "pv"
kernel = "$GUEST/vmlinuz"
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

# domd's xen backend is still a stub: it must say so, not pretend.
out=$(bulkhead-domd --backend xen --foreground 2>&1)
rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q 'xen backend is not available'
ok $? "bulkhead-domd --backend xen refuses clearly (the backend is not written yet)"
echo "$out" | diag
exit $fails
