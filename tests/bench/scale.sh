#!/bin/bash
# Benchmark: domd with many qubes defined.
#
# Defines BENCH_QUBES (default 1000) app qubes of the minimal template,
# 32 MiB each, through the API (vm.create pipelined on one connection by
# tests/bench/scale_client.c), then prints
#  - domd's VmRSS with them vs with 0 qubes (baseline, same run);
#  - the wall time of `build/bulkhead ls --json` (whole CLI process, median
#    of BENCH_N, default 10) vs `build/bulkhead info` (a CLI round trip that
#    lists nothing) as the baseline;
#  - for reference, the same two requests on the socket without the CLI.
# Then starts BENCH_RUNNING of them (default 200; 0: none) in one `bulkhead
# start` and prints qubes started a second, domd's RSS and `ls --json` with
# them running, and the host's memory (MemAvailable) per idle running qube.
#
#   tests/bench/scale.sh   (from the repo root, as root, after `make all template`)
#
# Prints figures and ratios; exits non-zero only on a functional failure.
set -eu
BH_NAME=scale
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "scale: run from the repo root" >&2; exit 1; }

Q=${BENCH_QUBES:-1000}
N=${BENCH_N:-10}
R=${BENCH_RUNNING:-200}
case "$Q" in '' | *[!0-9]* | 0) bh_die "BENCH_QUBES must be a positive integer (got '$Q')" ;; esac
case "$R" in '' | *[!0-9]*) bh_die "BENCH_RUNNING must be a number (got '$R')" ;; esac
[ "$R" -le "$Q" ] || bh_die "BENCH_RUNNING ($R) is more than BENCH_QUBES ($Q)"
case "$N" in '' | *[!0-9]* | 0) bh_die "BENCH_N must be a positive integer (got '$N')" ;; esac

bh_preflight
bh_setup
bh_cc scale_client
bh_start_domd

SOCK=$BH_SOCK
SC=$BH_T/bin/scale_client
CLI=("$BH_CLI" --socket "$SOCK")

mib() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# check_ms NAME: dies unless variable NAME holds a timing (ms) figure.
check_ms() {
	case "${!1}" in
	[0-9]*.[0-9]*) ;;
	*) bh_die "bad timing from scale_client for $1: '${!1}'" ;;
	esac
}
# count_qubes: how many qubes `bulkhead ls --json` lists.
count_qubes() {
	"${CLI[@]}" ls --json > "$BH_T/ls.json" || bh_die "bulkhead ls --json failed"
	grep -o '"name": *"' "$BH_T/ls.json" | wc -l
}

# --- 0 qubes: exercise the same paths once, then the baseline RSS.
got=$(count_qubes)
[ "$got" = 0 ] || bh_die "a fresh domd lists $got qubes"
out=$("$SC" run "$N" "${CLI[@]}" ls --json)
read -r ls0_med _ <<< "$out"
out=$("$SC" run "$N" "${CLI[@]}" info)
read -r info0_med _ <<< "$out"
rss0=$(bh_rss_kib "$BH_DOMD_PID")

# --- define the qubes.
"${CLI[@]}" template import tpl "$PWD/$BH_TPL" > /dev/null || bh_die "template import tpl $PWD/$BH_TPL"
secs=$("$SC" create "$SOCK" tpl q "$Q")
rss_created=$(bh_rss_kib "$BH_DOMD_PID")
got=$(count_qubes)
[ "$got" = $((Q + 1)) ] || bh_die "bulkhead ls --json lists $got qubes, expected $((Q + 1)) ($Q + the template)"

# --- listings.
out=$("$SC" run "$N" "${CLI[@]}" ls --json)
read -r ls_med ls_p90 _ <<< "$out"
out=$("$SC" run "$N" "${CLI[@]}" info)
read -r info_med info_p90 _ <<< "$out"
out=$("$SC" api "$SOCK" vm.list "$N")
read -r alist_med alist_p90 _ _ alist_len <<< "$out"
[ "$alist_len" = $((Q + 1)) ] || bh_die "vm.list returned $alist_len qubes, expected $((Q + 1))"
out=$("$SC" api "$SOCK" daemon.info "$N")
read -r ainfo_med ainfo_p90 _ <<< "$out"
rss=$(bh_rss_kib "$BH_DOMD_PID")
kill -0 "$BH_DOMD_PID" 2>/dev/null || bh_die "domd died"
for v in ls0_med info0_med ls_med ls_p90 info_med info_p90 alist_med alist_p90 ainfo_med ainfo_p90; do
	check_ms "$v"
done

rate=$(awk -v q="$Q" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0) ? q / s : 0 }')
echo "scale: defined $Q app qubes (+ template tpl) in ${secs} s, ${rate}/s (vm.create pipelined on one connection)"
echo "scale: domd RSS $(mib "$rss") MiB with $Q qubes vs $(mib "$rss0") MiB with 0 qubes, ratio $(ratio "$rss" "$rss0") (goal: <= 16 MiB with $R of them running, below)"
echo "scale:   RSS right after the creates $(mib "$rss_created") MiB; the figure above is after the listings below"
echo "scale: ls --json median ${ls_med} ms ($Q qubes) vs ${info_med} ms (info) ratio $(ratio "$ls_med" "$info_med") (goal: median <= 50 ms)"
echo "scale:   p90 ${ls_p90} ms (ls --json) vs ${info_p90} ms (info) ratio $(ratio "$ls_p90" "$info_p90"); CLI process wall time, $N runs each after 1 warm-up"
echo "scale:   ls --json with 0 qubes median ${ls0_med} ms (info ${info0_med} ms); $Q qubes vs 0: ratio $(ratio "$ls_med" "$ls0_med")"
echo "scale:   on the socket without the CLI: vm.list median ${alist_med} ms (p90 ${alist_p90}) vs daemon.info ${ainfo_med} ms (p90 ${ainfo_p90})"

[ "$R" -gt 0 ] || exit 0
# --- R of them running, started by one CLI call.
names=()
for i in $(seq 0 $((R - 1))); do names+=("q$i"); done
BH_QUBES+=("${names[@]}")
avail() { awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo; }
sync; echo 1 > /proc/sys/vm/drop_caches
mem0=$(avail)
t0=$(date +%s%N)
"${CLI[@]}" start "${names[@]}" > "$BH_T/start.out" 2>&1 || { tail -5 "$BH_T/start.out" >&2; bh_die "bulkhead start of $R qubes failed"; }
t1=$(date +%s%N)
running=$("${CLI[@]}" ls 2>/dev/null | awk '$2 == "running"' | wc -l)
[ "$running" -eq "$R" ] || bh_die "$running qubes run after starting $R"
sleep 5 # idle: their inits settled
sync; echo 1 > /proc/sys/vm/drop_caches
mem1=$(avail)
rss_run=$(bh_rss_kib "$BH_DOMD_PID")
out=$("$SC" run "$N" "${CLI[@]}" ls --json)
read -r lsr_med lsr_p90 _ <<< "$out"
check_ms lsr_med
start_s=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }')
echo "scale: bulkhead start of $R qubes: ${start_s} s, $(awk -v r="$R" -v s="$start_s" 'BEGIN { printf "%.0f", r / s }') qubes/s"
echo "scale: domd RSS $(mib "$rss_run") MiB with $Q qubes defined and $R running vs $(mib "$rss0") MiB with 0 qubes, ratio $(ratio "$rss_run" "$rss0") (goal: <= 16 MiB: $(awk -v k="$rss_run" 'BEGIN { print (k <= 16384) ? "met" : "NOT met" }'))"
echo "scale: ls --json median ${lsr_med} ms (p90 ${lsr_p90}) with $R running vs ${info_med} ms (info) ratio $(ratio "$lsr_med" "$info_med") (goal: median <= 50 ms)"
echo "scale: host memory per idle running qube: $(awk -v a="$mem0" -v b="$mem1" -v r="$R" 'BEGIN { printf "%.0f", (a - b) / r }') KiB (MemAvailable before and after the starts, page cache dropped)"
"${CLI[@]}" kill "${names[@]}" > /dev/null 2>&1 || bh_note "warning: kill of the running qubes failed"
for _ in $(seq 600); do
	[ "$("${CLI[@]}" ls 2>/dev/null | awk '$2 != "halted" && $1 != "NAME"' | wc -l)" -eq 0 ] && break
	sleep 0.1
done
BH_QUBES=()
