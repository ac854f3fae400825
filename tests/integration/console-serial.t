#!/bin/bash
# The console over a serial line: the bar shows the function keys the
# terminal type can send (the letter otherwise) under vt220 and vt100, and
# --term; the size asked of a terminal of unknown size (a pty of size 0x0
# played by console_pty.py: answering 40x132, answering again on Ctrl-L,
# never answering, keys typed before the answer), and a pty that has a
# size is not asked.
. tests/integration/lib.sh
. tests/integration/console-lib.sh

domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl >/dev/null

bar() { screen | tail -1; }

# --- vt220 (the appliance's default): F1-F4 and F6-F10, no F5
console_start -t vt220
wait_row work halted 5
oks $(bar | grep -q '^F1Help F2Start F3Shutdown F4Kill rRestart F6Sort F7New F8Remove F9Props F10Quit'; echo $?) \
	"vt220: the bar shows F7 for New, r for Restart (vt220 has no F5)"
keys F7
oks $(wait_screen 'New qube' 3; echo $?) "vt220: F7 opens the create form"
keys Escape
wait_no_screen 'New qube' 3
select_vm work
keys F5
oks $(wait_row work running 20; echo $?) "vt220: F5 (xterm's sequence, not in vt220's entry) still restarts (starts) work"
keys q
wait_console_exit 5

# --- vt100: only PF1-PF4 are function keys (its F5-F10 are keypad codes)
console_start -t vt100
wait_row work running 5
oks $(bar | grep -q '^F1Help F2Start F3Shutdown F4Kill rRestart oSort nNew xRemove eProps qQuit'; echo $?) \
	"vt100: the bar shows n for New (and letters for F5-F10)"
keys n
oks $(wait_screen 'New qube' 3; echo $?) "vt100: n opens the create form"
keys F7
sleep 0.3
oks $(screen | grep -q 'New qube' && ! screen | grep -q '18~'; echo $?) \
	"vt100: F7 as an emulator sends it (ESC [ 1 8 ~) neither closes the form nor types into it"
keys Escape
oks $(wait_no_screen 'New qube' 3; echo $?) "vt100: Esc closes it"
keys F7
oks $(wait_screen 'New qube' 3; echo $?) "vt100: F7 as an emulator sends it opens the form too"
keys Escape
wait_no_screen 'New qube' 3
keys '?'
wait_screen 'Help: keys' 3
oks $(screen | grep -Eq '^ +n +create' && ! screen | grep -q 'F7'; echo $?) "vt100: help lists n for create, and no F7"
keys Escape
keys q
wait_console_exit 5

# --- --term overrides $TERM
console_start -t xterm-256color -- console --term vt100
wait_row work running 5
oks $(bar | grep -q 'nNew' && ! screen -e | grep -q $'\e\\[38;5'; echo $?) "--term vt100 under TERM=xterm-256color: letters, no colour"
keys q
wait_console_exit 5
console_start -t xterm-256color -- console --term nosuchterm
wait_console_exit 5
oks $([ "$(console_rc)" = 1 ] && grep -q "unknown terminal type 'nosuchterm'" "$T/console.err" && terminal_restored; echo $?) \
	"--term with an unknown type: exit 1, one message, the terminal restored"
out=$("$CLI_BIN" console --term '../x' 2>&1 </dev/null); rc=$?
oks $([ $rc = 2 ] && echo "$out" | grep -q "invalid terminal type"; echo $?) "--term with a path: a usage error"
bh kill work >/dev/null

# --- the size asked of a terminal of unknown size
# replay FILE: the screen a 150x60 terminal shows after FILE.
replay() {
	local s=$T/tmux.replay$RANDOM.sock prev= cur i
	tmux -S "$s" -f /dev/null new-session -d -s r -x 150 -y 60 "cat '$1'; exec sleep 3600"
	for i in $(seq 40); do
		sleep 0.05
		cur=$(tmux -S "$s" capture-pane -p -t r)
		[ -n "$cur" ] && [ "$cur" = "$prev" ] && break
		prev=$cur
	done
	tmux -S "$s" capture-pane -p -t r
	tmux -S "$s" kill-server
}
pty() { python3 tests/integration/console_pty.py "$CLI_BIN" "$@"; }
field() { echo "$1" | sed -n "s/^$2=//p"; }
# laid_out SCREEN ROWS COLS: the bar on row ROWS, nothing below it or past
# COLS, and the status line longer than 80 columns when COLS is.
laid_out() {
	local s=$1 rows=$2 cols=$3
	echo "$s" | sed -n "${rows}p" | grep -q '^F1Help' &&
		[ -z "$(echo "$s" | sed -n "$((rows + 1)),\$p" | tr -d ' \n')" ] &&
		echo "$s" | awk -v c="$cols" '{ sub(/ +$/, "") } length > c { exit 1 }' &&
		{ [ "$cols" -le 80 ] || [ "$(echo "$s" | head -1 | sed 's/ *$//' | wc -c)" -gt 81 ]; }
}

out=$(pty "$T/pty1.out" --answer 40x132)
s=$(replay "$T/pty1.out")
oks $([ "$(field "$out" asked)" -ge 1 ] && laid_out "$s" 40 132; echo $?) "a terminal answering 40x132: the console lays out for 40 rows of 132 columns"
echo "$s" | sed 's/^/#   |/' | head -3
oks $([ "$(field "$out" winsize)" = 40x132 ] && [ "$(field "$out" rc)" = 0 ]; echo $?) \
	"the line's window size is set to 40x132 (for what runs after), exit 0 ($out)"

out=$(pty "$T/pty2.out" --answer 40x132 --type '/wo' --then 50x100)
s=$(replay "$T/pty2.out")
oks $([ "$(field "$out" asked)" -ge 2 ] && laid_out "$s" 50 100; echo $?) "Ctrl-L asks again: the console lays out for 50x100"
oks $(echo "$s" | sed -n 49p | grep -q '^filter: wo' && echo "$s" | grep -q '^work '; echo $?) \
	"keys typed before the answer are kept (/wo: the filter)"

out=$(pty "$T/pty3.out")
s=$(replay "$T/pty3.out")
ff=$(field "$out" first_frame_s)
oks $([ "$(field "$out" asked)" -ge 1 ] && [ "$ff" != none ] && awk -v f="$ff" 'BEGIN { exit !(f < 2.0) }' &&
	laid_out "$s" 24 80; echo $?) "a terminal that never answers: the first frame at 80x24 after ${ff} s"

out=$(pty "$T/pty4.out" --size 30x100 --answer 40x132)
s=$(replay "$T/pty4.out")
oks $([ "$(field "$out" asked)" = 0 ] && laid_out "$s" 30 100; echo $?) "a pty with a size (30x100) is not asked and keeps it"

console_end
tap_end
