#!/bin/bash
# Benchmark: qube-to-qube RPC through domd.
#  - round trip of a policy-checked no-op service (bulkhead-rpc --bench,
#    median of BENCH_CALLS, default 1000) vs running the same service
#    program locally in the calling qube (the cost any call has anyway);
#  - stream throughput qube -> qube (BENCH_MB, default 1024) through a call
#    vs a raw socketpair copy of the same bytes on the host;
#  - file copy (bulkhead-copy) of a BENCH_MB file qube -> qube vs the same
#    raw copy, and vs the file copied through a raw socketpair between the
#    two qubes' volumes (the file system's share of the cost).
# Goals: round trip <= 1 ms; copy >= 0.5 of the raw copy.
#
#   tests/bench/rpc.sh   (from the repo root, as root, after `make all template`)
set -eu
BH_NAME=rpc
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "rpc: run from the repo root" >&2; exit 1; }
CALLS=${BENCH_CALLS:-1000}
MB=${BENCH_MB:-1024}

bh_preflight
bh_setup
bh_cc raw_copy
mkdir -p "$BH_T/cfg/policy.d"
cat > "$BH_T/cfg/policy.d/50-bench.policy" <<'EOF2'
bench.Noop      * a b allow
bench.Sink      * a b allow
bulkhead.Filecopy * a b allow
EOF2
bh_start_domd
bh template import tpl "$PWD/$BH_TPL" >/dev/null || bh_die "template import"
for q in a b; do
	bh create "$q" --class app --label blue --template tpl --memory 4096 >/dev/null || bh_die "create $q"
	BH_QUBES+=("$q")
	bh start "$q" >/dev/null || bh_die "start $q"
done
bh run --user root b -- 'mkdir -p /rw/config/rpc && printf "#!/bin/true\n" > /rw/config/rpc/bench.Noop && printf "#!/bin/sh\nexec cat > /dev/null\n" > /rw/config/rpc/bench.Sink && chmod 755 /rw/config/rpc/*' \
	|| bh_die "installing the services"
bh run --user root a -- 'printf "#!/bin/true\n" > /tmp/noop && chmod 755 /tmp/noop'

rt=$(bh run a -- "bulkhead-rpc --bench $CALLS b bench.Noop") || bh_die "rpc --bench failed"
# The local loop timed from the host, less an empty run's overhead.
t0=$(date +%s%N); bh run a -- true; t1=$(date +%s%N)
t2=$(date +%s%N); bh run a -- "i=0; while [ \$i -lt $CALLS ]; do /tmp/noop; i=\$((i+1)); done"; t3=$(date +%s%N)
local_us=$(( ((t3 - t2) - (t1 - t0)) / CALLS / 1000 ))
med=$(echo "$rt" | awk '{ print $4 }')
echo "rpc: round trip of a no-op call: $rt"
echo "rpc: running the same service locally: ${local_us} us each (mean of $CALLS)"
awk -v m="$med" -v l="$local_us" 'BEGIN { printf "rpc: median %.3f ms (goal <= 1 ms); ratio to a local exec %.2f\n", m / 1000, (l > 0 ? m / l : 0) }'

raw=$("$BH_T/bin/raw_copy" $((MB * 1024 * 1024)) | awk '{ print $2 }') || bh_die "raw copy"
t0=$(date +%s%N)
bh run a -- "dd if=/dev/zero bs=1M count=$MB 2>/dev/null | bulkhead-rpc b bench.Sink" || bh_die "stream"
t1=$(date +%s%N)
stream=$(awk -v mb="$MB" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", mb * 1.048576 / (ns / 1e9) }')
echo "rpc: stream a -> b: $stream MB/s vs raw socketpair $raw MB/s: ratio $(awk -v a="$stream" -v b="$raw" 'BEGIN { printf "%.2f", a / b }')"

if bh run a -- 'command -v bulkhead-copy' >/dev/null 2>&1; then
	bh run a -- "dd if=/dev/urandom of=/home/user/big bs=1M count=$MB 2>/dev/null" || bh_die "making the file"
	# The same file through a socketpair into a file in b's private volume
	# (made by b: b's files are not host root's to create), reached through
	# the qubes' roots: the file system's share of the cost, without the call.
	bh run b -- ': > /home/user/raw-big' || bh_die "making the target file"
	rawf=$("$BH_T/bin/raw_copy" $((MB * 1024 * 1024)) "/proc/$(bh prefs a pid)/root/home/user/big" \
		"/proc/$(bh prefs b pid)/root/home/user/raw-big" | awk '{ print $2 }') || bh_die "raw file copy"
	bh run b -- 'rm -f /home/user/raw-big' 
	t0=$(date +%s%N)
	bh run a -- 'bulkhead-copy b /home/user/big' >/dev/null || bh_die "bulkhead-copy failed"
	t1=$(date +%s%N)
	copy=$(awk -v mb="$MB" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", mb * 1.048576 / (ns / 1e9) }')
	echo "rpc: file copy a -> b ($MB MiB): $copy MB/s vs raw socketpair $raw MB/s: ratio $(awk -v a="$copy" -v b="$raw" 'BEGIN { printf "%.2f", a / b }') (goal >= 0.5)"
	echo "rpc: the same file from a's to b's volume through a raw socketpair: $rawf MB/s: ratio $(awk -v a="$copy" -v b="$rawf" 'BEGIN { printf "%.2f", a / b }')"
fi
