#!/bin/bash
# What a hostile qube's output does to the operator's terminal: `bulkhead
# run` on a terminal (a pty from script(1)) shows escape sequences, C0 and
# C1 controls as text and lets UTF-8 through; a pipe gets the exact bytes;
# the options turn the filter off on a terminal and on for a pipe. The
# commands that read a qube's answer (usb list, gui) stop at their limit.
. tests/integration/lib.sh

domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl >/dev/null
bh start work >/dev/null

# The qube's output: OSC 52 (clipboard write), a clear screen, a raw 8-bit
# CSI, a CSI encoded in UTF-8, a bell, a backspace, 'é'; a title change on
# stderr; exit 5.
bh run --pass-io work -- 'cat >/tmp/hostile.sh' <<'EOF'
printf 'a\033]52;c;aGVsbG8=\007b\033[2Jc\233d\302\233e\010f caf\303\251\n'
printf '\033]0;owned\007err\n' >&2
exit 5
EOF
printf 'a\033]52;c;aGVsbG8=\007b\033[2Jc\233d\302\233e\010f caf\303\251\n' >"$T/want.out"

# Runs `bulkhead ARGS...` on a pty; what the terminal got in $T/tty.out.
on_tty() {
	local cmd
	printf -v cmd '%q ' "$CLI_BIN" "$@"
	script -qec "$cmd" /dev/null </dev/null >"$T/tty.out" 2>&1
}
has() { grep -qaF -- "$1" "$T/tty.out"; }
# Bytes a terminal acts on: C0 but \t \n \r, DEL, raw C1.
has_control() { LC_ALL=C grep -qaP '[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]' "$T/tty.out"; }
show_tty() { od -c "$T/tty.out" | head -n 12 | sed 's/^/#   /'; }

# A pipe: byte for byte, stderr too.
bh run work -- sh /tmp/hostile.sh >"$T/pipe.out" 2>"$T/pipe.err"; rc=$?
ok $(cmp -s "$T/pipe.out" "$T/want.out" && [ $rc -eq 5 ]; echo $?) "a pipe gets the qube's exact bytes and exit code"
ok $(printf '\033]0;owned\007err\n' | cmp -s - "$T/pipe.err"; echo $?) "stderr to a file is exact too"

# A terminal in a UTF-8 locale.
LC_ALL=C.UTF-8 on_tty run work -- sh /tmp/hostile.sh; rc=$?
ok $(! has_control; echo $?) "a terminal gets no ESC, BEL, BS nor C1 byte"
has_control && show_tty
ok $(! grep -qaF $'\xc2\x9b' "$T/tty.out"; echo $?) "nor a C1 CSI encoded in UTF-8"
ok $(has 'a^[]52;c;aGVsbG8=^Gb^[[2Jc?d?e^Hf' && has "caf$(printf '\303\251')"; echo $?) \
    "escape sequences come as their text (^[ …), C1 as '?', and 'é' passes"
ok $(has 'err' && has '^[]0;owned^G' && [ $rc -eq 5 ]; echo $?) "stderr on the terminal is filtered too; exit code 5"

# Not a UTF-8 locale: the terminal may take 8-bit bytes as controls.
LC_ALL=C on_tty run work -- sh /tmp/hostile.sh
ok $(! has_control && has "caf$(printf '\303\251')" && has "d$(printf '\302')?e"; echo $?) \
    "in the C locale 8-bit text passes but no C1 byte"

# The options.
LC_ALL=C.UTF-8 on_tty run --no-filter-escape-chars work -- sh /tmp/hostile.sh
ok $(grep -qaF $'\e]52;c;aGVsbG8=\a' "$T/tty.out" && grep -qaF $'\x9b' "$T/tty.out"; echo $?) \
    "--no-filter-escape-chars passes escapes to the terminal"
LC_ALL=C.UTF-8 bh run --filter-escape-chars work -- sh /tmp/hostile.sh >"$T/tty.out" 2>&1
ok $(! has_control && has '^[[2J'; echo $?) "--filter-escape-chars filters a pipe"

# A UTF-8 character cut between two frames of the stream is whole.
bh run --pass-io work -- 'cat >/tmp/split.sh' <<'EOF'
printf 'x\342\202'; sleep 0.3; printf '\254y\n'
EOF
LC_ALL=C.UTF-8 on_tty run work -- sh /tmp/split.sh
ok $(has "x$(printf '\342\202\254')y"; echo $?) "a UTF-8 character split between reads passes whole"

# Answers read by the CLI are bounded: an endless one ends the call.
bh run work -- 'mkdir -p /home/user/gui && ln -sf /dev/zero /home/user/gui/work.uri'
timeout 30 "$CLI_BIN" gui --gui-qube work work >"$T/gui.out" 2>&1; rc=$?
ok $([ $rc -eq 1 ] && grep -q "longer than 512 bytes" "$T/gui.out"; echo $?) \
    "gui: an endless answer from the GUI qube is refused (rc $rc: $(head -c 200 "$T/gui.out" | cat -v))"
bh prefs work provides_usb 1 >/dev/null
bh run --pass-io --user root work -- 'mkdir -p /rw/config/rpc; cat >/rw/config/rpc/bulkhead.USBList; chmod 755 /rw/config/rpc/bulkhead.USBList' <<'EOF'
#!/bin/sh
printf '\033]52;c;aGVsbG8=\007usb says hi\n' >&2
[ -e /tmp/endless ] && exec yes 1-1
exit 0
EOF
LC_ALL=C.UTF-8 on_tty usb list
ok $(! has_control && has '^[]52;c;aGVsbG8=^Gusb says hi'; echo $?) "usb list: a USB qube's stderr is filtered on a terminal"
bh run work -- 'touch /tmp/endless'
timeout 30 "$CLI_BIN" usb list >"$T/usb.out" 2>&1; rc=$?
ok $([ $rc -eq 1 ] && grep -q "longer than 262144 bytes" "$T/usb.out"; echo $?) \
    "usb list: an endless device list is refused (rc $rc: $(head -c 200 "$T/usb.out" | cat -v))"

tap_end
