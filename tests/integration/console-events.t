#!/bin/bash
# Changes made with the CLI in another terminal reach the console within a
# second (events.subscribe; the console never polls vm.list): start, pause,
# a property, create, remove, kill, a template's new root. After domd
# restarts the console
# reconnects by itself.
. tests/integration/lib.sh
. tests/integration/console-lib.sh

domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl --memory 64 >/dev/null

# -v: the console logs every request it sends on its stderr.
console_start -- -v console
wait_row work halted 5

# within_1s DESCRIPTION VM ERE COMMAND...: runs the command (the CLI, as from
# another terminal), then the row must match within one second.
within_1s() {
	local d=$1 vm=$2 re=$3 t0 t1 ms; shift 3
	"$@" >/dev/null 2>"$T/cli.err" || { ok 1 "$d (the CLI failed: $(cat "$T/cli.err"))"; return; }
	t0=$(date +%s%N)
	if wait_row "$vm" "$re" 1; then
		t1=$(date +%s%N); ms=$(( (t1 - t0) / 1000000 ))
		ok 0 "$d: on screen after ${ms} ms"
	else
		oks 1 "$d: not on screen within 1 s"
	fi
}
within_1s "bulkhead start work" work 'running' bh start work
within_1s "bulkhead pause work" work 'paused' bh pause work
within_1s "bulkhead unpause work" work 'running' bh unpause work
within_1s "bulkhead kill work" work 'halted' bh kill work
within_1s "bulkhead prefs work memory 100" work '-/100M' bh prefs work memory 100
within_1s "bulkhead create extra" extra 'halted' bh create extra --label red --template tpl
bh remove extra >/dev/null
ok $(wait_no_screen '^extra ' 1; echo $?) "bulkhead remove extra: gone from the screen within 1 s"

# It lives on events: vm.list once, vm.stats for the running qube.
bh start work >/dev/null
sleep 4.5
n_list=$(grep -c '"method":"vm.list"' "$T/console.err")
n_sub=$(grep -c '"method":"events.subscribe"' "$T/console.err")
n_stats=$(grep -c '"method":"vm.stats","vm":"work"' "$T/console.err")
ok $([ "$n_list" = 1 ] && [ "$n_sub" = 1 ] && [ "$n_stats" -ge 2 ]; echo $?) \
	"requests sent: vm.list $n_list, events.subscribe $n_sub (once each), vm.stats of work $n_stats (every 2 s)"
ok $(! grep '"method":"vm.stats"' "$T/console.err" | grep -qv '"vm":"work"'; echo $?) "no vm.stats for halted qubes"

# A new root for its template marks a running AppVM ("restart to update").
bh start tpl >/dev/null && bh shutdown --wait tpl >/dev/null
oks $(wait_row work 'running\*' 1; echo $?) "its template's new root marks work outdated ('running*') within 1 s"
bh restart work >/dev/null
oks $(wait_row work 'running( |$)' 5; echo $?) "restarted, work is no longer marked"

# domd restarts: the console says so, then reconnects and shows the qubes.
domd_stop
oks $(wait_screen 'lost the connection to domd|not connected to domd' 3; echo $?) "domd gone: the console says so"
ok $(console_alive; echo $?) "and keeps running"
domd_start
bh create after --label gray --template tpl >/dev/null
oks $(wait_row after halted 5 && wait_row work running 1; echo $?) "domd back: the console reconnects and shows the qubes (work, adopted, still running)"
oks $(wait_screen 'backend ns' 2; echo $?) "the status line shows the backend again"

keys q
wait_console_exit 5
console_end
tap_end
