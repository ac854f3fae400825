#!/bin/sh
# The xen backend's benchmark, inside the appliance's dom0 (bulkhead.mode=
# bench; tests/bench/xen.sh boots it and reads the results back):
#  - start: `bulkhead start` of a PV AppVM of the minimal template until the
#    agent answers `bulkhead run -- true`, against `xl create` of a domain
#    with the same kernel, initramfs and memory but no disks (the agent
#    runs from the initramfs) until its console shows the agent starting;
#    median of RUNS each. The bulkhead side also makes and attaches three
#    disks and switches root;
#  - throughput: BYTES out of a guest through `bulkhead run` (into wc, and
#    into a file), BYTES written to a guest's private image, and a
#    `bulkhead-copy` of BYTES guest to guest (to the receiver's private
#    image), against a raw libxenvchan
#    stream of BYTES guest -> dom0 (chan_peer blast/drain: zeros, 64 KiB
#    writes, no per-byte work, as `head -c BYTES /dev/zero`).
# Results are "bench: KEY VALUE" lines on the serial console.
GUEST=/usr/share/bulkhead/guest
RUNS=3
BYTES=16777216
say() { echo "bench: $*"; }
# busybox date has no %N: the uptime clock has hundredths.
now() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$(now) $1" | awk '{ printf "%.2f\n", $1 - $2 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
wait_for() { # wait_for SECONDS COMMAND...: polls every 0.1 s
	t=$(($1 * 10)); shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.1; t=$((t - 1)); done
	return 1
}

bulkhead-domd --backend xen --foreground >>/tmp/domd.log 2>&1 &
wait_for 20 bulkhead info >/dev/null 2>&1 || { say "FAIL domd did not start"; exit 1; }

# xl create of the domain domd would make, until its agent starts.
cat > /tmp/base.cfg <<CFG
name = "base"
type = "pv"
kernel = "$GUEST/vmlinux"
ramdisk = "$GUEST/initrd.gz"
extra = "console=hvc0 quiet"
memory = 128
vcpus = 1
on_crash = "destroy"
CFG
: > /tmp/xl.times
for i in $(seq $RUNS); do
	log=/var/log/xen/console/guest-base.log
	rm -f "$log"
	t0=$(now)
	xl create /tmp/base.cfg >/dev/null 2>&1 || { say "FAIL xl create"; exit 1; }
	wait_for 120 grep -q 'bulkhead-agent: .* starting' "$log" 2>/dev/null || { say "FAIL base's agent"; exit 1; }
	since "$t0" >> /tmp/xl.times
	xl destroy base
done
bulkhead template import minimal /usr/share/bulkhead/templates/minimal.img >/dev/null 2>&1 ||
	{ say "FAIL template import"; exit 1; }
bulkhead create q --template minimal --label blue --memory 128 --vcpus 1 >/dev/null 2>&1 &&
	bulkhead prefs q virt_mode pv >/dev/null 2>&1
: > /tmp/bh.times
for i in $(seq $RUNS); do
	t0=$(now)
	timeout 120 bulkhead start q >/dev/null 2>&1 &&
		wait_for 120 bulkhead run q -- true 2>/dev/null || { say "FAIL bulkhead start q"; exit 1; }
	since "$t0" >> /tmp/bh.times
	bulkhead kill q >/dev/null 2>&1
	wait_for 30 sh -c "! xl list 2>/dev/null | grep -q '^q '"
done
say "start_xl_s $(median < /tmp/xl.times) ($(tr '\n' ' ' < /tmp/xl.times))"
say "start_bulkhead_s $(median < /tmp/bh.times) ($(tr '\n' ' ' < /tmp/bh.times))"

# Throughput, with two running qubes.
mkdir -p /etc/bulkhead/policy.d
echo 'bulkhead.Filecopy * q r allow' > /etc/bulkhead/policy.d/50-bench.policy
bulkhead create r --template minimal --label green --memory 128 --vcpus 1 >/dev/null 2>&1 &&
	bulkhead prefs r virt_mode pv >/dev/null 2>&1
timeout 120 bulkhead start q r >/dev/null 2>&1 && wait_for 120 bulkhead run q -- true &&
	wait_for 120 bulkhead run r -- true || { say "FAIL starting q and r"; exit 1; }
domid=$(xl domid q)
path=/local/domain/0/data/bulkhead/bench
# The template has no test tools: the static chan_peer goes in by the call.
bulkhead run --pass-io q -- 'cat > /tmp/chan_peer && chmod 0755 /tmp/chan_peer' \
	< /usr/lib/bulkhead/chan_peer || { say "FAIL copying chan_peer into q"; exit 1; }
t0=$(now)
/usr/lib/bulkhead/chan_peer drain "$domid" "$path" $BYTES >/tmp/raw.log 2>&1 &
server=$!
bulkhead run --user root q -- "/tmp/chan_peer blast 0 $path $BYTES" >/dev/null 2>&1
wait $server || { say "FAIL raw stream"; cat /tmp/raw.log; exit 1; }
say "raw_vchan_s $(since "$t0") ($BYTES bytes guest -> dom0, raw libxenvchan)"
t0=$(now)
n=$(bulkhead run q -- "head -c $BYTES /dev/zero" | wc -c)
[ "$n" -eq $BYTES ] || { say "FAIL run stream: $n bytes"; exit 1; }
say "run_stream_s $(since "$t0") ($BYTES bytes guest -> dom0 through bulkhead run)"
# The same stream into a file: without busybox wc's 4 KiB reads (and the
# pipe's wake-ups at each) in dom0.
t0=$(now)
bulkhead run q -- "head -c $BYTES /dev/zero" > /tmp/run.out
n=$(stat -c %s /tmp/run.out)
rm -f /tmp/run.out
[ "$n" -eq $BYTES ] || { say "FAIL run stream to a file: $n bytes"; exit 1; }
say "run_file_s $(since "$t0") ($BYTES bytes guest -> a dom0 file through bulkhead run)"
# What the copy's receiver pays for its disk: the same bytes written to its
# home, on the private image, through blkfront, blkback and a loop device.
t0=$(now)
bulkhead run r -- "head -c $BYTES /dev/zero > ~/w && sync && rm ~/w" || { say "FAIL disk write"; exit 1; }
say "disk_write_s $(since "$t0") ($BYTES bytes written to r's private image)"
bulkhead run q -- "head -c $BYTES /dev/zero > /tmp/f" || { say "FAIL making the file"; exit 1; }
t0=$(now)
bulkhead run q -- "bulkhead-copy r /tmp/f" >/dev/null 2>&1 || { say "FAIL copy"; exit 1; }
say "copy_s $(since "$t0") ($BYTES bytes guest -> guest through bulkhead-copy)"
bulkhead kill q r >/dev/null 2>&1
say "done"
