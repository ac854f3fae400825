#!/bin/bash
# Benchmark: a qube's damage to the viewer's pixels through bulkhead-gateway
# at 1280x800, against a plain libspice-server display (the same QXL code,
# no protocol, no composition) fed the same frames in the same run:
#  - full-screen frames (the window's whole 1276x784 content);
#  - 100x100 damage;
# each also through the gateway's desktop (--desktop: the viewer on the
# display of all qubes, the qube's window composed there too).
# The viewer is spice-client-glib (tests/gui/spice_probe), counting the
# updates of that size it receives per second over BENCH_SECONDS (default 5)
# and the median age of the pixels it shows (latency: the frame's time stamp
# to the viewer's canvas);
# the paths take turns BENCH_ROUNDS times (default 3) and the best of
# each counts, as the machine's load varies. Also prints the gateway's
# resident memory with one qube display, and what each further qube display
# adds (1 against 4 displays, each with a window updating and a viewer).
# Goal: gateway >= 0.9 of the direct figure.
# A third path is a qube's real one: an X app (x_feed.c) drawing the same
# frames in Xvfb, bulkhead-gui-agent capturing them (DAMAGE, GetImage) and
# streaming them to the gateway; its ratio is against the gateway fed
# directly (gui_feed), i.e. what the X capture costs.
#
#   tests/bench/gui.sh   (from the repo root, as root, after `make all gui-bins`)
set -eu
BH_NAME=gui
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "gui: run from the repo root" >&2; exit 1; }
SECONDS_RUN=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
GW=build/bulkhead-gateway
PROBE=build/tests/gui/spice_probe
AGENT=build/bulkhead-gui-agent
XDISP=:$((100 + $$ % 800))

command -v Xvfb >/dev/null || bh_die "Xvfb missing: install xvfb (scripts/install-deps)"
for f in "$GW" "$PROBE" "$AGENT" build/spice-gateway/loop.o build/spice-gateway/display.o build/libbulkhead.a; do
	[ -e "$f" ] || bh_die "$f missing: run 'make all gui-bins' first"
done
bh_setup
# shellcheck disable=SC2046
gcc -std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -Ilib -Ispice-gateway \
	$(pkg-config --cflags spice-server) -o "$BH_T/bin/gui_feed" tests/bench/gui_feed.c \
	build/spice-gateway/loop.o build/spice-gateway/display.o build/libbulkhead.a \
	$(pkg-config --libs spice-server) -lpthread >"$BH_T/cc.log" 2>&1 ||
	{ cat "$BH_T/cc.log" >&2; bh_die "cannot build tests/bench/gui_feed.c"; }
gcc -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -o "$BH_T/bin/x_feed" tests/bench/x_feed.c -lxcb \
	>"$BH_T/cc.log" 2>&1 || { cat "$BH_T/cc.log" >&2; bh_die "cannot build tests/bench/x_feed.c"; }
# The X server of the agent path, as a qube's agent starts it.
Xvfb "$XDISP" -screen 0 1280x800x24 -nolisten tcp -nocursor >"$BH_T/xvfb.log" 2>&1 &
XVFB_PID=$!
trap 'rc=$?; kill "$XVFB_PID" 2>/dev/null; (exit $rc); bh_cleanup' EXIT
for _ in $(seq 200); do [ -S "/tmp/.X11-unix/X${XDISP#:}" ] && break; sleep 0.05; done
[ -S "/tmp/.X11-unix/X${XDISP#:}" ] || bh_die "Xvfb $XDISP did not start: $(tail -1 "$BH_T/xvfb.log")"

# "FPS LATENCY_MS" from a probe's output.
fps_of() { echo "$(sed -n 's/^fps //p' "$1") $(sed -n 's/^latency_ms //p' "$1")"; }

# direct W H: the baseline's updates per second.
direct() {
	rm -f "$BH_T/direct.spice"
	"$BH_T/bin/gui_feed" direct "$BH_T" "$1" "$2" $((SECONDS_RUN + 2)) >"$BH_T/feed.out" 2>&1 &
	BH_HELPER_PID=$!
	for _ in $(seq 100); do [ -S "$BH_T/direct.spice" ] && break; sleep 0.02; done
	PROBE_DISPLAY_ONLY=1 timeout 60 "$PROBE" --unix "$BH_T/direct.spice" --ticket-file "$BH_T/direct.ticket" \
		fps "$SECONDS_RUN" "$1" "$2" >"$BH_T/probe.out" 2>"$BH_T/probe.err" || bh_die "direct viewer: $(tail -1 "$BH_T/probe.err")"
	wait "$BH_HELPER_PID" || true
	BH_HELPER_PID=
	fps_of "$BH_T/probe.out"
}

# gateway W H [desktop]: the same through the gateway (the viewer on the
# qube's display, or on the desktop); leaves its RSS in $BH_T/rss.
gateway() {
	local view=${3:-bench}

	rm -f "$BH_T/gw.out" "$BH_T/$view.uri"
	# shellcheck disable=SC2046
	"$GW" --run-dir "$BH_T" $([ "$view" = desktop ] && echo --desktop) --vm bench:blue:"$BH_T/bench.sock" \
		>"$BH_T/gw.out" 2>"$BH_T/gw.log" &
	BH_HELPER_PID=$!
	for _ in $(seq 100); do [ -e "$BH_T/$view.uri" ] && break; sleep 0.02; done
	"$BH_T/bin/gui_feed" gateway "$BH_T/bench.sock" "$1" "$2" $((SECONDS_RUN + 2)) >"$BH_T/feed.out" 2>&1 &
	local feed=$!
	timeout 60 "$PROBE" --unix "$BH_T/$view.spice" --ticket-file "$BH_T/$view.ticket" \
		fps "$SECONDS_RUN" "$1" "$2" >"$BH_T/probe.out" 2>"$BH_T/probe.err" || bh_die "gateway viewer: $(tail -1 "$BH_T/probe.err")"
	[ "$view" = desktop ] || sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$BH_HELPER_PID/status" >"$BH_T/rss"
	wait "$feed" || true
	kill -TERM "$BH_HELPER_PID"; wait "$BH_HELPER_PID" 2>/dev/null || true
	BH_HELPER_PID=
	fps_of "$BH_T/probe.out"
}

# agent W H: the X app's frames through the GUI agent and the gateway.
agent() {
	rm -f "$BH_T/gw.out"
	"$GW" --run-dir "$BH_T" --vm bench:blue:"$BH_T/bench.sock" >"$BH_T/gw.out" 2>"$BH_T/gw.log" &
	BH_HELPER_PID=$!
	for _ in $(seq 100); do [ -s "$BH_T/gw.out" ] && break; sleep 0.02; done
	# The agent becomes the qube's user (uid 1000), as in a qube.
	chmod a+x "$BH_T"
	chmod a+rw "$BH_T/bench.sock"
	"$AGENT" --display "$XDISP" --no-xvfb --socket "$BH_T/bench.sock" 2>"$BH_T/agent.log" &
	local ag=$! feed
	DISPLAY=$XDISP "$BH_T/bin/x_feed" "$1" "$2" $((SECONDS_RUN + 2)) >"$BH_T/feed.out" 2>&1 &
	feed=$!
	timeout 60 "$PROBE" --unix "$BH_T/bench.spice" --ticket-file "$BH_T/bench.ticket" \
		fps "$SECONDS_RUN" "$1" "$2" >"$BH_T/probe.out" 2>"$BH_T/probe.err" ||
		bh_die "agent viewer: $(tail -1 "$BH_T/probe.err"); agent: $(tail -1 "$BH_T/agent.log")"
	wait "$feed" || true
	kill -TERM "$ag" "$BH_HELPER_PID"; wait "$ag" "$BH_HELPER_PID" 2>/dev/null || true
	BH_HELPER_PID=
	fps_of "$BH_T/probe.out"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

echo "gui: ${SECONDS_RUN}s per figure, 1280x800 display, compression and streaming off"
for size in "1276 784" "100 100"; do
	d=0 g=0 k=0 a=0 dl= gl= kl= al= all= alla=
	for _ in $(seq "$ROUNDS"); do
		# shellcheck disable=SC2086
		read -r dr dlr < <(direct $size)
		# shellcheck disable=SC2086
		read -r gr glr < <(gateway $size)
		# shellcheck disable=SC2086
		read -r kr klr < <(gateway $size desktop)
		# shellcheck disable=SC2086
		read -r ar alr < <(agent $size)
		# The latency goes with the best round's rate.
		[ "$(max "$d" "$dr")" = "$d" ] || { d=$dr dl=$dlr; }
		[ "$(max "$g" "$gr")" = "$g" ] || { g=$gr gl=$glr; }
		[ "$(max "$k" "$kr")" = "$k" ] || { k=$kr kl=$klr; }
		[ "$(max "$a" "$ar")" = "$a" ] || { a=$ar al=$alr; }
		all="$all $gr/$dr"
		alla="$alla $ar/$gr"
	done
	printf 'gui: %-9s updates/s: gateway %7.1f   direct %7.1f   ratio %s (goal >= 0.9; rounds gateway/direct:%s)\n' \
		"${size/ /x}" "$g" "$d" "$(ratio "$g" "$d")" "$all"
	printf 'gui: %-9s latency ms (median): gateway %s   direct %s   GUI agent %s\n' "${size/ /x}" "${gl:-?}" "${dl:-?}" "${al:-?}"
	printf 'gui: %-9s through the desktop: updates/s %7.1f   ratio to direct %s   latency ms %s\n' \
		"${size/ /x}" "$k" "$(ratio "$k" "$d")" "${kl:-?}"
	printf 'gui: %-9s updates/s: X app through the GUI agent %7.1f   gateway fed directly %7.1f   ratio %s (rounds:%s)\n' \
		"${size/ /x}" "$a" "$g" "$(ratio "$a" "$g")" "$alla"
done
echo "gui: gateway resident memory with one qube display and a viewer: $(cat "$BH_T/rss")"

# rss_with N: the gateway's resident kB with N qube displays, each with a
# full-screen window updating and a viewer.
rss_with() {
	local n=$1 i args=() feeds=() probes=()
	for i in $(seq "$n"); do args+=(--vm "m$i:blue:$BH_T/m$i.sock"); done
	rm -f "$BH_T/gw.out"
	"$GW" --run-dir "$BH_T" "${args[@]}" >"$BH_T/gw.out" 2>"$BH_T/gw.log" &
	BH_HELPER_PID=$!
	for _ in $(seq 100); do [ "$(wc -l <"$BH_T/gw.out" 2>/dev/null)" -ge "$n" ] && break; sleep 0.02; done
	for i in $(seq "$n"); do
		"$BH_T/bin/gui_feed" gateway "$BH_T/m$i.sock" 1276 784 4 >/dev/null 2>&1 &
		feeds+=($!)
		timeout 60 "$PROBE" --unix "$BH_T/m$i.spice" --ticket-file "$BH_T/m$i.ticket" \
			fps 3 1276 784 >/dev/null 2>"$BH_T/probe-m$i.err" &
		probes+=($!)
	done
	sleep 2.5
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$BH_HELPER_PID/status"
	for i in "${probes[@]}"; do wait "$i" || bh_die "memory viewer: $(tail -1 "$BH_T"/probe-m*.err)"; done
	for i in "${feeds[@]}"; do wait "$i" || true; done
	kill -TERM "$BH_HELPER_PID"; wait "$BH_HELPER_PID" 2>/dev/null || true
	BH_HELPER_PID=
}
r1=$(rss_with 1)
r4=$(rss_with 4)
fb_kb=$((1280 * 800 * 4 / 1024))
awk -v a="$r1" -v b="$r4" -v fb="$fb_kb" 'BEGIN {
	per = (b - a) / 3
	printf "gui: gateway memory per qube display (1 vs 4 displays, each busy with a viewer): %.1f MiB, %.1f MiB beyond its %.1f MiB framebuffer (goal <= 16)\n", per / 1024, (per - fb) / 1024, fb / 1024 }'
