#!/bin/bash
# Benchmark: `bulkhead update` of the Debian template with nothing to
# update, against `apt-get update` run directly in an AppVM of the same
# template that has sys-net as its netvm (the work an update cannot avoid).
# The update also starts the template from a copy of its root, runs
# apt-get through the updates proxy, simulates nothing and kills the
# template (nothing to keep). A local repository (one package, not
# installed) is served from a namespace behind the host. Median of BENCH_N
# rounds (default 5) each. Goal: ratio <= 1.3. Beside it, the update of the
# template while it runs (no start, copy or stop): what the proxy path
# itself costs against the direct one.
#
#   tests/bench/update.sh   (from the repo root, as root, after `make all
#   template debian-template`)
#
# Prints figures and the ratio; exits non-zero only on a functional failure.
set -eu
BH_NAME=update
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "update: run from the repo root" >&2; exit 1; }

N=${BENCH_N:-5}
case "$N" in '' | *[!0-9]* | 0) bh_die "BENCH_N must be a positive integer (got '$N')" ;; esac
DEBIAN_ROOT=build/debian/root
[ -f "$DEBIAN_ROOT/.stamp" ] || { echo "update: no Debian template (make debian-template); skipped"; exit 0; }
command -v dpkg-scanpackages >/dev/null || bh_die "dpkg-scanpackages missing (make deps)"

LAN=bhblan-$$
LANIF=bhblan$$
HTTP_PID=
FORWARD_WAS=$(cat /proc/sys/net/ipv4/ip_forward)
bh_preflight
bh_setup
lan_cleanup() {
	local rc=$?
	[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null
	ip netns del "$LAN" 2>/dev/null
	ip link del "$LANIF" 2>/dev/null
	echo "$FORWARD_WAS" > /proc/sys/net/ipv4/ip_forward
	(exit "$rc")
	bh_cleanup
}
trap lan_cleanup EXIT

repo=$BH_T/repo
mkdir -p "$repo" "$BH_T/pkg/DEBIAN" "$BH_T/cfg/policy.d"
printf 'Package: bulkhead-bench-pkg\nVersion: 1.0\nArchitecture: all\nMaintainer: Bulkhead <bench@bulkhead.invalid>\nDescription: bench\n' \
	> "$BH_T/pkg/DEBIAN/control"
dpkg-deb --root-owner-group --build "$BH_T/pkg" "$repo/bulkhead-bench-pkg_1.0_all.deb" > /dev/null
(cd "$repo" && dpkg-scanpackages . /dev/null 2>/dev/null > Packages)
ip netns add "$LAN"
ip link add "$LANIF" type veth peer name lan0 netns "$LAN"
ip addr add 192.168.90.1/24 dev "$LANIF"
ip link set "$LANIF" up
ip -n "$LAN" link set lo up
ip -n "$LAN" link set lan0 up
ip -n "$LAN" addr add 192.168.90.2/24 dev lan0
ip -n "$LAN" route add default via 192.168.90.1
(cd "$repo" && exec ip netns exec "$LAN" python3 -c '
import http.server, socketserver
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("192.168.90.2", 8000), Quiet).serve_forever()') &
HTTP_PID=$!

cp config/site/policy.d/90-default.policy "$BH_T/cfg/policy.d/"
bh_start_domd
bh template import tpl "$PWD/$BH_TPL" > /dev/null || bh_die "template import tpl"
bh template import debian "$PWD/$DEBIAN_ROOT" > /dev/null || bh_die "template import debian"
echo 'deb [trusted=yes] http://192.168.90.2:8000/ ./' > "$BH_T/state/qubes/debian/root/etc/apt/sources.list"
bh create sys-net --label red --template tpl --provides-network > /dev/null &&
	bh prefs sys-net uplink host-nat > /dev/null || bh_die "create sys-net"
bh create direct --label blue --template debian --netvm sys-net > /dev/null || bh_die "create direct"
BH_QUBES+=(sys-net direct debian)
bh start direct > /dev/null || bh_die "start direct"

ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
: > "$BH_T/t-update"; : > "$BH_T/t-apt"
# One warm-up of each (page cache, the proxy's start), not counted.
bh update debian --log-dir "$BH_T/logs" > "$BH_T/update.out" 2>&1 || { cat "$BH_T/update.out" >&2; bh_die "update failed"; }
bh run --user root direct -- 'apt-get -q -o Acquire::http::Proxy=false update' > "$BH_T/apt.out" 2>&1 ||
	{ cat "$BH_T/apt.out" >&2; bh_die "apt-get update in direct failed"; }
for i in $(seq "$N"); do
	t0=$(ms_now)
	bh update debian --log-dir "$BH_T/logs" > "$BH_T/update.out" 2>&1 || bh_die "update failed (round $i)"
	t1=$(ms_now)
	bh run --user root direct -- 'apt-get -q -o Acquire::http::Proxy=false update' > "$BH_T/apt.out" 2>&1 ||
		bh_die "apt-get update failed (round $i)"
	t2=$(ms_now)
	grep -Eq '^debian +up to date' "$BH_T/update.out" || bh_die "update did not say 'up to date' (round $i)"
	echo $((t1 - t0)) >> "$BH_T/t-update"
	echo $((t2 - t1)) >> "$BH_T/t-apt"
done
# The template running: bulkhead update only runs apt-get through the proxy.
bh start debian > /dev/null || bh_die "start debian"
: > "$BH_T/t-running"
for i in $(seq "$N"); do
	t0=$(ms_now)
	bh update debian --log-dir "$BH_T/logs" > "$BH_T/update.out" 2>&1 || bh_die "update of the running template failed (round $i)"
	echo $(( $(ms_now) - t0 )) >> "$BH_T/t-running"
done
u=$(median "$BH_T/t-update")
a=$(median "$BH_T/t-apt")
r=$(median "$BH_T/t-running")
ratio=$(awk -v u="$u" -v a="$a" 'BEGIN { printf "%.2f", u / a }')
goal=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.3) ? "met" : "NOT met" }')
echo "update: bulkhead update debian (nothing to update): median $u ms, $N rounds"
echo "update: apt-get update in an AppVM with a netvm:    median $a ms"
echo "update: ratio $ratio (goal <= 1.3: $goal)"
echo "update: bulkhead update of the running template:  median $r ms, ratio $(awk -v r="$r" -v a="$a" 'BEGIN { printf "%.2f", r / a }') (the proxy path alone)"
