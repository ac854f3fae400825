#!/bin/bash
# The USB proxy without USB hardware: bulkhead-usbproxy list/export/import
# against a programmable fake device (tests/usb/fakedev.c, umockdev) and a
# USB/IP peer standing where the kernel's vhci-hcd would
# (tests/usb/usbip_peer.c). Needs `make usb-test-bins` (SAN=1 under check);
# BUILD names the build directory (default build). No domd is involved.
export LC_ALL=C
BUILD=${BUILD:-build}
B=$PWD/$BUILD
PROXY=$B/bulkhead-usbproxy
FAKE=$B/tests/usb-fakedev
PEER=$B/tests/usbip-peer
T=$(mktemp -d /tmp/bulkhead-usb.XXXXXX)
trap 'rm -rf "$T"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
tap_n=0
tap_failed=0

ok() { # ok STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $tap_n - $2"; else echo "not ok $tap_n - $2"; tap_failed=$((tap_failed + 1)); fi
}
diag() { sed 's/^/#   /' "$@"; }

for f in "$PROXY" "$FAKE" "$PEER"; do
	[ -x "$f" ] || { echo "1..1"; echo "not ok 1 - $f missing (make usb-test-bins)"; exit 1; }
done

# A vhci-hcd sysfs directory as the importer sees it: port 0 taken, 1 free
# (high speed), 2 free (super speed); attach is a FIFO the peer reads.
fake_vhci() {
	rm -rf "$1"; mkdir -p "$1"
	printf '%s\n' 'hub port sta spd dev      sockfd local_busid' \
		'hs  0000 006 003 00010002 000003 1-1' \
		'hs  0001 004 000 00000000 000000 0-0' \
		'ss  0002 004 000 00000000 000000 0-0' >"$1/status"
	mkfifo "$1/attach"
	: >"$1/detach"
}

# list: the device, not its root hub; hostile strings sanitised and cut.
timeout 60 "$FAKE" -- "$PROXY" list >"$T/list.out" 2>"$T/list.err"; rc=$?
want=$(printf '1-1\t1209:b0b0\t480\tBulkhead Test\tLoop_back_[31m device xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')
ok $([ $rc -eq 0 ] && [ "$(cat "$T/list.out")" = "$want" ]; echo $?) "list: one line, busid vid:pid speed and sanitised strings"
diag "$T/list.out" "$T/list.err"

# list --watch: the same line as "add", then the unplug as "remove"; it
# ends when its reader goes (head -2).
"$FAKE" -- "$PROXY" list --watch > >(head -2 >"$T/watch.out") 2>"$T/watch.err" &
wpid=$!
sleep 1
kill -USR1 $wpid
for _ in $(seq 100); do kill -0 $wpid 2>/dev/null || break; sleep 0.1; done
kill -0 $wpid 2>/dev/null && kill $wpid
wait $wpid; rc=$?
sleep 0.2 # head's output
ok $([ $rc -eq 0 ] && [ "$(cat "$T/watch.out")" = "$(printf 'add\t%s\nremove\t1-1' "$want")" ]; echo $?) "list --watch: add, then remove on unplug, and ends with its reader"
diag "$T/watch.out" "$T/watch.err"

timeout 60 "$FAKE" -- "$PROXY" export 9-9 </dev/null >"$T/nodev.out" 2>"$T/nodev.err"; rc=$?
ok $([ $rc -eq 1 ] && grep -q "no device 9-9" "$T/nodev.err" && [ ! -s "$T/nodev.out" ]; echo $?) "export of a missing busid fails with one line"

# The whole exchange against the exporter: descriptors, stalls, interrupt
# reads, unlinks, a 16 MiB bulk loopback, unplug mid-transfer.
timeout 300 "$PEER" functional "${USB_LOOP_MB:-16}" -- "$FAKE" -- "$PROXY" export 1-1 >"$T/func.out" 2>"$T/func.err"; rc=$?
ok $([ $rc -eq 0 ]; echo $?) "exporter: functional scenario (USB/IP peer on a socketpair)"
ok $(grep -q "kernel driver detached" "$T/func.err" && ! grep -q "re-attached" "$T/func.err"; echo $?) "exporter detached the kernel driver to claim, and left it after the unplug"
diag "$T/func.out"; grep -v "^bulkhead-usbproxy: \(device unplugged\|1-1: device gone\)" "$T/func.err" | diag

# The same through the importer, the peer playing vhci-hcd.
fake_vhci "$T/vhci"
timeout 300 "$PEER" --import "$PROXY" --vhci "$T/vhci" functional "${USB_LOOP_MB:-16}" -- "$FAKE" -- "$PROXY" export 1-1 \
	>"$T/imp.out" 2>"$T/imp.err"; rc=$?
ok $([ $rc -eq 0 ] && [ "$(cat "$T/vhci/detach")" = 1 ]; echo $?) "importer: attach line, relay of the functional scenario, detach after unplug"
diag "$T/imp.out"; grep -v "^bulkhead-usbproxy: \(device unplugged\|1-1: device gone\)" "$T/imp.err" | diag

# import -- COMMAND: the importer starts the channel itself (in an AppVM,
# the RPC call to sys-usb); when the kernel lets go, everything ends cleanly.
fake_vhci "$T/vhci-spawn"
timeout 120 "$PEER" --import "$PROXY" --vhci "$T/vhci-spawn" --spawn 1 bench 4 -- "$FAKE" -- "$PROXY" export 1-1 \
	>"$T/spawn.out" 2>"$T/spawn.err"; rc=$?
ok $([ $rc -eq 0 ] && grep -q "re-attached" "$T/spawn.err"; echo $?) "import -- COMMAND: relay, then the kernel's hang-up ends importer and exporter"
diag "$T/spawn.out"

timeout 120 "$PEER" flood 512 -- "$FAKE" -- "$PROXY" export 1-1 >"$T/flood.out" 2>"$T/flood.err"; rc=$?
ok $([ $rc -eq 0 ]; echo $?) "exporter: 512 MiB of IN URBs that never complete are held back, then cancelled at end of input"
ok $(grep -q "re-attached" "$T/flood.err"; echo $?) "exporter gave the interface back to its kernel driver at end of input"
diag "$T/flood.out"
timeout 60 "$PEER" idle-unplug -- "$FAKE" -- "$PROXY" export 1-1 >"$T/idle.out" 2>"$T/idle.err"; rc=$?
ok $([ $rc -eq 0 ]; echo $?) "exporter: an unplug with nothing in flight ends the export (hotplug)"
diag "$T/idle.out"

# Malformed and out-of-order input: one log line, status 1, no crash.
for b in ep dir len devid wlength iso ret dupseq unlinkseq truncated garbage; do
	timeout 60 "$PEER" bad-$b -- "$FAKE" -- "$PROXY" export 1-1 >"$T/bad.out" 2>"$T/bad.err"; rc=$?
	lines=$(grep -c "^bulkhead-usbproxy: " "$T/bad.err")
	ok $([ $rc -eq 0 ] && [ "$lines" -eq 1 ]; echo $?) "exporter, bad-$b: $(grep "^bulkhead-usbproxy: " "$T/bad.err" | head -1 | cut -d' ' -f2-)"
	[ $rc -eq 0 ] && [ "$lines" -eq 1 ] || diag "$T/bad.out" "$T/bad.err"
	cat "$T/bad.err" >>"$T/all-bad.err"
done

# A hostile exporter: replies the importer must not pass to the kernel.
evil() { # WHAT: answers the first CMD_SUBMIT wrongly
	python3 -c '
import struct, sys
w = sys.stdout.buffer
w.write(b"65538 480\n"); w.flush()
cmd = sys.stdin.buffer.read(48)
seq = struct.unpack(">I", cmd[4:8])[0]
if sys.argv[1] == "overlong":   # 100 bytes for an 8-byte IN
    w.write(struct.pack(">12I", 3, seq, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0) + b"x" * 100)
elif sys.argv[1] == "unknown":  # a seqnum never sent
    w.write(struct.pack(">12I", 3, seq + 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
else:                           # a positive status
    w.write(struct.pack(">12I", 3, seq, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0))
w.flush()
sys.stdin.buffer.read()
' "$1"
}
export -f evil
for w in overlong unknown status; do
	fake_vhci "$T/vhci-evil"
	timeout 60 "$PEER" --import "$PROXY" --vhci "$T/vhci-evil" evil-exporter -- bash -c "evil $w" >"$T/evil.out" 2>"$T/evil-$w.err"; rc=$?
	ok $([ $rc -eq 0 ] && grep -q "malformed message from the exporter" "$T/evil-$w.err"; echo $?) "importer, hostile exporter ($w): $(grep "^bulkhead-usbproxy: " "$T/evil-$w.err" | head -1 | cut -d' ' -f2-)"
	[ $rc -eq 0 ] || diag "$T/evil.out" "$T/evil-$w.err"
done

# Importer refusals: a malformed first line, no free port. Nothing attached.
fake_vhci "$T/vhci2"
rm "$T/vhci2/attach"; : >"$T/vhci2/attach"
printf 'x480 fast\n' | BULKHEAD_VHCI_SYSFS=$T/vhci2 timeout 20 "$PROXY" import >/dev/null 2>"$T/imp2.err"; rc=$?
ok $([ $rc -eq 1 ] && [ ! -s "$T/vhci2/attach" ] && grep -q "malformed device line" "$T/imp2.err"; echo $?) "importer refuses a malformed device line"
printf '65538 5000\n' | BULKHEAD_VHCI_SYSFS=$T/vhci2 timeout 20 "$PROXY" import >/dev/null 2>"$T/imp3.err"; rc=$?
ok $([ $rc -eq 1 ] && grep -Eqx '2 [0-9]+ 65538 5' "$T/vhci2/attach" && grep -q "did not become used" "$T/imp3.err"; echo $?) "importer: super speed goes to the ss port; a port the kernel did not take fails"
sed -i 's/^hs  0001 004/hs  0001 006/' "$T/vhci2/status"
: >"$T/vhci2/attach"
printf '65538 480\n' | BULKHEAD_VHCI_SYSFS=$T/vhci2 timeout 20 "$PROXY" import >/dev/null 2>"$T/imp4.err"; rc=$?
ok $([ $rc -eq 1 ] && [ ! -s "$T/vhci2/attach" ] && grep -q "no free vhci port" "$T/imp4.err"; echo $?) "importer: no free port, nothing attached"

cat "$T"/*.err >"$T/all.log" 2>/dev/null
ok $(! grep -q "Sanitizer\|runtime error:" "$T/all.log"; echo $?) "no sanitiser report from exporter, importer or peer"
grep -A20 "Sanitizer\|runtime error:" "$T/all.log" | head -40 | diag
echo "1..$tap_n"
[ "$tap_failed" -eq 0 ]
