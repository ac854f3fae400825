#!/bin/bash
# Kiosk mode: only the listed qubes; start, stop and view work; create,
# remove, properties, clone, pause and the ask queue are refused; q, Ctrl-C,
# Ctrl-Z, Ctrl-\ and ! neither quit nor reach a shell; only the configured
# quit key leaves. Configured by flags or by the environment.
. tests/integration/lib.sh
. tests/integration/console-lib.sh

domd_start || exit 1
setup_template
for vm in alpha beta gamma; do
	bh create $vm --class app --label green --template tpl --memory 64 >/dev/null
done

console_start -- console --kiosk --qubes alpha,beta
oks $(wait_row alpha halted 5 && wait_row beta halted 1 && ! screen | grep -q '^gamma \|^tpl '; echo $?) \
	"only the listed qubes are shown"
oks $(screen | head -1 | grep -q KIOSK; echo $?) "the status line says KIOSK"
oks $(screen | tail -1 | grep -q 'F2Start' && ! screen | tail -1 | grep -q 'New\|Remove\|Props\|Quit'; echo $?) \
	"the bar offers no New, Remove, Props or Quit"

select_vm alpha
keys n
oks $(wait_screen 'create: not available in kiosk mode' 2 && ! screen | grep -q 'New qube'; echo $?) "n (create) is refused"
keys x
oks $(wait_screen 'remove: not available in kiosk mode' 2 && ! screen | grep -q 'Type its name'; echo $?) "x (remove) is refused"
keys Delete
oks $(wait_screen 'remove: not available in kiosk mode' 2; echo $?) "Delete (remove) is refused"
keys e
oks $(wait_screen 'properties: not available in kiosk mode' 2 && ! screen | grep -q 'Properties of'; echo $?) \
	"e (properties) is refused"
keys F7
oks $(wait_screen 'create: not available' 2; echo $?) "F7 (create) is refused"
keys F9
oks $(wait_screen 'properties: not available' 2; echo $?) "F9 (properties) is refused"
keys a
oks $(wait_screen 'asks: not available in kiosk mode' 2; echo $?) "a (ask queue, policy answers) is refused"
keys c
oks $(wait_screen 'clone: not available in kiosk mode' 2; echo $?) "c (clone) is refused"
ok $(bh prefs alpha >/dev/null && [ "$(bh --json ls | grep -c '"name"')" = 4 ]; echo $?) "nothing was created or removed"

keys q
oks $(wait_screen 'kiosk mode: quitting is disabled' 2 && sleep 0.3 && console_alive; echo $?) "q does not quit"
keys F10
sleep 0.3
keys C-c
sleep 0.3
keys C-z
sleep 0.3
keys 'C-\'
sleep 0.3
keys '!'
sleep 0.3
keys C-d
sleep 0.5
oks $(console_alive && [ "$(awk '{print $3}' /proc/$CONSOLE_PID/stat)" != T ] && wait_screen 'KIOSK' 1; echo $?) \
	"F10, Ctrl-C, Ctrl-Z, Ctrl-\\, ! and Ctrl-D neither quit nor suspend it"
procs=$(ps -t "$(tm display-message -p -t c '#{pane_tty}')" -o comm= | sort | tr '\n' ' ')
ok $([ -z "$(pgrep -P "$CONSOLE_PID")" ] && [ "$procs" = "bulkhead sh " ]; echo $?) \
	"no shell or other child process was started (on the terminal: $procs)"

keys Escape
select_vm alpha
keys s
oks $(wait_row alpha running 15; echo $?) "s starts alpha"
keys l
oks $(wait_screen 'Console log of alpha' 3; echo $?) "l shows its log"
keys Escape
keys d
oks $(wait_row alpha halted 20; echo $?) "d shuts it down"
bh start gamma >/dev/null
sleep 0.5
ok $(! screen | grep -q '^gamma '; echo $?) "a qube outside the list stays hidden when it changes"
bh kill gamma >/dev/null
kill -TERM "$CONSOLE_PID"
wait_console_exit 5
ok $([ "$(console_rc)" = 143 ] && terminal_restored; echo $?) "SIGTERM (the administrator) ends it, terminal restored"

# The configured quit key.
console_start -- console --kiosk --qubes beta --quit-key '^X'
wait_row beta halted 5
keys q
sleep 0.3
keys C-x
ok $(wait_console_exit 3 && [ "$(console_rc)" = 0 ] && terminal_restored; echo $?) "--quit-key ^X: Ctrl-X leaves (status 0)"

# The environment: bulkhead without a command, as a kiosk user's session.
console_start -e BULKHEAD_KIOSK=1 -e BULKHEAD_KIOSK_QUBES=gamma -- 
oks $(wait_row gamma halted 5 && screen | head -1 | grep -q KIOSK && ! screen | grep -q '^alpha '; echo $?) \
	"BULKHEAD_KIOSK=1 and BULKHEAD_KIOSK_QUBES=gamma: bulkhead alone is a kiosk"
keys n
oks $(wait_screen 'create: not available in kiosk mode' 2; echo $?) "and refuses create"
kill -TERM "$CONSOLE_PID"
wait_console_exit 5

out=$("$CLI_BIN" console --kiosk 2>&1 </dev/null); rc=$?
ok $([ $rc -eq 2 ] && echo "$out" | grep -q "needs the qubes"; echo $?) "--kiosk without a list of qubes is a usage error"
out=$("$CLI_BIN" console --kiosk --qubes 'a;b' 2>&1 </dev/null); rc=$?
ok $([ $rc -eq 2 ] && echo "$out" | grep -q "invalid qube name"; echo $?) "an invalid name in the list is a usage error"

console_end
tap_end
