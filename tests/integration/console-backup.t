#!/bin/bash
# The console's backup and restore actions: a backup of the selected qube
# through its form (the passphrase typed twice and never shown, a mismatch
# refused in the form), the CLI's progress and outcome in a pager, the file
# verified by the CLI; a restore with a wrong passphrase fails with the
# reason and makes nothing; with the right one the name taken is renamed,
# and the new qube holds the data. Quitting during a backup leaves no file.
. tests/integration/lib.sh
. tests/integration/console-lib.sh

domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl >/dev/null
bh start work >/dev/null
bh run work -- 'head -c 48000000 /dev/urandom > data' >/dev/null
want=$(bh run work -- 'sha256sum < data')
bh shutdown --wait work >/dev/null
echo 'console passphrase' >"$T/pass"

console_start -x 100 -y 30
wait_row work halted 5
select_vm work
keys b
oks $(wait_screen 'Back up qubes' 3; echo $?) "b opens the backup form"
oks $(screen | grep -q 'Qubes *work'; echo $?) "the selected qube is filled in"
keys Tab
type_text "$T/work.bk"
keys Tab
type_text 'console passphrase'
keys Tab
type_text 'console passphrasf'
keys Enter
oks $(wait_screen '! the passphrases differ' 3; echo $?) "two different passphrases are refused in the form"
oks $(! screen | grep -q 'console passphras'; echo $?) "the passphrase is never shown"
oks $([ ! -e "$T/work.bk" ]; echo $?) "nothing is written"
keys C-u
type_text 'console passphrase'
keys Enter
oks $(wait_screen 'backup: .* of .*/s  ETA ' 30; echo $?) "the pager shows the progress: bytes of the total, rate, ETA"
oks $(wait_screen 'Done\. Esc goes back' 120; echo $?) "the backup ends with Done"
oks $(screen | grep -q "backed up 1 qube and 0 policy files to $T/work.bk" &&
	screen | grep -Eq '^backup: .* of .*/s'; echo $?) "the pager shows the outcome and the last progress"
oks $(screen | grep -q "backup of work to $T/work.bk: done"; echo $?) "the message line tells it too"
out=$(bh backup verify "$T/work.bk" --passphrase-file "$T/pass" 2>&1); rc=$?
ok $([ $rc -eq 0 ] && echo "$out" | grep -q ': authenticated and complete: 1 qube' &&
	echo "$out" | grep -Eq '^  work +app'; echo $?) "the backup verifies with the passphrase and holds work"
echo "$out" | sed 's/^/# /'

keys Escape
keys B
oks $(wait_screen 'Restore qubes from a backup' 3; echo $?) "B opens the restore form"
type_text "$T/work.bk"
keys Tab Tab Tab
type_text 'not the passphrase'
keys Enter
oks $(wait_screen "Failed: $T/work.bk: wrong passphrase" 60; echo $?) "a wrong passphrase: the restore fails with the reason"
oks $(! bh prefs work-1 >/dev/null 2>&1; echo $?) "nothing is restored"
keys Escape
keys B
wait_screen 'Restore qubes from a backup' 3
type_text "$T/work.bk"
keys Tab Tab Tab
type_text 'console passphrase'
keys Enter
oks $(wait_screen 'Done\. Esc goes back' 120; echo $?) "the restore ends with Done"
oks $(screen | grep -q 'work-1'; echo $?) "the pager names the new qube, work-1 (the name work is taken)"
keys Escape
oks $(wait_row work-1 halted 5; echo $?) "work-1 appears in the table"
bh start work-1 >/dev/null
ok $([ "$(vm_field work-1 template)" = tpl ] && [ "$(bh run work-1 -- 'sha256sum < data')" = "$want" ]; echo $?) \
	"work-1 runs on tpl with work's data"
bh kill work-1 >/dev/null

# Quitting the console while a backup runs ends it with SIGTERM: the CLI
# removes what it wrote.
keys b
wait_screen 'Back up qubes' 3
keys C-u
type_text 'work work-1'
keys Tab
type_text "$T/quit.bk"
keys Tab
type_text 'console passphrase'
keys Tab
type_text 'console passphrase'
keys Enter
oks $(wait_screen 'backup: .* of ' 30; echo $?) "a second backup is under way"
keys Escape
keys q
wait_console_exit 10
oks $([ "$(console_rc)" = 0 ] && [ ! -e "$T/quit.bk" ] && ! ls -a "$T" | grep -q 'quit\.bk'; echo $?) \
	"quitting the console during a backup leaves no file behind"
ls -a "$T" | grep 'quit' | sed 's/^/# /'
oks $(terminal_restored; echo $?) "the terminal is restored"
console_end
tap_end
