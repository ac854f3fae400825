#!/bin/bash
# Benchmark: the USB proxy on the umockdev fake device (tests/usb/), all in
# the same run and on the same fake device:
#  - bulk loopback throughput (BENCH_USB_MB, default 64 MiB, 64 KiB URBs,
#    8 OUT + 8 IN in flight) straight through libusb (usb-direct) vs through
#    the exporter on a socketpair (usbip-peer) vs exporter + importer relay
#    (the peer playing vhci-hcd); ratios against the direct run;
#  - median round trip of 1000 control requests (GET_STATUS) each way.
# The fake device answers every usbfs ioctl over umockdev's socket from one
# worker thread, and its descriptor always polls ready, so the absolute
# figures are the fake's, not a real device's. Throughput is bound by that
# fake, not by the proxy: with the work spread over more processes the
# proxied runs can even beat the direct one (ratio > 1). The round trip is
# the telling figure: what the extra hops add to each URB.
#
#   tests/bench/usb.sh   (from the repo root, after `make all usb-test-bins`)
set -eu
BH_NAME=usb
MB=${BENCH_USB_MB:-64}
B=build
for f in "$B/bulkhead-usbproxy" "$B/tests/usb-fakedev" "$B/tests/usbip-peer" "$B/tests/usb-direct"; do
	[ -x "$f" ] || { echo "usb: FAIL: $f missing: run 'make all usb-test-bins' first" >&2; exit 1; }
done
T=$(mktemp -d /tmp/bulkhead-bench-usb.XXXXXX)
trap 'rm -rf "$T"' EXIT

field() { sed -n "s/^$1=//p" "$2"; }

"$B/tests/usb-fakedev" -- "$B/tests/usb-direct" "$MB" >"$T/direct" 2>"$T/direct.err" ||
	{ cat "$T/direct.err" >&2; echo "usb: FAIL: direct run" >&2; exit 1; }
"$B/tests/usbip-peer" bench "$MB" -- "$B/tests/usb-fakedev" -- "$B/bulkhead-usbproxy" export 1-1 \
	>"$T/proxy" 2>"$T/proxy.err" || { cat "$T/proxy" "$T/proxy.err" >&2; echo "usb: FAIL: exporter run" >&2; exit 1; }
mkdir "$T/vhci"
printf '%s\n' 'hub port sta spd dev      sockfd local_busid' 'hs  0000 006 003 00010002 000003 1-1' 'hs  0001 004 000 00000000 000000 0-0' >"$T/vhci/status"
mkfifo "$T/vhci/attach"
: >"$T/vhci/detach"
"$B/tests/usbip-peer" --import "$B/bulkhead-usbproxy" --vhci "$T/vhci" bench "$MB" -- \
	"$B/tests/usb-fakedev" -- "$B/bulkhead-usbproxy" export 1-1 >"$T/relay" 2>"$T/relay.err" ||
	{ cat "$T/relay" "$T/relay.err" >&2; echo "usb: FAIL: importer run" >&2; exit 1; }

d_mbs=$(field throughput_mib_s "$T/direct"); d_rtt=$(field rtt_median_us "$T/direct")
p_mbs=$(field throughput_mib_s "$T/proxy"); p_rtt=$(field rtt_median_us "$T/proxy")
r_mbs=$(field throughput_mib_s "$T/relay"); r_rtt=$(field rtt_median_us "$T/relay")
printf '%-34s %12s %10s %16s\n' "path ($MB MiB loopback)" "MiB/s" "ratio" "rtt median (us)"
printf '%-34s %12s %10s %16s\n' "libusb direct (baseline)" "$d_mbs" "1.00" "$d_rtt"
printf '%-34s %12s %10s %16s\n' "exporter over a socketpair" "$p_mbs" "$(awk "BEGIN{printf \"%.2f\", $p_mbs/$d_mbs}")" "$p_rtt"
printf '%-34s %12s %10s %16s\n' "exporter + importer relay" "$r_mbs" "$(awk "BEGIN{printf \"%.2f\", $r_mbs/$d_mbs}")" "$r_rtt"
