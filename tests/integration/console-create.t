#!/bin/bash
# Creating a qube through the console's form: an invalid name is refused
# with domd's message shown in the form, then the qube is created with the
# values chosen. The properties editor (vm.set, a refused value shown under
# its field) and clone.
. tests/integration/lib.sh
. tests/integration/console-lib.sh

domd_start || exit 1
setup_template
bh create sys-net --class app --label red --template tpl --provides-network >/dev/null

console_start
wait_row tpl halted 5
keys n
oks $(wait_screen 'New qube' 3; echo $?) "n opens the create form"
type_text '9bad name'
keys Enter
oks $(wait_screen "! invalid qube name '9bad name'" 5; echo $?) "an invalid name is refused, domd's message under the field"
oks $(screen | grep -q 'New qube'; echo $?) "the form stays open"
oks $(! bh prefs 9bad >/dev/null 2>&1; echo $?) "nothing was created"

keys C-u
type_text fresh
keys Tab Tab Right Right Right Right Right   # class app; label red -> blue
keys Tab Tab Right                           # template tpl; netvm (none) -> sys-net
keys Tab
type_text 99999999
keys Enter
oks $(wait_screen "! invalid memory '99999999'" 5; echo $?) "an out-of-range memory is refused under the memory field"
keys C-u
type_text 96
keys Tab
type_text 1
keys Enter
oks $(wait_no_screen 'New qube' 5 && wait_row fresh 'halted' 5; echo $?) "the form closes and fresh appears in the table"
oks $([ "$(vm_field fresh class)" = app ] && [ "$(vm_field fresh label)" = blue ] &&
	[ "$(vm_field fresh template)" = tpl ] && [ "$(vm_field fresh netvm)" = sys-net ] &&
	[ "$(vm_field fresh memory)" = 96 ] && [ "$(vm_field fresh vcpus)" = 1 ]; echo $?) \
	"domd has fresh with the values chosen (app, blue, tpl, sys-net, 96 MiB, 1 vcpu)"

# The properties editor.
select_vm fresh
keys e
oks $(wait_screen 'Properties of fresh' 3; echo $?) "e opens the properties editor"
keys Tab Tab Tab C-u   # label, template, netvm -> memory
type_text 10
keys Enter
oks $(wait_screen "! invalid memory '10'" 5; echo $?) "a refused value is shown under its field"
keys C-u
type_text 128
keys Up Up Up Left     # back to label: blue -> gray
keys Enter
oks $(wait_no_screen 'Properties of fresh' 5 && wait_row fresh '128M' 3; echo $?) "accepted: the editor closes, the table shows 128M"
oks $([ "$(vm_field fresh memory)" = 128 ] && [ "$(vm_field fresh label)" = gray ]; echo $?) \
	"domd has memory 128 and label gray"

# Clone.
keys c
oks $(wait_screen 'Clone fresh' 3; echo $?) "c asks for the clone's name"
keys C-u
type_text sys-net
keys Enter
oks $(wait_screen "exists already" 5; echo $?) "an existing name is refused with domd's message"
keys C-u
type_text fresh2
keys Enter
keys Escape
oks $(wait_row fresh2 'halted' 10 && [ "$(vm_field fresh2 memory)" = 128 ]; echo $?) "the clone appears, with the same properties"

keys q
wait_console_exit 5
oks $(terminal_restored; echo $?) "the terminal is restored"
console_end
tap_end
