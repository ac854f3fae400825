# Helpers for the console tests (tests/integration/console-*.t), sourced
# after lib.sh: the real console runs in a private tmux server, driven with
# send-keys and read with capture-pane.
#
# The console runs inside a small shell wrapper that records, once the
# console has ended, its exit status and the terminal settings (stty -g) in
# $T/console.rc and $T/stty.after, then keeps the pane open so that the
# screen left behind can be read. The settings before are in
# $T/stty.before. The console's stderr goes to $T/console.err (sanitiser
# reports are looked for there by console_end).

# A new tmux server (and socket) for each console_start: a server that is
# still exiting must not take the next session with it.
TMUX_N=0
TMUX_SOCK=$T/tmux.0.sock
tm() { tmux -S "$TMUX_SOCK" "$@"; }

# At exit every tmux server of the test goes (with its console), then
# lib.sh's cleanup runs with the test's exit status.
console_cleanup() {
	local rc=$? s
	for s in "$T"/tmux.*.sock; do
		[ -S "$s" ] && tmux -S "$s" kill-server 2>/dev/null
	done
	(exit $rc)
	cleanup
}
trap console_cleanup EXIT

# console_start [-x COLS] [-y LINES] [-t TERM] [-e VAR=VALUE]... -- [ARGS...]
# ARGS follow `bulkhead` (default: console). Waits until the console has drawn
# its function-key bar or status line.
console_start() {
	local cols=80 lines=24 term=xterm-256color envs=() args=()
	while [ $# -gt 0 ]; do
		case $1 in
		-x) cols=$2; shift 2 ;;
		-y) lines=$2; shift 2 ;;
		-t) term=$2; shift 2 ;;
		-e) envs+=("$2"); shift 2 ;;
		--) shift; break ;;
		*) break ;;
		esac
	done
	args=("$@")
	[ ${#args[@]} -gt 0 ] || args=(console)
	rm -f "$T/console.rc" "$T/stty.after" "$T/console.pid"
	# In the foreground of the pane (an asynchronous command of sh would
	# read /dev/null); the inner sh records its pid, then becomes the console.
	cat >"$T/console-wrapper.sh" <<EOF
stty -g > "$T/stty.before"
sh -c 'echo \$\$ > "$T/console.pid"; exec env TERM=$term BULKHEAD_SOCKET="$BULKHEAD_SOCKET" ${envs[*]} "$CLI_BIN" ${args[*]}' 2>>"$T/console.err"
echo \$? > "$T/console.rc.tmp"
stty -g > "$T/stty.after"
mv "$T/console.rc.tmp" "$T/console.rc"
exec sleep 3600
EOF
	tm kill-server 2>/dev/null
	TMUX_N=$((TMUX_N + 1))
	TMUX_SOCK=$T/tmux.$TMUX_N.sock
	tm -f /dev/null new-session -d -s c -x "$cols" -y "$lines" "sh $T/console-wrapper.sh"
	tm set-option -t c -g status off >/dev/null 2>&1
	for _ in $(seq 100); do
		[ -s "$T/console.pid" ] && break
		sleep 0.05
	done
	CONSOLE_PID=$(cat "$T/console.pid" 2>/dev/null)
	wait_screen 'F1Help|\?Help|Help' 10 || wait_screen 'backend|not connected' 5
}

# The pane as text (-e: with escape sequences for colours and attributes).
screen() { tm capture-pane -p -t c "$@"; }

# wait_screen ERE [SECONDS]: until the pane shows a match (default 5 s).
wait_screen() {
	local re=$1 secs=${2:-5} i
	for i in $(seq $((secs * 20))); do
		screen | grep -Eq -- "$re" && return 0
		sleep 0.05
	done
	return 1
}

# wait_no_screen ERE [SECONDS]: until the pane no longer shows a match.
wait_no_screen() {
	local re=$1 secs=${2:-5} i
	for i in $(seq $((secs * 20))); do
		screen | grep -Eq -- "$re" || return 0
		sleep 0.05
	done
	return 1
}

# The table row of a qube (the NAME column starts the line).
row() { screen | grep -E "^$1 " | head -1; }

# wait_row VM ERE [SECONDS]: until the qube's row matches.
wait_row() {
	local vm=$1 re=$2 secs=${3:-5} i
	for i in $(seq $((secs * 20))); do
		row "$vm" | grep -Eq -- "$re" && return 0
		sleep 0.05
	done
	return 1
}

# ok, and the screen as diagnostics when not ok.
oks() {
	ok "$@"
	[ "$1" -eq 0 ] || screen 2>/dev/null | sed 's/^/#   |/'
}

keys() { tm send-keys -t c "$@"; }
type_text() { tm send-keys -t c -l -- "$1"; }

# Selects a qube by filtering the table down to it (/NAME, Enter).
select_vm() {
	keys Escape
	keys /
	type_text "$1"
	keys Enter
	wait_screen "^$1 " 3
}

# wait_state VM STATE [SECONDS]: domd's state of the qube.
wait_state() {
	local i
	for i in $(seq $((${3:-10} * 20))); do
		[ "$(vm_field "$1" state 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

console_alive() { [ -n "$CONSOLE_PID" ] && kill -0 "$CONSOLE_PID" 2>/dev/null; }

# wait_console_exit [SECONDS]: until the wrapper recorded the exit status.
wait_console_exit() {
	local i
	for i in $(seq $((${1:-5} * 20))); do
		[ -s "$T/console.rc" ] && return 0
		sleep 0.05
	done
	return 1
}

console_rc() { cat "$T/console.rc" 2>/dev/null; }

# The terminal is as the console found it: the same stty settings, the
# cursor visible, the normal screen (not the alternate one curses used).
terminal_restored() {
	[ -s "$T/stty.after" ] && cmp -s "$T/stty.before" "$T/stty.after" &&
		[ "$(tm display-message -p -t c '#{cursor_flag}#{alternate_on}')" = 10 ]
}

# Ends the tmux server; reports sanitiser findings of the console as a test.
console_end() {
	tm kill-server 2>/dev/null
	ok $(! grep -q "Sanitizer\|runtime error:" "$T/console.err" 2>/dev/null; echo $?) \
		"the console logged no sanitiser report"
	grep -A20 "Sanitizer\|runtime error:" "$T/console.err" 2>/dev/null | sed 's/^/#   /' | head -40
}
