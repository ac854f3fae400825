#!/bin/bash
# The console against a real domd on the ns backend: start a qube and see it
# running, shut it down, kill it (asked first, "n" keeps it), pause and
# unpause, restart, remove it by typing its name (a wrong name removes
# nothing), and leave with q, the terminal as it was.
. tests/integration/lib.sh
. tests/integration/console-lib.sh

domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl --memory 64 >/dev/null
bh create other --class app --label red --template tpl >/dev/null

console_start
oks $(wait_row work 'halted' 5; echo $?) "the table shows work halted"
oks $(screen | head -1 | grep -q "backend ns (weaker isolation: shared kernel)"; echo $?) \
	"the status line shows the ns backend as weaker isolation"
select_vm work

keys s
oks $(wait_row work 'running' 15; echo $?) "s: work turns to running on the screen"
oks $([ "$(vm_field work state)" = running ]; echo $?) "domd has work running"
oks $(wait_row work '[0-9.]+[KMG]/64M' 5; echo $?) "memory used/limit appears for the running qube"

keys d
oks $(wait_row work 'halted' 20; echo $?) "d: shutdown brings work to halted"
oks $(vm_field work state_reason | grep -q "status 0"; echo $?) "it was a clean shutdown"

keys s
wait_row work running 15
keys k
oks $(wait_screen 'Kill work now\?' 3; echo $?) "k asks before killing"
keys n
oks $(wait_no_screen 'Kill work now' 3 && sleep 0.5 && [ "$(vm_field work state)" = running ]; echo $?) \
	"n: no kill, work still runs"
keys k
wait_screen 'Kill work now\?' 3
keys y
oks $(wait_row work 'halted' 10; echo $?) "k, y: work is killed and shown halted"
oks $(vm_field work state_reason | grep -q "killed by the operator"; echo $?) "domd says it was killed"

keys s
wait_row work running 15
keys p
oks $(wait_row work 'paused' 5 && [ "$(vm_field work state)" = paused ]; echo $?) "p pauses work"
keys p
oks $(wait_row work 'running' 5 && [ "$(vm_field work state)" = running ]; echo $?) "p again unpauses it"

pid1=$(vm_pid work)
keys r
oks $(for _ in $(seq 300); do p=$(vm_pid work); [ -n "$p" ] && [ "$p" != "$pid1" ] && [ "$(vm_field work state)" = running ] && break; sleep 0.1; done
	[ -n "$p" ] && [ "$p" != "$pid1" ]; echo $?) "r restarts work (a new init)"
wait_row work running 5

keys k
wait_screen 'Kill work now' 3
keys y
wait_row work halted 10
keys x
oks $(wait_screen 'Type its name, work, to confirm' 3; echo $?) "x asks for the name of the qube to remove"
type_text wrok
keys Enter
oks $(wait_screen "the name typed is not 'work': nothing was removed" 3; echo $?) \
	"a wrong name is refused with a message"
oks $(bh prefs work >/dev/null 2>&1; echo $?) "work still exists"
keys C-u
type_text work
keys Enter
oks $(wait_no_screen '^work ' 5; echo $?) "with its name typed, work is removed from the table"
oks $(! bh prefs work >/dev/null 2>&1; echo $?) "and from domd"
oks $(wait_screen 'removed work' 3; echo $?) "the message line says so"

keys Escape
keys q
oks $(wait_console_exit 5 && [ "$(console_rc)" = 0 ]; echo $?) "q leaves the console with status 0"
oks $(terminal_restored; echo $?) "the terminal is restored (stty, cursor, normal screen)"

console_end
tap_end
