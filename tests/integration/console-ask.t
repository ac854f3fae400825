#!/bin/bash
# The ask queue in the console: a file copy whose policy says `ask` shows up
# (highlighted, counted on the status line), is allowed from the console
# with the target chosen there, and the file arrives; a second one is denied.
# Skipped while domd has no ask queue (ask.list: unknown-method).
. tests/integration/lib.sh
. tests/integration/console-lib.sh

mkdir -p "$T/cfg/policy.d"
printf 'cgroup_parent = "%s"\nstart_timeout = 20\nask_timeout = 30\n' "$CGROUP_PARENT" >"$T/cfg/domd.conf"
cat >"$T/cfg/policy.d/50-console-test.policy" <<'EOF2'
# service           arg  source  target    action
bulkhead.Filecopy   *    work    @default  ask default_target=vault
bulkhead.Filecopy   *    work    tpl       deny
bulkhead.Filecopy   *    work    @anyvm    ask
EOF2
domd_start || exit 1

# ask.list as the console sends it: unknown-method means no ask queue yet.
code=$(python3 - "$BULKHEAD_SOCKET" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"id":1,"method":"ask.list","args":{}}\n')
r = json.loads(s.makefile().readline())
print("ok" if r.get("ok") else r.get("error", {}).get("code", "?"))
PY
)
if [ "$code" = unknown-method ]; then
	echo "ok 1 # SKIP ask.list not available"
	echo "1..1"
	exit 0
fi

setup_template
bh create work --class app --label blue --template tpl >/dev/null
bh create vault --class app --label black --template tpl >/dev/null
bh create spare --class app --label gray --template tpl >/dev/null
bh start work >/dev/null
bh start vault >/dev/null
bh start spare >/dev/null

console_start
wait_row vault running 5
oks $(screen | head -1 | grep -q 'asks 0'; echo $?) "the status line counts pending asks (0)"

# A copy from work: the policy asks the operator.
(bh run work -- 'echo secret-one > /tmp/one; bulkhead-copy @default /tmp/one' >"$T/copy1.out" 2>&1
	echo "rc=$?" >>"$T/copy1.out") &
oks $(wait_screen 'asks 1!' 10; echo $?) "an ask raised by the file copy is counted, marked new"
oks $(wait_screen 'ask #[0-9]+: bulkhead.Filecopy from work' 2; echo $?) "the message line announces it"
keys a
oks $(wait_screen 'Ask queue: 1 pending' 3 && screen | grep -q 'bulkhead.Filecopy.*work -> .*(default vault)'; echo $?) \
	"a: the queue shows the request, its source and default target"
ok $(screen -e | grep 'bulkhead.Filecopy' | grep -q $'\e\\[[0-9;]*m\|NEW'; echo $?) "the new request is highlighted"
ok $(screen | grep -q 'Allowed targets of #[0-9]*: spare vault *$'; echo $?) \
	"the queue shows the targets the policy allows (not tpl, which it denies, nor work itself)"
keys Enter
oks $(wait_screen 'Allow ask #' 3 && screen | grep -q 'Target *< vault >'; echo $?) "Enter: allow, the target offered is vault"
keys Enter
oks $(wait_screen 'no pending requests' 10; echo $?) "allowed: the request leaves the queue"
for _ in $(seq 100); do grep -q '^rc=' "$T/copy1.out" && break; sleep 0.1; done
ok $(grep -q '^rc=0' "$T/copy1.out" && [ "$(bh run vault -- cat /home/user/Incoming/work/one)" = secret-one ]; echo $?) \
	"the copy went through: the file is in vault's ~/Incoming/work/"
sed 's/^/#   /' "$T/copy1.out"

# Allowed to another target chosen in the console.
(bh run work -- 'echo secret-two > /tmp/two; bulkhead-copy @default /tmp/two' >"$T/copy2.out" 2>&1
	echo "rc=$?" >>"$T/copy2.out") &
oks $(wait_screen 'Filecopy' 10; echo $?) "a second ask appears in the open queue"
keys Enter
wait_screen 'Allow ask #' 3
keys t   # no choice starts with t: tpl is denied
sleep 0.3
ok $(! screen | grep -q 'Target *< tpl >'; echo $?) "the form offers no target the policy denies"
keys s   # the choice starting with s: spare
oks $(wait_screen 'Target *< spare >' 2; echo $?) "the target can be changed (spare)"
keys Enter
for _ in $(seq 100); do grep -q '^rc=' "$T/copy2.out" && break; sleep 0.1; done
ok $(grep -q '^rc=0' "$T/copy2.out" && [ "$(bh run spare -- cat /home/user/Incoming/work/two)" = secret-two ]; echo $?) \
	"the copy went to the target chosen in the console"

# Denied.
(bh run work -- 'echo secret-three > /tmp/three; bulkhead-copy @default /tmp/three' >"$T/copy3.out" 2>&1
	echo "rc=$?" >>"$T/copy3.out") &
wait_screen 'Filecopy' 10
keys d
for _ in $(seq 100); do grep -q '^rc=' "$T/copy3.out" && break; sleep 0.1; done
oks $(grep -q '^rc=126' "$T/copy3.out" && wait_screen 'no pending requests' 3; echo $?) \
	"d denies: the copy fails with 126 and the queue is empty"
ok $(! bh run vault -- test -e /home/user/Incoming/work/three; echo $?) "nothing arrived"

keys Escape
keys q
wait_console_exit 5
console_end
tap_end
