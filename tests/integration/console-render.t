#!/bin/bash
# How the console draws: 80x24 with TERM=vt100 (no colour: labels as text),
# a resize to 132x43, label colours on xterm-256color and linux; sort and
# filter; help lists every key; and the terminal is restored when the
# console ends by SIGTERM, SIGHUP, SIGINT or SIGABRT (a crash).
. tests/integration/lib.sh
. tests/integration/console-lib.sh

domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl --memory 64 >/dev/null
bh create personal --class app --label green --template tpl >/dev/null
bh create zed --class standalone --label purple >/dev/null
bh start work >/dev/null

# --- vt100 at 80x24
console_start -t vt100 -x 80 -y 24
wait_row work running 5
out=$(screen)
oks $([ "$(echo "$out" | wc -l)" -le 24 ] && echo "$out" | awk 'length > 80 { exit 1 }'; echo $?) "vt100: the screen fits 80x24"
oks $(echo "$out" | sed -n 2p | grep -Eq '^NAME\+ +LABEL +CLASS +STATE +(TEMPLATE|TMPL) +NETVM +ADDR(ESS)? +MEM +CPU% +UPTIME'; echo $?) \
	"vt100: the header has every column, LABEL included"
oks $(row work | grep -q '^work  *blue  *app  *running  *tpl ' && row personal | grep -q ' green ' && row zed | grep -q ' purple  *standalone '; echo $?) \
	"vt100: labels are shown as text"
oks $(echo "$out" | tail -1 | grep -q '^F1Help F2Start F3Shutdown F4Kill rRestart oSort nNew xRemove eProps qQuit'; echo $?) \
	"vt100: the bar on the last line (PF1-PF4 as F1-F4, letters for the rest)"
oks $(! screen -e | grep -q $'\e\\[[0-9;]*3[0-7]m\|\e\\[38;5'; echo $?) "vt100: no colour is sent"

tm resize-window -t c -x 132 -y 43
oks $(for _ in $(seq 60); do [ "$(tm display-message -p -t c '#{pane_width}x#{pane_height}')" = 132x43 ] && screen | sed -n 43p | grep -q '^F1Help' && break; sleep 0.05; done
	screen | sed -n 43p | grep -q '^F1Help'; echo $?) "after a resize to 132x43 the bar is on line 43"
oks $(screen | head -1 | grep -q 'asks\|running *$' && [ "$(screen | head -1 | sed 's/ *$//' | wc -c)" -gt 81 ]; echo $?) \
	"the status line uses the 132 columns"
oks $(wait_row work running 2 && row personal | grep -q halted; echo $?) "the rows are drawn at the new size"
keys q
wait_console_exit 5

# --- colours
console_start -t xterm-256color
wait_row work running 5
oks $(screen -e | grep 'work' | grep -q '38;5;39mwork' && screen -e | grep 'personal' | grep -q '38;5;40m'; echo $?) \
	"xterm-256color: names in their label colour (blue 39, green 40)"
oks $(! screen | sed -n 2p | grep -q LABEL; echo $?) "with colours there is no LABEL column"
keys q
wait_console_exit 5
console_start -t linux
wait_row work running 5
oks $(screen -e | grep -Eq $'\e\\[(1;)?34(;1)?m.*work|\e\\[34m\e\\[1mwork|\e\\[1m\e\\[34mwork|\e\\[34;1mwork' ||
	screen -e | grep 'work' | grep -q $'\e\\[[0-9;]*34'; echo $?) "linux: work in blue (8 colours)"

# --- sort and filter
keys '>'
oks $(wait_screen '^NAME +CLASS\+' 3 || wait_screen 'CLASS\+' 3; echo $?) "> sorts by the next column (CLASS)"
oks $(screen | sed -n '3,5p' | awk '{print $1}' | tr '\n' ' ' | grep -q '^personal work zed \|^personal work zed$\|personal work zed'; echo $?) \
	"rows in class order (app, app, standalone)"
keys I
oks $(wait_screen 'CLASS-' 3 && screen | sed -n 3p | grep -q '^tpl ' && screen | sed -n 4p | grep -q '^zed '; echo $?) "I reverses the order (template, standalone, app)"
keys o
oks $(wait_screen 'Sort by' 3; echo $?) "F6/o opens the sort menu"
keys 3
oks $(wait_screen 'STATE\+' 3 && screen | sed -n 3p | grep -q '^work'; echo $?) "3 sorts by STATE (running first)"
keys /
type_text pers
oks $(wait_no_screen '^work ' 3 && screen | grep -q '^personal '; echo $?) "/ filters as one types"
keys Escape
oks $(wait_screen '^work ' 3; echo $?) "Esc clears the filter"

# --- help lists every key (F1 as tmux sends it is not TERM=linux's F1: ?)
keys '?'
wait_screen 'Help: keys' 3
help=$(screen; keys NPage; sleep 0.3; screen; keys NPage; sleep 0.3; screen)
missing=
for k in 'F1 +\?, h' 'F2 +s ' 'F3 +d ' 'F4 +k ' 'F5 +r ' 'F6 +o ' 'F7 +n ' 'F8 +x, Delete' 'F9 +e ' 'F10 +q, Ctrl-C' \
	' p +pause' ' c +clone' ' l, Enter' ' a +the ask queue' ' t +the selected' ' f +the selected' ' / +filter' 'Ctrl-L' \
	'<, >, I' 'Up, Down' 'Tab, Down' 'Esc'; do
	echo "$help" | grep -Eq -- "$k" || missing="$missing [$k]"
done
oks $([ -z "$missing" ]; echo $?) "help lists every key${missing:+ (missing:$missing)}"
keys Escape
oks $(wait_screen 'F1Help' 3; echo $?) "Esc leaves the help"
keys t
oks $(wait_screen 'Tags of' 3 && screen | tail -1 | grep -q aAdd; echo $?) "t: the tags view opens with its keys"
keys Escape
keys f
oks $(wait_screen 'Firewall rules of' 3 && screen | grep -q 'default policy'; echo $?) "f: the firewall view opens with the default policy"
keys Escape
keys C-z
sleep 0.3
oks $(console_alive && [ "$(awk '{print $3}' /proc/$CONSOLE_PID/stat)" != T ] && wait_screen 'F1Help' 1; echo $?) "Ctrl-Z does not suspend the console"
keys q
wait_console_exit 5

# --- every way out restores the terminal
for sig in TERM HUP INT ABRT; do
	console_start
	wait_row work running 5
	kill -$sig "$CONSOLE_PID"
	wait_console_exit 5
	case $sig in TERM) want=143 ;; HUP) want=129 ;; INT) want=130 ;; ABRT) want=134 ;; esac
	ok $([ "$(console_rc)" = $want ] && terminal_restored; echo $?) "SIG$sig: exit $(console_rc) (want $want), the terminal restored"
done
# Not a terminal: a message, not a broken screen.
out=$("$CLI_BIN" console </dev/null 2>&1); rc=$?
oks $([ $rc -eq 1 ] && echo "$out" | grep -q "must be a terminal"; echo $?) "console without a terminal: an error, exit 1"
oks $(bh </dev/null | grep -q '^NAME'; echo $?) "bulkhead without a command and no terminal lists the qubes (ls)"

console_end
tap_end
