#!/bin/bash
# bulkhead usb list/attach/detach end to end on the ns backend: sys-usb runs
# the real exporter (from the template) on a fake device (umockdev; the
# kernel here has no USB), work runs the real importer, domd plugs the
# host's vhci-hcd port for it (a fake one standing where the kernel's would
# be, taking the socket from domd's descriptors), and domd connects them
# only for an attach. A qube's processes try to get a port plugged without
# that attach, as its user, and a second time.
. tests/integration/lib.sh
. tests/integration/usb-lib.sh

usb_setup
domd_start -v || exit 1
setup_template
usb_sysusb || exit 1
bh create work --label blue --template tpl >/dev/null || exit 1
bh create other --label green --template tpl >/dev/null || exit 1

check "sys-usb, work and other start" bh start sys-usb work other
fake_vhci_kernel

# bulkhead.VhciAttach+BUSID+DEVID+SPEED from work: what the importer calls.
vhci_call() { # vhci_call VM USER [ARG]: exit status, the error in $T/vcall
	bh run --user "$2" "$1" -- "bulkhead-rpc dom0 bulkhead.VhciAttach+${3:-1-1+65538+3} </dev/null" \
		>"$T/vcall" 2>&1
}
no_plug() { ! grep -q '^attach' "$T/vhci.log" && ! grep -q 'plugged into vhci-hcd' "$T/domd.log"; }
vhci_call work root; rc=$?
ok $([ $rc -ne 0 ] && grep -q 'denied.*no attachment of 1-1 to work waits for its port' "$T/vcall" && no_plug; echo $?) \
	"work's root cannot get a vhci-hcd port plugged without an attach: $(tail -1 "$T/vcall")"
vhci_call work user; rc=$?
ok $([ $rc -ne 0 ] && grep -q "denied.*only the qube's root" "$T/vcall" && no_plug; echo $?) \
	"nor can work's user: $(tail -1 "$T/vcall")"
# The argument is the qube's: its guard decodes it, strictly; domd gets
# fields or nothing.
for bad in 1-1+65538+4 1-1+065538+3 1-1+4294967296+3 1-1+1+3+ ..+1+3; do
	vhci_call work root "$bad"; rc=$?
	[ $rc -ne 0 ] && grep -q 'denied.*expected BUSID+DEVID+SPEED' "$T/vcall" && no_plug || break
done
ok $([ $rc -ne 0 ] && grep -q 'denied.*expected BUSID+DEVID+SPEED' "$T/vcall" && no_plug; echo $?) \
	"a malformed argument from work's root is refused as such ($bad: $(tail -1 "$T/vcall"))"
ok $(in_vm work "ls /sys/devices/platform/vhci_hcd.0 || ls $T/vhci" >/dev/null 2>&1; [ $? -ne 0 ]; echo $?) \
	"work sees no vhci-hcd files to write (neither the host's stand-in nor one in its /sys)"

bh usb list >"$T/list" 2>&1; rc=$?
sed 's/^/#   /' "$T/list"
ok $([ $rc -eq 0 ] && grep -q '^sys-usb:1-1 *1209:b0b0 *480 *- *Bulkhead Test Loop_back_' "$T/list"; echo $?) \
	"usb list: the device as sys-usb:1-1 with vendor:product, speed, not attached, sanitised strings"
ok $(! grep -q $'\e' "$T/list"; echo $?) "no escape sequence from the device's strings reaches the terminal"

in_vm work 'bulkhead-rpc sys-usb bulkhead.USB+1-1 </dev/null' >"$T/out" 2>&1; rc=$?
ok $([ $rc -ne 0 ] && grep -q denied "$T/out" && ! exporter_runs; echo $?) "work calling bulkhead.USB itself is denied by the policy"

check "usb attach work sys-usb:1-1" bh usb attach work sys-usb:1-1
eventually "domd plugged vhci port 0 for work's importer (devid 65538, high speed), with a socket of its own" \
	grep -qx 'attach 0 65538 3' "$T/vhci.log"
ok $(grep -q 'usb: sys-usb:1-1 plugged into vhci-hcd port 0 for work' "$T/domd.log" &&
	! grep -q '^refused' "$T/vhci.log"; echo $?) "domd says so in its log; nothing else was written to attach"
vhci_call work root; rc=$?
ok $([ $rc -ne 0 ] && grep -q 'denied.*no attachment of 1-1 to work waits for its port' "$T/vcall" &&
	[ "$(grep -c '^attach' "$T/vhci.log")" -eq 1 ]; echo $?) \
	"work's root cannot get a second port for the same attach: $(tail -1 "$T/vcall")"
vhci_call other root; rc=$?
ok $([ $rc -ne 0 ] && grep -q 'denied.*no attachment of 1-1 to other' "$T/vcall" &&
	[ "$(grep -c '^attach' "$T/vhci.log")" -eq 1 ]; echo $?) \
	"other's root cannot use work's attach: $(tail -1 "$T/vcall")"
check "usb list shows it attached to work" sh -c "$CLI_BIN usb list | grep -q '^sys-usb:1-1 .* work '"
check "the exporter runs in sys-usb" exporter_runs
bh usb attach other sys-usb:1-1 >"$T/out" 2>"$T/err"; rc=$?
ok $([ $rc -eq 1 ] && grep -q 'attached to work already' "$T/err"; echo $?) "attaching it to other too is refused: $(cat "$T/err")"
bh usb attach --persistent other sys-usb:1-1 >"$T/out" 2>"$T/err"; rc=$?
ok $([ $rc -eq 1 ] && ! grep -q '^usb' "$T/state/qubes/other/qube.cfg"; echo $?) \
	"a refused --persistent attach leaves no assignment behind"

check "usb detach work sys-usb:1-1" bh usb detach work sys-usb:1-1
eventually "domd detached the vhci port" grep -qx 'detach 0' "$T/vhci.log"
eventually "the exporter in sys-usb ended" not_exporter_runs
check "usb list: free again" sh -c "$CLI_BIN usb list | grep -q '^sys-usb:1-1 .* - '"

diag "persistent assignment by model"
check "usb attach --persistent work sys-usb:1209:b0b0" bh usb attach --persistent work sys-usb:1209:b0b0
ok $(grep -q '^usb = \[ "sys-usb:1209:b0b0" \]$' "$T/state/qubes/work/qube.cfg"; echo $?) "the assignment is in work's file"
eventually "attached by its model" sh -c "$CLI_BIN usb list | grep -q '^sys-usb:1-1 .* work '"
check "sys-usb restarts" sh -c "$CLI_BIN shutdown --wait sys-usb && $CLI_BIN start sys-usb"
eventually "the assigned device is attached again once both run" \
	sh -c "$CLI_BIN usb list | grep -q '^sys-usb:1-1 .* work '"
eventually "... and domd plugged a port for work's importer again" sh -c "[ \$(grep -c '^attach 0 ' $T/vhci.log) -ge 3 ]"
sed "s/^/#   /" "$T/vhci.log"
check "usb detach ends it and drops the assignment" bh usb detach work sys-usb:1209:b0b0
ok $(! grep -q '^usb' "$T/state/qubes/work/qube.cfg"; echo $?) "work's file has no usb line any more"

diag "bad input"
bh usb attach work 'sys-usb:1-1;rm' >"$T/out" 2>"$T/err"; rc=$?
ok $([ $rc -eq 1 ] && grep -q "invalid usb device" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ]; echo $?) "a malformed device id is refused in one line"
bh usb attach work nosuch:1-1 >"$T/out" 2>"$T/err"; rc=$?
ok $([ $rc -eq 1 ] && grep -q "not a qube with provides_usb" "$T/err"; echo $?) "a qube that is no USB qube is refused"
bh usb detach work sys-usb:1-1 >"$T/out" 2>"$T/err"; rc=$?
ok $([ $rc -eq 1 ] && grep -q "not attached" "$T/err"; echo $?) "detaching what is not attached is refused"

usb_end
tap_end
