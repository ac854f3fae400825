#!/bin/bash
# The admin API over RPC (issue: remote administration): a management qube
# calls bulkhead.admin.* in dom0; policy decides per method and target;
# list and events show only what it may see; what it creates carries its
# tag; methods off the allow-list and hostile arguments are refused.
. tests/integration/lib.sh
. tests/integration/console-lib.sh

mkdir -p "$T/cfg/policy.d"
printf 'cgroup_parent = "%s"\nstart_timeout = 20\n' "$CGROUP_PARENT" >"$T/cfg/domd.conf"
cat >"$T/cfg/policy.d/30-admin.policy" <<'EOF2'
bulkhead.admin.vm.list          *  mgmt  dom0    allow
bulkhead.admin.vm.list          *  mgmt  work    allow
bulkhead.admin.vm.list          *  mgmt  @tag:created-by-mgmt allow
bulkhead.admin.events.subscribe *  mgmt  dom0    allow
bulkhead.admin.events.subscribe *  mgmt  work    allow
bulkhead.admin.events.subscribe *  mgmt  @tag:created-by-mgmt allow
bulkhead.admin.vm.get           *  mgmt  work    allow
bulkhead.admin.vm.start         *  mgmt  work    allow
bulkhead.admin.vm.shutdown      *  mgmt  work    allow
bulkhead.admin.vm.create        *  mgmt  dom0    allow
bulkhead.admin.vm.start         *  mgmt  @tag:created-by-mgmt allow
bulkhead.admin.vm.kill          *  mgmt  @tag:created-by-mgmt allow
bulkhead.admin.vm.remove        *  mgmt  @tag:created-by-mgmt allow
bulkhead.admin.vm.tag           *  mgmt  @tag:created-by-mgmt allow
bulkhead.admin.vm.set           +label  mgmt  @tag:created-by-mgmt allow
bulkhead.admin.policy.put       *  mgmt  dom0    allow
bulkhead.admin.vm.run           *  mgmt  @anyvm  allow
bulkhead.admin.vm.start         *  mgmt  secret  deny
EOF2
domd_start || exit 1
setup_template
bh create mgmt --class app --label purple --template tpl >/dev/null
bh create work --class app --label blue --template tpl >/dev/null
bh create secret --class app --label red --template tpl >/dev/null
bh start mgmt >/dev/null

# admin CALL [TARGET [ARG-JSON]]: bulkhead-rpc in mgmt, its stdout.
admin() {
	local svc=$1 target=${2:-dom0} payload=${3:-}
	printf '%s' "$payload" | bh run --pass-io mgmt -- "bulkhead-rpc $target bulkhead.admin.$svc" 2>"$T/admin.err"
}

# py EXPR: EXPR over the JSON on stdin (as j).
py() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
guard_pid() { pgrep -f "bulkhead-guard --qube $1 " | head -1; }
guard0=$(guard_pid mgmt)

out=$(admin vm.list)
names=$(echo "$out" | py "' '.join(sorted(v['name'] for v in j['result']))")
ok $([ "$names" = work ]; echo $?) "vm.list from mgmt shows only what policy allows (got: $names)"
out=$(admin vm.get work)
ok $([ "$(echo "$out" | py "j['result']['name']")" = work ]; echo $?) "vm.get of an allowed qube answers"
admin vm.get secret >/dev/null; rc=$?
ok $([ $rc -eq 126 ] && grep -q "denied by policy" "$T/admin.err"; echo $?) "vm.get of a qube policy does not name is denied ($rc: $(cat "$T/admin.err"))"

# Lifecycle of an allowed and a denied qube.
out=$(admin vm.start work)
ok $([ "$(echo "$out" | py "j['ok']")" = True ] && [ "$(vm_field work state)" = running ]; echo $?) "vm.start of an allowed qube starts it"
admin vm.start secret >/dev/null; rc=$?
ok $([ $rc -eq 126 ] && [ "$(vm_field secret state)" = halted ]; echo $?) "vm.start of a denied qube is refused and it stays halted"
out=$(admin vm.shutdown work '{"wait":true,"timeout":20}')
ok $([ "$(echo "$out" | py "j['ok']")" = True ] && [ "$(vm_field work state)" = halted ]; echo $?) "vm.shutdown with arguments (wait, timeout) stops it"

# Off the allow-list: refused even with an allow rule.
admin policy.put >/dev/null; rc=$?
ok $([ $rc -eq 126 ] && grep -q "not a method a qube may call" "$T/admin.err"; echo $?) "policy.put is never answered for a qube, even with an allow rule"
admin vm.run work >/dev/null; rc=$?
ok $([ $rc -eq 126 ]; echo $?) "vm.run is never answered for a qube"
bh start work >/dev/null
out=$(bh run work -- 'bulkhead-rpc dom0 bulkhead.admin.vm.list' 2>&1); rc=$?
ok $([ $rc -eq 126 ]; echo $?) "a qube the policy does not name cannot list ($out)"
bh kill work >/dev/null

# Creating: the new qube carries the maker's tag and is its to manage.
out=$(admin vm.create+made dom0 '{"class":"app","template":"tpl","label":"green"}')
ok $([ "$(echo "$out" | py "j['ok']")" = True ] && bh --json prefs made | py "j['tags']" | grep -q "created-by-mgmt"; echo $?) "vm.create makes a qube tagged created-by-mgmt"
names=$(admin vm.list | py "' '.join(sorted(v['name'] for v in j['result']))")
ok $([ "$names" = "made work" ]; echo $?) "the new qube is listed for its maker through @tag:created-by-mgmt ($names)"
out=$(admin vm.start made)
ok $([ "$(vm_field made state)" = running ]; echo $?) "its maker starts it"
out=$(admin vm.set+label made '{"value":"orange"}')
ok $([ "$(vm_field made label)" = orange ]; echo $?) "vm.set+label, which policy allows, changes it"
admin vm.set+netvm made '{"value":""}' >/dev/null; rc=$?
ok $([ $rc -eq 126 ]; echo $?) "vm.set+netvm, which no rule allows, is denied"
admin vm.set+provides_network made '{"value":true}' >/dev/null; rc=$?
ok $([ $rc -eq 126 ] && grep -q "may not change" "$T/admin.err" && [ "$(vm_field made provides_network)" = False ]; echo $?) "vm.set+provides_network is refused whatever the policy"
out=$(admin vm.tag made '{"op":"del","tag":"created-by-mgmt"}')
ok $([ "$(echo "$out" | py "j['error']['code']")" = permission ] && bh --json prefs made | py "j['tags']" | grep -q created-by-mgmt; echo $?) "a qube cannot shed the created-by tag"
out=$(admin vm.tag made '{"op":"add","tag":"created-by-other"}')
ok $([ "$(echo "$out" | py "j['error']['code']")" = permission ]; echo $?) "nor claim another maker's tag"
out=$(admin vm.kill made)
ok $([ "$(vm_field made state)" = halted ]; echo $?) "its maker kills it"

# Hostile arguments: refused with a reason; domd and the guard go on.
bad() { # bad DESCRIPTION SERVICE TARGET PAYLOAD
	local out code
	out=$(admin "$2" "$3" "$4"); code=$(echo "$out" | py "j['error']['code']" 2>/dev/null)
	ok $([ "$code" = bad-request ] || [ "$code" = invalid ]; echo $?) "hostile arguments refused: $1 ($code: $(echo "$out" | py "j['error']['message']" 2>/dev/null))"
}
bad "not JSON" vm.shutdown work '{"wait":'
bad "an unknown key" vm.shutdown work '{"wait":true,"rm":1}'
bad "a key twice" vm.shutdown work '{"wait":true,"wait":false}'
bad "a value of the wrong type" vm.shutdown work '{"wait":"yes"}'
bad "a nested object" vm.shutdown work '{"wait":{"a":1}}'
bad "a string past 95 bytes" vm.create+big dom0 "{\"class\":\"app\",\"template\":\"$(printf 'x%.0s' $(seq 200))\"}"
bad "a control byte in a string" vm.create+ctl dom0 '{"label":"re\u0001d"}'
bad "9 KiB of payload" vm.create+huge dom0 "{\"class\":\"app\"$(printf ',"x":1%.0s' $(seq 1600))}"
bad "an invalid property value" vm.create+worse dom0 '{"class":"app","template":"tpl","label":"plaid"}'
admin vm.create+$(printf 'n%.0s' $(seq 40)) dom0 '{"class":"app"}' >/dev/null; rc=$?
ok $([ $rc -eq 126 ]; echo $?) "an over-long qube name is refused"
ok $([ -z "$(bh --json ls | py "' '.join(v['name'] for v in j if v['name'] in ('big','ctl','huge','worse'))")" ]; echo $?) "no refused create left a qube behind"
# A caller that breaks the data channel's framing (build/tests/admin-junk).
bh run --pass-io --user root mgmt -- 'cat >/tmp/admin-junk; chmod 755 /tmp/admin-junk' <"$PWD/build/tests/admin-junk"
junk() { bh run mgmt -- "/tmp/admin-junk $1" 2>&1; }
out=$(junk wrong-way)
ok $(echo "$out" | grep -q '"code":"bad-request".*broke its framing' && echo "$out" | grep -q "exit 1"; echo $?) "a frame the wrong way instead of the arguments: refused ($(echo $out))"
out=$(junk bad-type)
ok $(echo "$out" | grep -q '"code":"bad-request".*broke its framing'; echo $?) "a frame of an unknown type: refused"
out=$(junk huge)
ok $(echo "$out" | grep -q '"code":"bad-request".*more than 8 KiB'; echo $?) "a frame announcing 200000 bytes of arguments: refused ($(echo $out | cut -c1-120))"
out=$(junk after-eof)
ok $(echo "$out" | grep -q '"ok":true' && echo "$out" | grep -q "exit 0"; echo $?) "junk after the arguments is dropped: the call is answered"
ok $([ "$(guard_pid mgmt)" = "$guard0" ] && bh info >/dev/null && [ "$(admin vm.list | py "j['ok']")" = True ]; echo $?) "after all that, the same guard and domd serve mgmt"

# The event stream: only permitted qubes, and never the audit or asks.
bh run mgmt -- 'bulkhead-rpc dom0 bulkhead.admin.events.subscribe </dev/null >/tmp/events 2>&1 & echo $! >/tmp/events.pid'
sleep 0.5
bh start secret >/dev/null; bh start work >/dev/null; bh kill secret >/dev/null; bh kill work >/dev/null
bh remove made >/dev/null
sleep 0.5
ev=$(bh run mgmt -- 'cat /tmp/events; kill $(cat /tmp/events.pid)')
ok $(echo "$ev" | grep -q '"event":"state","vm":"work"'; echo $?) "the event stream shows a permitted qube's changes"
ok $(echo "$ev" | grep -q '"event":"removed","vm":"made"'; echo $?) "and the removal of one it may see"
ok $(! echo "$ev" | grep -q 'secret\|admin-call'; echo $?) "and nothing of a qube it may not see, nor the audit"
ok $(grep -q "admin: mgmt calls bulkhead.admin.vm.start on secret: denied" "$T/domd.log" &&
	grep -q "admin: mgmt calls bulkhead.admin.vm.start on work: allowed" "$T/domd.log"; echo $?) "domd logs every admin call with caller, method, target and decision"

# The default site's policy for its management qube, sys-admin.
rm -f "$T/cfg/policy.d/30-admin.policy"
cp config/site/policy.d/90-default.policy "$T/cfg/policy.d/"
bh create sys-admin --class app --label purple --template tpl >/dev/null
bh start sys-admin >/dev/null
sa() { printf '%s' "${3:-}" | bh run --pass-io sys-admin -- "bulkhead-rpc ${2:-dom0} bulkhead.admin.$1" 2>/dev/null; }
n=$(sa vm.list | py "len(j['result'])")
ok $([ "$n" = "$(bh --json ls | py "len(j)")" ]; echo $?) "default policy: sys-admin lists every qube ($n)"
sa vm.start work >/dev/null; rc=$?
ok $([ $rc -eq 126 ] && [ "$(vm_field work state)" = halted ]; echo $?) "default policy: sys-admin may not start a qube it did not create"
sa vm.create+mine dom0 '{"class":"app","template":"tpl","label":"gray"}' >/dev/null
sa vm.start mine >/dev/null
ok $([ "$(vm_field mine state)" = running ]; echo $?) "default policy: it creates a qube and starts it"
sa vm.tag mine '{"op":"add","tag":"x"}' >/dev/null; rc=$?
ok $([ $rc -eq 126 ]; echo $?) "default policy: no vm.tag for it (tags can grant what policy gives them)"
bh kill mine >/dev/null
bh kill sys-admin >/dev/null

# dom0's console: A shows the calls the selected qube made, with decisions.
console_start -x 120 -y 30
select_vm mgmt
keys A
wait_screen 'Admin calls of mgmt' 5
keys g
oks $(wait_screen 'vm.get on secret: denied \(policy\)' 3 && wait_screen 'vm.start on work: allowed' 1; echo $?) \
	"the console's A view shows mgmt's admin calls and domd's decisions"
keys q

tap_end
