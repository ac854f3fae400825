#!/bin/bash
# Bad input to domd: each gets its clear error, domd keeps serving and the
# store stays intact.
. tests/integration/lib.sh

domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl >/dev/null
bh create net --class app --label red --template tpl --provides-network >/dev/null
# (Without the addresses domd gives qubes when they first start with network.)
store_sum() { find "$T/state/qubes" -name qube.cfg | sort | xargs cat | grep -v '^\(ip\|uid_base\) = ' | sha256sum; }
before=$(store_sum)

expect_err() { # expect_err DESCRIPTION PATTERN COMMAND...
	local d=$1 pat=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	if [ $rc -ne 0 ] && grep -q -- "$pat" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ]; then ok 0 "$d"
	else ok 1 "$d"; diag "rc=$rc stderr: $(cat "$T/err")"; fi
}

expect_err "invalid name is refused" "invalid qube name '9bad'" bh create 9bad --class app --label red --template tpl
expect_err "a name of 32 characters is refused" "invalid qube name" bh create a234567890123456789012345678901b --class app --label red --template tpl
expect_err "unknown label is refused, naming it" "invalid label 'pink'" bh create x --class app --label pink --template tpl
expect_err "unknown template is refused" "invalid template 'nope'" bh create x --class app --label red --template nope
expect_err "an AppVM as template is refused" "not a template" bh create x --class app --label red --template work
expect_err "unknown netvm is refused" "invalid netvm 'nope'" bh create x --class app --label red --template tpl --netvm nope
expect_err "a netvm that does not provide network is refused" "does not provide network" bh prefs net netvm work
expect_err "memory out of range is refused" "invalid memory '5'" bh prefs work memory 5
expect_err "an existing name is refused" "exists already" bh create work --class app --label red --template tpl
expect_err "an unknown virt_mode is refused, naming it" "invalid virt_mode 'hvm'" bh prefs work virt_mode hvm
expect_err "a private_size out of range is refused" "invalid private_size '63'" bh prefs work private_size 63
head -c 4096 /dev/urandom > "$T/not-an-image"
expect_err "a template image that is no ext2/3/4 file system is refused" "not an ext2/3/4 image" bh template import bad "$T/not-an-image"
ok $(! bh prefs bad >/dev/null 2>&1; echo $?) "and no template was made"
expect_err "removing a template in use is refused" "is the template of" bh remove tpl
bh prefs work netvm net >/dev/null
bh prefs work provides_network 1 >/dev/null
expect_err "a netvm loop is refused" "loop" bh prefs net netvm work
expect_err "removing a netvm in use is refused" "netvm of work" bh remove net
bh start work >/dev/null
expect_err "starting a running qube is refused" "is running" bh start work
expect_err "removing a running qube is refused" "shut it down first" bh remove work
expect_err "unknown qube" "no qube named 'ghost'" bh start ghost

bh create empty --class template --label black >/dev/null
bh create onempty --class app --label red --template empty >/dev/null
expect_err "a qube whose root has no init fails to start, saying why" "has no executable sbin/init" bh start onempty
ok $([ "$(vm_field onempty state)" = halted ]; echo $?) "and is left halted"
bh remove onempty >/dev/null; bh remove empty >/dev/null

# A root image is kept as it is (what the xen backend boots).
truncate -s 8M "$T/tpl.img" && mke2fs -q -F -t ext4 "$T/tpl.img" &&
	bh template import imgtpl "$T/tpl.img" >/dev/null &&
	cmp -s "$T/tpl.img" "$T/state/qubes/imgtpl/root.img" && [ "$(vm_field imgtpl class)" = template ]
ok $? "template import of an ext4 image keeps it as the template's root.img"
bh create onimg --class app --label red --template imgtpl >/dev/null &&
	[ "$(vm_field onimg virt_mode)" = pvh ] && [ "$(vm_field onimg private_size)" = 2048 ] &&
	bh prefs onimg virt_mode pv >/dev/null && bh prefs onimg private_size 512 >/dev/null &&
	[ "$(vm_field onimg virt_mode)" = pv ] && grep -q '^private_size = 512$' "$T/state/qubes/onimg/qube.cfg"
ok $? "virt_mode and private_size: defaults, changes, kept in qube.cfg"
bh remove onimg >/dev/null; bh remove imgtpl >/dev/null

# Raw protocol abuse.
raw() { python3 - "$BULKHEAD_SOCKET" "$@" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); mode = sys.argv[2]
if mode == "malformed": s.sendall(b'{"id":1,"method":\n')
elif mode == "notobject": s.sendall(b'[1,2,3]\n')
elif mode == "unknown": s.sendall(b'{"id":7,"method":"vm.explode"}\n')
elif mode == "huge":
    try: s.sendall(b'{"id":1,"method":"vm.list","pad":"' + b"x" * (2 * 1024 * 1024) + b'"}\n')
    except OSError: pass
elif mode == "badargs": s.sendall(b'{"id":2,"method":"vm.shutdown","vm":"work","args":{"timeout":"soon"}}\n')
s.settimeout(5); data = b""
try:
    while not data.endswith(b"\n"):
        c = s.recv(65536)
        if not c: break
        data += c
except OSError: pass
print(data.decode(errors="replace").strip())
PY
}
ok $(raw malformed | grep -q '"code":"bad-request"'; echo $?) "malformed JSON gets bad-request"
ok $(raw notobject | grep -q '"code":"bad-request"'; echo $?) "a JSON array gets bad-request"
ok $(raw unknown | grep -q '"id":7.*"code":"unknown-method"'; echo $?) "an unknown method gets unknown-method with its id"
ok $(raw huge | grep -q 'longer than 1 MiB'; echo $?) "a 2 MiB request is refused"
ok $(raw badargs | grep -q "argument 'timeout' must be an integer"; echo $?) "an ill-typed argument is refused, naming it"

# A client that connects and says nothing must not stall anyone.
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(30)' "$BULKHEAD_SOCKET" &
silent=$!
sleep 0.2
start=$(date +%s%N)
check "domd answers while a silent client is connected" bh ls
ok $(( ($(date +%s%N) - start) / 1000000 > 1000 )) "and answers quickly"
kill $silent

# A peer that is neither root nor in group bulkhead may look but not change.
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chmod 755 "$T" "$T/run"
	setpriv --reuid nobody --regid nogroup --clear-groups "$CLI_BIN" --socket "$BULKHEAD_SOCKET" kill work >"$T/out" 2>"$T/err"
	ok $(grep -q "permission denied: uid" "$T/err"; echo $?) "an unprivileged peer is refused state changes: $(cat "$T/err")"
	setpriv --reuid nobody --regid nogroup --clear-groups "$CLI_BIN" --socket "$BULKHEAD_SOCKET" ls >"$T/out" 2>&1
	ok $? "an unprivileged peer may list"
	ok $([ "$(vm_field work state)" = running ]; echo $?) "the refused kill changed nothing"
fi

ok $(kill -0 "$DOMD_PID"; echo $?) "domd is still running"
bh kill work >/dev/null
ok $(bh ls | grep -q "^work .*net"; echo $?) "the store holds the accepted netvm change"
# The refused commands changed no qube file but the one netvm change made.
bh prefs work netvm "" >/dev/null
bh prefs work provides_network 0 >/dev/null
ok $([ "$(store_sum)" = "$before" ]; echo $?) "the qube files are exactly as before the refused commands"

# Restarted domd loads the same store.
domd_stop; domd_start
ok $([ "$(bh ls | wc -l)" -eq 4 ]; echo $?) "after a restart the store loads the same three qubes"

# A bad domd.conf stops domd at once with the key and its range.
domd_stop
cp "$T/cfg/domd.conf" "$T/domd.conf.good"
conf_err() { # conf_err LINE PATTERN
	cp "$T/domd.conf.good" "$T/cfg/domd.conf"; echo "$1" >>"$T/cfg/domd.conf"
	expect_err "domd.conf '$1' is refused" "$2" \
		"$DOMD_BIN" --backend ns --config-dir "$T/cfg" --state-dir "$T/state" --run-dir "$T/run" --foreground
}
conf_err 'cgroup_favordynmods = 2' "cgroup_favordynmods must be a number from 0 to 1"
conf_err 'start_timeout = "soon"' "start_timeout must be a number from 1 to 3600"
conf_err 'ask_timeout = 0' "ask_timeout must be a number from 1 to 86400"
cp "$T/domd.conf.good" "$T/cfg/domd.conf"

tap_end
