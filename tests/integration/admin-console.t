#!/bin/bash
# The CLI and the console inside a management qube (Debian template): they
# reach domd through bulkhead.admin.* by themselves, see only what policy
# lets them, and show a refusal as "denied by policy".
. tests/integration/lib.sh
need_debian_template

mkdir -p "$T/cfg/policy.d"
printf 'cgroup_parent = "%s"\nstart_timeout = 30\n' "$CGROUP_PARENT" >"$T/cfg/domd.conf"
cat >"$T/cfg/policy.d/30-admin.policy" <<'EOF2'
bulkhead.admin.daemon.info      *  mgmt  dom0    allow
bulkhead.admin.vm.list          *  mgmt  dom0    allow
bulkhead.admin.vm.list          *  mgmt  work    allow
bulkhead.admin.vm.list          *  mgmt  mgmt    allow
bulkhead.admin.events.subscribe *  mgmt  dom0    allow
bulkhead.admin.events.subscribe *  mgmt  work    allow
bulkhead.admin.vm.get           *  mgmt  work    allow
bulkhead.admin.vm.start         *  mgmt  work    allow
bulkhead.admin.vm.kill          *  mgmt  work    allow
bulkhead.admin.vm.stats         *  mgmt  @anyvm  allow
EOF2
domd_start || exit 1
setup_template
bh template import debian "$DEBIAN_ROOT" >/dev/null
bh create mgmt --class app --label purple --template debian >/dev/null
bh create work --class app --label blue --template tpl >/dev/null
bh create secret --class app --label red --template tpl >/dev/null
bh start mgmt >/dev/null

out=$(bh run mgmt -- 'bulkhead ls' 2>&1); rc=$?
ok $([ $rc -eq 0 ] && echo "$out" | grep -q '^work ' && echo "$out" | grep -q '^mgmt ' &&
	! echo "$out" | grep -q 'secret'; echo $?) "bulkhead ls in the management qube lists what policy allows, by itself"
echo "$out" | sed 's/^/#   /'
out=$(bh run mgmt -- 'bulkhead --json ls' 2>&1)
ok $([ "$(echo "$out" | python3 -c 'import json,sys; print(" ".join(sorted(v["name"] for v in json.load(sys.stdin))))')" = "mgmt work" ]; echo $?) "ls --json too"
out=$(bh run mgmt -- 'bulkhead start work' 2>&1); rc=$?
ok $([ $rc -eq 0 ] && [ "$(vm_field work state)" = running ]; echo $?) "bulkhead start work from the management qube starts it ($out)"
out=$(bh run mgmt -- 'bulkhead start secret' 2>&1); rc=$?
ok $([ $rc -ne 0 ] && echo "$out" | grep -q "denied by policy" && [ "$(vm_field secret state)" = halted ]; echo $?) "start of a qube policy does not allow says 'denied by policy' ($out)"
out=$(bh run mgmt -- 'bulkhead usb list' 2>&1); rc=$?
ok $([ $rc -ne 0 ] && echo "$out" | grep -q "not available from a qube"; echo $?) "a dom0-only command says it is not available from a qube ($out)"
out=$(bh run mgmt -- 'bulkhead --socket /nonexistent ls' 2>&1); rc=$?
ok $([ $rc -ne 0 ] && echo "$out" | grep -q "cannot connect"; echo $?) "--socket still names a socket inside a qube"
bh kill work >/dev/null

# The console in the management qube, under tmux there.
bh run mgmt -- 'tmux new-session -d -s c -x 132 -y 43 bulkhead' >/dev/null 2>&1
shot() { bh run mgmt -- 'tmux capture-pane -p -t c' 2>/dev/null; }
for _ in $(seq 50); do s=$(shot); echo "$s" | grep -q '^work ' && break; sleep 0.2; done
ok $(echo "$s" | grep -q '^work .*halted' && ! echo "$s" | grep -q secret; echo $?) "the console in the management qube shows the permitted qubes"
echo "$s" | head -8 | sed 's/^/#   |/'
bh run mgmt -- 'tmux send-keys -t c Escape /; tmux send-keys -t c -l work; tmux send-keys -t c Enter' >/dev/null
sleep 0.5
bh run mgmt -- 'tmux send-keys -t c s' >/dev/null
for _ in $(seq 100); do [ "$(vm_field work state)" = running ] && break; sleep 0.2; done
ok $([ "$(vm_field work state)" = running ]; echo $?) "s in that console starts work"
for _ in $(seq 50); do s=$(shot); echo "$s" | grep -q '^work .*running' && break; sleep 0.2; done
ok $(echo "$s" | grep -q '^work .*running'; echo $?) "and its screen follows the event stream to running"
bh run mgmt -- 'tmux kill-server' >/dev/null 2>&1

# SSH from outside through sys-net and sys-firewall to the management
# qube (its listen property), then the CLI there.
OUT=bhadm-out-$$
UP=bhadmup$$
admin_cleanup() {
	local rc=$?
	ip netns del "$OUT" 2>/dev/null
	ip link del "$UP" 2>/dev/null
	(exit $rc)
	cleanup
}
trap admin_cleanup EXIT
ip netns add "$OUT" && ip link add "$UP" type veth peer name out0 netns "$OUT" &&
	ip -n "$OUT" link set lo up && ip -n "$OUT" link set out0 up &&
	ip -n "$OUT" addr add 192.168.79.1/24 dev out0 || exit 1
bh create sys-net --label red --template tpl --provides-network >/dev/null
for kv in "uplink dev:$UP" "uplink_address 192.168.79.2/24" "uplink_gateway 192.168.79.1"; do
	set -- $kv
	bh prefs sys-net "$1" "$2" >/dev/null || exit 1
done
bh create sys-firewall --label green --template tpl --netvm sys-net --provides-network >/dev/null
bh kill mgmt >/dev/null
bh prefs mgmt netvm sys-firewall >/dev/null
bh prefs mgmt listen 22 >/dev/null 2>"$T/listen.err"
ok $([ "$(vm_field mgmt listen)" = 22 ]; echo $?) "the management qube listens on port 22 (prefs mgmt listen 22)"
bh prefs mgmt listen 70000 >/dev/null 2>"$T/listen.err"; rc=$?
ok $([ $rc -ne 0 ] && grep -q "invalid listen" "$T/listen.err" && [ "$(vm_field mgmt listen)" = 22 ]; echo $?) "an invalid port is refused with a reason, the old value kept"
bh start mgmt >/dev/null
ssh-keygen -q -t ed25519 -N "" -f "$T/key"
bh run --user root mgmt -- 'ssh-keygen -q -A && mkdir -p /run/sshd && /usr/sbin/sshd' &&
	bh run --pass-io --user root mgmt -- 'mkdir -p /home/user/.ssh && cat > /home/user/.ssh/authorized_keys &&
		chown -R user:user /home/user/.ssh && chmod 700 /home/user/.ssh' <"$T/key.pub"
ok $? "sshd runs in the management qube with the operator's key"
sshto() { ip netns exec "$OUT" ssh -i "$T/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o BatchMode=yes -o ConnectTimeout=10 user@192.168.79.2 "$@"; }
for _ in $(seq 50); do sshto true 2>/dev/null && break; sleep 0.2; done
out=$(sshto bulkhead ls 2>&1); rc=$?
ok $([ $rc -eq 0 ] && echo "$out" | grep -q '^work ' && ! echo "$out" | grep -q secret; echo $?) "ssh from outside to sys-net's uplink reaches the management qube; bulkhead ls there shows what policy allows"
echo "$out" | sed 's/^/#   /'
# A second sshd on 8022, which listen does not name: it must stay out of reach.
bh run --user root mgmt -- '/usr/sbin/sshd -p 8022' >/dev/null
listening() { bh run mgmt -- "grep -qi ' 00000000:$(printf %04X "$1") 00000000:0000 0A' /proc/net/tcp"; }
ip netns exec "$OUT" timeout 3 bash -c 'echo > /dev/tcp/192.168.79.2/8022' 2>/dev/null; rc=$?
ok $([ $rc -ne 0 ] && listening 8022; echo $?) "a port the qube serves but listen does not name is not forwarded"

bh prefs mgmt listen "" >/dev/null
sleep 1
ip netns exec "$OUT" timeout 3 bash -c 'echo > /dev/tcp/192.168.79.2/22' 2>/dev/null; rc=$?
ok $([ $rc -ne 0 ] && listening 22; echo $?) "with listen emptied, port 22 (sshd still serving it) is no longer forwarded"

# dom0's console shows the calls mgmt made (A).
grep -q "vm.start on work: allowed" "$T/state/qubes/mgmt/admin-calls.log" &&
	grep -q "vm.start on secret: denied" "$T/state/qubes/mgmt/admin-calls.log"
ok $? "domd keeps mgmt's admin calls with their decisions for the console"

tap_end
