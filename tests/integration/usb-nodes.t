#!/bin/bash
# The USB device nodes of a USB qube on the ns backend: domd keeps a copy of
# the host's /dev/bus/usb in the qube (here a stand-in tree of real char
# nodes, major 189, given to domd as BULKHEAD_USB_DEVDIR) owned by the
# qube's root, follows the host's hotplug, and gives nothing to its user,
# to a qube without provides_usb, or to the host through a planted link.
. tests/integration/lib.sh

H=$T/devbus
mkdir -p "$H/001" "$H/002"
mknod -m 0664 "$H/001/001" c 189 0 && mknod -m 0664 "$H/001/002" c 189 1 &&
	mknod -m 0664 "$H/002/003" c 189 130 || exit 1
# Not copied: another major, a link (to a USB node outside), a bad name.
mknod -m 0664 "$H/001/099" c 1 3 && mknod -m 0664 "$T/outside" c 189 8 &&
	ln -s "$T/outside" "$H/001/050" && mknod -m 0664 "$H/001/abc" c 189 9 || exit 1
export BULKHEAD_USB_DEVDIR=$H

domd_start -v || exit 1
setup_template
bh create sys-usb --label red --template tpl >/dev/null || exit 1
bh prefs sys-usb provides_usb 1 >/dev/null || exit 1
bh create work --label blue --template tpl >/dev/null || exit 1
check "sys-usb and work start" bh start sys-usb work

eventually() {
	local d=$1; shift
	for _ in $(seq 50); do "$@" >/dev/null 2>&1 && { ok 0 "$d"; return; }; sleep 0.1; done
	ok 1 "$d"
}
# "TYPE MAJOR,MINOR UID GID" of a node in sys-usb, as its root sees it.
node() { in_vm sys-usb "stat -c '%A %t,%T %u %g' /dev/bus/usb/$1" 2>&1; }

ok $([ "$(node 001/001)" = "crw------- bd,0 0 0" ] && [ "$(node 001/002)" = "crw------- bd,1 0 0" ] &&
	[ "$(node 002/003)" = "crw------- bd,82 0 0" ]; echo $?) \
	"sys-usb has the host's USB nodes, owned by its root, 0600: $(node 001/002)"
ok $(in_vm sys-usb 'ls /dev/bus/usb/001' | tr '\n' ' ' | grep -qx '001 002 '; echo $?) \
	"and nothing else: not another major, a symlink or a bad name ($(in_vm sys-usb 'ls /dev/bus/usb/001' | tr '\n' ' '))"
in_vm sys-usb 'cat /dev/bus/usb/001/002' >"$T/out" 2>&1
ok $(! grep -q "Permission denied\|Operation not permitted" "$T/out"; echo $?) \
	"sys-usb's root may open one (no device behind it here): $(head -1 "$T/out")"
bh run --user user sys-usb -- 'cat /dev/bus/usb/001/002' >"$T/out" 2>&1
ok $(grep -q "Permission denied" "$T/out"; echo $?) "sys-usb's user may not: $(head -1 "$T/out")"
in_vm sys-usb 'mknod /dev/bus/usb/001/077 c 189 77 || touch /dev/bus/usb/001/x || rm /dev/bus/usb/001/001' >"$T/out" 2>&1
ok $(node 001/001 | grep -q '^crw'; [ $? -eq 0 ] && ! in_vm sys-usb 'ls /dev/bus/usb/001/077 /dev/bus/usb/001/x' >/dev/null 2>&1; echo $?) \
	"sys-usb's root cannot add to or remove from the copy"
ok $(in_vm work 'ls /dev/bus/usb' >/dev/null 2>&1; [ $? -ne 0 ]; echo $?) "work (no provides_usb) has no /dev/bus/usb"

diag "hotplug"
mknod "$H/002/004" c 189 131
plugged() { [ "$(in_vm sys-usb 'stat -c %t,%T /dev/bus/usb/002/004' 2>/dev/null)" = bd,83 ]; }
eventually "a device plugged on the host shows up in sys-usb" plugged
rm "$H/001/002"
gone() { ! in_vm sys-usb "ls /dev/bus/usb/$1" >/dev/null 2>&1; }
eventually "one unplugged goes" gone 001/002
rm -r "$H/002"
eventually "a bus that went goes with its nodes" gone 002

diag "a planted link: sys-usb's root moves /dev/bus away and makes links in its place"
echo keep >"$T/victim"
in_vm sys-usb "mv /dev/bus /dev/bus.old && mkdir -p /dev/bus/usb/001 &&
	ln -s $T/victim /dev/bus/usb/001/001 && ln -s $T /dev/bus/usb/005" >"$T/out" 2>&1; rc=$?
diag "mv and links: exit $rc $(head -1 "$T/out")"
mkdir "$H/005" && mknod "$H/005/006" c 189 517
sleep 2.5
ok $([ -f "$T/victim" ] && [ ! -L "$T/victim" ] && [ "$(cat "$T/victim")" = keep ] &&
	[ ! -e "$T/006" ] && [ ! -e "$T/005" ]; echo $?) "domd followed no link out of the qube (the host's files are as they were)"
ok $(in_vm sys-usb 'cat /dev/bus/usb/001/001' 2>&1 | grep -q "Permission denied\|Operation not permitted\|No such file"; echo $?) \
	"a node domd made in the qube's own /dev opens nothing ($(in_vm sys-usb 'cat /dev/bus/usb/001/001' 2>&1 | head -1))"

tap_end
