#!/bin/bash
# Benchmark: a DispVM round trip on the ns backend, as the operator sees it.
#  - `bulkhead run --dispvm=base -- true`: a disposable qube of base made,
#    started, the command run, the qube destroyed;
#  - against `bulkhead run work -- true` in a running AppVM (the call alone);
#  - and against a plain `bulkhead start other`, `run other -- true`, `kill
#    other` of an AppVM (what a DispVM saves the operator from doing).
# Each is the wall time of the CLI processes, median (and p90) of BENCH_N
# rounds (default 50), interleaved. Goal: the DispVM round trip <= 50 ms.
#
#   tests/bench/dispvm.sh   (from the repo root, as root, after `make all template`)
#
# Prints figures and ratios; exits non-zero only on a functional failure.
set -eu
BH_NAME=dispvm
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "dispvm: run from the repo root" >&2; exit 1; }

N=${BENCH_N:-50}
case "$N" in '' | *[!0-9]* | 0) bh_die "BENCH_N must be a positive integer (got '$N')" ;; esac

bh_preflight
bh_setup
bh_start_domd
bh template import tpl "$PWD/$BH_TPL" > /dev/null || bh_die "template import tpl"
for q in base work other; do
	bh create "$q" --class app --label blue --template tpl > /dev/null || bh_die "create $q"
	BH_QUBES+=("$q")
done
bh prefs base template_for_dispvms 1 > /dev/null || bh_die "prefs base template_for_dispvms 1"
bh start work > /dev/null || bh_die "start work"

us_now() { echo $(( $(date +%s%N) / 1000 )); }
# stats FILE: "median p90" in ms of the microsecond figures in FILE.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = v[int(NR * 0.9 + 0.999)]
		printf "%.1f %.1f", m / 1000, p / 1000 }'
}
wait_halted() {
	for _ in $(seq 200); do
		[ "$(bh_state "$1")" = halted ] && return 0
		sleep 0.01
	done
	bh_die "$1 did not halt"
}

: > "$BH_T/t-disp"; : > "$BH_T/t-run"; : > "$BH_T/t-plain"
# One warm-up of each, not counted.
bh run --dispvm=base -- true || bh_die "run --dispvm=base failed"
bh run work -- true || bh_die "run work failed"
for i in $(seq "$N"); do
	t0=$(us_now)
	bh run --dispvm=base -- true || bh_die "run --dispvm=base failed (round $i)"
	t1=$(us_now)
	bh run work -- true || bh_die "run work failed (round $i)"
	t2=$(us_now)
	bh start other > /dev/null && bh run other -- true && bh kill other > /dev/null ||
		bh_die "start, run, kill of other failed (round $i)"
	t3=$(us_now)
	echo $((t1 - t0)) >> "$BH_T/t-disp"
	echo $((t2 - t1)) >> "$BH_T/t-run"
	echo $((t3 - t2)) >> "$BH_T/t-plain"
	wait_halted other
done
# No DispVM is left behind (the last one's removal follows its call).
for _ in $(seq 200); do
	left=$(bh ls 2>/dev/null | awk '$1 ~ /^disp[0-9]/' | wc -l)
	[ "$left" -eq 0 ] && break
	sleep 0.01
done
[ "$left" -eq 0 ] || bh_die "$left DispVMs left after the rounds"
kill -0 "$BH_DOMD_PID" 2>/dev/null || bh_die "domd died"

read -r dm dp <<< "$(stats "$BH_T/t-disp")"
read -r rm rp <<< "$(stats "$BH_T/t-run")"
read -r pm pp <<< "$(stats "$BH_T/t-plain")"
goal=$(awk -v m="$dm" 'BEGIN { print (m <= 50) ? "met" : "NOT met" }')
echo "dispvm: run --dispvm=base -- true: median $dm ms (p90 $dp), $N rounds (goal <= 50 ms: $goal)"
echo "dispvm: run in a running AppVM: median $rm ms (p90 $rp): DispVM ratio $(awk -v a="$dm" -v b="$rm" 'BEGIN { printf "%.2f", a / b }')"
echo "dispvm: start + run + kill of an AppVM: median $pm ms (p90 $pp): DispVM ratio $(awk -v a="$dm" -v b="$pm" 'BEGIN { printf "%.2f", a / b }')"
