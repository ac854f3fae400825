#!/bin/bash
# The firewall view (f) on an 80x24 VT100: the selected qube's rules,
# numbered, expired ones marked, and the default policy; a adds a rule
# through a form (a bad rule is refused with domd's message naming the field
# under the rule field, and nothing is stored), i inserts before the
# selected rule, d deletes after a y/n question, p toggles the policy, R
# resets once the qube's name is typed; a change made with the CLI shows up
# in the open view; kiosk mode refuses f. Skipped when domd has no
# vm.firewall.
. tests/integration/lib.sh
. tests/integration/console-lib.sh

domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl >/dev/null

probe=$(bh firewall work list 2>&1)
if [ $? -ne 0 ] && printf '%s' "$probe" | grep -qi 'unknown.method\|unknown command'; then
	echo "ok 1 # SKIP domd has no vm.firewall ($probe)"
	echo "1..1"
	exit 0
fi

bh firewall work add accept proto=tcp dsthost=example.org dstports=443 >/dev/null
bh firewall work add drop dst4=10.1.2.3 expire=1000 >/dev/null   # expired in 1970

# rules VM: the rules one per line, "N RULE" ("policy: P" last).
rules() { bh firewall "$1" list | sed 's/  */ /g'; }
has_rule() { rules "$1" | grep -qxF -- "$2"; }

console_start -t vt100 -x 80 -y 24
wait_row work halted 5
select_vm work
keys f
oks $(wait_screen 'Firewall rules of work' 3 &&
	wait_screen '^   1  accept dsthost=example.org proto=tcp dstports=443 *$' 3; echo $?) \
	"f opens the firewall view with work's rules, numbered"
oks $(screen | grep -q '^   2  \[expired\] drop dst4=10.1.2.3 expire=1000 *$'; echo $?) \
	"an expired rule is marked"
oks $(screen | grep -q '2 rules, default policy: accept'; echo $?) "the header shows the count and the default policy"
oks $(screen | tail -1 | grep -q 'aAdd iInsert dDelete pPolicy RReset EscBack'; echo $?) "the bar shows the view's keys"

# An invalid rule: the field error under the rule field, nothing stored.
before=$(bh --json firewall work list)
keys a
oks $(wait_screen 'Add a firewall rule to work' 3; echo $?) "a opens the add form"
type_text 'accept proto=tcp dstports=70000'
keys Enter
oks $(wait_screen "! invalid dstports '70000' \(expected 1-65535 or N-M\)" 5; echo $?) \
	"a bad port is refused, domd's message naming dstports under the field"
oks $(screen | grep -A1 '>Rule' | grep -q "! invalid dstports"; echo $?) "the message is under the rule field"
oks $(screen | grep -q 'Add a firewall rule to work'; echo $?) "the form stays open"
oks $([ "$(bh --json firewall work list)" = "$before" ]; echo $?) "nothing was stored"
keys C-u
type_text 'accept dsthost=exa,mple.org'
keys Enter
oks $(wait_screen "! invalid dsthost 'exa,mple.org'" 5 && [ "$(bh --json firewall work list)" = "$before" ]; echo $?) \
	"a bad host name too, nothing stored"

# A valid rule, with a comment.
keys C-u
type_text 'accept proto=udp dsthost=NTP.example.org dstports=123'
keys Tab
type_text 'time'
keys Enter
oks $(wait_no_screen 'Add a firewall rule' 5 &&
	wait_screen '^   3  accept dsthost=ntp.example.org proto=udp dstports=123 comment=time *$' 3; echo $?) \
	"the form closes and the rule is listed as rule 3, in domd's canonical form"
oks $(has_rule work '3 accept dsthost=ntp.example.org proto=udp dstports=123 comment=time'; echo $?) \
	"bulkhead firewall work list has it"
oks $(wait_screen 'work: firewall rule added' 2; echo $?) "the message line says so"

# Insert before the selected rule (the new one is selected: Up Up -> 1).
keys Up Up i
oks $(wait_screen 'Add a firewall rule to work' 3 && screen | grep -Eq 'Position +1 '; echo $?) \
	"i opens the form with the selected rule's position"
type_text 'drop dst4=192.168.0.0/16'
keys Tab Tab C-u
type_text 9
keys Enter
oks $(wait_screen '! invalid index 9' 5 && screen | grep -A1 '>Position' | grep -q 'invalid index'; echo $?) \
	"a position past the end is refused under the position field"
keys C-u
type_text 1
keys Enter
oks $(wait_no_screen 'Add a firewall rule' 5 && wait_screen '^   1  drop dst4=192.168.0.0/16 *$' 3 &&
	screen | grep -q '^   2  accept dsthost=example.org'; echo $?) "the rule is inserted as rule 1"
oks $(has_rule work '1 drop dst4=192.168.0.0/16' && has_rule work '2 accept dsthost=example.org proto=tcp dstports=443'; echo $?) \
	"and so in domd"

# Delete the selected rule (the inserted one).
keys d
oks $(wait_screen 'Delete rule 1 of work, "drop dst4=192.168.0.0/16"\?' 3; echo $?) "d asks before deleting the selected rule"
keys n
oks $(wait_no_screen 'Delete rule' 3 && has_rule work '1 drop dst4=192.168.0.0/16'; echo $?) "n keeps it"
keys d
wait_screen 'Delete rule 1 of work' 3
keys y
oks $(wait_screen '^   1  accept dsthost=example.org' 5 && ! screen | grep -q '192.168.0.0'; echo $?) \
	"y deletes it: the view renumbers"
oks $(! rules work | grep -q 192.168 && has_rule work '1 accept dsthost=example.org proto=tcp dstports=443'; echo $?) \
	"domd no longer has it"

# The default policy.
keys p
oks $(wait_screen 'default policy: drop' 5 && [ "$(rules work | tail -1)" = "policy: drop" ]; echo $?) \
	"p sets the policy to drop"
keys p
oks $(wait_screen 'default policy: accept' 5 && [ "$(rules work | tail -1)" = "policy: accept" ]; echo $?) \
	"p again sets it back to accept"

# A change made elsewhere shows up; a rule too long for the screen is shown
# in full once selected.
long='drop dsthost=far.example.org proto=tcp dstports=8000-9000 comment=a long comment that does not fit END'
bh firewall work add $long >/dev/null
oks $(wait_screen '^   4  drop dsthost=far.example.org' 4; echo $?) "a rule added with the CLI appears in the open view"
keys Down Down Down
oks $(wait_screen 'not fit END' 3; echo $?) "the selected long rule is shown in full"
bh firewall work policy drop >/dev/null
oks $(wait_screen 'default policy: drop' 4; echo $?) "a policy set with the CLI shows up"

# Reset: only once the name is typed.
keys R
oks $(wait_screen 'Reset the firewall of work' 3 && screen | grep -q 'deletes all 4 rules'; echo $?) "R asks for the qube's name"
type_text nope
keys Enter
oks $(wait_screen "the name typed is not 'work'" 3 && [ "$(rules work | wc -l)" = 5 ]; echo $?) \
	"a wrong name resets nothing"
keys C-u
type_text work
keys Enter
oks $(wait_no_screen 'Reset the firewall' 5 && wait_screen 'no rules: everything gets the default policy, accept' 3; echo $?) \
	"the right name resets: no rules, policy accept"
oks $([ "$(rules work)" = "policy: accept" ]; echo $?) "and so in domd"
keys d
oks $(wait_screen 'work has no rule to delete' 3; echo $?) "d with no rules says so"

keys Escape
oks $(wait_no_screen 'Firewall rules of work' 3 && wait_row work halted 1; echo $?) "Esc goes back to the table"
keys q
wait_console_exit 5
oks $(terminal_restored; echo $?) "the terminal is restored"

# Kiosk: f is refused.
console_start -- console --kiosk --qubes work
select_vm work
keys f
oks $(wait_screen 'firewall: not available in kiosk mode' 3 && ! screen | grep -q 'Firewall rules of'; echo $?) \
	"kiosk mode refuses f"
kill -TERM "$CONSOLE_PID"
wait_console_exit 5
console_end
tap_end
