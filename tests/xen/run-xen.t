#!/bin/bash
# Boots the Xen appliance (make appliance) in QEMU in test mode: a real Xen
# hypervisor, a Linux dom0 and a PV guest, all under software emulation.
# dom0's init runs tests/xen/dom0-tests.sh, which prints TAP on the serial
# line; this script reads the serial log back, repeats those results as its
# own, and adds QEMU's exit status and the completeness of the plan.  The
# whole log is printed on any failure.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
img=${APPLIANCE_IMG:-$top/build/appliance/image}
log=${XEN_SERIAL_LOG:-$top/build/appliance/serial-test.log}
limit=420 # seconds: a run takes 170-250 under TCG here; room for a slow one

if [ ! -f "$img/dom0-initrd.gz" ]; then
	echo "1..0 # SKIP no appliance image in $img (make appliance)"
	exit 0
fi

rm -f "$log"
t0=$(date +%s)
timeout --kill-after=10 "$limit" "$top/appliance-image/run-qemu" "$img" test "$log" </dev/null
rc=$?
secs=$(($(date +%s) - t0))

n=0
fails=0
plan=
inner=0
# Serial lines end in CR LF; kernel messages may share the line.
while IFS= read -r line; do
	case $line in
	1..*) plan=${line#1..} ;;
	"ok "*|"not ok "*)
		inner=$((inner + 1)); n=$((n + 1))
		res=${line%% [0-9]*}
		desc=${line#"$res" }; desc=${desc#* }
		echo "$res $n dom0 $desc"
		[ "$res" = ok ] || fails=$((fails + 1))
		;;
	"# "*) echo "$line" ;;
	esac
done < <(tr -d '\r' < "$log" 2>/dev/null | grep -aE '^(1\.\.[0-9]+|(not )?ok [0-9]+|# )')

n=$((n + 1))
if [ $rc -eq 0 ]; then
	echo "ok $n - QEMU exited 0 (${secs} s)"
else
	echo "not ok $n - QEMU exit status $rc after ${secs} s (124: killed at the ${limit} s limit)"
	fails=$((fails + 1))
fi
n=$((n + 1))
if [ -n "$plan" ] && [ "$plan" -eq "$inner" ]; then
	echo "ok $n - dom0 ran its whole plan ($inner tests)"
else
	echo "not ok $n - dom0 planned ${plan:-no} tests, $inner reported"
	fails=$((fails + 1))
fi
if [ $fails -ne 0 ]; then
	echo "# serial log ($log):"
	tr -d '\r' < "$log" | sed 's/^/# | /'
fi
echo "1..$n"
exit 0
