#!/bin/bash
# The gateway's desktop: one display with the windows of all qubes, each
# framed in its label colour and titled "[qube] title" by the gateway, input
# routed to the qube whose window has the focus, and the Qubes-style
# clipboard keys: Ctrl+Shift+C copies the focused qube's clipboard into the
# gateway's buffer, Ctrl+Shift+V pastes it into the focused qube (here under
# the command line's policy; gui-rpc.t has domd's) and empties it, with a
# notice bar for what happened. Test qubes are tests/gui/fake_vm, the viewer
# tests/gui/spice_probe. Last, a real remote-viewer under Xvfb shows the
# desktop (its screenshot is kept: $BUILD/test-artefacts/gui-desktop-remote-viewer.png)
# and xdotool types Ctrl+Shift+C and Ctrl+Shift+V into it.
. tests/integration/lib.sh
. tests/integration/gui-lib.sh
gui_on_host

PURPLE=75507b INFO=2e3436 ERR=a40000
a=$T/a.rep b=$T/b.rep
CTRL_SHIFT_C=1d,2a,2e CTRL_SHIFT_V=1d,2a,2f

LSAN_OPTIONS=suppressions=$PWD/tests/gui/lsan-glib.supp "$GW" -v --run-dir "$T" --desktop --vm work:blue:"$T/work.sock" --vm personal:red:"$T/personal.sock" \
    --vm evil:purple:"$T/evil.sock" --clipboard evil:out >"$T/gw.out" 2>"$T/gw.log" &
GW_PID=$!
wait_line "$T/gw.out" '^desktop ' 20 || { sed 's/^/#   /' "$T/gw.log"; exit 1; }
ok $(grep -qx "desktop spice+unix://$T/desktop.spice $T/desktop.ticket" "$T/gw.out" &&
    [ "$(tail -1 "$T/gw.out" | cut -d' ' -f1)" = desktop ] && grep -qx "spice+unix://$T/desktop.spice" "$T/desktop.uri" &&
    [ "$(stat -c %a "$T/desktop.ticket")" = 600 ] && ! cmp -s "$T/desktop.ticket" "$T/work.ticket"; echo $?) \
    "--desktop: one more display after the qubes', with its own ticket (0600) and URI file"

# work's windows where fake_vm puts them; personal's 300 pixels lower.
fake work a.rep --seed 1 --clip from-work
fake personal b.rep --seed 11 --offset 0,300
check "the desktop shows both qubes' windows, exact pixels" \
    probe desktop pattern 40 60 200 120 1 pattern 400 100 160 100 2 pattern 40 360 200 120 11 pattern 400 400 160 100 12
check "each framed in its own colour, titled by the gateway" \
    probe desktop rect 38 60 2 120 $BLUE rect 38 180 204 2 $BLUE text 42 50 '[work] one' ffffff \
    rect 38 360 2 120 $RED rect 38 480 204 2 $RED text 42 350 '[personal] one' ffffff rect 698 298 54 2 $BLUE rect 698 598 54 2 $RED
check "and the qubes' own displays still show only their own" \
    probe work pattern 40 60 200 120 1 rect 38 360 2 120 $BG
check "personal's display too" probe personal pattern 40 360 200 120 11 nopattern 40 60 200 120 1

# Input: a click focuses and raises, keys go to the focused qube only.
check "click on work's window and type" probe desktop click 100 100 key 1e sleep 200
wait_line "$a" 'key 1 0x1e up' 5 >/dev/null
ok $(grep -qx 'button 1 1 down 60 40' "$a" && grep -qx 'focus 1 in' "$a" && grep -qx 'key 1 0x1e down' "$a"; echo $?) \
    "work: its window got the click at (60,40), the focus and the key"
ok $(! grep -q '0x1e\|^button\|^focus' "$b"; echo $?) "personal saw neither the click nor the key"
check "click on personal's window (its own coordinates) and type" probe desktop click 450 450 key 30 sleep 200
wait_line "$b" 'key 2 0x30 up' 5 >/dev/null
ok $(grep -qx 'button 2 1 down 50 50' "$b" && grep -qx 'focus 2 in' "$b" && grep -qx 'focus 1 out' "$a" &&
    ! grep -q 0x30 "$a"; echo $?) "personal got click, focus and key; work lost the focus and saw no key"

# Ctrl+Shift+C in work, Ctrl+Shift+V in personal.
check "Ctrl+Shift+C in work: a notice says what was copied" \
    probe desktop click 100 100 keys $CTRL_SHIFT_C count 0 784 1280 16 $INFO 5000 text 4 788 'Copied 9 bytes from [work]' ffffff
ok $(grep -qx clip_request "$a" && ! grep -q '0x2e' "$a"; echo $?) "work was asked for its clipboard; the C never reached it"
check "Ctrl+Shift+V in personal" probe desktop click 100 400 keys $CTRL_SHIFT_V count 0 784 1280 16 $INFO 5000 sleep 300
wait_line "$b" '^clip_data' 5 >/dev/null
ok $(grep -qx 'clip_data 9 from-work' "$b" && ! grep -q 0x2f "$b"; echo $?) "personal got work's text; the V never reached it"
check "a second Ctrl+Shift+V pastes nothing (the buffer was emptied)" \
    probe desktop click 100 400 keys $CTRL_SHIFT_V count 0 784 1280 16 $ERR 5000 text 4 788 'Nothing to paste' ffffff
ok $([ "$(grep -c '^clip_data' "$b")" = 1 ]; echo $?) "personal got the text once"
check "the notice goes away after a few seconds" probe desktop rect 0 784 1280 16 $BG

# Denied: the command line lets nothing into evil (--clipboard evil:out).
fake evil e.rep --seed 31 --offset 600,0 --clip from-evil
check "evil's windows join the desktop, purple" probe desktop pattern 640 60 200 120 31 rect 638 60 2 120 $PURPLE
check "copy from work, paste into evil: denied, the notice says so" \
    probe desktop click 100 100 keys $CTRL_SHIFT_C sleep 300 click 700 100 keys $CTRL_SHIFT_V \
    count 0 784 1280 16 $ERR 5000 text 4 788 'Paste from [work] into [evil] denied' ffffff
ok $(! grep -q '^clip_data' "$T/e.rep"; echo $?) "evil received nothing"
check "a denied paste keeps the buffer: personal can still have it" probe desktop click 100 400 keys $CTRL_SHIFT_V sleep 300
wait_line "$b" '^clip_data.*from-work' 5 >/dev/null
ok $([ "$(grep -c '^clip_data 9 from-work' "$b")" = 2 ]; echo $?) "personal got work's text again"

# Refused copies: text that is not UTF-8, and more than the limit.
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null
check "evil's windows leave the desktop with it" probe desktop rect 640 60 200 120 $BG pattern 40 60 200 120 1
fake evil e2.rep --seed 31 --offset 600,0 --clip BAD
check "Ctrl+Shift+C of bytes that are not UTF-8: refused, with a notice" \
    probe desktop click 700 100 keys $CTRL_SHIFT_C count 0 784 1280 16 $ERR 5000 text 4 788 'Copy from [evil] refused: not UTF-8 text' ffffff
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null
fake evil e3.rep --seed 31 --offset 600,0 --clip SIZE:64001 --hold 20
check "Ctrl+Shift+C of 64001 bytes (over the limit): the qube is cut off, the notice says the copy failed" \
    probe desktop click 700 100 keys $CTRL_SHIFT_C count 0 784 1280 16 $ERR 5000 text 4 788 'Copy from [evil] failed' ffffff
wait_line "$T/e3.rep" '^disconnected' 5 >/dev/null
ok $? "evil was disconnected for the over-size message"
check "nothing was copied: Ctrl+Shift+V in personal has nothing to paste" \
    probe desktop click 100 400 keys $CTRL_SHIFT_V count 0 784 1280 16 $ERR 5000 text 4 788 'Nothing to paste' ffffff
ok $([ "$(grep -c '^clip_data' "$b")" = 2 ]; echo $?) "personal got no more text"
kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null
fake evil e4.rep --seed 31 --offset 600,0 --clip SIZE:64000
check "the limit itself, 64000 bytes, is copied from evil and pasted into personal" \
    probe desktop click 700 100 keys $CTRL_SHIFT_C text 4 788 'Copied 64000 bytes from [evil]' ffffff \
    click 100 400 keys $CTRL_SHIFT_V text 4 788 'Pasted 64000 bytes from [evil] into [personal]' ffffff
wait_line "$b" '^clip_data 64000 x' 5 >/dev/null
ok $? "personal got the 64000 bytes"

# Hostile qubes on evil's socket: the desktop of the others keeps working.
for mode in title big outside short random; do
	kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null
	fake evil h-$mode.rep --mode $mode --seed 3
	wait_line "$T/h-$mode.rep" '^disconnected' 10 >/dev/null
	ok $(grep -qx disconnected "$T/h-$mode.rep"; echo $?) "evil: '$mode' gets it disconnected"
done
ok $(kill -0 "$GW_PID"; echo $?) "the gateway is still running"
check "the desktop still shows work and personal, and nothing of evil" \
    probe desktop pattern 40 60 200 120 1 pattern 40 360 200 120 11 rect 640 60 200 120 $BG
check "keys on the desktop still reach work, and only work" probe desktop click 100 100 key 20 sleep 200
wait_line "$a" 'key 1 0x20 up' 5 >/dev/null
ok $(grep -qx 'key 1 0x20 down' "$a" && ! grep -q 0x20 "$b"; echo $?) "work got the key, personal did not"
ok $(! grep -q disconnected "$a" "$b"; echo $?) "work and personal stayed connected"

kill "$GW_PID"; wait "$GW_PID" 2>/dev/null; GW_PID=
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done

# remote-viewer under Xvfb, on the desktop over TCP, from a .vv as
# `bulkhead gui --desktop` writes it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/tcp"
# spice-server keeps a real viewer's allocations to the end: not ours to check.
ASAN_OPTIONS=detect_leaks=0 "$GW" --run-dir "$T/tcp" --tcp-port "$port" --desktop --vm work:blue:"$T/tcp/work.sock" \
    --vm personal:red:"$T/tcp/personal.sock" >"$T/tcp/gw.out" 2>>"$T/gw.log" &
GW_PID=$!
wait_line "$T/tcp/gw.out" '^desktop ' 20 >/dev/null
"$FAKE" --socket "$T/tcp/work.sock" --seed 1 --clip from-work >"$T/rv-a.rep" 2>&1 & PIDS+=($!)
"$FAKE" --socket "$T/tcp/personal.sock" --seed 11 --offset 0,300 >"$T/rv-b.rep" 2>&1 & PIDS+=($!)
printf '[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=%d\npassword=%s\ntitle=[desktop]\ndelete-this-file=0\n' \
    $((port + 2)) "$(cat "$T/tcp/desktop.ticket")" >"$T/desktop.vv"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$T/xdisplay" >"$T/xvfb.log" 2>&1 & PIDS+=($!)
wait_line "$T/xdisplay" '^[0-9]+$' 10 >/dev/null
export DISPLAY=:$(cat "$T/xdisplay")
remote-viewer "$T/desktop.vv" >"$T/remote-viewer.log" 2>&1 & PIDS+=($!)
ART=$PWD/$BUILD/test-artefacts/gui-desktop-remote-viewer.png
mkdir -p "${ART%/*}"
rm -f "$ART"
for _ in $(seq 30); do
	sleep 0.5
	xwd -root -silent >"$T/shot.xwd" 2>/dev/null || continue
	python3 tests/gui/xwd2png.py "$T/shot.xwd" "$ART" $BLUE $RED >"$T/colours" 2>/dev/null || continue
	awk '$2 < 500 { bad = 1 } END { exit bad }' "$T/colours" && break
done
ok $([ -s "$ART" ] && head -c 8 "$ART" | grep -q PNG && awk '$2 < 500 { bad = 1 } END { exit bad }' "$T/colours"; echo $?) \
    "remote-viewer shows the desktop: its screenshot ($BUILD/test-artefacts/gui-desktop-remote-viewer.png) has work's blue and personal's red frames ($(tr '\n' ' ' <"$T/colours"))"
# xdotool types into the viewer as a person would: a click on work's window
# (the viewer's own title bar is above the display), Ctrl+Shift+C, a click
# on personal's, Ctrl+Shift+V.
xdotool mousemove 140 170 click 1 sleep 0.5 key ctrl+shift+c sleep 0.5 \
    mousemove 140 470 click 1 sleep 0.5 key ctrl+shift+v 2>"$T/xdotool.err"
wait_line "$T/rv-b.rep" '^clip_data' 5 >/dev/null
ok $(grep -qx clip_request "$T/rv-a.rep" && grep -qx 'clip_data 9 from-work' "$T/rv-b.rep" &&
    ! grep -q '0x2e\|0x2f' "$T/rv-a.rep" "$T/rv-b.rep"; echo $?) \
    "in remote-viewer, Ctrl+Shift+C in work and Ctrl+Shift+V in personal carry work's text, the keys taken by the gateway"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null; GW_PID=

"$GW" --run-dir "$T" --desktop --vm desktop:red >/dev/null 2>"$T/err"; rc=$?
ok $([ $rc -ne 0 ] && grep -q 'a qube may not be called desktop' "$T/err"; echo $?) \
    "--desktop refuses a qube named desktop (its files would clash)"
ok $(! grep -q "Sanitizer\|runtime error:" "$T/gw.log"; echo $?) "the gateway logged no sanitiser report"
grep -A30 "Sanitizer\|runtime error:" "$T/gw.log" | sed 's/^/#   /' | head -60
echo "1..$tap_n"
[ "$tap_failed" -eq 0 ]
