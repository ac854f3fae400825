#!/bin/bash
# The tags view (t) on an 80x24 VT100: the selected qube's tags from domd;
# a adds one through a form (domd's refusal of a bad name shown under the
# field, nothing stored), d removes the selected one after a y/n question
# (n keeps it); a change made with the CLI shows up in the open view; the
# qube's row is untouched by another qube's tags; kiosk mode refuses t.
. tests/integration/lib.sh
. tests/integration/console-lib.sh

domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl >/dev/null
bh create other --class app --label red --template tpl >/dev/null
bh tag work add existing >/dev/null

tags() { bh tag "$1" list | tr '\n' ' ' | sed 's/ $//'; }

console_start -t vt100 -x 80 -y 24
wait_row work halted 5
select_vm work
keys t
oks $(wait_screen 'Tags of work' 3 && wait_screen '^  existing *$' 3; echo $?) \
	"t opens the tags view with work's tag"
oks $(screen | tail -1 | grep -q 'aAdd dRemove EscBack'; echo $?) "the bar shows the view's keys"

# An invalid tag: domd's message under the field, the form stays, nothing stored.
keys a
oks $(wait_screen 'Add a tag to work' 3; echo $?) "a opens the add form"
type_text '9-bad tag'
keys Enter
oks $(wait_screen "! invalid tag '9-bad tag'" 5; echo $?) "an invalid tag is refused with domd's message under the field"
oks $(screen | grep -q 'Add a tag to work'; echo $?) "the form stays open"
oks $([ "$(tags work)" = existing ]; echo $?) "nothing was stored (tags: $(tags work))"

# A valid one.
keys C-u
type_text web-01
keys Enter
oks $(wait_no_screen 'Add a tag to work' 5 && wait_screen '^  web-01 *$' 3; echo $?) \
	"the form closes and web-01 is listed"
oks $([ "$(tags work)" = "existing web-01" ]; echo $?) "bulkhead tag work list has it (got: $(tags work))"
oks $([ -z "$(tags other)" ]; echo $?) "the other qube has no tags"
oks $(wait_screen 'work: tag web-01 added' 3; echo $?) "the message line says so"

# A change made elsewhere shows up in the open view.
bh tag work add from-cli >/dev/null
oks $(wait_screen '^  from-cli *$' 4; echo $?) "a tag added with the CLI appears in the open view"
bh tag work del from-cli >/dev/null
oks $(wait_no_screen '^  from-cli *$' 4; echo $?) "and goes when the CLI removes it"

# Remove: the selection is on the tag just added (web-01).
keys d
oks $(wait_screen 'Remove the tag web-01 from work\?' 3; echo $?) "d asks before removing the selected tag"
keys n
oks $(wait_no_screen 'Remove the tag' 3 && [ "$(tags work)" = "existing web-01" ]; echo $?) "n keeps it"
keys Up
keys d
oks $(wait_screen 'Remove the tag existing from work\?' 3; echo $?) "Up selects the tag above: d asks about it"
keys y
oks $(wait_no_screen '^  existing *$' 5 && screen | grep -q '^  web-01 *$'; echo $?) \
	"y removes it from the view"
oks $([ "$(tags work)" = web-01 ]; echo $?) "and from domd (got: $(tags work))"
keys d
wait_screen 'Remove the tag web-01' 3
keys y
oks $(wait_screen 'no tags: a adds one' 5 && [ -z "$(tags work)" ]; echo $?) "the last tag removed: the view says there are none"
keys d
oks $(wait_screen 'work has no tag to remove' 3; echo $?) "d with no tags says so"

keys Escape
oks $(wait_no_screen 'Tags of work' 3 && wait_row work halted 1; echo $?) "Esc goes back to the table"
keys q
wait_console_exit 5
oks $(terminal_restored; echo $?) "the terminal is restored"

# Where the terminal has a Delete key (a VT100 has none), it removes too.
bh tag work add one two >/dev/null
console_start -t xterm-256color -x 80 -y 24
select_vm work
keys t
wait_screen '^  two *$' 3
keys Down Delete
oks $(wait_screen 'Remove the tag two from work\?' 3; echo $?) "Delete asks about the selected tag (xterm)"
keys y
oks $(wait_no_screen '^  two *$' 5 && [ "$(tags work)" = one ]; echo $?) "y removes it (got: $(tags work))"
keys Escape q
wait_console_exit 5

# Kiosk: t is refused.
console_start -- console --kiosk --qubes work
select_vm work
keys t
oks $(wait_screen 'tags: not available in kiosk mode' 3 && ! screen | grep -q 'Tags of'; echo $?) \
	"kiosk mode refuses t"
kill -TERM "$CONSOLE_PID"
wait_console_exit 5
console_end
tap_end
