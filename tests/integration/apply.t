#!/bin/bash
# Declarative sites: bulkhead apply (validation, plan, dependency order,
# --dry-run, --prune/--force, failures half way, 200 qubes), bulkhead export
# (round trip), the default site in config/site, and the admin API's
# policy.list / policy.put / policy.remove.
. tests/integration/lib.sh

domd_start || exit 1

# api METHOD [VM] [ARGS-JSON|-]: one admin request (args from stdin with -);
# prints the reply line.
cat >"$T/api.py" <<'PY'
import json, socket, sys
sock, method = sys.argv[1], sys.argv[2]
vm = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
if len(sys.argv) <= 4:
    args = {}
elif sys.argv[4] == "-":
    args = json.load(sys.stdin)
else:
    args = json.loads(sys.argv[4])
req = {"id": 1, "method": method, "args": args}
if vm:
    req["vm"] = vm
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
s.sendall((json.dumps(req) + "\n").encode())
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(1 << 20)
    if not d:
        break
    buf += d
print(buf.decode().strip())
PY
api() { python3 "$T/api.py" "$BULKHEAD_SOCKET" "$@"; }

# The appliance's configuration: qubes without run-time fields, policy files.
snapshot() {
	{ api vm.list; api policy.list; } | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)["result"]
    for o in r:
        for k in ("state", "state_reason", "pid"):
            o.pop(k, None)
    print(json.dumps(r, sort_keys=True))'
}

# site_matches DIR [--exact]: every property a site file sets is what vm.list
# shows (and with --exact no other qube exists). Prints the differences.
site_matches() {
	bh --json ls | python3 -c '
import glob, json, re, sys
site, exact = sys.argv[1], len(sys.argv) > 2
vms = {v["name"]: v for v in json.load(sys.stdin)}
bad, names = [], set()
for f in sorted(glob.glob(site + "/qubes.d/*.cfg")):
    props = {}
    for line in open(f):
        line = line.split("#", 1)[0].strip()
        m = re.match(r"(\w+)\s*=\s*(.*)$", line)
        if not m:
            continue
        k, v = m.group(1), m.group(2).strip()
        if v.startswith("["):
            v = re.findall(r"\"([^\"]*)\"", v)
        else:
            v = v.strip("\"")
        props[k] = v
    n = props["name"]
    names.add(n)
    vm = vms.get(n)
    if vm is None:
        bad.append(n + ": missing")
        continue
    for k, v in props.items():
        have = vm.get(k)
        if k == "firewall":
            continue
        if k == "tags":
            ok = sorted(have) == sorted(v)
        else:
            if isinstance(have, bool):
                have = "1" if have else "0"
            ok = str(have) == v
        if not ok:
            bad.append("%s: %s: site %r, appliance %r" % (n, k, v, vm.get(k)))
if exact:
    bad += [n + ": not in the site" for n in sorted(set(vms) - names)]
print("\n".join(bad))
sys.exit(1 if bad else 0)' "$@"
}

# --- The default site on an empty appliance (minimal as make run imports it)
bh template import minimal "$TEMPLATE_ROOT" >/dev/null
bh events --json >>"$T/events" 2>&1 &
events_pid=$!
sleep 0.2
bh apply config/site >"$T/out" 2>&1; rc=$?
ok $rc "apply config/site to an empty appliance"
sed 's/^/#   /' "$T/out" | head -30
site_matches config/site --exact >"$T/diff"; ok $? "the appliance matches the site (vm.list vs qubes.d)"
sed 's/^/#   /' "$T/diff"
ok $(cmp -s config/site/policy.d/90-default.policy "$T/cfg/policy.d/90-default.policy"; echo $?) "policy.d/90-default.policy was written to domd's policy.d"
ok $(for q in sys-net sys-firewall sys-usb sys-gui work personal untrusted; do
	grep -q "^\[[0-9]*/[0-9]*\] create $q\$" "$T/out" || exit 1; done; echo $?) "a progress line [i/N] per created qube"
ok $(awk '/\] create minimal|\] create sys-net$/ { a = a ? a : NR } /\] create sys-firewall$/ { b = NR }
	/\] create (work|personal|untrusted)$/ { c = c ? c : NR }
	END { exit !(a > 0 && a < b && b < c) }' "$T/out"; echo $?) "netvms are created before their clients (sys-net, sys-firewall, AppVMs)"
ok $(grep -n "default_dispvm" "$T/out" | grep -q untrusted && [ "$(vm_field untrusted default_dispvm)" = default-dvm ]; echo $?) "default_dispvm is set once its base exists"
ok $([ "$(vm_field sys-firewall netvm)" = sys-net ] && [ "$(vm_field sys-firewall provides_network)" = True ] && [ "$(vm_field work label)" = blue ]; echo $?) "properties as in the files (netvm, provides_network, label)"

# --- A second apply changes nothing
before=$(snapshot)
: >"$T/events"
bh apply config/site >"$T/out" 2>&1; rc=$?
ok $([ $rc -eq 0 ] && grep -q "^no changes" "$T/out" && [ "$(wc -l <"$T/out")" -eq 1 ]; echo $?) "second apply: 'no changes' and nothing else"
sed 's/^/#   /' "$T/out"
sleep 0.2
ok $([ "$(snapshot)" = "$before" ] && ! grep -q '"event":"\(created\|property\|removed\|policy\)"' "$T/events"; echo $?) "second apply: no request changed anything (no events)"
kill $events_pid 2>/dev/null; wait $events_pid 2>/dev/null

# --- export -> apply is a no-op
check "export to a new folder" bh export "$T/exp"
ok $([ -f "$T/exp/qubes.d/work.cfg" ] && [ -f "$T/exp/policy.d/90-default.policy" ] && ! grep -q uuid "$T"/exp/qubes.d/*.cfg; echo $?) "export writes qubes.d/NAME.cfg without uuid and policy.d"
bh apply "$T/exp" >"$T/out" 2>&1; rc=$?
ok $([ $rc -eq 0 ] && grep -q "^no changes" "$T/out"; echo $?) "apply of the export: no changes"
bh export "$T/exp" >"$T/out" 2>&1; rc=$?
ok $([ $rc -eq 1 ] && grep -q "not empty" "$T/out"; echo $?) "export refuses a folder in use"
touch "$T/exp/qubes.d/stale.cfg" "$T/exp/keep.txt"
check "export --force into it" bh export --force "$T/exp"
ok $([ ! -e "$T/exp/qubes.d/stale.cfg" ] && [ -e "$T/exp/keep.txt" ]; echo $?) "export --force removes stale .cfg files, leaves other files"

# --- An invalid site: every error with FILE:LINE, nothing changed
B=$T/bad
cp -r config/site "$B"
cat >"$B/qubes.d/work.cfg" <<'EOF'
name = "work"
class = "app"
label = "blue"
template = "minimal"
memory = 10
vcpus = 1
colour = "blue"
EOF
sed -i 's/^template = "minimal"/template = "nosuch"/' "$B/qubes.d/personal.cfg"
grep -n '^template' "$B/qubes.d/personal.cfg" >"$T/pline"
cat >"$B/qubes.d/sys-net.cfg" <<'EOF'
name = "sys-net"
label = "red"
template = "minimal"
provides_network = 1
netvm = "sys-firewall"
EOF
printf '# ok\nbulkhead.Filecopy * @anyvm\n' >"$B/policy.d/50-broken.policy"
ln -s /nonexistent "$B/policy.d/60-gone.policy"
printf 'name = "Wrong"\nlabel = "red"\ntemplate = "minimal"\n' >"$B/qubes.d/other.cfg"
before=$(snapshot)
bh apply "$B" >"$T/out" 2>"$T/err"; rc=$?
ok $([ $rc -eq 1 ]; echo $?) "invalid site: exit status 1"
sed 's/^/#   /' "$T/err"
pl=$(cut -d: -f1 "$T/pline")
for e in "qubes.d/work.cfg:5: invalid memory '10'" "qubes.d/work.cfg:7: unknown property 'colour'" \
	"qubes.d/personal.cfg:$pl: unknown template 'nosuch'" "qubes.d/sys-firewall.cfg:.*: netvm cycle: sys-firewall -> sys-net -> sys-firewall" \
	"policy.d/50-broken.policy:2: " "policy.d/60-gone.policy: cannot read" \
	"qubes.d/other.cfg:1: name 'Wrong' does not match the file name"; do
	ok $(grep -q "^$B/$e" "$T/err"; echo $?) "invalid site lists: ${e%%:*}: ${e#*: }"
done
ok $([ "$(grep -c "^$B/" "$T/err")" -eq 7 ]; echo $?) "exactly the 7 errors, one per line"
ok $([ ! -s "$T/out" ] && [ "$(snapshot)" = "$before" ]; echo $?) "invalid site: no plan, nothing changed (vm.list and policy.list)"
bh apply --dry-run "$B" >/dev/null 2>&1
ok $([ $? -eq 1 ]; echo $?) "--dry-run of an invalid site fails too"

# --- --dry-run prints the plan and changes nothing
D=$T/dry
cp -r config/site "$D"
sed -i 's/^memory = 256/memory = 512/' "$D/qubes.d/work.cfg"
echo 'tags = [ "office" ]' >>"$D/qubes.d/work.cfg"
printf 'name = "extra"\nlabel = "purple"\ntemplate = "minimal"\nnetvm = "sys-firewall"\n' >"$D/qubes.d/extra.cfg"
rm "$D/qubes.d/sys-usb.cfg" "$D/policy.d/90-default.policy"
printf 'bulkhead.Filecopy * work personal allow\n' >"$D/policy.d/50-local.policy"
before=$(snapshot)
bh apply --dry-run --prune "$D" >"$T/out" 2>&1; rc=$?
sed 's/^/#   /' "$T/out"
ok $([ $rc -eq 0 ] && grep -q "^change work: memory: 256 -> 512$" "$T/out" && grep -q "^change work: tags: +office$" "$T/out" &&
	grep -q "^create extra (app, purple)$" "$T/out" && grep -q "^remove sys-usb$" "$T/out" &&
	grep -q "^write  policy 50-local.policy (new)$" "$T/out" && grep -q "^remove policy 90-default.policy$" "$T/out"; echo $?) \
	"--dry-run --prune prints the plan: change with a property diff, create, remove, policies"
ok $([ "$(snapshot)" = "$before" ] && ! grep -q '^\[' "$T/out"; echo $?) "--dry-run changed nothing and ran no step"
bh apply "$D" >"$T/out" 2>&1; rc=$?
ok $([ $rc -eq 0 ] && [ "$(vm_field work memory)" = 512 ] && [ "$(vm_field extra netvm)" = sys-firewall ] &&
	bh tag work list | grep -qx office && [ -f "$T/cfg/policy.d/50-local.policy" ]; echo $?) "apply without --prune: changes and creations applied"
ok $(bh prefs sys-usb >/dev/null 2>&1 && [ -f "$T/cfg/policy.d/90-default.policy" ] &&
	grep -q "1 qube not in the site left alone (--prune removes them): sys-usb" "$T/out"; echo $?) "without --prune nothing is removed (and it says so)"

# --- --prune: only what the site no longer has; running qubes only with --force
check "start sys-usb" bh start sys-usb
before_names=$(bh --json ls | python3 -c 'import json,sys; print(" ".join(sorted(v["name"] for v in json.load(sys.stdin))))')
rm "$D/qubes.d/sys-gui.cfg"
bh apply --prune "$D" >"$T/out" 2>&1; rc=$?
sed 's/^/#   /' "$T/out"
ok $([ $rc -eq 0 ] && ! bh prefs sys-gui >/dev/null 2>&1 && [ ! -f "$T/cfg/policy.d/90-default.policy" ]; echo $?) "--prune removes a halted qube and a policy file the site no longer has"
ok $([ "$(vm_field sys-usb state)" = running ] && grep -q "^keep   sys-usb: running" "$T/out"; echo $?) "--prune keeps a running qube without --force, and says so"
after_names=$(bh --json ls | python3 -c 'import json,sys; print(" ".join(sorted(v["name"] for v in json.load(sys.stdin))))')
ok $([ "$after_names" = "$(echo "$before_names" | tr ' ' '\n' | grep -vx sys-gui | tr '\n' ' ' | sed 's/ $//')" ]; echo $?) "--prune removed nothing else"
bh apply --prune --force "$D" >"$T/out" 2>&1; rc=$?
ok $([ $rc -eq 0 ] && ! bh prefs sys-usb >/dev/null 2>&1 && grep -q "^remove sys-usb (running: killed first)" "$T/out"; echo $?) "--prune --force kills and removes the running qube"
site_matches "$D" --exact >"$T/diff"; ok $? "the appliance now matches the pruned site exactly"
sed 's/^/#   /' "$T/diff"
bh apply --force "$D" >/dev/null 2>&1
ok $([ $? -eq 2 ]; echo $?) "--force without --prune is a usage error"

# --- Running qubes: changed live, memory at next start, template only halted
check "start work" bh start work
sed -i 's/^memory = 512/memory = 300/; s/^label = "blue"/label = "orange"/' "$D/qubes.d/work.cfg"
bh apply "$D" >"$T/out" 2>&1; rc=$?
ok $([ $rc -eq 0 ] && grep -q "^change work: memory: 512 -> 300 (applies at next start)$" "$T/out" &&
	[ "$(vm_field work label)" = orange ] && [ "$(vm_field work state)" = running ]; echo $?) "a running qube is changed live; memory is marked 'applies at next start'"
printf 'name = "tpl2"\nclass = "template"\nlabel = "black"\n' >"$D/qubes.d/tpl2.cfg"
sed -i 's/^template = "minimal"/template = "tpl2"/' "$D/qubes.d/work.cfg"
before=$(snapshot)
bh apply "$D" >"$T/out" 2>"$T/err"; rc=$?
ok $([ $rc -eq 1 ] && grep -q "work is running; template can change only while it is halted" "$T/err" &&
	[ "$(snapshot)" = "$before" ]; echo $?) "a template change of a running qube is refused before anything changes"
check "kill work" bh kill work
bh apply "$D" >"$T/out" 2>&1; rc=$?
ok $([ $rc -eq 0 ] && [ "$(vm_field work template)" = tpl2 ] && [ "$(vm_field tpl2 class)" = template ] &&
	awk '/\] create tpl2$/ { a = NR } /\] change work$/ { b = NR } END { exit !(a && b && a < b) }' "$T/out"; echo $?) \
	"halted: the new template is created first, then work moves to it"

# --- A template from templates/NAME is imported
mkdir -p "$D/templates"
ln -s "$TEMPLATE_ROOT" "$D/templates/tpl3"
printf 'name = "tpl3"\nclass = "template"\nlabel = "gray"\nmemory = 200\n' >"$D/qubes.d/tpl3.cfg"
bh apply "$D" >"$T/out" 2>&1; rc=$?
ok $([ $rc -eq 0 ] && [ -x "$T/state/qubes/tpl3/root/sbin/init" ] && [ "$(vm_field tpl3 memory)" = 200 ] &&
	[ "$(vm_field tpl3 label)" = gray ]; echo $?) "a template with templates/NAME/ is imported from it, then its properties set"

# --- A failure half way stops; what was applied stays and is listed
F=$T/fail
cp -r "$D" "$F"
bh create outsider --label red --template minimal --netvm sys-net >/dev/null
sed -i 's/^provides_network = 1/provides_network = 0/' "$F/qubes.d/sys-net.cfg"
sed -i '/^netvm = "sys-net"/d' "$F/qubes.d/sys-firewall.cfg"
printf 'name = "newbie"\nlabel = "green"\ntemplate = "minimal"\n' >"$F/qubes.d/newbie.cfg"
bh apply "$F" >"$T/out" 2>"$T/err"; rc=$?
sed 's/^/#   /' "$T/out" "$T/err"
ok $([ $rc -eq 1 ] && grep -q "failed: sys-net: provides_network: 1 -> 0: sys-net is the netvm of outsider" "$T/err"; echo $?) "a failing step stops the run with domd's reason"
ok $(grep -q "^applied:     steps 1-[0-9]* (above)$" "$T/out" && grep -q "^not applied: sys-net: provides_network: 1 -> 0 (failed)$" "$T/out"; echo $?) "the summary says what was and was not applied"
ok $(bh prefs newbie >/dev/null 2>&1 && [ -z "$(vm_field sys-firewall netvm)" ] && [ "$(vm_field sys-net provides_network)" = True ]; echo $?) "steps before the failure stay applied; the failed one did not apply"
check "remove outsider" bh remove outsider
bh apply "$F" >"$T/out" 2>&1; rc=$?
ok $([ $rc -eq 0 ] && [ "$(vm_field sys-net provides_network)" = False ] && grep -q "^\[1/1\] change sys-net: provides_network" "$T/out"; echo $?) "apply again: only what was left is done"

# --- --json
bh --json apply --dry-run --prune "$F" >"$T/json" 2>&1
ok $(python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["ok"] and o["steps"] == 0 and o["plan"] == [] and o["errors"] == []' "$T/json"; echo $?) "--json: a plan object"
bh --json apply "$B" >"$T/json" 2>/dev/null
ok $(python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert not o["ok"] and len(o["errors"]) == 7' "$T/json"; echo $?) "--json: the errors of an invalid site"

# --- policy.list / policy.put / policy.remove
r=$(api policy.put "" '{"name":"40-x.policy","content":"test.A * @anyvm @anyvm allow\nbad line\n"}')
ok $(echo "$r" | grep -q '"code": *"invalid".*40-x.policy:2: ' && [ ! -e "$T/cfg/policy.d/40-x.policy" ]; echo $?) "policy.put refuses a bad file with FILE:LINE and writes nothing"
r=$(api policy.put "" '{"name":"../evil.policy","content":""}')
ok $(echo "$r" | grep -q '"invalid"' && [ ! -e "$T/cfg/evil.policy" ]; echo $?) "policy.put refuses a name outside [a-z0-9_.-]+.policy"
r=$(api policy.put "" '{"name":"40-x.policy","content":"test.A * @anyvm @anyvm allow\n"}')
ok $(echo "$r" | grep -q '"rules": *1' && [ "$(cat "$T/cfg/policy.d/40-x.policy")" = "test.A * @anyvm @anyvm allow" ] &&
	api policy.list | grep -q '"name": *"40-x.policy", *"content": *"test.A'; echo $?) "policy.put writes the file; policy.list shows it"
r=$(api policy.remove "" '{"name":"40-x.policy"}')
ok $(echo "$r" | grep -q '"ok": *true' && [ ! -e "$T/cfg/policy.d/40-x.policy" ] &&
	api policy.remove "" '{"name":"40-x.policy"}' | grep -q '"no-such-policy"'; echo $?) "policy.remove removes it; a second time: no-such-policy"
r=$(api policy.put "" '{"name":"40-nul.policy","content":"test.A * @anyvm @anyvm allow\u0000x"}')
ok $(echo "$r" | grep -q 'NUL byte' && [ ! -e "$T/cfg/policy.d/40-nul.policy" ]; echo $?) "policy.put refuses a NUL byte"
r=$(python3 -c 'import json; print(json.dumps({"name": "40-big.policy", "content": "#" * (1 << 20)}))' | api policy.put "" -)
ok $(echo "$r" | grep -q '"ok": *false' && [ ! -e "$T/cfg/policy.d/40-big.policy" ]; echo $?) "policy.put of more than 1 MiB is refused and writes nothing"

# A peer that is neither root nor in group bulkhead may list, not change.
# (/usr/bin/python3: a python3 found on root's PATH may be out of nobody's reach.)
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null && [ -x /usr/bin/python3 ]; then
	chmod 755 "$T" "$T/run"
	chmod 644 "$T/api.py"
	r=$(setpriv --reuid nobody --regid nogroup --clear-groups /usr/bin/python3 "$T/api.py" "$BULKHEAD_SOCKET" policy.put "" \
		'{"name":"40-x.policy","content":"test.A * @anyvm @anyvm allow\n"}')
	ok $(echo "$r" | grep -q '"permission"' && [ ! -e "$T/cfg/policy.d/40-x.policy" ]; echo $?) "policy.put needs root or group bulkhead"
	r=$(setpriv --reuid nobody --regid nogroup --clear-groups /usr/bin/python3 "$T/api.py" "$BULKHEAD_SOCKET" policy.remove "" \
		'{"name":"50-local.policy"}')
	ok $(echo "$r" | grep -q '"permission"' && [ -e "$T/cfg/policy.d/50-local.policy" ]; echo $?) "policy.remove needs root or group bulkhead"
	r=$(setpriv --reuid nobody --regid nogroup --clear-groups /usr/bin/python3 "$T/api.py" "$BULKHEAD_SOCKET" policy.list)
	ok $(echo "$r" | grep -q '"ok": *true'; echo $?) "policy.list is open to any peer"
fi

# --- 200 qubes, with progress, from a fresh state
G=$T/big
mkdir -p "$G/qubes.d" "$G/policy.d"
printf 'name = "tpl"\nclass = "template"\nlabel = "black"\n' >"$G/qubes.d/tpl.cfg"
printf 'name = "net"\nlabel = "red"\ntemplate = "tpl"\nprovides_network = 1\n' >"$G/qubes.d/net.cfg"
for i in $(seq 1 198); do
	printf 'name = "q%d"\nlabel = "%s"\ntemplate = "tpl"\nnetvm = "net"\nmemory = %d\nvcpus = %d\ntags = [ "t%d" ]\n' \
		"$i" "$( [ $((i % 2)) = 0 ] && echo blue || echo green)" $((100 + i)) $((1 + i % 4)) $((i % 5)) >"$G/qubes.d/q$i.cfg"
done
printf '* * @anyvm @anyvm deny\n' >"$G/policy.d/90-deny.policy"
cleanup_qubes
ms() { echo $(( $(date +%s%N) / 1000000 )); }
start=$(ms)
bh apply --prune --force "$G" >"$T/out" 2>&1; rc=$?
t1=$(( $(ms) - start ))
tail -3 "$T/out" | sed 's/^/#   /'
n=$(grep -c '^\[[0-9]*/[0-9]*\] ' "$T/out")
ok $([ $rc -eq 0 ] && [ "$(grep -c '^\[[0-9]*/[0-9]*\] create ' "$T/out")" -eq 200 ] && grep -q "^\[$n/$n\] " "$T/out"; echo $?) "200-qube site: a counted progress line per step, [1/$n] to [$n/$n]"
site_matches "$G" --exact >"$T/diff"; ok $? "200-qube site: vm.list matches the site exactly"
head -5 "$T/diff" | sed 's/^/#   /'
start=$(ms)
bh apply --prune "$G" >"$T/out" 2>&1; rc=$?
t2=$(( $(ms) - start ))
ok $([ $rc -eq 0 ] && grep -q "^no changes: the appliance matches $G (200 qubes, 1 policy file)" "$T/out"; echo $?) "200-qube site: re-apply reports no changes"
diag "200 qubes: apply ${t1} ms, unchanged re-apply ${t2} ms (this build; tests/bench/apply.sh measures)"

tap_end
