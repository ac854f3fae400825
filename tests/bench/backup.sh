#!/bin/bash
# Benchmark: `bulkhead backup create` of a qube holding BENCH_MB (default
# 1024) MiB of private data (half random bytes, half base64 text) against
# `tar -c | zstd -3` of the same qube folder's private.img to the same
# destination folder, in the same run; the best of BENCH_ROUNDS (default 2)
# each, the file warm in the page cache for both. The backup's time includes
# its Argon2id key derivation (~0.5 s). Goal: ratio of throughputs >= 0.7
# (encryption costs little next to compression). The backup compresses with
# one zstd worker per CPU (2 to 4): the ratio to `zstd -3 -T0` (all CPUs)
# is printed too.
#
#   tests/bench/backup.sh   (from the repo root, as root, after `make all template`)
set -eu
BH_NAME=backup
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "backup: run from the repo root" >&2; exit 1; }
MB=${BENCH_MB:-1024}
ROUNDS=${BENCH_ROUNDS:-2}

bh_preflight
command -v zstd >/dev/null || bh_die "zstd is needed for the baseline (apt-get install zstd)"
bh_setup
bh_start_domd
bh template import tpl "$PWD/$BH_TPL" >/dev/null || bh_die "template import"
bh create data --class app --label blue --template tpl --memory 1024 >/dev/null || bh_die "create"
BH_QUBES+=(data)
bh start data >/dev/null || bh_die "start"
half=$((MB / 2))
bh run data -- "dd if=/dev/urandom of=random bs=1M count=$half 2>/dev/null &&
	dd if=/dev/urandom bs=1M count=$((half * 3 / 4)) 2>/dev/null | base64 > text && sync" ||
	bh_die "writing the data"
bh shutdown --wait data >/dev/null || bh_die "shutdown"
dir=$BH_T/state/qubes/data
img=$dir/private.img
[ -f "$img" ] || bh_die "no private.img"
echo "bench passphrase" > "$BH_T/pass"
mkdir -p "$BH_T/out"
cat "$img" > /dev/null
used=$(du -k "$img" | cut -f1)

ms() { echo $(( ($2 - $1) / 1000000 )); }
best_bk= best_tar= best_mt=
for r in $(seq "$ROUNDS"); do
	rm -f "$BH_T/out/"*
	t0=$(date +%s%N)
	tar -C "$dir" -cf - private.img | zstd -3 -q > "$BH_T/out/data.tar.zst" || bh_die "tar | zstd"
	sync "$BH_T/out/data.tar.zst"
	t1=$(date +%s%N)
	bh backup create data --to "$BH_T/out/data.bk" --passphrase-file "$BH_T/pass" >/dev/null 2>&1 ||
		bh_die "backup create"
	sync "$BH_T/out/data.bk"
	t2=$(date +%s%N)
	tar -C "$dir" -cf - private.img | zstd -3 -T0 -q > "$BH_T/out/data-mt.tar.zst" || bh_die "tar | zstd -T0"
	sync "$BH_T/out/data-mt.tar.zst"
	t3=$(date +%s%N)
	tar_ms=$(ms "$t0" "$t1") bk_ms=$(ms "$t1" "$t2") mt_ms=$(ms "$t2" "$t3")
	bh_note "round $r: tar | zstd ${tar_ms} ms, backup ${bk_ms} ms, tar | zstd -T0 ${mt_ms} ms"
	[ -z "$best_mt" ] || [ "$mt_ms" -lt "$best_mt" ] && best_mt=$mt_ms
	[ -z "$best_tar" ] || [ "$tar_ms" -lt "$best_tar" ] && best_tar=$tar_ms
	[ -z "$best_bk" ] || [ "$bk_ms" -lt "$best_bk" ] && best_bk=$bk_ms
done
bh backup verify "$BH_T/out/data.bk" --passphrase-file "$BH_T/pass" >/dev/null 2>&1 || bh_die "verify"
sz_tar=$(stat -c %s "$BH_T/out/data.tar.zst") sz_bk=$(stat -c %s "$BH_T/out/data.bk")
echo "backup: private.img of $(( $(stat -c %s "$img") >> 20 )) MiB holding $((used >> 10)) MiB ($MB MiB of data)"
awk -v b="$best_bk" -v t="$best_tar" -v m="$best_mt" -v mb="$MB" -v sb="$sz_bk" -v st="$sz_tar" 'BEGIN {
	printf "backup: bulkhead backup create %d ms (%.0f MiB/s of data, %.0f MiB written)\n", b, mb * 1000 / b, sb / 1048576
	printf "backup: tar | zstd -3         %d ms (%.0f MiB/s of data, %.0f MiB written)\n", t, mb * 1000 / t, st / 1048576
	printf "backup: tar | zstd -3 -T0     %d ms (%.0f MiB/s of data)\n", m, mb * 1000 / m
	printf "backup: throughput ratio %.2f (goal >= 0.7); to zstd -T0 %.2f\n", t / b, m / b
}'
