# shellcheck shell=bash
# Shared by the tests/bench/*.sh benchmarks (sourced, not run: the Makefile's
# `bench` target runs only *.sh). Each benchmark gets a private domd on a
# temporary state/run/config directory and its own cgroup parent, and cleans
# up everything at exit: qubes first (they outlive domd by design), then
# domd, then the cgroup parent domd leaves behind, then the directory.
#
# Functional failures end the benchmark with status 1 and a message on
# stderr; the timings themselves are never pass/fail.

BH_CLI=build/bulkhead
BH_DOMD=build/bulkhead-domd
BH_TPL=build/template/root
BH_CGROUP="bh-bench-$$"
BH_T=
BH_RUN=		# domd's --run-dir
BH_SOCK=	# its admin socket
BH_DOMD_PID=
BH_HELPER_PID=	# a helper started by bh_run
BH_QUBES=()	# qubes that may be running: killed at exit

bh_die() {
	echo "${BH_NAME:-bench}: FAIL: $*" >&2
	exit 1
}

bh_note() {
	echo "${BH_NAME:-bench}: $*" >&2
}

# Checks we are at the repo root, root, with everything built.
bh_preflight() {
	if [ ! -f Makefile ] || [ ! -d tests/bench ]; then
		bh_die "run from the repo root (e.g. tests/bench/${BH_NAME}.sh)"
	fi
	[ "$(id -u)" = 0 ] || bh_die "needs root (namespaces, mounts, cgroups)"
	local f
	for f in "$BH_CLI" "$BH_DOMD" "$BH_TPL/sbin/init"; do
		[ -x "$f" ] || bh_die "$f missing: run 'make all template' first"
	done
	command -v gcc >/dev/null || bh_die "gcc is needed to build the bench helpers"
}

# Runs the CLI against our domd; its output is the CLI's.
bh() {
	"$BH_CLI" --socket "$BH_SOCK" "$@"
}

bh_state() {
	bh --json prefs "$1" 2>/dev/null | sed -n 's/^ *"state": *"\([a-z]*\)".*/\1/p'
}

bh_cleanup() {
	local rc=$? q d
	trap - EXIT INT TERM HUP
	set +eu
	if [ -n "$BH_HELPER_PID" ]; then
		kill -TERM "$BH_HELPER_PID" 2>/dev/null
		wait "$BH_HELPER_PID" 2>/dev/null
	fi
	if [ -n "$BH_T" ] && [ -n "$BH_DOMD_PID" ] && kill -0 "$BH_DOMD_PID" 2>/dev/null; then
		for q in ${BH_QUBES[@]+"${BH_QUBES[@]}"}; do
			case "$(bh_state "$q")" in
			halted | "") continue ;;
			esac
			bh kill "$q" >/dev/null 2>&1
			# vm.kill replies before the qube is gone: wait for halted.
			for _ in $(seq 100); do
				[ "$(bh_state "$q")" = halted ] && break
				sleep 0.05
			done
			[ "$(bh_state "$q")" = halted ] || bh_note "warning: qube $q did not halt"
		done
	fi
	if [ -n "$BH_DOMD_PID" ]; then
		kill -TERM "$BH_DOMD_PID" 2>/dev/null
		for _ in $(seq 100); do
			kill -0 "$BH_DOMD_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$BH_DOMD_PID" 2>/dev/null
		wait 2>/dev/null	# reaps domd (or setsid) if it is our child
	fi
	# domd leaves its (then empty) cgroup parent behind; remove ours only.
	for d in /sys/fs/cgroup/"$BH_CGROUP" /sys/fs/cgroup/*/"$BH_CGROUP"; do
		[ -d "$d" ] || continue
		find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
		rmdir "$d" 2>/dev/null || bh_note "warning: cannot remove cgroup $d"
	done
	if [ -n "$BH_RUN" ] && [ "$BH_RUN" != "$BH_T/run" ] && [ -d "$BH_RUN" ]; then
		if grep -q " $BH_RUN/" /proc/self/mountinfo; then
			bh_note "warning: mounts left under $BH_RUN; not removing it"
		else
			rm -rf -- "$BH_RUN"
		fi
	fi
	if [ -n "$BH_T" ] && [ -d "$BH_T" ]; then
		if [ "$rc" = 1 ] && [ -s "$BH_T/domd.log" ]; then
			bh_note "domd log (last lines):"
			tail -n 30 "$BH_T/domd.log" | sed 's/^/    /' >&2
		fi
		# Nothing should be mounted there, but never rm through a mount.
		if grep -q " $BH_T/" /proc/self/mountinfo; then
			bh_note "warning: mounts left under $BH_T; not removing it"
		else
			rm -rf -- "$BH_T"
		fi
	fi
	exit "$rc"
}

# Makes the temp dirs and installs the trap; call first.
# The run dir goes on a tmpfs (/run) when there is one, like domd's default
# /run/bulkhead: the monitor fsyncs a record there while the qube starts,
# which costs milliseconds on a disk. BENCH_RUN_ON_DISK=1 keeps it in $BH_T.
bh_setup() {
	trap bh_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	BH_T=$(mktemp -d "/tmp/bulkhead-bench-${BH_NAME}.XXXXXX")
	if [ "${BENCH_RUN_ON_DISK:-0}" != 1 ] && [ "$(stat -f -c %T /run 2>/dev/null)" = tmpfs ]; then
		BH_RUN=$(mktemp -d "/run/bulkhead-bench-${BH_NAME}.XXXXXX")
	else
		BH_RUN=$BH_T/run
	fi
	BH_SOCK=$BH_RUN/admin.sock
	mkdir -p "$BH_T/cfg" "$BH_T/bin"
	printf 'cgroup_parent = "%s"\n' "$BH_CGROUP" > "$BH_T/cfg/domd.conf"
}

# bh_cc NAME [ARG...]: builds tests/bench/NAME.c into $BH_T/bin/NAME; ARGs
# (sources of the tree the bench reuses, -I, libraries) follow its source.
bh_cc() {
	local name=$1
	shift
	gcc -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -o "$BH_T/bin/$name" "tests/bench/$name.c" "$@" -ljson-c \
		> "$BH_T/cc-$name.log" 2>&1 || { cat "$BH_T/cc-$name.log" >&2; bh_die "cannot build tests/bench/$name.c"; }
}

# domd runs in a session of its own (as under systemd) so that a ^C of the
# benchmark reaches only the benchmark, whose trap then stops qubes and domd.
bh_start_domd() {
	local st
	setsid "$BH_DOMD" --backend ns --config-dir "$BH_T/cfg" --state-dir "$BH_T/state" \
		--run-dir "$BH_RUN" --foreground > "$BH_T/domd.log" 2>&1 < /dev/null &
	BH_DOMD_PID=$!
	for _ in $(seq 200); do
		if ! kill -0 "$BH_DOMD_PID" 2>/dev/null; then
			st=0
			wait "$BH_DOMD_PID" || st=$?
			BH_DOMD_PID=
			bh_die "domd exited at start-up (status $st)"
		fi
		if [ -S "$BH_SOCK" ] && bh info >/dev/null 2>&1; then
			# setsid may have forked: take domd's own pid from domd.
			st=$(bh --json info | sed -n 's/^ *"pid": *\([0-9]*\).*/\1/p')
			if [ -z "$st" ] || [ ! -d "/proc/$st" ]; then
				bh_die "cannot learn domd's pid from 'info'"
			fi
			BH_DOMD_PID=$st
			return 0
		fi
		sleep 0.025
	done
	bh_die "domd did not answer on $BH_SOCK within 5 s"
}

# bh_run CMD...: runs a long helper so that a signal to the benchmark is
# handled at once (bash defers traps while a foreground command runs) and
# the trap can stop it. Returns its status.
bh_run() {
	local st=0
	"$@" &
	BH_HELPER_PID=$!
	wait "$BH_HELPER_PID" || st=$?
	BH_HELPER_PID=
	return "$st"
}

# bh_rss_kib PID: its VmRSS in KiB (dies if unreadable; use as x=$(...)).
bh_rss_kib() {
	local k
	k=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null) || true
	[ -n "$k" ] || bh_die "cannot read VmRSS of pid $1"
	echo "$k"
}
