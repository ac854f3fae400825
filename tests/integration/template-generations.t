#!/bin/bash
# Templates change while their AppVMs run (domd/rootgen.h): a running AppVM
# keeps the root it started with, even against a template that writes its
# files in place; the template's changes are the next start's root; a
# killed template or a dom0 crash leaves the previous generation; older
# generations are deleted once unused; a crash inside a commit is finished
# or rolled back at domd's next start.
. tests/integration/lib.sh

domd_start || exit 1
setup_template
Q=$T/state/qubes/tpl
gen() { vm_field tpl root_generation; }
wait_gone() { for _ in $(seq 100); do [ -e "$1" ] || return 0; sleep 0.05; done; return 1; }

echo gen0 >"$Q/root/etc/gen-mark"
check "create AppVM old" bh create old --class app --label green --template tpl --memory 64
check "create AppVM fresh" bh create fresh --class app --label green --template tpl --memory 64
check "start old" bh start old
ok $([ "$(gen)" = 0 ] && [ "$(vm_field old outdated)" = False ]; echo $?) "the template is at generation 0; old is not outdated"

check "start the template while old runs" bh start tpl
ok $([ -d "$Q/root.new" ] && [ "$(vm_field tpl state)" = running ]; echo $?) "the template runs from a copy of its root (root.new)"
# In place, as an attacker or a careless package would: not a new file
# renamed over the old one, the same inode written.
in_vm tpl 'printf gen1 | dd of=/etc/gen-mark conv=notrunc 2>/dev/null; echo added > /etc/gen-added'
ok $([ "$(in_vm tpl 'cat /etc/gen-mark')" = gen1 ]; echo $?) "the template sees its own write"
ok $([ "$(in_vm old 'cat /etc/gen-mark')" = gen0 ] && in_vm old 'test ! -e /etc/gen-added'; echo $?) \
	"old, running, does not see the template's in-place write or its new file"
ok $([ "$(cat "$Q/root/etc/gen-mark")" = gen0 ]; echo $?) "the current generation on disk is unchanged while the template runs"

check "shutdown --wait tpl" bh shutdown --wait tpl
ok $([ "$(gen)" = 1 ] && [ ! -e "$Q/root.new" ] && [ -d "$Q/root.0" ]; echo $?) \
	"a clean stop commits generation 1; generation 0 is kept as root.0 while old runs from it"
ok $([ "$(vm_field old outdated)" = True ]; echo $?) "old is outdated"
bh ls >"$T/ls"
ok $(grep -Eq '^old +running\*' "$T/ls" && grep -q 'restart --outdated' "$T/ls"; echo $?) "ls marks old with 'running*' and says how to update it"
ok $([ "$(in_vm old 'cat /etc/gen-mark')" = gen0 ]; echo $?) "old still reads generation 0"
check "start fresh" bh start fresh
ok $([ "$(in_vm fresh 'cat /etc/gen-mark')" = gen1 ] && [ "$(vm_field fresh outdated)" = False ]; echo $?) \
	"a qube started now gets generation 1 and is not outdated"

check "restart --outdated" bh restart --outdated
ok $([ "$(in_vm old 'cat /etc/gen-mark; cat /etc/gen-added')" = "$(printf 'gen1\nadded')" ] &&
	[ "$(vm_field old outdated)" = False ]; echo $?) "old, restarted, reads generation 1"
ok $(grep -q "^old: restarted" "$T/last.out" && ! grep -q "^fresh" "$T/last.out"; echo $?) "restart --outdated restarted old only"
ok $(wait_gone "$Q/root.0"; echo $?) "generation 0 is deleted once no qube runs from it"
check "restart --outdated with none outdated" bh restart --outdated
ok $(grep -q "no running qube is outdated" "$T/last.out"; echo $?) "it says no qube is outdated"
bh restart --outdated old >"$T/out" 2>&1
ok $([ $? -eq 2 ] && grep -q "not both" "$T/out"; echo $?) "names and --outdated together are a usage error"
bh restart nosuch >"$T/out" 2>&1
ok $([ $? -ne 0 ] && grep -q "no qube named 'nosuch'" "$T/out"; echo $?) "restart of an unknown qube names it"

# An interrupted update: the template is killed mid-way.
check "start tpl again" bh start tpl
in_vm tpl 'printf gen2 | dd of=/etc/gen-mark conv=notrunc 2>/dev/null'
check "kill tpl" bh kill tpl
ok $([ "$(gen)" = 1 ] && [ "$(cat "$Q/root/etc/gen-mark")" = gen1 ]; echo $?) "a killed template leaves generation 1"
ok $(wait_gone "$Q/root.new"; echo $?) "the killed run's copy is deleted"
check "restart fresh" bh restart fresh
ok $([ "$(in_vm fresh 'cat /etc/gen-mark')" = gen1 ]; echo $?) "fresh, restarted, still reads generation 1"
check "start tpl after the kill" bh start tpl
in_vm tpl 'printf gen2 | dd of=/etc/gen-mark conv=notrunc 2>/dev/null'
check "shutdown --wait tpl" bh shutdown --wait tpl
ok $([ "$(gen)" = 2 ] && [ "$(cat "$Q/root/etc/gen-mark")" = gen2 ]; echo $?) "the next run commits generation 2"

# domd dies while the template runs: adopted, its run still commits.
check "start tpl for a domd crash" bh start tpl
in_vm tpl 'printf gen3 | dd of=/etc/gen-mark conv=notrunc 2>/dev/null'
domd_kill9
domd_start || exit 1
ok $([ "$(vm_field tpl state)" = running ] && [ -d "$Q/root.new" ]; echo $?) "after domd's restart the template runs on, its copy kept"
ok $([ "$(vm_field old outdated)" = True ]; echo $?) "old, adopted, is outdated against generation 2 (its record says 1)"
check "shutdown --wait tpl" bh shutdown --wait tpl
ok $([ "$(gen)" = 3 ] && [ "$(cat "$Q/root/etc/gen-mark")" = gen3 ]; echo $?) "its run commits generation 3"
check "restart old and fresh" bh restart old fresh
ok $(wait_gone "$Q/root.1" && wait_gone "$Q/root.2"; echo $?) "older generations are gone once unused"

# A dom0 crash while the template runs (all gone, domd too): its copy is
# discarded at the next start.
cleanup_qubes
domd_stop
mkdir "$Q/root.new"
domd_start || exit 1
ok $(wait_gone "$Q/root.new" && [ "$(gen)" = 3 ]; echo $?) "a halted template's leftover copy is discarded at domd's start"

# Crashes inside a commit (rootgen_end: root -> root.N, root.new -> root,
# then the number).
domd_stop
mv "$Q/root" "$Q/root.3"
domd_start || exit 1
ok $([ -d "$Q/root" ] && [ ! -e "$Q/root.3" ] && [ "$(gen)" = 3 ] &&
	[ "$(cat "$Q/root/etc/gen-mark")" = gen3 ]; echo $?) "a commit cut after its first rename is rolled back"
domd_stop
cp -a "$Q/root" "$Q/root.3"
printf gen4 >"$Q/root/etc/gen-mark"
domd_start || exit 1
ok $([ "$(gen)" = 4 ]; echo $?) "a commit cut before its number is finished: generation 4"
ok $(wait_gone "$Q/root.3"; echo $?) "and the retired generation 3 is deleted"
echo junk >"$Q/root-generation"
domd_stop
domd_start || exit 1
ok $([ "$(gen)" = 0 ] && grep -q "not a generation number" "$T/domd.log"; echo $?) \
	"a garbled generation file is reported and read as 0"
check "start old on the garbled generation" bh start old
ok $([ "$(in_vm old 'cat /etc/gen-mark')" = gen4 ]; echo $?) "qubes still start from the template's root"

tap_end
