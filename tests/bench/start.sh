#!/bin/bash
# Benchmark: start → qube running (its init signalled ready).
#
# domd: wall time of the vm.start request alone, sent on the admin socket by
# a small C client (no CLI start-up counted), qube killed between runs.
# Baseline, measured in the same run and interleaved with it: a bare launch
# of the same init that makes the namespaces domd's launcher makes
# (tests/bench/start_baseline.c: a user namespace and a network namespace it
# owns, mapped like a qube's, by domd's own domd/backend/ns/ns_userns.c; new mount, pid,
# uts, ipc and cgroup namespaces; overlay of the same template root with a
# tmpfs upper, a private image of the default size at /rw through a loop
# device (domd's own code: the qubes' disk model on both backends), the API
# file systems init can no longer mount itself,
# pivot_root, root of the user namespace, exec /sbin/init with a
# BULKHEAD_READY_FD pipe, until 'R').
# Rows for information only show what each layer costs: the bare launch
# without the /rw image (the baseline before qubes had one), without a
# user namespace either (the baseline before that), then with
# an idmapped lower layer, then with domd's bounding set and seccomp filter
# (domd/backend/ns/ns_confine.c, built in), then with the move of its init into cgroups
# like domd's (the kernel's cost of that move, an RCU grace period on
# cgroup v1, is a large part of domd's start time).
#
#   tests/bench/start.sh            (from the repo root, as root,
#   BENCH_N=200 tests/bench/start.sh  after `make all template`)
#
# Prints figures and ratios; exits non-zero only on a functional failure.
set -eu
BH_NAME=start
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "start: run from the repo root" >&2; exit 1; }

N=${BENCH_N:-50}
case "$N" in '' | *[!0-9]* | 0) bh_die "BENCH_N must be a positive integer (got '$N')" ;; esac

bh_preflight
bh_setup
bh_cc start_baseline domd/backend/ns/ns_userns.c domd/backend/ns/ns_confine.c \
	domd/backend/ns/ns_private.c domd/backend/loopdev.c domd/backend/disk_image.c \
	lib/atomicfile.c lib/fdio.c -Idomd -Idomd/backend -Idomd/backend/ns -Ilib -lseccomp
bh_start_domd

bh template import tpl "$PWD/$BH_TPL" > /dev/null || bh_die "template import tpl $PWD/$BH_TPL"
bh create work --class app --label blue --template tpl > /dev/null || bh_die "create work"
BH_QUBES=(work)

# For information, the last row: bare launches moved into cgroups placed
# like domd's (under its parent, in each hierarchy it uses) before their
# init runs, as domd's monitor does. Removed with domd's parent at exit.
cgdirs=()
for d in $(readlink -f /sys/fs/cgroup/"$BH_CGROUP" /sys/fs/cgroup/*/"$BH_CGROUP" 2>/dev/null | sort -u); do
	[ -d "$d" ] || continue
	mkdir "$d/bare.bench" || bh_die "cannot create cgroup $d/bare.bench"
	cgdirs+=("$d/bare.bench")
done
[ ${#cgdirs[@]} -gt 0 ] || bh_note "note: domd's cgroup parent $BH_CGROUP not found; no bare+cgroup row"

mkdir "$BH_T/stage"
export START_BASELINE_CONSOLE="$BH_T/bare-console.log"
if ! bh_run "$BH_T/bin/start_baseline" \
	"$BH_SOCK" work "$PWD/$BH_TPL" "$BH_T/stage" "$N" ${cgdirs[@]+"${cgdirs[@]}"}; then
	if [ -s "$BH_T/bare-console.log" ]; then
		bh_note "console of the bare launches (last lines):"
		tail -n 20 "$BH_T/bare-console.log" | sed 's/^/    /' >&2
	fi
	bh_die "start_baseline failed (see above)"
fi

[ "$(bh_state work)" = halted ] || bh_die "qube work is '$(bh_state work)' after the runs, not halted"
