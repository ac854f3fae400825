#!/bin/bash
# Benchmark: TCP throughput from an AppVM to the outside through its two
# netvms (work → sys-firewall → sys-net, each with its packet filter and
# masquerading, the uplink a veth to an "outside" namespace), against the
# same stream over one direct veth pair between two namespaces, in the same
# run, alternating, median of BENCH_N runs of BENCH_SECONDS each.
#
#   tests/bench/net.sh      (from the repo root, as root, after `make all template`)
#
# Prints figures and the ratio; exits non-zero only on a functional failure.
set -eu
BH_NAME=net
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "net: run from the repo root" >&2; exit 1; }

N=${BENCH_N:-3}
SECS=${BENCH_SECONDS:-3}
case "$N" in '' | *[!0-9]* | 0) bh_die "BENCH_N must be a positive integer (got '$N')" ;; esac
PROBE=$PWD/tests/integration/netprobe.py
OUT=bhbench-out-$$ A=bhbench-a-$$ B=bhbench-b-$$ UP=bhbup$$
SINKS=()

bh_preflight
bh_setup
gcc -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -o "$BH_T/bin/net_blast" tests/bench/net_blast.c \
	>"$BH_T/cc.log" 2>&1 || { cat "$BH_T/cc.log" >&2; bh_die "cannot build tests/bench/net_blast.c"; }
BLAST=$BH_T/bin/net_blast
net_cleanup() {
	local rc=$?
	set +e # a link already gone must not cut the clean-up short
	for p in ${SINKS[@]+"${SINKS[@]}"}; do kill "$p" 2>/dev/null; done
	for ns in "$OUT" "$A" "$B"; do ip netns del "$ns" 2>/dev/null; done
	ip link del "$UP" 2>/dev/null
	(exit "$rc"); bh_cleanup
}
trap net_cleanup EXIT

# The baseline: two namespaces, one veth pair.
ip netns add "$A" && ip netns add "$B" || bh_die "cannot make namespaces"
ip link add bhbench0 netns "$A" type veth peer name bhbench1 netns "$B"
ip -n "$A" addr add 10.99.0.1/30 dev bhbench0 && ip -n "$A" link set bhbench0 up
ip -n "$B" addr add 10.99.0.2/30 dev bhbench1 && ip -n "$B" link set bhbench1 up
ip netns exec "$B" python3 "$PROBE" sink 7100 >/dev/null &
SINKS+=($!)

# The appliance: sys-net's uplink is a veth to the outside.
ip netns add "$OUT"
ip link add "$UP" type veth peer name out0 netns "$OUT"
ip -n "$OUT" addr add 192.168.79.1/24 dev out0 && ip -n "$OUT" link set out0 up
ip netns exec "$OUT" python3 "$PROBE" sink 7100 >/dev/null &
SINKS+=($!)
bh_start_domd
bh template import tpl "$PWD/$BH_TPL" >/dev/null || bh_die "template import"
bh create sys-net --label red --template tpl --provides-network >/dev/null
bh prefs sys-net uplink "dev:$UP" >/dev/null
bh prefs sys-net uplink_address 192.168.79.2/24 >/dev/null
bh prefs sys-net uplink_gateway 192.168.79.1 >/dev/null
bh create sys-firewall --label green --template tpl --netvm sys-net --provides-network >/dev/null
bh create work --label blue --template tpl --netvm sys-firewall >/dev/null
BH_QUBES=(work sys-firewall sys-net)
bh start work >/dev/null || bh_die "start work"
# A rule set like a real one: the stream matches the 10th rule.
for p in 22 25 53 80 110 143 443 993 995; do bh firewall work add "accept proto=tcp dstports=$p" >/dev/null; done
bh firewall work add "accept dst4=192.168.79.0/24 proto=tcp dstports=7000-7200" >/dev/null
bh firewall work policy drop >/dev/null
wpid=$(bh --json prefs work | sed -n 's/^ *"pid": *\([0-9]*\).*/\1/p')
for _ in $(seq 50); do
	nsenter -t "$wpid" -n "$BLAST" 192.168.79.1 7100 0.1 >/dev/null 2>&1 && break
	sleep 0.2
done

direct=() chain=()
for _ in $(seq "$N"); do
	direct+=("$(ip netns exec "$A" "$BLAST" 10.99.0.2 7100 "$SECS")") || bh_die "direct blast"
	chain+=("$(nsenter -t "$wpid" -n "$BLAST" 192.168.79.1 7100 "$SECS")") || bh_die "blast from work"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
d=$(median "${direct[@]}") c=$(median "${chain[@]}")
echo "net: TCP, one stream, median of $N x ${SECS} s (same sender and receiver both ways):"
awk -v d="$d" -v c="$c" 'BEGIN {
	printf "net:   direct veth pair                      %8.1f MB/s\n", d / 1e6
	printf "net:   work -> sys-firewall -> sys-net -> out %8.1f MB/s (10 rules, NAT twice)\n", c / 1e6
	printf "net: ratio through the netvms / direct: %.2f\n", c / d
}'
