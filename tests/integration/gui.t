#!/bin/bash
# The SPICE gateway end to end, with real SPICE clients: test qubes speaking
# the GUI protocol (tests/gui/fake_vm) and a viewer on spice-client-glib
# (tests/gui/spice_probe). Exact window pixels, frames in the label colour
# and the gateway's title bars, input to the right qube only, each display
# showing only its own qube, the clipboard in both directions under the
# policy (text only, UTF-8, size-limited), and hostile qubes that are
# clamped, refused or disconnected while the other displays keep working.
. tests/integration/lib.sh
. tests/integration/gui-lib.sh

PURPLE=75507b
gui_on_host

# What spice-server allocates through glib for a viewer still going away
# at exit is its own (tests/gui/lsan-glib.supp), as in gui-desktop.t.
export LSAN_OPTIONS=suppressions=$PWD/tests/gui/lsan-glib.supp
"$GW" -v --run-dir "$T" --vm work:blue:"$T/work.sock" --vm personal:red:"$T/personal.sock" \
    --vm evil:purple:"$T/evil.sock" --clipboard personal:none >"$T/gw.out" 2>"$T/gw.log" &
GW_PID=$!
wait_line "$T/gw.out" '^evil ' 20 || { sed 's/^/#   /' "$T/gw.log"; exit 1; }
ok $(grep -qx "work spice+unix://$T/work.spice $T/work.ticket" "$T/gw.out"; echo $?) \
    "the gateway prints each qube's viewer URI and ticket file"
ok $([ "$(stat -c %a "$T/work.ticket")" = 600 ] && grep -qxE '[a-z2-9]{32}' "$T/work.ticket" &&
    ! cmp -s "$T/work.ticket" "$T/personal.ticket"; echo $?) "tickets are random, per qube, mode 0600"

fake work a.rep --seed 1 --clip 'from work'
fake personal b.rep --seed 11 --clip 'secret of personal'

# Window 1 of each fake qube: content 200x120 at (40,60); window 2: 160x100 at
# (400,100); window 3, override-redirect: 50x40 at (700,300).
check "work: both windows' pixels arrive exactly" probe work pattern 40 60 200 120 1 pattern 400 100 160 100 2
check "work: the frame is in the label colour (blue)" \
    probe work rect 38 60 2 120 $BLUE rect 240 60 2 120 $BLUE rect 38 180 204 2 $BLUE rect 38 46 204 2 $BLUE
check "work: the gateway's title bar is there, with text" \
    probe work rect 40 48 200 1 $BLUE count 40 48 200 12 ffffff 40
check "work: an override-redirect window gets the frame but no title bar" \
    probe work pattern 700 300 50 40 3 rect 698 298 54 2 $BLUE rect 698 300 2 40 $BLUE rect 700 290 50 8 $BG
check "personal: its pixels exactly, framed in red" \
    probe personal pattern 40 60 200 120 11 pattern 400 100 160 100 12 rect 38 60 2 120 $RED count 40 48 200 12 ffffff 40
check "work's display shows none of personal's windows" probe work nopattern 40 60 200 120 11
check "personal's display shows none of work's windows" probe personal nopattern 40 60 200 120 1
check "evil's display (no qube yet) is empty" probe evil rect 0 0 1280 800 $BG
echo wrongwrongwrongwrongwrongwrong22 >"$T/bad.ticket"
ok $(TICKET=$T/bad.ticket PROBE_TIMEOUT_MS=1000 probe work rect 0 0 1 1 $BG 2>/dev/null; [ $? -ne 0 ]; echo $?) \
    "a viewer with a wrong ticket is refused"

# Input: a click focuses the window under it; keys go to the focused window.
check "work: click and type" probe work click 100 100 key 1e sleep 200
check "personal: click and type" probe personal click 450 150 key 30 sleep 200
wait_line "$T/a.rep" 'key 1 0x1e up' 5 >/dev/null
wait_line "$T/b.rep" 'key 2 0x30 up' 5 >/dev/null
ok $(grep -qx 'button 1 1 down 60 40' "$T/a.rep"; echo $?) "work: the click lands in window 1 at (60,40)"
ok $(grep -qx 'focus 1 in' "$T/a.rep" && grep -qx 'key 1 0x1e down' "$T/a.rep"; echo $?) \
    "work: window 1 gets the focus and the key"
ok $(grep -qx 'button 2 1 down 50 50' "$T/b.rep" && grep -qx 'key 2 0x30 down' "$T/b.rep"; echo $?) \
    "personal: its window 2 gets the click and the key"
ok $(! grep -q 0x30 "$T/a.rep" && ! grep -q 0x1e "$T/b.rep"; echo $?) "no qube sees the other's keys"

# Clipboard: work may do both, personal neither (--clipboard personal:none).
check "clipboard viewer -> work: allowed, arrives" probe work paste 'pasted into work'
wait_line "$T/a.rep" '^clip_data' 5 >/dev/null
ok $(grep -qx 'clip_data 16 pasted into work' "$T/a.rep"; echo $?) "work got exactly the viewer's text"
check "clipboard work -> viewer: allowed, exact" probe work copy 'from work'
ok $(grep -qx clip_request "$T/a.rep"; echo $?) "work was asked for its text when the viewer pasted"
ok $(PROBE_TIMEOUT_MS=1500 probe personal paste 'not for personal' 2>/dev/null; [ $? -ne 0 ]; echo $?) \
    "clipboard viewer -> personal: denied (the viewer is never asked for its text)"
check "clipboard personal -> viewer: denied (nothing offered)" probe personal nocopy 1500
ok $(! grep -q '^clip' "$T/b.rep"; echo $?) "personal neither got nor was asked for clipboard text"
check "clipboard: 64000 bytes (the limit) from the viewer" probe work paste SIZE:64000
wait_line "$T/a.rep" '^clip_data 64000 x' 5 >/dev/null
ok $? "work got the 64000 bytes"
check "clipboard: 64001 bytes and non-UTF-8 from the viewer" probe work paste SIZE:64001 paste BAD sleep 500
ok $(! grep -qE '^clip_data (64001|4) ' "$T/a.rep"; echo $?) "over-size and non-UTF-8 text never reach the qube"
fake evil h-clip.rep --seed 3 --clip BAD
check "clipboard: non-UTF-8 from a qube reaches the viewer as nothing" probe evil copy ''
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null
ok $(grep -q 'evil: clipboard to the viewer refused: not UTF-8' "$T/gw.log"; echo $?) "the gateway logged the refusal"

# Hostile qubes, one after the other, on evil's socket.
fake evil h-title.rep --mode title --seed 3
check "evil: a title of control characters is shown sanitised; the bar stays the gateway's" \
    probe evil pattern 40 60 200 120 3 rect 38 46 204 2 $PURPLE count 40 48 200 12 ffffff 30
wait_line "$T/h-title.rep" '^disconnected' >/dev/null
ok $(grep -qx disconnected "$T/h-title.rep"; echo $?) "evil: a 10000-byte title message disconnects it"

fake evil h-huge.rep --mode huge --seed 3 --hold 3
wait_line "$T/h-huge.rep" '^configure' >/dev/null
ok $(grep -qx 'configure 1 0 0 1280 800' "$T/h-huge.rep"; echo $?) \
    "evil: a 100000x100000 window is clamped to the display (and told so)"
check "evil: the clamped window shows its damage" probe evil pattern 2 14 64 64 3
fake evil h-big.rep --mode big --seed 3
wait_line "$T/h-big.rep" '^disconnected' 10 >/dev/null
ok $(grep -qx disconnected "$T/h-big.rep" && grep -q 'evil: qube disconnected: its windows are over the pixel budget' "$T/gw.log"; echo $?) \
    "evil: 20 display-sized windows (over the pixel budget) get it disconnected"
for mode in many outside short random; do
	fake evil h-$mode.rep --mode $mode --seed 3
	wait_line "$T/h-$mode.rep" '^disconnected' 10 >/dev/null
	ok $(grep -qx disconnected "$T/h-$mode.rep"; echo $?) "evil: '$mode' gets it disconnected"
done
n=$(grep -c 'evil: qube disconnected: protocol violation' "$T/gw.log")
ok $([ "$n" -eq 5 ]; echo $?) "the gateway logged 5 protocol violations from evil ($n)"
check "evil: its display is empty again" probe evil rect 0 0 1280 800 $BG

# The other qubes did not notice.
ok $(kill -0 "$GW_PID"; echo $?) "the gateway is still running"
check "personal: still shows its windows" probe personal pattern 40 60 200 120 11 pattern 400 100 160 100 12
check "personal: still takes keys" probe personal click 100 100 key 2e sleep 200
wait_line "$T/b.rep" 'key 1 0x2e up' 5 >/dev/null
ok $(grep -qx 'key 1 0x2e down' "$T/b.rep" && ! grep -q 0x2e "$T/a.rep"; echo $?) "personal: the key reached it, and only it"
ok $(! grep -q disconnected "$T/a.rep" "$T/b.rep"; echo $?) "work and personal stayed connected"

kill "$GW_PID"; wait "$GW_PID" 2>/dev/null; GW_PID=

# Viewers on TCP (127.0.0.1 only); a light label gets dark title text.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/tcp"
"$GW" --run-dir "$T/tcp" --tcp-port "$port" --vm green:green:"$T/green.sock" >"$T/tcp/gw.out" 2>"$T/gw-tcp.log" &
GW_PID=$!
wait_line "$T/tcp/gw.out" '^green ' 20 >/dev/null
ok $(grep -qx "green spice://127.0.0.1:$port $T/tcp/green.ticket" "$T/tcp/gw.out" &&
    ss -ltn | grep -q "127.0.0.1:$port "; echo $?) "--tcp-port: the viewer port is on 127.0.0.1"
fake green g.rep --seed 21
check "TCP viewer: exact pixels, green frame, black title text" \
    env ASAN_OPTIONS=detect_leaks=0 "$PROBE" --uri "spice://127.0.0.1:$port" --ticket-file "$T/tcp/green.ticket" \
    pattern 40 60 200 120 21 rect 38 60 2 120 73d216 count 40 48 200 12 000000 40
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null; GW_PID=
cat "$T/gw-tcp.log" >>"$T/gw.log"

ok $(! grep -q "Sanitizer\|runtime error:" "$T/gw.log"; echo $?) "the gateways logged no sanitiser report"
grep -A30 "Sanitizer\|runtime error:" "$T/gw.log" | sed 's/^/#   /' | head -60
echo "1..$tap_n"
[ "$tap_failed" -eq 0 ]
