#!/usr/bin/env bash
# TAP driver for the cmocka unit tests: one TAP test per $BUILD/tests/test_*
# binary (built beforehand by `make unit-bins`, or `make SAN=1 unit-bins` with
# BUILD=build-san). Each binary's own TAP output is shown as comments.
#
#   BUILD=build-san prove -v tests/run-unit.t
#
# UNIT_TIMEOUT (seconds, default 600) bounds each binary.

set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-600}

bins=()
for t in "$BUILD"/tests/test_*; do
	# Only the executables: the directory also holds the .d dependency files.
	case ${t##*/} in *.*) continue ;; esac
	[ -f "$t" ] && [ -x "$t" ] && bins+=("$t")
done

if [ ${#bins[@]} -eq 0 ]; then
	echo "1..1"
	echo "not ok 1 - no unit test binaries in $BUILD/tests (run make unit-bins first)"
	exit 1
fi

# Sanitiser reports must fail the binary, and must be readable in the log.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP

echo "1..${#bins[@]}"
failed=0
n=0
for t in "${bins[@]}"; do
	n=$((n + 1))
	out=$(timeout -k 10 "$UNIT_TIMEOUT" "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	if [ $rc -eq 0 ]; then
		echo "ok $n - ${t##*/}"
	else
		case $rc in
		124) why="timed out after ${UNIT_TIMEOUT}s" ;;
		*) if [ $rc -gt 128 ]; then why="killed by signal $((rc - 128))"; else why="exit $rc"; fi ;;
		esac
		echo "not ok $n - ${t##*/} ($why)"
		failed=$((failed + 1))
	fi
done
[ $failed -eq 0 ]
