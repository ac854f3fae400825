#!/bin/bash
# The gateway in sys-gui, fed through domd's RPC: test qubes (fake_vm) in
# AppVMs stream their windows with `bulkhead-rpc sys-gui bulkhead.Gui`; a
# viewer on the host (spice_probe) checks the pixels and the frame. The
# gateway names each stream by the RPC source, never by what the stream
# says; the default policy lets bulkhead.Gui reach sys-gui only. `bulkhead
# gui VM` tells the viewer where to connect. Clipboard
# transfers are decided by domd's policy (bulkhead.Clipboard*), and follow
# a change of it. The gateway's desktop shows both qubes; Ctrl+Shift+V there
# is decided by bulkhead.ClipboardPaste, which asks the operator by default
# (answered with `bulkhead ask`). The console's v shows the selected qube's
# viewer URI the same way.
. tests/integration/lib.sh
. tests/integration/gui-lib.sh
. tests/integration/console-lib.sh

mkdir -p "$T/cfg/policy.d"
cp config/site/policy.d/90-default.policy "$T/cfg/policy.d/"
printf 'cgroup_parent = "%s"\nstart_timeout = 20\nask_timeout = 5\n' "$CGROUP_PARENT" >"$T/cfg/domd.conf"
domd_start || exit 1
setup_template
# Room for two gateways built with ASan (a few hundred MB each).
bh create sys-gui --label black --template tpl --memory 1536 >/dev/null
for vm in work:blue personal:red stranger:green; do
	bh create "${vm%%:*}" --label "${vm#*:}" --template tpl >/dev/null
done
gui_install sys-gui "$GW" "$FAKE"
for vm in work personal stranger; do gui_install "$vm" "$FAKE"; done
svc=$T/state/qubes/sys-gui/private/config/rpc
mkdir -p "$svc"
printf '#!/bin/sh\n%s exec /rw/guitest/bulkhead-gateway --attach /home/user/gui/rpc.sock\n' \
    "$GUI_ENV" >"$svc/bulkhead.Gui"
chmod 755 "$svc/bulkhead.Gui"
for vm in sys-gui work personal stranger; do bh start "$vm" >/dev/null; done
gw_dir

gui_gateway sys-gui -v --run-dir /home/user/gui --rpc-socket /home/user/gui/rpc.sock \
    --clipboard-policy domd --desktop --new-qubes --vm work:blue --vm personal:red
wait_line "$T/gw.out" '^desktop ' 30 || { sed 's/^/#   /' "$T/gw.log"; exit 1; }
ok $(grep -qx "work spice+unix:///home/user/gui/work.spice /home/user/gui/work.ticket" "$T/gw.out"; echo $?) \
    "the gateway runs in sys-gui and prints each qube's URI and ticket file"

# fake VM REPORT ARGS...: a test qube streaming through the RPC call.
fake() {
	local vm=$1 rep=$2; shift 2
	bh run "$vm" -- "$GUI_ENV /rw/guitest/fake_vm --exec 'bulkhead-rpc sys-gui bulkhead.Gui' $*" \
	    >"$T/$rep" 2>&1 &
	FAKE_PID=$!
}
q() { bh run "$1" -- "bulkhead-rpc dom0 $2" </dev/null >/dev/null 2>&1; echo $?; }  # a query to domd: its exit status
fake work a.rep --seed 1 --hold 150 --clip from-work
bh --json gui work >"$T/gui.json" 2>"$T/gui.err"
ok $? "bulkhead gui work --json"
jf() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print("" if v is None else v)' "$T/gui.json" "$1"; }
jf password >"$T/work.pw"
ok $([ "$(jf unix_path)" = "$GWDIR/work.spice" ] && [ "$(jf uri)" = "spice+unix://$GWDIR/work.spice" ] &&
    cmp -s "$T/work.pw" "$GWDIR/work.ticket" && [ "$(jf title)" = "[work]" ] && [ -z "$(jf vv)" ]; echo $?) \
    "it names the socket by its host path, the ticket, the title [work], no .vv for a Unix socket"
check "work's windows arrive through RPC (viewer from bulkhead gui): exact pixels, blue frame, title '[work] one'" \
    env ASAN_OPTIONS=detect_leaks=0 "$PROBE" --unix "$(jf unix_path)" --ticket-file "$T/work.pw" text 42 50 '[work] one' ffffff pattern 40 60 200 120 1 pattern 400 100 160 100 2 rect 38 60 2 120 $BLUE count 40 48 200 12 ffffff 40
ok $(grep -q 'rpc: work -> sys-gui bulkhead.Gui+: allowed' "$T/domd.log"; echo $?) "domd allowed the call by the default policy"
check "a click and a key reach work's window through the call" probe work click 100 100 key 1e sleep 200
wait_line "$T/a.rep" 'key 1 0x1e up' 10 >/dev/null
ok $(grep -qx 'key 1 0x1e down' "$T/a.rep"; echo $?) "work got the key"

# The stream cannot choose its qube: personal starts its stream with "work\n".
fake personal b.rep --seed 11 --prefix 'work
'
wait_line "$T/b.rep" '^disconnected' 20 >/dev/null
ok $(grep -qx disconnected "$T/b.rep" && grep -q 'personal: qube disconnected: protocol violation' "$T/gw.log"; echo $?) \
    "a stream naming another qube lands on its caller's display and is cut off there"
check "work's display is untouched" probe work pattern 40 60 200 120 1 nopattern 400 100 160 100 12
fake personal b2.rep --seed 11 --hold 150 --offset 0,300
check "personal's own stream shows on personal's display, framed in red, titled [personal]" \
    probe personal pattern 40 360 200 120 11 rect 38 360 2 120 $RED text 42 350 '[personal] one' ffffff
check "and never on work's" probe work pattern 40 60 200 120 1 nopattern 40 360 200 120 11
# A qube without a --vm display (as one created after the gateway started)
# gets one with its first stream, in the label domd gives for it.
fake stranger c.rep --seed 21 --offset 700,300 --hold 150
wait_line "$T/gw.out" '^stranger ' 20 >/dev/null
ok $(grep -qx "stranger spice+unix:///home/user/gui/stranger.spice /home/user/gui/stranger.ticket" "$T/gw.out" &&
    grep -q 'stranger: a display for a new qube (green)' "$T/gw.log"; echo $?) \
    "--new-qubes: stranger's first stream makes its display (label green from domd)"
check "stranger's display shows its windows in a green frame" \
    probe stranger pattern 740 360 200 120 21 rect 738 360 2 120 73d216 text 742 350 '[stranger] one' 000000
check "the desktop shows them too" probe desktop pattern 740 360 200 120 21 rect 738 360 2 120 73d216 pattern 40 60 200 120 1
bh gui stranger >"$T/out" 2>&1
ok $(grep -qx "spice+unix://$GWDIR/stranger.spice" "$T/out"; echo $?) "bulkhead gui stranger finds it"
bh run sys-gui -- "BULKHEAD_RPC_SOURCE=nosuchqube $GUI_ENV /rw/guitest/bulkhead-gateway --attach /home/user/gui/rpc.sock" </dev/null >/dev/null 2>&1
wait_line "$T/gw.log" 'rpc: qube nosuchqube has no display here; refused' 20 >/dev/null
ok $(grep -q 'rpc: domd gives no label for qube nosuchqube' "$T/gw.log" && ! grep -q '^nosuchqube ' "$T/gw.out"; echo $?) \
    "a stream for a qube domd does not know gets no display"
ok $([ "$(q work bulkhead.GuiLabel+personal)" = 126 ] && [ "$(q sys-gui bulkhead.GuiLabel+nosuchqube)" = 126 ]; echo $?) \
    "domd tells labels only to the qube that shows the windows, of qubes it knows"

# Clipboard: domd's default policy allows it for AppVMs, a new rule denies it.
check "clipboard work -> viewer: allowed by the default policy" probe work copy from-work
check "clipboard viewer -> work: allowed by the default policy" probe work paste pasted-in
wait_line "$T/a.rep" '^clip_data' 10 >/dev/null
ok $(grep -qx 'clip_data 9 pasted-in' "$T/a.rep"; echo $?) "work got the viewer's text"
ok $(grep -q 'rpc: sys-gui asks bulkhead.ClipboardToViewer for work: allowed (.*/90-default.policy:' "$T/domd.log"; echo $?) \
    "the gateway asked domd, which answered from the policy"
printf 'bulkhead.ClipboardToViewer * work sys-gui deny\nbulkhead.ClipboardFromViewer * work sys-gui deny\n' \
    >"$T/cfg/policy.d/50-clip.policy"
check "clipboard work -> viewer: denied after the policy change" probe work nocopy 1500
ok $(PROBE_TIMEOUT_MS=1500 probe work paste not-for-work 2>/dev/null; [ $? -ne 0 ]; echo $?) \
    "clipboard viewer -> work: denied after the policy change"
ok $(! grep -q not-for-work "$T/a.rep"; echo $?) "work never got the denied text"
rm "$T/cfg/policy.d/50-clip.policy"
ok $([ "$(q sys-gui bulkhead.ClipboardToViewer+work)" = 0 ] && [ "$(q sys-gui bulkhead.ClipboardFromViewer+sys-gui)" = 126 ] &&
    [ "$(q sys-gui bulkhead.ClipboardToViewer+nosuchqube)" = 126 ]; echo $?) \
    "domd's answers: allowed for work again, denied for sys-* and unknown qubes"
ok $([ "$(q work bulkhead.ClipboardToViewer+work)" = 126 ]; echo $?) "a qube other than sys-gui gets no allow by asking"

# The console: v on the selected qube shows where its viewer connects.
console_start -x 200 -y 30
wait_row work running 10
select_vm work
keys v
wait_screen "work: viewer at spice\+unix://$GWDIR/work\.spice  password $(cat "$GWDIR/work.ticket")" 10
oks $? "console: v shows work's viewer URI and password"
select_vm sys-gui
keys v
wait_screen "sys-gui: no viewer: sys-gui's gateway has no usable display for it" 10
oks $? "console: v on a qube without a display says so on one line"
ok $(console_alive; echo $?) "the console kept running"
console_end

# The desktop, and Ctrl+Shift+V under bulkhead.ClipboardPaste.
bh --json gui --desktop >"$T/gui.json" 2>"$T/gui.err"
ok $? "bulkhead gui --desktop --json"
jf password >"$T/desktop.pw"
ok $([ "$(jf unix_path)" = "$GWDIR/desktop.spice" ] && cmp -s "$T/desktop.pw" "$GWDIR/desktop.ticket" &&
    [ "$(jf title)" = "[desktop]" ]; echo $?) "it names the desktop's socket and ticket, title [desktop]"
check "the desktop shows work's and personal's windows, blue and red (viewer from bulkhead gui --desktop)" \
    env ASAN_OPTIONS=detect_leaks=0 "$PROBE" --unix "$(jf unix_path)" --ticket-file "$T/desktop.pw" \
    pattern 40 60 200 120 1 rect 38 60 2 120 $BLUE text 42 50 '[work] one' ffffff \
    pattern 40 360 200 120 11 rect 38 360 2 120 $RED text 42 350 '[personal] one' ffffff
CTRL_SHIFT_C=1d,2a,2e CTRL_SHIFT_V=1d,2a,2f INFO=2e3436 ERR=a40000
ask_id() { for _ in $(seq 100); do id=$(bh --json ask | python3 -c 'import json,sys; a=json.load(sys.stdin); print(a[0]["id"] if a else "")'); [ -n "$id" ] && { echo "$id"; return; }; sleep 0.1; done; }
copy_paste() { # the viewer copies in work and pastes into personal, in the background
	probe desktop click 100 100 keys $CTRL_SHIFT_C text 4 788 'Copied 9 bytes from [work]' ffffff \
	    click 100 400 keys $CTRL_SHIFT_V sleep 300 >"$T/cp.out" 2>&1
}
copy_paste
ok $? "Ctrl+Shift+C in work, Ctrl+Shift+V in personal"
id=$(ask_id)
ok $([ -n "$id" ] && bh ask | grep -q "bulkhead.ClipboardPaste+work+personal *work *personal"; echo $?) \
    "the default policy asks: the paste from work to personal waits in the operator's queue"
check "the desktop says it waits" probe desktop text 4 788 'Paste from [work] into [personal]: asking the policy' ffffff
check "bulkhead ask allow" bh ask allow "$id"
wait_line "$T/b2.rep" '^clip_data' 10 >/dev/null
ok $(grep -qx 'clip_data 9 from-work' "$T/b2.rep"; echo $?) "allowed by the operator: personal got work's text"
check "and the desktop says so" probe desktop text 4 788 'Pasted 9 bytes from [work] into [personal]' ffffff
copy_paste
id=$(ask_id)
check "bulkhead ask deny" bh ask deny "$id"
check "denied by the operator: the notice shows it" \
    probe desktop count 0 784 1280 16 $ERR 5000 text 4 788 'Paste from [work] into [personal] denied by the policy' ffffff
ok $([ "$(grep -c '^clip_data' "$T/b2.rep")" = 1 ]; echo $?) "personal got nothing more"
copy_paste
id=$(ask_id)
ok $([ -n "$id" ]; echo $?) "another paste, another ask; nobody answers it"
check "after ask_timeout (5 s) it is denied, and the notice says so" \
    env PROBE_TIMEOUT_MS=9000 ASAN_OPTIONS=detect_leaks=0 "$PROBE" --unix "$GWDIR/desktop.spice" --ticket-file "$GWDIR/desktop.ticket" \
    text 4 788 'Paste from [work] into [personal] denied: no answer in time' ffffff
ok $([ "$(grep -c '^clip_data' "$T/b2.rep")" = 1 ] && [ "$(bh --json ask | tr -d ' \n')" = "[]" ] &&
    grep -q "rpc: ask $id timed out; denied" "$T/domd.log"; echo $?) "personal got nothing; the ask is gone"
printf 'bulkhead.ClipboardPaste * work personal allow\n' >"$T/cfg/policy.d/50-paste.policy"
check "a policy that allows: the (kept) text goes at once" \
    probe desktop click 100 400 keys $CTRL_SHIFT_V text 4 788 'Pasted 9 bytes from [work] into [personal]' ffffff
wait_line "$T/b2.rep" '^clip_data 9 from-work' 5 >/dev/null
for _ in $(seq 50); do [ "$(grep -c '^clip_data 9 from-work' "$T/b2.rep")" = 2 ] && break; sleep 0.1; done
ok $([ "$(grep -c '^clip_data 9 from-work' "$T/b2.rep")" = 2 ] && [ "$(bh --json ask | tr -d ' \n')" = "[]" ]; echo $?) \
    "personal got it, no ask was made"
printf 'bulkhead.ClipboardPaste * work personal deny\n' >"$T/cfg/policy.d/50-paste.policy"
check "a policy that denies: the notice shows it" \
    probe desktop click 100 100 keys $CTRL_SHIFT_C sleep 300 click 100 400 keys $CTRL_SHIFT_V \
    count 0 784 1280 16 $ERR 5000 text 4 788 'Paste from [work] into [personal] denied by the policy' ffffff
ok $([ "$(grep -c '^clip_data' "$T/b2.rep")" = 2 ]; echo $?) "personal got nothing"
rm "$T/cfg/policy.d/50-paste.policy"
ok $([ "$(q personal bulkhead.ClipboardPaste+work+personal)" = 126 ] && [ "$(bh --json ask | tr -d ' \n')" = "[]" ]; echo $?) \
    "a qube that does not show both qubes' windows gets a deny, and puts no ask before the operator"
ok $([ "$(q sys-gui bulkhead.ClipboardPaste+work+sys-net)" = 126 ] && [ "$(q sys-gui bulkhead.ClipboardPaste+work)" = 126 ]; echo $?) \
    "unknown qubes and a malformed argument are denied"
ok $(grep -q 'rpc: sys-gui asks bulkhead.ClipboardPaste for work+personal: ask (.*/90-default.policy:' "$T/domd.log"; echo $?) \
    "domd decided by the default policy's ask line"

# bulkhead gui: a TCP display gets a .vv. As in `make run`, the gateway in
# sys-gui serves it on the host's loopback through a socket made there.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
scripts/gateway-ports "$port" 3 "$CGROUP_PARENT" sys-gui "$(vm_pid sys-gui)" -- env -i PATH=/usr/bin:/bin $GUI_ENV \
    /rw/guitest/bulkhead-gateway --run-dir /home/user/gui --listen-fd 3:3 --rpc-socket /home/user/gui/rpc2.sock \
    --desktop --new-qubes --vm green:green >>"$T/gw.out" 2>>"$T/gw.log" &
wait_line "$T/gw.out" "^desktop spice://127.0.0.1:$((port + 1)) " 30 >/dev/null
check "bulkhead gui green --vv FILE" bh gui green --vv "$T/green.vv"
ok $(grep -qx "spice://127.0.0.1:$port" "$T/last.out" && grep -qx host=127.0.0.1 "$T/green.vv" && grep -qx "port=$port" "$T/green.vv" &&
    grep -qx "password=$(cat "$GWDIR/green.ticket")" "$T/green.vv" && grep -qx 'title=\[green\]' "$T/green.vv" &&
    [ "$(stat -c %a "$T/green.vv")" = 600 ]; echo $?) "the .vv has host, port, password and title [green], mode 0600"
owner=$(ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
ok $([ -n "$owner" ] && [ "$(readlink "/proc/$owner/ns/pid")" = "$(readlink "/proc/$(vm_pid sys-gui)/ns/pid")" ] &&
    [ "$(readlink "/proc/$owner/ns/net")" = "$(readlink "/proc/$(vm_pid sys-gui)/ns/net")" ]; echo $?) \
    "the host's port $port is served by the gateway inside sys-gui"
check "a host viewer with the .vv's host, port and password reaches green's display" \
    env ASAN_OPTIONS=detect_leaks=0 "$PROBE" --uri "spice://127.0.0.1:$port" --ticket-file "$GWDIR/green.ticket" rect 0 0 1280 800 $BG
check "bulkhead gui --desktop: the desktop on the next port, in desktop.vv" env -C "$T" "$CLI_BIN" gui --desktop
ok $(grep -qx "spice://127.0.0.1:$((port + 1))" "$T/last.out" && grep -qx "port=$((port + 1))" "$T/desktop.vv" &&
    grep -qx "password=$(cat "$GWDIR/desktop.ticket")" "$T/desktop.vv" && grep -qx 'title=\[desktop\]' "$T/desktop.vv"; echo $?) \
    "desktop.vv has its port, password and the title [desktop]"
mkdir -p "$T/novv"
check "bulkhead gui --no-vv green" env -C "$T/novv" "$CLI_BIN" gui --no-vv green
ok $(grep -qx "spice://127.0.0.1:$port" "$T/last.out" && [ -z "$(ls -A "$T/novv")" ]; echo $?) \
    "--no-vv (the console's v): the URI, and no .vv written"
check "a host viewer reaches the desktop there" \
    env ASAN_OPTIONS=detect_leaks=0 "$PROBE" --uri "spice://127.0.0.1:$((port + 1))" --ticket-file "$GWDIR/desktop.ticket" rect 0 0 1280 800 $BG
# A new qube's stream (personal, as sys-gui's agent would name it) takes the
# one spare inherited socket; the next new qube finds none left.
bh run sys-gui -- "$GUI_ENV /rw/guitest/fake_vm --exec 'BULKHEAD_RPC_SOURCE=personal $GUI_ENV /rw/guitest/bulkhead-gateway --attach /home/user/gui/rpc2.sock' --seed 11 --hold 30" \
    >"$T/p2.rep" 2>&1 &
wait_line "$T/gw.out" "^personal spice://127.0.0.1:$((port + 2)) " 20 >/dev/null
ok $? "--listen-fd 3:3 --new-qubes: personal's first stream gets the spare socket, port $((port + 2))"
check "a host viewer sees personal's windows there" \
    env ASAN_OPTIONS=detect_leaks=0 "$PROBE" --uri "spice://127.0.0.1:$((port + 2))" --ticket-file "$GWDIR/personal.ticket" \
    pattern 40 60 200 120 11 rect 38 60 2 120 $RED
bh run sys-gui -- "$GUI_ENV /rw/guitest/fake_vm --exec 'BULKHEAD_RPC_SOURCE=stranger $GUI_ENV /rw/guitest/bulkhead-gateway --attach /home/user/gui/rpc2.sock' --seed 21" \
    >"$T/s2.rep" 2>&1
ok $(grep -qx disconnected "$T/s2.rep" && grep -q 'stranger: no listening socket left for a new qube' "$T/gw.log"; echo $?) \
    "the next new qube finds no socket left and is refused"
ok $(nsenter -t "$(vm_pid sys-gui)" -n ip -o link show lo | grep -q 'LOOPBACK,UP'; echo $?) \
    "sys-gui (no netvm) has its loopback up"
bh gui --desktop work 2>"$T/err"; rc=$?
ok $([ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q "unexpected argument 'work'" "$T/err"; echo $?) \
    "bulkhead gui --desktop takes no qube: a one-line usage error"
bh gui personal-x 2>"$T/err"; rc=$?
ok $([ $rc -eq 1 ] && grep -q 'no usable display' "$T/err"; echo $?) "bulkhead gui for a qube without a display fails clearly"

# The policy lets bulkhead.Gui reach sys-gui only.
bh run work -- 'bulkhead-rpc personal bulkhead.Gui' </dev/null >/dev/null 2>&1
ok $([ $? -eq 126 ]; echo $?) "bulkhead.Gui to another qube than sys-gui is denied"
ok $(! grep -q disconnected "$T/a.rep"; echo $?) "work stayed connected throughout"

ok $(! grep -q "Sanitizer\|runtime error:" "$T/gw.log"; echo $?) "the gateway logged no sanitiser report"
kill "$GW_RUN_PID" 2>/dev/null
tap_end
