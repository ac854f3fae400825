#!/bin/bash
# The GUI agent in real qubes: work (blue) and personal (red) run on the
# Debian template, whose init starts bulkhead-gui-agent; it starts Xvfb and
# calls sys-gui's gateway. X apps with known pixels (x_pattern_app) draw in
# each qube; a viewer (spice_probe) checks the pixels, frame and title, types
# and clicks, and moves text through the clipboard under domd's policy.
. tests/integration/lib.sh
. tests/integration/gui-lib.sh

need_debian_template
XAPP=$PWD/$BUILD/tests/gui/x_pattern_app

mkdir -p "$T/cfg/policy.d"
cp config/site/policy.d/90-default.policy "$T/cfg/policy.d/"
domd_start || exit 1
setup_template
bh template import debian "$DEBIAN_ROOT" >/dev/null
ok $? "the Debian template imports as a TemplateVM"
bh create sys-gui --label black --template tpl >/dev/null
bh create work --label blue --template debian >/dev/null
bh create personal --label red --template debian >/dev/null
gui_install sys-gui "$GW"
for vm in work personal; do gui_install "$vm" "$XAPP"; done
svc=$T/state/qubes/sys-gui/private/config/rpc
mkdir -p "$svc"
printf '#!/bin/sh\n%s exec /rw/guitest/bulkhead-gateway --attach /home/user/gui/rpc.sock\n' \
    "$GUI_ENV" >"$svc/bulkhead.Gui"
chmod 755 "$svc/bulkhead.Gui"
# The qubes start before the gateway runs, as at boot: their first calls
# find no gateway and end; the agents call again.
for vm in sys-gui work personal; do bh start "$vm" >/dev/null; done
gw_dir
wait_line "$T/state/qubes/work/console.log" 'calling again' 30 >/dev/null
ok $? "work's GUI agent calls again when there is no gateway yet"
gui_gateway sys-gui -v --run-dir /home/user/gui --rpc-socket /home/user/gui/rpc.sock \
    --clipboard-policy domd --vm work:blue --vm personal:red
wait_line "$T/gw.out" '^personal ' 30 || { sed 's/^/#   /' "$T/gw.log"; exit 1; }
for vm in work personal; do
	wait_line "$T/gw.log" "$vm: qube connected" 30 >/dev/null
	ok $? "$vm's init started the GUI agent, which called the gateway"
done
con() { sed 's/^/#   /' "$T/state/qubes/$1/console.log"; }
ok $(grep -q 'Xvfb (pid [0-9]*) serves :0' "$T/state/qubes/work/console.log"; echo $?) \
    "the GUI agent started Xvfb on :0" || con work

# app VM LOG ARGS...: an X app in the qube, as its user, on the qube's display.
app() {
	local vm=$1 log=$2; shift 2
	bh run "$vm" -- "DISPLAY=:0 $GUI_ENV /rw/guitest/x_pattern_app --log /home/user/$log $*" \
	    >>"$T/apps.log" 2>&1 &
	wait_line "$(applog "$vm" "$log")" '^mapped' 20 >/dev/null
}
applog() { echo "$(vm_root "$1")/home/user/$2"; }
app work a.log --seed 3 --title editor --geometry 200x120+40+60 --redraw-on-key
app personal b.log --seed 7 --title notes --geometry 300x100+100+80

check "work's window: exact pixels, a blue frame, titled '[work] editor'" \
    probe work pattern 40 60 200 120 3 rect 38 60 2 120 $BLUE text 42 50 '[work] editor' ffffff
check "personal's window: exact pixels, a red frame, titled '[personal] notes'" \
    probe personal pattern 100 80 300 100 7 rect 98 80 2 100 $RED text 102 70 '[personal] notes' ffffff
check "neither shows on the other's display" \
    probe work nopattern 40 60 200 120 7 nopattern 100 80 300 100 7
check "personal's display does not show work's window" probe personal nopattern 40 60 200 120 3
app personal m.log --seed 8 --title menu --geometry 50x40+700+300 --override-redirect
check "an override-redirect window (a menu) gets the frame but no title bar" \
    probe personal pattern 700 300 50 40 8 rect 698 298 54 2 $RED rect 698 300 2 40 $RED rect 700 290 50 8 $BG

# Input: a click focuses work's window; keys (a, b, Up) go to it only.
check "click and type in work's window" probe work click 100 100 key 1e key 30 key 148 sleep 300
wait_line "$(applog work a.log)" '^key 111 ' 10 >/dev/null
ok $(grep -qx 'button 1 60 40' "$(applog work a.log)"; echo $?) "the click landed at (60,40) of work's window"
ok $(grep -qx 'key 38 0x61' "$(applog work a.log)" && grep -qx 'key 56 0x62' "$(applog work a.log)"; echo $?) \
    "work's app got a and b"
ok $(grep -qx 'key 111 0xff52' "$(applog work a.log)"; echo $?) "and the extended key Up"
ok $(! grep -q '^key' "$(applog personal b.log)"; echo $?) "personal's app got none of work's keys"
check "work's app drew anew on each key and retitled its window: the display shows both" \
    probe work pattern 40 60 200 120 6 text 42 50 '[work] editor 6' ffffff
check "click and type in personal's window" probe personal click 150 130 key 2e sleep 300
wait_line "$(applog personal b.log)" '^key 54 ' 10 >/dev/null
ok $(grep -qx 'button 1 50 50' "$(applog personal b.log)" && grep -qx 'key 54 0x63' "$(applog personal b.log)"; echo $?) \
    "personal's app got its click at (50,50) and c"
ok $(! grep -q '0x63' "$(applog work a.log)"; echo $?) "work's app did not get personal's key"

# Clipboard with domd's default policy (allowed for AppVMs).
app work c.log --seed 4 --title clip --geometry 60x40+600+400 --own-clip from-work-é
check "clipboard work -> viewer: the X clipboard's text, allowed" probe work copy from-work-é
check "clipboard viewer -> work: allowed" probe work paste into-work-ü
ok $([ "$(bh run work -- "DISPLAY=:0 $GUI_ENV /rw/guitest/x_pattern_app --print-clip")" = into-work-ü ]; echo $?) \
    "an app in work reads the viewer's text from the X clipboard"

# Denied for personal by a policy rule.
printf 'bulkhead.ClipboardToViewer * personal sys-gui deny\nbulkhead.ClipboardFromViewer * personal sys-gui deny\n' \
    >"$T/cfg/policy.d/50-clip.policy"
app personal d.log --seed 5 --title clip --geometry 60x40+600+400 --own-clip secret-of-personal
wait_line "$T/gw.log" 'personal: clipboard qube to viewer: denied' 10 >/dev/null
ok $? "personal's new clipboard is offered, and the policy denies it"
check "clipboard personal -> viewer: nothing offered" probe personal nocopy 1500
ok $(PROBE_TIMEOUT_MS=1500 probe personal paste not-for-personal >/dev/null 2>&1; [ $? -ne 0 ]; echo $?) \
    "clipboard viewer -> personal: denied"
ok $(! grep -q 'clip served' "$(applog personal d.log)"; echo $?) "the GUI agent never fetched personal's text"
ok $([ "$(bh run personal -- "DISPLAY=:0 $GUI_ENV /rw/guitest/x_pattern_app --print-clip")" = secret-of-personal ]; echo $?) \
    "personal's X clipboard still holds its own text"

# The call ends (here: its bulkhead-rpc is killed): the agent calls again
# and sends its windows anew.
work_ns=$(readlink /proc/"$(vm_pid work)"/ns/pid)
for p in $(pgrep -x bulkhead-rpc); do
	[ "$(readlink /proc/"$p"/ns/pid)" = "$work_ns" ] && kill "$p"
done
wait_line "$T/gw.log" 'work: qube disconnected' 10 >/dev/null
ok $? "work's stream ended"
check "work calls again and its window is back, exact" \
    probe work pattern 40 60 200 120 6 text 42 50 '[work] editor 6' ffffff
ok $([ "$(grep -c 'work: qube connected' "$T/gw.log")" -ge 2 ]; echo $?) "through a new call"

ok $(! grep -q "Sanitizer\|runtime error:" "$T/gw.log"; echo $?) "the gateway logged no sanitiser report"
kill "$GW_RUN_PID" 2>/dev/null
tap_end
