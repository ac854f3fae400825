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

# dom0's console shows the calls mgmt made (A).
grep -q "vm.start on work: allowed" "$T/state/qubes/mgmt/admin-calls.log" &&
	grep -q "vm.start on secret: denied" "$T/state/qubes/mgmt/admin-calls.log"
ok $? "domd keeps mgmt's admin calls with their decisions for the console"

tap_end
