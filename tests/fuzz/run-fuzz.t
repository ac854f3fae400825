#!/usr/bin/env bash
# TAP driver for the libFuzzer harnesses: runs every build-fuzz/fuzz_NAME
# (built by `make fuzz-bins`) for FUZZ_SECONDS (default 10) on a temporary
# copy of its seeds in tests/fuzz/corpus/NAME/, so the repository is never
# modified. A crash, leak, sanitiser report or timeout fails that harness; the
# input that caused it is kept under FUZZ_ARTIFACTS (default
# build-fuzz/artifacts/NAME/) and printed.
#
# A LeakSanitizer suppression file tests/fuzz/fuzz_NAME.lsan.supp is used
# when present; it must name one specific third-party leak and say why.

set -u
cd "$(dirname "$0")/../.." || exit 1

FUZZ_SECONDS=${FUZZ_SECONDS:-10}
FUZZ_ARTIFACTS=${FUZZ_ARTIFACTS:-build-fuzz/artifacts}

bins=()
for f in build-fuzz/fuzz_*; do
	case ${f##*/} in *.*) continue ;; esac
	[ -f "$f" ] && [ -x "$f" ] && bins+=("$f")
done

if [ ${#bins[@]} -eq 0 ]; then
	echo "1..1"
	echo "not ok 1 - no fuzz harnesses in build-fuzz/ (run make fuzz-bins first)"
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/run-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

echo "1..${#bins[@]}"
failed=0
n=0
for f in "${bins[@]}"; do
	n=$((n + 1))
	bin=${f##*/}
	name=${bin#fuzz_}
	corpus=$work/$name/corpus
	arts=$work/$name/artifacts
	mkdir -p "$corpus" "$arts"
	seeds=0
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -R "tests/fuzz/corpus/$name/." "$corpus/"
		seeds=$(find "$corpus" -type f | wc -l)
	fi

	lsan=${LSAN_OPTIONS:-print_suppressions=1}
	supp=tests/fuzz/$bin.lsan.supp
	if [ -f "$supp" ]; then
		lsan="$lsan:suppressions=$PWD/$supp"
		echo "# $bin: using LeakSanitizer suppressions from $supp"
	fi

	echo "# $bin: ${FUZZ_SECONDS}s, $seeds seeds from tests/fuzz/corpus/$name/"
	out=$(ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0}:detect_leaks=1" LSAN_OPTIONS="$lsan" \
	    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
	    timeout -k 10 $((FUZZ_SECONDS + 120)) "$f" \
	    -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=20 \
	    -print_final_stats=1 -artifact_prefix="$arts/" "$corpus" 2>&1)
	rc=$?
	crashes=$(find "$arts" -type f | wc -l)
	if [ $rc -eq 0 ] && [ "$crashes" -eq 0 ]; then
		printf '%s\n' "$out" | grep -E '^(#[0-9]+ +DONE|Done |stat::number_of_executed_units|stat::peak_rss_mb|INFO: .*(corpus|files found))' |
		    sed "s/^/# $bin: /"
		echo "ok $n - $bin"
		continue
	fi

	# Show the report (the start of the log holds nothing but progress).
	printf '%s\n' "$out" | grep -vE '^#[0-9]+ +(NEW|REDUCE|pulse|INITED|RELOAD)' |
	    tail -n 120 | sed "s/^/# /"
	if [ "$crashes" -gt 0 ]; then
		mkdir -p "$FUZZ_ARTIFACTS/$name"
		for a in "$arts"/*; do
			cp "$a" "$FUZZ_ARTIFACTS/$name/"
			echo "# input kept as $FUZZ_ARTIFACTS/$name/${a##*/}; reproduce with: $f $FUZZ_ARTIFACTS/$name/${a##*/}"
			od -A d -c "$a" | head -n 40 | sed 's/^/#   /'
		done
	fi
	echo "not ok $n - $bin (exit $rc)"
	failed=$((failed + 1))
done
[ $failed -eq 0 ]
