#!/bin/bash
# Crash consistency: domd is SIGKILLed at random moments during 200
# create/set/remove operations and restarted each time; the store must load
# and hold every qube wholly or not at all.
. tests/integration/lib.sh

domd_start || exit 1
setup_template
N=${CRASH_OPS:-200}
kills=0
RANDOM=$$
for i in $(seq "$N"); do
	name=q$((RANDOM % 12))
	case $((RANDOM % 3)) in
	0) bh create "$name" --class app --label green --template tpl --memory $((64 + RANDOM % 512)) ;;
	1) bh prefs "$name" memory $((64 + RANDOM % 512)) ;;
	2) bh remove "$name" ;;
	esac >/dev/null 2>&1 &
	op=$!
	# Kill somewhere inside the operation about every third time.
	if [ $((RANDOM % 3)) -eq 0 ]; then
		sleep "0.00$((RANDOM % 10))"
		domd_kill9
		kills=$((kills + 1))
		wait $op 2>/dev/null
		domd_start >/dev/null || { ok 1 "domd restarts after kill $kills"; break; }
	else
		wait $op 2>/dev/null
	fi
done
diag "$N operations, $kills SIGKILLs of domd"

domd_stop
: >"$T/domd.log"
domd_start
ok $? "domd starts on the final store"
ok $(! grep -q "ignored" "$T/domd.log"; echo $?) "no qube file was ignored as broken"
grep "ignored" "$T/domd.log" | sed 's/^/#   /'

listed=$(bh --json ls | python3 -c 'import json,sys; print(" ".join(sorted(v["name"] for v in json.load(sys.stdin))))')
ondisk=$(cd "$T/state/qubes" && for d in *; do [ -d "$d" ] && echo "$d"; done | sort | tr '\n' ' ' | sed 's/ $//')
ok $([ "$listed" = "$ondisk" ]; echo $?) "every qube directory is a loaded qube ($listed)"
whole=0
for d in $listed; do
	[ -f "$T/state/qubes/$d/qube.cfg" ] && [ -d "$T/state/qubes/$d/private/home" ] || { whole=1; diag "$d is partial"; }
	grep -q "^name = \"$d\"" "$T/state/qubes/$d/qube.cfg" || { whole=1; diag "$d: wrong or torn file"; }
done
ok $whole "each qube has its whole file and private directory"
for _ in $(seq 50); do ls -a "$T/state/qubes" | grep -q '^\.\(new\|del\)-' || break; sleep 0.1; done
ok $(! ls -a "$T/state/qubes" | grep -q '^\.\(new\|del\)-'; echo $?) "leftovers of interrupted operations are cleaned up"
ok $(! ls -a "$T/state/qubes"/*/ 2>/dev/null | grep -q '\.tmp$'; echo $?) "no temp file remains"

tap_end
