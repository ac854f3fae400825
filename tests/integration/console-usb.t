#!/bin/bash
# The USB view (u) on an 80x24 VT100, with the fake device in sys-usb (see
# usb-lib.sh): the device with its id and sanitised strings; a attaches it
# to the selected qube (the view and `bulkhead usb list` agree), d detaches
# it after a y/n question; domd's refusal (the device is attached to
# another qube) is shown on one line in the view; A assigns it by model
# (the qube's usb property); a change made with the CLI shows up in the
# open view; the help lists u; kiosk mode refuses it.
. tests/integration/lib.sh
. tests/integration/console-lib.sh
. tests/integration/usb-lib.sh

usb_setup
domd_start || exit 1
setup_template
usb_sysusb || exit 1
bh create work --label blue --template tpl >/dev/null || exit 1
bh create other --label green --template tpl >/dev/null || exit 1
bh start sys-usb work other >/dev/null || exit 1
fake_vhci_kernel

# The view's row of the device; `bulkhead usb list`'s.
devrow() { screen | grep -E '^ .. sys-usb:1-1 ' | head -1; }
wait_devrow() {
	local i
	for i in $(seq $((${2:-8} * 20))); do
		devrow | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
cli_to() { bh usb list | awk '$1 == "sys-usb:1-1" { print $4 }'; }
# The line above the message line (row 22 of 24): the view's error line.
errline() { screen | sed -n 22p; }

console_start -t vt100 -x 80 -y 24
wait_row work running 5
select_vm work
keys u
oks $(wait_screen 'USB devices, for work' 3 &&
	wait_devrow '^    sys-usb:1-1 +1209:b0b0 480   - +Bulkhead Test Loop_back_\[31$' 10; echo $?) \
	"u lists sys-usb's device: id, vid:pid, speed, not attached, sanitised description"
oks $(! screen -e | grep -q $'\e\\[31m'; echo $?) \
	"the device's escape sequence does not reach the terminal"
oks $(screen | tail -1 | grep -q 'aAttach AAssign dDetach rRefresh EscBack'; echo $?) \
	"the bar shows the view's keys"

keys a
oks $(wait_devrow '^ \*  sys-usb:1-1 .* work ' 8; echo $?) "a attaches it to work: marked, attached to work"
oks $([ "$(cli_to)" = work ]; echo $?) "bulkhead usb list agrees (attached to: $(cli_to))"
eventually "domd plugged a vhci port for work's importer" grep -qx 'attach 0 65538 3' "$T/vhci.log"

# Another qube's view: attaching what work has is refused, inline.
keys Escape
select_vm other
keys u
wait_screen 'USB devices, for other' 3
oks $(wait_devrow '^    sys-usb:1-1 .* work ' 8; echo $?) "other's view shows it attached to work, unmarked"
keys a
oks $(wait_screen 'attach sys-usb:1-1: sys-usb:1-1 is attached to work already' 5 &&
	errline | grep -q 'attached to work already'; echo $?) "attaching it to other too: domd's refusal on the view's error line"
oks $([ "$(cli_to)" = work ]; echo $?) "it stays with work"

# Detach, from work's view: n keeps it, y detaches it.
keys Escape
select_vm work
keys u
wait_devrow '^ \*  sys-usb:1-1 ' 8
keys d
oks $(wait_screen 'Detach sys-usb:1-1 from work\?' 3; echo $?) "d asks before detaching"
keys n
oks $(wait_no_screen 'Detach sys-usb:1-1' 3 && [ "$(cli_to)" = work ]; echo $?) "n keeps it attached"
keys d
wait_screen 'Detach sys-usb:1-1 from work\?' 3
keys y
oks $(wait_devrow '^    sys-usb:1-1 +1209:b0b0 480   - ' 8; echo $?) "y detaches it: free again in the view"
oks $([ "$(cli_to)" = - ]; echo $?) "and in bulkhead usb list (attached to: $(cli_to))"
eventually "the exporter in sys-usb ended" not_exporter_runs

# A: assigned by model, attached at once.
keys A
oks $(wait_screen 'Assign a USB device to work' 3; echo $?) "A opens the assign form"
keys Right
oks $(wait_screen 'sys-usb:1209:b0b0' 2; echo $?) "the form offers the device by model"
keys Enter
oks $(wait_no_screen 'Assign a USB device' 5 && wait_devrow '^ \*\+ sys-usb:1-1 .* work ' 8; echo $?) \
	"Enter attaches and assigns it: both marks"
oks $(grep -q '^usb = \[ "sys-usb:1209:b0b0" \]$' "$T/state/qubes/work/qube.cfg"; echo $?) \
	"the assignment is in work's file"
keys d
oks $(wait_screen 'Detach sys-usb:1-1 from work\? Its assignment goes too' 3; echo $?) \
	"d says the assignment goes too"
keys y
oks $(wait_devrow '^    sys-usb:1-1 .* - ' 8 && ! grep -q '^usb' "$T/state/qubes/work/qube.cfg"; echo $?) \
	"y detaches it and drops the assignment"

# A change made elsewhere shows up in the open view.
bh usb attach work sys-usb:1-1 >/dev/null
oks $(wait_devrow '^ \*  sys-usb:1-1 .* work ' 8; echo $?) "an attach made with the CLI appears in the open view"
bh usb detach work sys-usb:1-1 >/dev/null
oks $(wait_devrow '^    sys-usb:1-1 .* - ' 8; echo $?) "and its detach"
oks $(wait_devrow '^    sys-usb:1-1 ' 1 && ! errline | grep -q '[a-z]'; echo $?) "no error left on the view's line"

keys Escape
oks $(wait_no_screen 'USB devices, for' 3 && wait_row work running 1; echo $?) "Esc goes back to the table"
keys '?'
wait_screen 'Help: keys' 3
keys Space
oks $(wait_screen '^  +u +USB devices of the USB qubes' 3; echo $?) "the help lists u"
keys G
oks $(wait_screen '^USB devices \(\* attached' 3 && wait_screen '^  +A +attach it and assign it' 1; echo $?) \
	"and the keys of the USB view"
keys Escape q
wait_console_exit 5
oks $(terminal_restored; echo $?) "the terminal is restored"

# Kiosk: u is refused.
console_start -- console --kiosk --qubes work
select_vm work
keys u
oks $(wait_screen 'usb: not available in kiosk mode' 3 && ! screen | grep -q 'USB devices, for'; echo $?) \
	"kiosk mode refuses u"
kill -TERM "$CONSOLE_PID"
wait_console_exit 5
console_end
usb_end
tap_end
