# Helpers for the USB tests (usb-attach.t, console-usb.t), sourced after
# lib.sh: sys-usb runs the real exporter (from the template) on a fake
# device (umockdev; the kernel here has no USB), an AppVM runs the real
# importer, domd plugs the host's vhci-hcd port for it (a fake one here)
# and connects them only for an attach.
#
#   usb_setup            before domd_start: the fake device must exist, the
#                        default policy (bulkhead.USB denied) is installed,
#                        the host's fake vhci-hcd files are in $T/vhci
#                        (BULKHEAD_VHCI_SYSFS, for domd)
#   usb_sysusb           after setup_template: sys-usb with provides_usb and
#                        its "hardware"
#   fake_vhci_kernel     the kernel's side behind $T/vhci, taking sockets
#                        from domd only, logging to $T/vhci.log (VHCI_PID;
#                        killed by usb_end)
#   exporter_runs        an exporter runs in sys-usb
#   eventually DESC CMD  ok once CMD succeeds within 10 s

FAKE=$PWD/$BUILD/tests/usb-fakedev
VHCI_PID=

usb_setup() {
	if [ ! -x "$FAKE" ]; then
		echo "1..1"
		echo "not ok 1 - $FAKE missing (make usb-test-bins)"
		exit 1
	fi
	mkdir -p "$T/cfg/policy.d" "$T/vhci"
	cp config/site/policy.d/90-default.policy "$T/cfg/policy.d/"
	printf "%s\n" "hub port sta spd dev      sockfd local_busid" \
		"hs  0000 004 000 00000000 000000 0-0" "ss  0001 004 000 00000000 000000 0-0" >"$T/vhci/status"
	: >"$T/vhci/attach"; : >"$T/vhci/detach"
	export BULKHEAD_VHCI_SYSFS=$T/vhci
}

# sys-usb's "hardware": the fake device and the libraries it needs, in its
# private volume, and per-qube services that run the template's
# bulkhead-usbproxy on it.
usb_sysusb() {
	local p=$T/state/qubes/sys-usb/private preload lib svc cmd
	bh create sys-usb --label red --template tpl >/dev/null || return 1
	bh prefs sys-usb provides_usb 1 >/dev/null || return 1
	mkdir -p "$p/usbtest/lib" "$p/config/rpc"
	cp "$FAKE" "$p/usbtest/"
	preload=$(ldconfig -p | awk '/libumockdev-preload.so.0 / { print $NF; exit }')
	for lib in $( (ldd "$FAKE"; ldd "$preload") | awk '/=> \// { print $3 }' | sort -u) "$preload"; do
		cp -L "$lib" "$p/usbtest/lib/"
	done
	for svc in bulkhead.USB bulkhead.USBList; do
		cmd=$([ $svc = bulkhead.USB ] && echo 'export "$BULKHEAD_RPC_ARG"' || echo list)
		printf '#!/bin/sh\nexport LD_LIBRARY_PATH=/rw/usbtest/lib\nexec /rw/usbtest/usb-fakedev -- /usr/lib/bulkhead/bulkhead-usbproxy %s\n' "$cmd" >"$p/config/rpc/$svc"
		chmod 755 "$p/config/rpc/$svc"
	done
}

# The kernel's part behind the host's fake vhci-hcd: takes the socket named
# in `attach` from domd's descriptors (the way the kernel takes it from its
# writer's), marks the port used.
fake_vhci_kernel() {
	python3 tests/integration/fake_vhci.py "$T/vhci" "$DOMD_PID" >"$T/vhci.log" 2>&1 &
	VHCI_PID=$!
}

# A bulkhead-usbproxy export process in sys-usb's pid namespace.
exporter_runs() {
	local ns p; ns=$(readlink "/proc/$(vm_pid sys-usb)/ns/pid")
	for p in $(pgrep -f 'bulkhead-usbproxy export'); do
		[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$ns" ] && return 0
	done
	return 1
}
not_exporter_runs() { ! exporter_runs; }

eventually() {
	local d=$1; shift
	for _ in $(seq 100); do "$@" >/dev/null 2>&1 && { ok 0 "$d"; return; }; sleep 0.1; done
	ok 1 "$d"; "$@" 2>&1 | sed 's/^/#   /'
}

usb_end() {
	[ -n "$VHCI_PID" ] || return 0
	kill "$VHCI_PID" 2>/dev/null; wait "$VHCI_PID" 2>/dev/null; VHCI_PID=
}
