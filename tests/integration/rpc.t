#!/bin/bash
# RPC through domd: bulkhead run from dom0, qube-to-qube calls decided by
# the policy (allow, deny, ask allowed/denied/timed out), a hostile control
# channel, DispVMs.
. tests/integration/lib.sh

mkdir -p "$T/cfg/policy.d"
printf 'cgroup_parent = "%s"\nstart_timeout = 20\nask_timeout = 5\n' "$CGROUP_PARENT" >"$T/cfg/domd.conf"
cat >"$T/cfg/policy.d/50-test.policy" <<'EOF2'
# service        arg  source  target    action
test.Echo        *    work    other     allow
test.Head        *    work    other     allow
test.Echo        *    work    @default  ask default_target=other
test.Ask         *    work    other     ask
test.Nope        *    @anyvm  @anyvm    deny
test.Pick        *    work    third     deny
test.Pick        *    work    @anyvm    ask default_target=third
test.Lone        *    work    @default  ask
test.Auto        *    work    other     allow autostart=no
EOF2
domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl >/dev/null
bh create other --class app --label red --template tpl >/dev/null
bh start work >/dev/null

# bulkhead run: stdio and exit codes.
out=$(bh run work -- 'echo out; echo err >&2; exit 7' 2>"$T/err"); rc=$?
ok $([ "$out" = out ] && [ "$(cat "$T/err")" = err ] && [ $rc -eq 7 ]; echo $?) "run: stdout, stderr and exit code 7 come back"
ok $([ "$(bh run work -- id -un)" = user ]; echo $?) "run: commands run as 'user' by default"
ok $([ "$(bh run --user root work -- id -u)" = 0 ]; echo $?) "run --user root"
ok $([ "$(bh run work -- echo "a b" "c'd" '$HOME')" = "a b c'd \$HOME" ]; echo $?) "run: several words are quoted and joined"
ok $([ "$(printf 'one\ntwo\n' | bh run --pass-io work -- 'wc -l')" = 2 ]; echo $?) "run --pass-io passes stdin"
ok $([ "$(echo ignored | bh run work -- 'cat | wc -c')" = 0 ]; echo $?) "without --pass-io the command reads an empty stdin"
head -c 3000000 /dev/urandom >"$T/blob"
ok $([ "$(bh run --pass-io work -- cat <"$T/blob" | sha256sum)" = "$(sha256sum <"$T/blob")" ]; echo $?) "3 MB through cat and back are intact"
bh run other -- true 2>"$T/err"; rc=$?
ok $([ $rc -eq 1 ] && grep -q "is halted" "$T/err"; echo $?) "run on a halted qube is refused without --autostart"
ok $([ "$(bh run --autostart other -- hostname)" = other ]; echo $?) "run --autostart starts the qube first"

# A service in 'other', called from 'work' through the policy.
bh run --pass-io --user root other -- 'mkdir -p /rw/config/rpc; cat > /rw/config/rpc/test.Echo; chmod 755 /rw/config/rpc/test.Echo' <<'EOF2'
#!/bin/sh
echo "in $(hostname) from $BULKHEAD_RPC_SOURCE arg=$BULKHEAD_RPC_ARG"
cat
exit 3
EOF2
bh run --user root other -- 'cp /rw/config/rpc/test.Echo /rw/config/rpc/test.Ask; cp /rw/config/rpc/test.Echo /rw/config/rpc/test.Nope; cp /rw/config/rpc/test.Echo /rw/config/rpc/test.Auto'
out=$(echo payload | bh run --pass-io work -- 'bulkhead-rpc other test.Echo+xyz'); rc=$?
ok $([ "$out" = "$(printf 'in other from work arg=xyz\npayload')" ] && [ $rc -eq 3 ]; echo $?) "allow: the service runs in the target with source and argument, stdio and exit code pass"
# Bulk data from a pipe is spliced by both relays, in frames of what the
# pipe holds: 8 MB both ways, byte for byte.
out=$(bh run work -- 'head -c 8000000 /dev/urandom >/tmp/b; (echo "in other from work arg="; cat /tmp/b) | sha256sum; cat /tmp/b | bulkhead-rpc other test.Echo | sha256sum')
ok $([ "$(echo "$out" | sed -n 1p)" = "$(echo "$out" | sed -n 2p)" ] && [ -n "$out" ]; echo $?) "8 MB from a pipe through a call and back are intact"
bh run --pass-io --user root other -- 'cat > /rw/config/rpc/test.Head; chmod 755 /rw/config/rpc/test.Head' <<'EOF2'
#!/bin/sh
head -c 10
exit 4
EOF2
out=$(bh run work -- 'head -c 8000000 /dev/urandom 2>/dev/null | bulkhead-rpc other test.Head | wc -c' 2>&1)
ok $([ "$(echo "$out" | tr -d ' ')" = 10 ]; echo $?) "a service that stops reading its input early ends the call with its output ($(echo $out))"
out=$(bh run work -- 'head -c 8000000 /dev/urandom 2>/dev/null | bulkhead-rpc other test.Head >/dev/null; echo "rc=$?"' 2>&1)
ok $([ "$out" = "rc=4" ]; echo $?) "and its exit code ($out)"
bh run work -- 'bulkhead-rpc other test.Nope' 2>"$T/err"; rc=$?
ok $([ $rc -eq 126 ] && grep -q "denied by policy" "$T/err"; echo $?) "deny: refused with exit 126 and 'denied by policy'"
bh run work -- 'bulkhead-rpc other unknown.Service' 2>/dev/null; ok $([ $? -eq 126 ]; echo $?) "no matching rule: denied"
bh run other -- 'bulkhead-rpc work test.Echo' 2>/dev/null; ok $([ $? -eq 126 ]; echo $?) "a rule for work does not let other call"

# ask: allowed, denied, timed out.
ask_id() { for _ in $(seq 40); do id=$(bh --json ask | python3 -c 'import json,sys; a=json.load(sys.stdin); print(a[0]["id"] if a else "")'); [ -n "$id" ] && { echo "$id"; return; }; sleep 0.1; done; }
(echo q | bh run --pass-io work -- 'bulkhead-rpc @default test.Echo' >"$T/ask.out" 2>&1; echo "rc=$?" >>"$T/ask.out") &
bg=$!
id=$(ask_id)
ok $([ -n "$id" ] && bh ask | grep -q "test.Echo.*work.*other"; echo $?) "ask: the call waits in the queue with its proposed target"
check "ask allow" bh ask allow "$id"
wait $bg
ok $(grep -q "in other from work" "$T/ask.out" && grep -q "rc=3" "$T/ask.out"; echo $?) "ask-allow: the call went to the proposed target"
(bh run work -- 'bulkhead-rpc other test.Ask' >"$T/ask.out" 2>&1; echo "rc=$?" >>"$T/ask.out") &
bg=$!
id=$(ask_id)
check "ask deny" bh ask deny "$id"
wait $bg
ok $(grep -q "rc=126" "$T/ask.out" && grep -q "denied" "$T/ask.out"; echo $?) "ask-deny: the caller is denied"
(echo q | bh run --pass-io work -- 'bulkhead-rpc other test.Ask' >"$T/ask.out" 2>&1; echo "rc=$?" >>"$T/ask.out") &
bg=$!
id=$(ask_id)
check "ask allow (the rule's own target)" bh ask allow "$id"
wait $bg
ok $(grep -q "in other from work" "$T/ask.out" && grep -q "rc=3" "$T/ask.out"; echo $?) "ask-allow on a rule with a fixed target reaches that target"
start=$(date +%s)
bh run work -- 'bulkhead-rpc other test.Ask' >"$T/ask.out" 2>&1; rc=$?
ok $([ $rc -eq 125 ] && grep -q "timed out" "$T/ask.out" && [ $(( $(date +%s) - start )) -ge 4 ] && [ $(( $(date +%s) - start )) -le 9 ]; echo $?) "ask-timeout: denied after ask_timeout with exit 125"
ok $([ "$(bh --json ask)" = "[]" ] || [ "$(bh --json ask | tr -d ' \n')" = "[]" ]; echo $?) "the queue is empty again"

# What an ask offers is what the policy would not deny; the answer is held to it.
bh create third --class app --label green --template tpl >/dev/null
(bh run work -- 'bulkhead-rpc other test.Pick' >"$T/ask.out" 2>&1; echo "rc=$?" >>"$T/ask.out") &
bg=$!
id=$(ask_id)
bh --json ask >"$T/asks.json"
ok $(python3 - "$T/asks.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))[0]
ok = "other" in a["targets"] and "third" not in a["targets"] and "work" not in a["targets"]
sys.exit(0 if ok and a["default_target"] == "other" else 1)
PY
echo $?) "ask: the denied target and the caller are not offered; the denied default_target= is dropped"
ok $(bh ask | grep "test.Pick" | grep -q "other" && ! bh ask | grep "test.Pick" | grep -q "third"; echo $?) "bulkhead ask lists the allowed targets"
bh ask allow "$id" --target third >"$T/answer.out" 2>&1; rc=$?
ok $([ $rc -eq 1 ] && [ "$(wc -l <"$T/answer.out")" -eq 1 ] && grep -q "third is not among the allowed targets" "$T/answer.out"; echo $?) \
	"an answer naming a denied target is refused: exit 1, one line ($(cat "$T/answer.out"))"
ok $(bh ask | grep -q "^$id "; echo $?) "and the ask stays pending"
bh ask allow "$id" --target ghost >"$T/answer.out" 2>&1; rc=$?
ok $([ $rc -eq 1 ] && grep -q "ghost is not among the allowed targets" "$T/answer.out"; echo $?) "so is one naming no qube"
check "ask deny after the refused answers" bh ask deny "$id"
wait $bg
ok $(grep -q "rc=126" "$T/ask.out"; echo $?) "the call is denied, it never reached third"
start=$(date +%s)
bh run work -- 'bulkhead-rpc @default test.Lone' >"$T/ask.out" 2>&1; rc=$?
ok $([ $rc -eq 126 ] && [ $(( $(date +%s) - start )) -lt 2 ] && ! grep -q "test.Lone.*ask [0-9]" "$T/domd.log"; echo $?) \
	"an ask with no target to offer is denied at once, without an ask"
ok $(grep -q "no target is available to choose from" "$T/domd.log"; echo $?) "and domd logs why"
# A qube that does not exist: the outcome of a call naming no target.
bh run work -- 'bulkhead-rpc ghost test.Lone' >/dev/null 2>&1; rc_ghost=$?
bh run work -- 'bulkhead-rpc ghost test.Nope' >/dev/null 2>&1; rc_nope=$?
ok $([ $rc_ghost -eq 126 ] && [ $rc_nope -eq 126 ]; echo $?) "a call to a qube that does not exist ends as one to an existing qube the policy denies"

# autostart=no: a halted target is not started.
bh shutdown --wait other >/dev/null
bh run work -- 'bulkhead-rpc other test.Auto' >"$T/auto.out" 2>&1; rc=$?
ok $([ $rc -eq 126 ] && bh ls | grep -q "^other  *halted"; echo $?) "autostart=no: the call to a halted target is denied and the target stays halted"
ok $(grep -q "would require autostart" "$T/domd.log"; echo $?) "domd logs why"
bh start other >/dev/null
out=$(echo x | bh run --pass-io work -- 'bulkhead-rpc other test.Auto' 2>&1); rc=$?
ok $([ $rc -eq 3 ] && echo "$out" | grep -q "in other from work"; echo $?) "autostart=no: a running target is called"

# A policy change takes effect on the next call, without a restart.
echo 'test.Nope * work other allow' >"$T/cfg/policy.d/10-first.policy"
bh run work -- 'bulkhead-rpc other test.Nope' >/dev/null 2>&1; rc=$?
ok $([ $rc -eq 3 ]; echo $?) "a new policy file applies to the next call"
echo 'this is not a rule' >"$T/cfg/policy.d/05-broken.policy"
bh run work -- 'bulkhead-rpc other test.Echo' >/dev/null 2>&1; rc=$?
ok $([ $rc -eq 126 ] && grep -q "05-broken.policy:1" "$T/domd.log"; echo $?) "a broken policy file denies every call and is logged with file:line"
rm "$T/cfg/policy.d/05-broken.policy" "$T/cfg/policy.d/10-first.policy"

# A qube that writes garbage on its control channel is disconnected; the rest go on.
python3 - "$T/run/qubes/work.ctl/control.sock" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(os.urandom(4096))
s.settimeout(3)
try:
    while s.recv(4096): pass
except OSError: pass
PY
ok $(grep -q "qube work: .* on its control channel; disconnected" "$T/domd.log"; echo $?) "garbage on a control channel: that connection is closed and logged with the qube's name"
out=$(bh run work -- 'echo x | bulkhead-rpc other test.Echo' 2>&1)
ok $(echo "$out" | grep -q "in other from work"; echo $?) "calls keep working afterwards"
ok $(kill -0 "$DOMD_PID"; echo $?) "domd is still running"

# DispVMs: made from a template_for_dispvms AppVM, gone with their data.
bh create dvm --class app --label red --template tpl >/dev/null
bh prefs dvm template_for_dispvms 1 >/dev/null
bh run --autostart dvm -- 'echo base-data > ~/base-file' >/dev/null
bh shutdown --wait dvm >/dev/null
out=$(bh run --dispvm=dvm -- 'cat ~/base-file; echo secret > ~/secret; hostname')
name=$(echo "$out" | tail -1)
ok $(echo "$out" | grep -q base-data && [[ $name == disp* ]]; echo $?) "a DispVM sees its base's private data ($name)"
for _ in $(seq 50); do bh prefs "$name" >/dev/null 2>&1 || break; sleep 0.1; done
ok $(! bh prefs "$name" >/dev/null 2>&1 && [ ! -e "$T/state/qubes/$name" ]; echo $?) "after the call the DispVM no longer exists"
bh run --autostart dvm -- 'test -e ~/base-file && test ! -e ~/secret' >/dev/null 2>&1
ok $? "what it wrote is gone; the base is untouched"
out=$(bh run --dispvm=dvm -- true 2>&1)
ok $(echo "$out" | grep -q "its base dvm is running and may change its private image"; echo $?) \
	"no DispVM while its base runs and writes the image it would read ($out)"
bh shutdown --wait dvm >/dev/null
echo 'test.Echo * work @dispvm:dvm allow' >"$T/cfg/policy.d/20-disp.policy"
bh run --user root dvm -- true >/dev/null 2>&1
bh run --autostart --user root dvm -- 'mkdir -p /rw/config/rpc && cp /dev/null /rw/config/rpc/x' >/dev/null 2>&1
bh run --user root dvm -- 'printf "#!/bin/sh\nhostname\n" > /rw/config/rpc/test.Echo; chmod 755 /rw/config/rpc/test.Echo'
bh shutdown --wait dvm >/dev/null
out=$(bh run work -- 'bulkhead-rpc @dispvm:dvm test.Echo' 2>&1)
ok $([[ $out == disp* ]]; echo $?) "a policy target @dispvm:dvm starts a DispVM for the call ($out)"
sleep 1
ok $(! bh ls | grep -q "^disp"; echo $?) "and it is destroyed when the call ends"
# A base that never ran has no private image yet: its DispVM's start makes
# it from the base's private folder, as the base's own first start would.
bh create fresh --class app --label red --template tpl >/dev/null
bh prefs fresh template_for_dispvms 1 >/dev/null
mkdir -p "$T/state/qubes/fresh/private/home/user" && echo seed >"$T/state/qubes/fresh/private/home/user/seed"
out=$(bh run --dispvm=fresh -- 'cat ~/seed' 2>&1)
ok $([ "$out" = seed ] && [ -s "$T/state/qubes/fresh/private.img" ] && [ "$(vm_field fresh state)" = halted ]; echo $?) \
	"a DispVM of a base that never ran sees the base's first contents ($out)"

tap_end
