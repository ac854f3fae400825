# Helpers for the GUI tests (gui.t, and gui-rpc.t, which runs the gateway in
# sys-gui), sourced after lib.sh. The minimal template has no libspice-server, so the
# test copies the dynamically linked programs with the libraries ldd names
# into the qubes' private volumes (/rw/guitest), as usb-lib.sh does for the
# fake USB device.
#
#   gui_install VM PROG...   PROG and its libraries into VM's /rw/guitest
#                            (before VM's first start: the first contents
#                            of its private image)
#   gui_gateway VM ARGS...   runs the copied gateway in VM as user, in the
#                            background (GW_RUN_PID); its run dir is
#                            /home/user/gui, where `bulkhead gui` looks
#   gw_dir                   sets GWDIR: that run dir, as the host sees it
#                            (through sys-gui's root: call it once it runs)

GW=$PWD/$BUILD/bulkhead-gateway
FAKE=$PWD/$BUILD/tests/gui/fake_vm
PROBE=$PWD/$BUILD/tests/gui/spice_probe
gw_dir() { GWDIR=$(vm_root sys-gui)/home/user/gui; }
GW_RUN_PID=
BLUE=3465a4 RED=cc0000 BG=202020

gui_install() {
	local vm=$1; shift
	scripts/copy-with-libs "$T/state/qubes/$vm/private/guitest" "$@"
}

# The environment of the copied programs; leaks at exit are not checked
# inside qubes (spice-server's threads are not torn down).
GUI_ENV='LD_LIBRARY_PATH=/rw/guitest/lib ASAN_OPTIONS=detect_leaks=0'

gui_gateway() {
	local vm=$1; shift
	bh run "$vm" -- "mkdir -p /home/user/gui && $GUI_ENV exec /rw/guitest/bulkhead-gateway $*" \
	    >>"$T/gw.out" 2>>"$T/gw.log" &
	GW_RUN_PID=$!
}

# probe VM CMD...: a host viewer on VM's display in sys-gui.
probe() {
	local vm=$1; shift
	ASAN_OPTIONS=detect_leaks=0 timeout -k 5 40 "$PROBE" --unix "$GWDIR/$vm.spice" \
	    --ticket-file "$GWDIR/$vm.ticket" "$@" 2> >(grep -v 'makecontext\|stack type\|False positive\|sanitizers/issues/189' >&2)
}

wait_line() { # wait_line FILE REGEX [SECONDS]
	for _ in $(seq $((${3:-10} * 20))); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "# $1 has no line matching $2:"; sed 's/^/#   /' "$1"; return 1
}

# gui_on_host: for tests that run the gateway on the host with its run dir
# in $T (gui.t, gui-desktop.t): probe and fake work there, and the exit
# stops the test qubes (PIDS) and the gateway (GW_PID).
#   probe VM CMD...          a viewer on VM's display ("desktop" too)
#   fake NAME REPORT ARGS... a test qube on $T/NAME.sock, in the background
gui_on_host() {
	GW_PID=
	PIDS=()
	gui_cleanup() {
		local rc=$?
		for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
		[ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null
		set_rc() { return "$1"; }
		set_rc "$rc"; cleanup
	}
	trap gui_cleanup EXIT
	# spice-client-glib's own allocations at exit are not ours to check.
	probe() {
		local vm=$1; shift
		ASAN_OPTIONS=detect_leaks=0 timeout -k 5 40 "$PROBE" --unix "$T/$vm.spice" \
		    --ticket-file "${TICKET:-$T/$vm.ticket}" "$@" 2> >(grep -v 'makecontext\|stack type\|False positive\|sanitizers/issues/189' >&2)
	}
	fake() {
		local vm=$1 rep=$2; shift 2
		"$FAKE" --socket "$T/$vm.sock" "$@" >"$T/$rep" 2>&1 &
		PIDS+=($!)
	}
}
