# Shared helpers for integration tests: a private domd on the ns backend,
# TAP output, and clean-up of every qube and directory the test made.
# Tests run as root from the repository root after `make all template`;
# BUILD names the build directory of domd and the CLI (default build).

export LC_ALL=C
BUILD=${BUILD:-build}
DOMD_BIN=$PWD/$BUILD/bulkhead-domd
CLI_BIN=$PWD/$BUILD/bulkhead
TEMPLATE_ROOT=$PWD/build/template/root
T=$(mktemp -d /tmp/bulkhead-test.XXXXXX)
CGROUP_PARENT=bh-test-$$
export BULKHEAD_SOCKET=$T/run/admin.sock
DOMD_PID=
tap_n=0
tap_failed=0

ok() { # ok CONDITION-EXIT-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $tap_n - $2"; else echo "not ok $tap_n - $2"; tap_failed=$((tap_failed + 1)); fi
}
check() { # check DESCRIPTION COMMAND...
	local d=$1; shift
	if "$@" >"$T/last.out" 2>&1; then ok 0 "$d"; else ok 1 "$d"; sed 's/^/#   /' "$T/last.out"; fi
}
diag() { echo "# $*"; }

bh() { "$CLI_BIN" "$@"; }

domd_start() {
	mkdir -p "$T/cfg"
	[ -f "$T/cfg/domd.conf" ] || printf 'cgroup_parent = "%s"\nstart_timeout = 20\n' "$CGROUP_PARENT" >"$T/cfg/domd.conf"
	"$DOMD_BIN" --backend ns --config-dir "$T/cfg" --state-dir "$T/state" --run-dir "$T/run" \
		--foreground "$@" >>"$T/domd.log" 2>&1 &
	DOMD_PID=$!
	for _ in $(seq 100); do
		[ -S "$BULKHEAD_SOCKET" ] && bh info >/dev/null 2>&1 && return 0
		kill -0 "$DOMD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# domd did not come up:"; sed 's/^/#   /' "$T/domd.log"; return 1
}

domd_kill9() { kill -9 "$DOMD_PID" 2>/dev/null; wait "$DOMD_PID" 2>/dev/null; DOMD_PID=; }

domd_stop() {
	[ -n "$DOMD_PID" ] || return 0
	kill "$DOMD_PID" 2>/dev/null; wait "$DOMD_PID" 2>/dev/null; DOMD_PID=
}

# Field of a qube's JSON object.
vm_field() { bh --json prefs "$1" | python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$2"; }
vm_pid() { vm_field "$1" pid; }
# A running qube's files as host root sees them (its /rw is an image
# mounted in its own mount namespace only). Reading is fine; to write, go
# through in_vm, as the qube's root.
vm_root() { echo "/proc/$(vm_pid "$1")/root"; }
# Runs a shell command inside a running qube as its root: joins its
# cgroups, then its namespaces (its user namespace too: its files are the
# qube root's) and root (the ns backend's qubes share this kernel).
in_vm() { _enter_vm -U "$@"; }
# The same as host root, for the test bed's own fake hardware (mounts in the
# qube's mount namespace, which only host root may change).
in_vm_host() { _enter_vm "" "$@"; }
_enter_vm() {
	local userns=$1 vm=$2 pid; pid=$(vm_pid "$vm"); shift 2
	CG=$CGROUP_PARENT VM=$vm PID=$pid U=$userns /bin/sh -c '
		for d in /sys/fs/cgroup/*/"$CG"/"$VM" /sys/fs/cgroup/"$CG"/"$VM"; do
			[ -f "$d/cgroup.procs" ] && echo $$ > "$d/cgroup.procs"
		done
		exec nsenter -t "$PID" $U -m -u -i -n -p -r -w /bin/sh -c "$0"' "$*"
}

# The Debian template (make debian-template) in DEBIAN_ROOT, or the test
# ends: skipped when the archive was unreachable, bailed out otherwise.
DEBIAN_ROOT=$PWD/build/debian/root
need_debian_template() {
	[ -f "$DEBIAN_ROOT/.stamp" ] && return 0
	if [ -f build/debian/unreachable ]; then
		echo "1..0 # SKIP no Debian template: $(cat build/debian/unreachable)"
		exit 0
	fi
	echo "Bail out! no Debian template in $DEBIAN_ROOT (make debian-template)"
	exit 1
}

# lan_make NETNS HOSTIF PREFIX: a namespace standing for the world behind
# the host, linked by a veth: the host is PREFIX.1, the namespace PREFIX.2
# (on lan0, its default route via the host). The caller deletes both.
lan_make() {
	ip netns add "$1" || return 1
	ip link add "$2" type veth peer name lan0 netns "$1" || return 1
	ip addr add "$3.1/24" dev "$2" && ip link set "$2" up &&
		ip -n "$1" link set lo up && ip -n "$1" link set lan0 up &&
		ip -n "$1" addr add "$3.2/24" dev lan0 && ip -n "$1" route add default via "$3.1"
}

setup_template() {
	bh template import tpl "$TEMPLATE_ROOT" >/dev/null
}

cleanup_qubes() {
	if [ -S "$BULKHEAD_SOCKET" ] && [ -n "$DOMD_PID" ]; then
		for vm in $(bh --json ls 2>/dev/null | python3 -c 'import json,sys; [print(v["name"]) for v in json.load(sys.stdin) if v["state"]!="halted"]' 2>/dev/null); do
			bh kill "$vm" >/dev/null 2>&1
		done
		sleep 0.3
	fi
}

cleanup() {
	local rc=$?
	cleanup_qubes
	domd_stop
	# Anything still in this test's cgroups (e.g. after a failed kill).
	for d in /sys/fs/cgroup/*/"$CGROUP_PARENT" /sys/fs/cgroup/"$CGROUP_PARENT"; do
		[ -d "$d" ] || continue
		for p in $(cat "$d"/*/cgroup.procs 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.2
	for d in /sys/fs/cgroup/*/"$CGROUP_PARENT" /sys/fs/cgroup/"$CGROUP_PARENT"; do
		[ -d "$d" ] || continue
		rmdir "$d"/* "$d" 2>/dev/null
	done
	[ -n "${KEEP_T:-}" ] || rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

tap_end() {
	# Sanitiser reports (domd is built with ASan/UBSan under make check;
	# leaks are reported when it exits).
	cleanup_qubes
	domd_stop
	ok $(! grep -q "Sanitizer\|runtime error:" "$T/domd.log"; echo $?) "domd logged no sanitiser report"
	grep -A20 "Sanitizer\|runtime error:" "$T/domd.log" | sed 's/^/#   /' | head -40
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
