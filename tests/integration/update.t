#!/bin/bash
# Centralized updates (bulkhead update) on the ns backend, with no internet:
# a package repository built here (dpkg-deb, dpkg-scanpackages) is served
# from a "lan" namespace behind the host; sys-net reaches it through its
# host-nat uplink. The Debian template has no network: its apt goes to the
# port its agent forwards into bulkhead.UpdatesProxy, which sys-net's
# service checks and hands to tinyproxy. An AppVM started before the update
# keeps its root until restarted; an update killed half-way leaves the old
# root; AppVMs may not call the proxy; a hostile template's requests for
# other ports, other methods or garbage are refused.
. tests/integration/lib.sh
. tests/integration/console-lib.sh

need_debian_template
LAN=bhulan-$$
LANIF=bhulan$$
FORWARD_WAS=$(cat /proc/sys/net/ipv4/ip_forward)
HTTP_PID=
update_cleanup() {
	local rc=$?
	[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null
	ip netns del "$LAN" 2>/dev/null
	ip link del "$LANIF" 2>/dev/null
	echo "$FORWARD_WAS" >/proc/sys/net/ipv4/ip_forward
	set_rc() { return "$1"; }
	set_rc "$rc"; console_cleanup
}
trap update_cleanup EXIT

# pkg VERSION POSTINST: bulkhead-test-pkg into the repository.
REPO=$T/repo
mkdir -p "$REPO"
pkg() {
	local d=$T/pkg-$1
	mkdir -p "$d/DEBIAN" "$d/usr/share/bulkhead-test"
	printf 'Package: bulkhead-test-pkg\nVersion: %s\nArchitecture: all\nMaintainer: Bulkhead tests <tests@bulkhead.invalid>\nDescription: a package for the update test\n' "$1" >"$d/DEBIAN/control"
	printf '#!/bin/sh\n%s\n' "$2" >"$d/DEBIAN/postinst"
	chmod 0755 "$d/DEBIAN/postinst"
	echo "version $1" >"$d/usr/share/bulkhead-test/marker"
	dpkg-deb --root-owner-group --build "$d" "$REPO/bulkhead-test-pkg_$1_all.deb" >/dev/null &&
		(cd "$REPO" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null >Packages)
}
pkg 1.0 'exit 0' || exit 1

lan_make "$LAN" "$LANIF" 192.168.89 || exit 1
# Not `python3 -m http.server`: its start looks up the address's name,
# which has no resolver here and takes seconds.
(cd "$REPO" && exec ip netns exec "$LAN" python3 -c '
import http.server, socketserver
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("192.168.89.2", 8000),
    http.server.SimpleHTTPRequestHandler).serve_forever()') >"$T/http.log" 2>&1 &
HTTP_PID=$!

mkdir -p "$T/cfg/policy.d"
cp config/site/policy.d/90-default.policy "$T/cfg/policy.d/"
domd_start || exit 1
setup_template
bh template import debian "$DEBIAN_ROOT" >/dev/null
bh create sys-net --label red --template tpl --provides-network >/dev/null &&
	bh prefs sys-net uplink host-nat >/dev/null || exit 1
bh create app --label blue --template debian --memory 256 >/dev/null || exit 1
Q=$T/state/qubes/debian
echo 'deb [trusted=yes] http://192.168.89.2:8000/ ./' >"$Q/root/etc/apt/sources.list"
rm -rf "$Q/root/etc/apt/sources.list.d"
gen() { vm_field debian root_generation; }

check "sys-net starts" bh start sys-net
check "app (an AppVM of debian) starts before the update" bh start app

# The template itself: no network but the forwarded proxy port.
check "the template starts" bh start debian
ok $(! in_vm debian 'timeout 5 bash -c "echo > /dev/tcp/192.168.89.2/8000"' 2>/dev/null; echo $?) \
	"the template cannot connect to the repository directly"
# proxy REQUEST: what the template's proxy port answers to REQUEST.
proxy() { in_vm debian "timeout 20 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8082; printf \"$1\" >&3; cat <&3'" 2>/dev/null; }
proxy 'GET http://192.168.89.2:8000/Packages HTTP/1.0\r\n\r\n' >"$T/out"
ok $(grep -q '^Package: bulkhead-test-pkg' "$T/out"; echo $?) "through its proxy port the template gets the repository's index"
proxy 'CONNECT 192.168.89.2:22 HTTP/1.1\r\n\r\n' >"$T/out"
ok $(grep -q '403' "$T/out" && grep -q 'port 22 is not allowed' "$T/out"; echo $?) "a CONNECT to port 22 is refused (403)"
proxy 'POST http://192.168.89.2:8000/x HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi' >"$T/out"
ok $(grep -q '403' "$T/out" && ! grep -q 'POST /x' "$T/http.log"; echo $?) "a POST is refused and never reaches the server"
proxy '\x16\x03\x01garbage\x00\xff\r\n\r\n' >"$T/out"
ok $(grep -q '403' "$T/out"; echo $?) "garbage is refused"
proxy 'GET http://192.168.89.2:8000/Packages HTTP/1.0\r\n\r\n' >"$T/out"
ok $(grep -q '^Package: bulkhead-test-pkg' "$T/out" && [ "$(vm_field sys-net state)" = running ]; echo $?) \
	"after the garbage sys-net and its proxy still serve"
g0=$(gen)
in_vm debian 'DEBIAN_FRONTEND=noninteractive apt-get -q update && apt-get -q -y install bulkhead-test-pkg' \
	>"$T/install.log" 2>&1
ok $(in_vm debian 'grep -qx "version 1.0" /usr/share/bulkhead-test/marker'; echo $?) \
	"apt-get install in the template works through the proxy (version 1.0)"
check "shutdown --wait debian keeps it" bh shutdown --wait debian
ok $([ "$(gen)" = $((g0 + 1)) ] && grep -qx 'version 1.0' "$Q/root/usr/share/bulkhead-test/marker"; echo $?) \
	"a new root generation with version 1.0"
in_vm app 'bulkhead-rpc @default bulkhead.UpdatesProxy </dev/null' >/dev/null 2>&1
a=$?
in_vm app 'bulkhead-rpc sys-net bulkhead.UpdatesProxy </dev/null' >/dev/null 2>&1
b=$?
ok $([ $a -ne 0 ] && [ $b -ne 0 ] && [ "$(grep -c 'app -> .*bulkhead.UpdatesProxy.*denied' "$T/domd.log")" = 2 ]; echo $?) \
	"an AppVM may not call bulkhead.UpdatesProxy (denied by policy, with or without a target)"
check "restart app" bh restart app

pkg 2.0 'exit 0' || exit 1
g0=$(gen)
bh update debian --log-dir "$T/logs" >"$T/update.out" 2>&1
rc=$?
ok $([ $rc -eq 0 ] && grep -Eq '^debian +updated \(1 package\)' "$T/update.out"; echo $?) "bulkhead update debian: updated (1 package)"
[ $rc -eq 0 ] || { sed 's/^/#   /' "$T/update.out"; tail -20 "$T/logs/update-debian.log" | sed 's/^/#   /'; }
ok $(grep -q 'debian: apt-get dist-upgrade' "$T/update.out" && grep -q 'debian: shutting down' "$T/update.out"; echo $?) "it shows a line per step"
ok $([ "$(gen)" = $((g0 + 1)) ] && [ "$(vm_field debian state)" = halted ] &&
	grep -q 'Setting up bulkhead-test-pkg' "$T/logs/update-debian.log"; echo $?) \
	"the template is halted with a new root generation; the log has apt's output"
ok $([ "$(in_vm app 'cat /usr/share/bulkhead-test/marker')" = "version 1.0" ] && [ "$(vm_field app outdated)" = True ]; echo $?) \
	"app, started before, still has version 1.0 and is outdated"
check "restart --outdated" bh restart --outdated
ok $([ "$(in_vm app 'cat /usr/share/bulkhead-test/marker')" = "version 2.0" ]; echo $?) "after its restart app has version 2.0"

bh update tpl --log-dir "$T/logs" >"$T/update.out" 2>&1
ok $(grep -Eq '^tpl +nothing to update: no package manager' "$T/update.out" && [ "$(vm_field tpl state)" = halted ]; echo $?) \
	"the minimal template has nothing to update"
bh update --json --dry-run debian --log-dir "$T/logs" >"$T/update.json" 2>&1
ok $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; sys.exit(r["result"] != "up-to-date")' "$T/update.json" &&
	[ "$(gen)" = $((g0 + 1)) ]; echo $?) "a dry run with nothing new: up-to-date (JSON), no new generation"

# An update killed half-way: version 2.0's postinst waits while a file the
# test controls exists.
pkg 3.0 'while [ -e /etc/bulkhead-test-hold ]; do sleep 0.2; done' || exit 1
touch "$Q/root/etc/bulkhead-test-hold"
bh update debian --log-dir "$T/logs" >"$T/update.out" 2>&1 &
upd=$!
for _ in $(seq 600); do grep -q 'Setting up bulkhead-test-pkg (3.0)' "$T/logs/update-debian.log" 2>/dev/null && break; sleep 0.1; done
check "kill the template in the middle of its update" bh kill debian
wait $upd
ok $([ $? -ne 0 ] && grep -Eq '^debian +failed: .*log: ' "$T/update.out"; echo $?) "the update reports failed with its log, exit status non-zero"
ok $([ "$(gen)" = $((g0 + 1)) ] && grep -q 'version 2.0' "$Q/root/usr/share/bulkhead-test/marker"; echo $?) \
	"the root generation is the previous one, with version 2.0"
check "restart app" bh restart app
ok $([ "$(in_vm app 'cat /usr/share/bulkhead-test/marker')" = "version 2.0" ]; echo $?) "app gets version 2.0"
rm -f "$Q/root/etc/bulkhead-test-hold"
bh update debian --log-dir "$T/logs" >"$T/update.out" 2>&1
ok $(grep -Eq '^debian +updated \(1 package\)' "$T/update.out" && [ "$(gen)" = $((g0 + 2)) ] &&
	grep -q 'version 3.0' "$Q/root/usr/share/bulkhead-test/marker"; echo $?) "the next update succeeds: version 3.0, a new generation"
bh update nosuch >"$T/out" 2>&1
ok $([ $? -ne 0 ] && grep -q "no qube named 'nosuch'" "$T/out"; echo $?) "an unknown template is named"
bh update app >"$T/out" 2>&1
ok $([ $? -ne 0 ] && grep -q "'app' is not a template" "$T/out"; echo $?) "an AppVM is not a template"
ok $(grep -q 'GET /Packages' "$T/http.log" && ! grep -q 'from 10\.13' "$T/http.log"; echo $?) "the repository saw the requests"

# The console's update action (U) on the selected template.
pkg 4.0 'exit 0' || exit 1
console_start -x 120 -y 32
wait_row debian halted 5
select_vm app
keys U
oks $(wait_screen 'app is not a template' 3; echo $?) "U on an AppVM says to update its template instead"
select_vm debian
keys Down
keys U
oks $(wait_screen 'debian: .*\(step [0-9]+ of 5\)' 60 && wait_screen '^ *(Reading package lists|Get:|Hit:|Ign:)' 60; echo $?) \
	"U on the template: the pager follows its steps and apt's output"
oks $(wait_screen 'Done\. Esc goes back' 180 && wait_screen 'debian +updated \(1 package\)' 2; echo $?) \
	"and shows its table at the end: updated (1 package), Done"
ok $(grep -q 'version 4.0' "$Q/root/usr/share/bulkhead-test/marker"; echo $?) "the template's root has version 4.0"
keys Escape
keys q
wait_console_exit 5
console_end
tap_end
