#!/bin/bash
# Benchmark: the xen backend on a real Xen hypervisor in QEMU (TCG, two
# shared cores), run inside dom0 by tests/xen/dom0-bench.sh:
#  - `bulkhead start` until the agent answers, against `xl create` of the
#    same domain until its agent starts (goal: ratio <= 1.1);
#  - a call's stream guest -> dom0 and a guest -> guest file copy, against
#    a raw libxenvchan stream guest -> dom0 (goal: copy >= 0.8 of raw); the
#    copy lands on the receiver's private image, whose write speed alone is
#    measured too.
#
#   tests/bench/xen.sh   (from the repo root, after `make appliance`)
set -u
img=${APPLIANCE_IMG:-build/appliance/image}
log=${XEN_BENCH_LOG:-build/appliance/serial-bench.log}
if [ ! -f "$img/dom0-initrd.gz" ]; then
	echo "xen: no appliance image in $img (make appliance): skipped" >&2
	exit 0
fi
rm -f "$log"
t0=$(date +%s)
timeout --kill-after=10 400 appliance-image/run-qemu "$img" bench "$log" </dev/null
rc=$?
res=$(tr -d '\r' < "$log" | sed -n 's/^.*bench: //p')
if [ $rc -ne 0 ] || echo "$res" | grep -q '^FAIL' || ! echo "$res" | grep -q '^done'; then
	echo "xen: FAIL (QEMU status $rc); serial log:" >&2
	tr -d '\r' < "$log" | tail -n 60 >&2
	exit 1
fi
get() { echo "$res" | awk -v k="$1" '$1 == k { print $2 }'; }
bytes=$(echo "$res" | awk '$1 == "raw_vchan_s" { print substr($3, 2) }')
echo "xen benchmark ($(($(date +%s) - t0)) s in QEMU, TCG):"
echo "$res" | grep -v '^done' | sed 's/^/  /'
awk -v xl="$(get start_xl_s)" -v bh="$(get start_bulkhead_s)" -v raw="$(get raw_vchan_s)" \
    -v run="$(get run_stream_s)" -v runf="$(get run_file_s)" -v disk="$(get disk_write_s)" \
    -v copy="$(get copy_s)" -v b="$bytes" 'BEGIN {
	mb = b / 1048576
	printf "  start: bulkhead %.2f s / xl create %.2f s = %.2f (goal <= 1.1)\n", bh, xl, bh / xl
	printf "  raw vchan %.2f MiB/s; bulkhead run stream into wc %.2f MiB/s (%.2f of raw), " \
	    "into a file %.2f MiB/s (%.2f of raw)\n", mb / raw, mb / run, raw / run, mb / runf, raw / runf
	printf "  guest -> guest copy %.2f MiB/s (%.2f of raw, goal >= 0.8); its receiver'"'"'s " \
	    "disk alone %.2f MiB/s; the copy against raw + disk: %.2f\n", mb / copy, raw / copy, \
	    mb / disk, (raw + disk) / copy
}'
