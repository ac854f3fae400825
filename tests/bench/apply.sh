#!/bin/bash
# Benchmark: bulkhead apply of a BENCH_QUBES-qube site (default 200).
#
# The site: template tpl (imported beforehand, as `make run` does with
# minimal), a netvm, and app qubes with netvm, memory, vcpus and a tag each,
# plus one policy file. Prints
#  - the wall time of `bulkhead apply` to an appliance that has only tpl
#    (every qube created: vm.create + vm.tag each, in dependency order);
#  - the wall time of the unchanged re-apply (median and p90 of BENCH_N runs,
#    default 10, whole CLI process: it reads and checks every file, asks
#    vm.list and policy.list, computes the plan) against one
#    `bulkhead ls --json` of the same appliance as the baseline
#    (goal: re-apply <= 0.5 s).
#
#   tests/bench/apply.sh   (from the repo root, as root, after `make all template`)
#
# Prints figures and ratios; exits non-zero only on a functional failure.
set -eu
BH_NAME=apply
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "apply: run from the repo root" >&2; exit 1; }

Q=${BENCH_QUBES:-200}
N=${BENCH_N:-10}
case "$Q" in '' | *[!0-9]* | 0 | 1 | 2) bh_die "BENCH_QUBES must be an integer >= 3 (got '$Q')" ;; esac
case "$N" in '' | *[!0-9]* | 0) bh_die "BENCH_N must be a positive integer (got '$N')" ;; esac

bh_preflight
bh_setup
bh_cc scale_client
bh_start_domd
SC=$BH_T/bin/scale_client
CLI=("$BH_CLI" --socket "$BH_SOCK")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

# --- the site: tpl + net + (Q - 2) app qubes = Q qubes.
S=$BH_T/site
mkdir -p "$S/qubes.d" "$S/policy.d"
printf 'name = "tpl"\nclass = "template"\nlabel = "black"\n' > "$S/qubes.d/tpl.cfg"
printf 'name = "net"\nlabel = "red"\ntemplate = "tpl"\nprovides_network = 1\nmemory = 128\n' > "$S/qubes.d/net.cfg"
labels=(red orange yellow green gray blue purple black)
for i in $(seq 1 $((Q - 2))); do
	printf 'name = "q%d"\nclass = "app"\nlabel = "%s"\ntemplate = "tpl"\nnetvm = "net"\nmemory = %d\nvcpus = %d\ntags = [ "group%d" ]\n' \
		"$i" "${labels[$((i % 8))]}" $((64 + i)) $((1 + i % 4)) $((i % 10)) > "$S/qubes.d/q$i.cfg"
done
printf 'bulkhead.Filecopy * @tag:group1 @tag:group1 ask\n* * @anyvm @anyvm deny\n' > "$S/policy.d/90-bench.policy"

"${CLI[@]}" template import tpl "$PWD/$BH_TPL" > /dev/null || bh_die "template import tpl"

# --- apply to the (nearly) empty appliance: one run.
t0=$(ms_now)
"${CLI[@]}" apply "$S" > "$BH_T/apply.out" 2>&1 || { tail -5 "$BH_T/apply.out" >&2; bh_die "apply failed"; }
t_apply=$(( $(ms_now) - t0 ))
got=$(grep -c '^\[[0-9]*/[0-9]*\] create ' "$BH_T/apply.out") || true
[ "$got" = $((Q - 1)) ] || bh_die "apply created $got qubes, expected $((Q - 1))"
"${CLI[@]}" ls --json > "$BH_T/ls.json" || bh_die "ls --json"
got=$(grep -o '"name": *"' "$BH_T/ls.json" | wc -l)
[ "$got" = "$Q" ] || bh_die "the appliance has $got qubes, expected $Q"

# --- the unchanged re-apply vs one ls --json.
"${CLI[@]}" apply "$S" > "$BH_T/again.out" 2>&1 || bh_die "re-apply failed"
grep -q '^no changes' "$BH_T/again.out" || { cat "$BH_T/again.out" >&2; bh_die "re-apply found changes"; }
out=$("$SC" run "$N" "${CLI[@]}" apply "$S")
read -r re_med re_p90 _ <<< "$out"
out=$("$SC" run "$N" "${CLI[@]}" apply --dry-run "$S")
read -r dry_med _ <<< "$out"
out=$("$SC" run "$N" "${CLI[@]}" ls --json)
read -r ls_med ls_p90 _ <<< "$out"
kill -0 "$BH_DOMD_PID" 2>/dev/null || bh_die "domd died"

goal=$(awk -v m="$re_med" 'BEGIN { print (m <= 500) ? "met" : "NOT met" }')
echo "apply: $Q-qube site to an appliance with only its template: ${t_apply} ms ($((Q - 1)) qubes created, $(awk -v t="$t_apply" -v q="$((Q - 1))" 'BEGIN { printf "%.1f", t / q }') ms a qube), ratio $(ratio "$t_apply" "$ls_med") to one ls --json"
echo "apply: unchanged re-apply median ${re_med} ms (p90 ${re_p90}) vs ls --json median ${ls_med} ms (p90 ${ls_p90}): ratio $(ratio "$re_med" "$ls_med") (goal: re-apply <= 500 ms: $goal)"
echo "apply:   re-apply --dry-run median ${dry_med} ms; CLI process wall time, $N runs each after 1 warm-up"
