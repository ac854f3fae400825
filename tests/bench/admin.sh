#!/bin/bash
# Benchmark: `bulkhead ls --json` with 200 qubes defined, run in a
# management qube (through bulkhead.admin.vm.list, policy-checked per call
# and per listed qube) against the same command in dom0 (the admin
# socket). Both timed where they run, median of BENCH_N runs (default 20).
# Goal: ratio <= 3, and <= 50 ms from the qube.
#
#   tests/bench/admin.sh   (from the repo root, as root, after `make all
#   template debian-template`)
#
# Prints figures and the ratio; exits non-zero only on a functional failure.
set -eu
BH_NAME=admin
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "admin: run from the repo root" >&2; exit 1; }

N=${BENCH_N:-20}
case "$N" in '' | *[!0-9]* | 0) bh_die "BENCH_N must be a positive integer (got '$N')" ;; esac
QUBES=${BENCH_QUBES:-200}
DEBIAN_ROOT=build/debian/root
[ -f "$DEBIAN_ROOT/.stamp" ] || { echo "admin: no Debian template (make debian-template); skipped"; exit 0; }
bh_preflight
bh_setup
trap bh_cleanup EXIT

mkdir -p "$BH_T/cfg/policy.d"
cat > "$BH_T/cfg/policy.d/30-admin.policy" <<'POLICY'
bulkhead.admin.vm.list  *  mgmt  dom0    allow
bulkhead.admin.vm.list  *  mgmt  @anyvm  allow
POLICY
bh_start_domd
bh template import debian "$PWD/$DEBIAN_ROOT" > /dev/null || bh_die "template import debian"
bh create mgmt --label purple --template debian > /dev/null || bh_die "create mgmt"
BH_QUBES+=(mgmt debian)
for i in $(seq "$((QUBES - 2))"); do
	bh create "q$i" --label gray --template debian > /dev/null || bh_die "create q$i"
done
bh start mgmt > /dev/null || bh_die "start mgmt"

# The loop, as it runs in either place: one line of ms per run.
loop='for i in $(seq '"$N"'); do t0=$(date +%s%N); bulkhead ls --json > /tmp/ls.json || exit 1; echo $(( ($(date +%s%N) - t0) / 1000 )); done'
bh run mgmt -- "$loop" > "$BH_T/t-qube" || bh_die "bulkhead ls --json in mgmt failed"
seen=$(bh run mgmt -- 'grep -o "\"name\"" /tmp/ls.json | wc -l')
[ "$seen" -eq "$QUBES" ] || bh_die "mgmt listed $seen qubes, not $QUBES"
BULKHEAD_SOCKET=$BH_SOCK PATH=$PWD/build:$PATH bash -c "$loop" > "$BH_T/t-dom0" || bh_die "bulkhead ls --json in dom0 failed"
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
q=$(median "$BH_T/t-qube")
d=$(median "$BH_T/t-dom0")
ratio=$(awk -v q="$q" -v d="$d" 'BEGIN { printf "%.2f", q / d }')
goal=$(awk -v r="$ratio" -v q="$q" 'BEGIN { print (r <= 3 && q <= 50000) ? "met" : "NOT met" }')
echo "admin: bulkhead ls --json, $QUBES qubes, in a management qube: median $(awk -v q="$q" 'BEGIN { printf "%.1f", q / 1000 }') ms, $N runs"
echo "admin: the same in dom0 (admin socket):                 median $(awk -v d="$d" 'BEGIN { printf "%.1f", d / 1000 }') ms"
echo "admin: ratio $ratio (goal <= 3 and <= 50 ms: $goal)"
