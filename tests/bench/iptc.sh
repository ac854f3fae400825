#!/bin/bash
# Benchmark: applying 1 000 firewall rules across 50 client qubes (tcp/udp
# ports and ranges, dst4, icmp, dns), in a private network namespace:
# bulkhead-firewall's libiptc apply (one commit per table) against
# iptables-legacy-restore of the same ruleset and against one
# iptables-legacy command per rule, interleaved in the same run, medians
# printed as ratios (tests/bench/bench_iptc.c does the timing).
# Goals: libiptc no slower than restore; >= 20x faster than per-rule commands.
#
#   tests/bench/iptc.sh                 (from the repo root, as root)
#   BENCH_N=9 BENCH_N_CMD=3 tests/bench/iptc.sh
#
# Prints figures and ratios; exits non-zero only on a functional failure.
set -eu
BH_NAME=iptc
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "iptc: run from the repo root" >&2; exit 1; }

N=${BENCH_N:-5}
NCMD=${BENCH_N_CMD:-3}
case "$N" in '' | *[!0-9]* | 0) bh_die "BENCH_N must be a positive integer (got '$N')" ;; esac
case "$NCMD" in '' | *[!0-9]* | 0) bh_die "BENCH_N_CMD must be a positive integer (got '$NCMD')" ;; esac
[ "$NCMD" -le "$N" ] || NCMD=$N

# Needs no domd or template: only root, a compiler and the legacy tools.
if [ ! -f Makefile ] || [ ! -d tests/bench ]; then
	bh_die "run from the repo root (tests/bench/iptc.sh)"
fi
[ "$(id -u)" = 0 ] || bh_die "needs root (network namespace, iptables)"
for c in gcc unshare iptables-legacy iptables-legacy-save iptables-legacy-restore; do
	command -v "$c" >/dev/null || bh_die "$c is needed"
done

bh_setup
gcc -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -Ilib -Inetvm-firewall -o "$BH_T/bin/bench_iptc" \
	tests/bench/bench_iptc.c netvm-firewall/fw_iptc.c lib/iptc_entry.c lib/fwrule.c lib/log.c -lip4tc \
	> "$BH_T/cc.log" 2>&1 || { cat "$BH_T/cc.log" >&2; bh_die "cannot build tests/bench/bench_iptc.c"; }

bh_run unshare -n "$BH_T/bin/bench_iptc" "$BH_T" "$N" "$NCMD" || bh_die "bench_iptc failed (see above)"
