#!/bin/bash
# The qube table at narrow widths: whole columns are dropped, least
# important first (UPTIME, ADDR, CPU%, MEM, TEMPLATE, CLASS, NETVM, LABEL),
# so that the columns shown keep their text whole; NAME and STATE are
# always there, and so is the column the table is sorted by. A wide
# terminal shows every column.
. tests/integration/lib.sh
. tests/integration/console-lib.sh

domd_start || exit 1
setup_template
bh create sys-net --label red --template tpl --provides-network >/dev/null || exit 1
bh create sys-firewall --label green --template tpl --netvm sys-net --provides-network >/dev/null || exit 1
bh create work --label blue --template tpl --netvm sys-firewall >/dev/null || exit 1
check "starting work starts sys-firewall and sys-net" bh start work
work_ip=$(vm_field work ip)
fw_ip=$(vm_field sys-firewall ip)
ok $(echo "$work_ip $fw_ip" | grep -Eq '^10\.137\.[0-9.]+ 10\.137\.[0-9.]+$'; echo $?) \
	"work and sys-firewall have addresses ($work_ip, $fw_ip)"

header() { screen | sed -n 2p; }
# has_col TITLE...: every TITLE is a column of the header (the sort
# column's title ends in + or -).
has_col() {
	local h c
	h=$(header)
	for c in "$@"; do
		echo "$h" | grep -Eq -- "(^| )$c[+-]?( |\$)" || return 1
	done
}
no_col() {
	local h c
	h=$(header)
	for c in "$@"; do
		echo "$h" | grep -Eq -- "(^| )$c[+-]?( |\$)" && return 1
	done
	return 0
}
# The rows of the three qubes have no cut cell (a cut cell ends in ~).
rows_whole() { ! { row work; row sys-firewall; row sys-net; } | grep -q '~'; }
# fits COLS: no line of the screen is wider than COLS.
fits() { screen | awk -v w="$1" 'length > w { exit 1 }'; }
# start_at COLS TERM: the console at COLSx24, once work's row is drawn.
start_at() {
	console_start -t "$2" -x "$1" -y 24
	wait_row work running 5
	wait_row work "$work_ip" 2 || true
}

# --- 80x24 with colours: UPTIME goes, the rest is whole.
start_at 80 xterm-256color
oks $(fits 80; echo $?) "80 columns: the screen fits"
oks $(has_col NAME CLASS STATE 'TEMPLATE|TMPL' NETVM 'ADDRESS|ADDR' MEM 'CPU%'; echo $?) \
	"80 columns: NAME CLASS STATE TEMPLATE NETVM ADDR MEM CPU% are shown"
oks $(no_col UPTIME; echo $?) "80 columns: UPTIME, the least needed, is dropped"
oks $(row work | grep -Eq "^work +app +running +tpl +sys-firewall +${work_ip//./\\.} " &&
	row sys-firewall | grep -Eq " sys-net +${fw_ip//./\\.} "; echo $?) \
	"80 columns: netvms and addresses whole (sys-firewall, sys-net, $work_ip)"
oks $(rows_whole; echo $?) "80 columns: no cell is cut"
keys q
wait_console_exit 5

# --- 80x24 without colours: LABEL is a column; ADDR goes too.
start_at 80 vt100
oks $(fits 80; echo $?) "80 columns, vt100: the screen fits"
oks $(has_col NAME LABEL CLASS STATE NETVM; echo $?) "80 columns, vt100: LABEL and NETVM are shown"
oks $(no_col UPTIME 'ADDRESS|ADDR'; echo $?) "80 columns, vt100: UPTIME and ADDR are dropped"
oks $(row work | grep -Eq '^work +blue +app +running +tpl +sys-firewall ' &&
	row sys-firewall | grep -Eq ' sys-net '; echo $?) "80 columns, vt100: NETVM shows sys-firewall and sys-net whole"
oks $(rows_whole; echo $?) "80 columns, vt100: no cell is cut"
keys q
wait_console_exit 5

# --- 60 columns: the live figures and the address go, NETVM stays.
start_at 60 xterm-256color
oks $(fits 60; echo $?) "60 columns: the screen fits"
oks $(has_col NAME STATE NETVM; echo $?) "60 columns: NAME, STATE and NETVM are shown"
oks $(no_col UPTIME 'CPU%' 'ADDRESS|ADDR'; echo $?) "60 columns: UPTIME, CPU% and ADDR are dropped"
oks $(row work | grep -Eq ' running .* sys-firewall( |$)'; echo $?) "60 columns: work's netvm sys-firewall whole"
oks $(rows_whole; echo $?) "60 columns: no cell is cut"
# Sorted by a dropped column: that column comes back.
keys o
wait_screen 'Sort by' 3
keys 9
oks $(wait_screen '(^| )UPTIME\+' 3 && has_col NAME STATE UPTIME && fits 60; echo $?) \
	"60 columns: sorting by UPTIME shows UPTIME"
keys q
wait_console_exit 5

# --- 40 columns: NAME, STATE and the netvm only.
start_at 40 xterm-256color
oks $(fits 40; echo $?) "40 columns: the screen fits"
oks $(has_col NAME STATE NETVM && no_col CLASS 'TEMPLATE|TMPL' MEM; echo $?) \
	"40 columns: NAME, STATE and NETVM; CLASS, TEMPLATE and MEM are dropped"
oks $(row work | grep -Eq '^work +running +sys-firewall *$' && rows_whole; echo $?) \
	"40 columns: work's row is whole"
keys q
wait_console_exit 5

# --- 160 columns: every column, every cell whole.
start_at 160 xterm-256color
oks $(has_col NAME CLASS STATE TEMPLATE NETVM ADDRESS MEM 'CPU%' UPTIME && no_col LABEL; echo $?) \
	"160 columns: every column with its full title (LABEL is the name's colour)"
oks $(row work | grep -Eq "^work +app +running +tpl +sys-firewall +${work_ip//./\\.} " && rows_whole; echo $?) \
	"160 columns: work's row is whole"
keys q
wait_console_exit 5

console_end
tap_end
