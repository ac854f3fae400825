#!/bin/bash
# Firewall rules as data: bulkhead firewall VM list|add|del|policy|reset
# through vm.firewall, stored in the qube's file, refused with the bad field
# named, kept across a domd restart, and loaded from a hand-written file.
# (The packets: net.t.)
. tests/integration/lib.sh

domd_start -v -v || exit 1
setup_template
bh create work --class app --label blue --template tpl >/dev/null
cfg=$T/state/qubes/work/qube.cfg
bh events --json >"$T/events" 2>&1 &
events_pid=$!
sleep 0.5

# list TEXT: the list output, one line per rule then the policy.
expect_out() { # expect_out DESCRIPTION EXPECTED COMMAND...
	local d=$1 want=$2; shift 2
	local got; got=$("$@" 2>&1); local rc=$?
	if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then ok 0 "$d"
	else ok 1 "$d"; diag "rc=$rc, got:"; printf '%s\n' "$got" | sed 's/^/#   /'; diag "expected:"; printf '%s\n' "$want" | sed 's/^/#   /'; fi
}
# expect_err DESCRIPTION EXIT PATTERN COMMAND...: fails with EXIT and one
# line on stderr matching PATTERN.
expect_err() {
	local d=$1 want_rc=$2 pat=$3; shift 3
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	if [ $rc -eq "$want_rc" ] && grep -q -- "$pat" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ]; then ok 0 "$d"
	else ok 1 "$d"; diag "rc=$rc (expected $want_rc) stderr: $(cat "$T/err")"; fi
}

expect_out "a new qube has no rules and policy accept" "policy: accept" bh firewall work list
ok $(grep -q '^firewall = ' "$cfg"; [ $? -ne 0 ]; echo $?) "and its file has no firewall list"

check "add a rule (words joined)" bh firewall work add accept proto=tcp dsthost=Example.org dstports=443
check "add a DNS rule" bh firewall work add accept specialtarget=dns
check "add a catch-all drop" bh firewall work add drop
check "insert with --before 1" bh firewall work add --before 1 accept dst4=10.0.0.0/8 comment=the lan, ok
expect_out "list shows the rules numbered, canonical, in order" "1  accept dst4=10.0.0.0/8 comment=the lan, ok
2  accept dsthost=example.org proto=tcp dstports=443
3  accept specialtarget=dns
4  drop
policy: accept" bh firewall work list

json=$(bh --json firewall work list)
ok $(printf '%s' "$json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["policy"] == "accept", r
assert [x["n"] for x in r["rules"]] == [1, 2, 3, 4], r
assert r["rules"][1]["rule"] == "accept dsthost=example.org proto=tcp dstports=443", r
assert all(x["expired"] is False for x in r["rules"]), r
'; echo $?) "--json list gives policy and rules with n, rule, expired"
ok $(grep -q '"accept dsthost=example.org proto=tcp dstports=443",' "$cfg"; echo $?) "the rules are in the qube's file"

# Invalid rules: refused with the field named, nothing stored.
before=$(sha256sum <"$cfg")
expect_err "a bad port is refused, naming dstports and the value" 1 \
	"invalid dstports '70000' (expected 1-65535 or N-M)" bh firewall work add accept proto=tcp dstports=70000
expect_err "dstports without proto is refused" 1 "dstports needs proto=tcp or proto=udp" \
	bh firewall work add accept dstports=443
expect_err "an unknown action is refused" 1 "invalid action 'allow'" bh firewall work add allow
expect_err "an unknown field is refused" 1 "unknown field 'port'" bh firewall work add accept port=22
expect_err "two destinations are refused" 1 "dsthost conflicts with dst4" \
	bh firewall work add accept dst4=1.2.3.4 dsthost=example.org
expect_err "a bad dsthost is refused" 1 "invalid dsthost 'ex\*ample.org'" bh firewall work add drop 'dsthost=ex*ample.org'
expect_err "a dsthost network with host bits is refused" 1 "the network is fd00::/8" \
	bh firewall work add drop dsthost=fd00::1/8
expect_err "dst6 takes no IPv4 network" 1 "invalid dst6 '10.0.0.0/8'" bh firewall work add drop dst6=10.0.0.0/8
expect_err "Qubes' form without action= is refused" 1 "missing action" bh firewall work add proto=tcp dstports=443
expect_err "an index past the end is refused" 1 "invalid index 9" bh firewall work add --before 9 drop
expect_err "deleting a missing rule is refused" 1 "no firewall rule 7 (work has 4)" bh firewall work del 7
expect_err "a bad policy is refused" 1 "invalid firewall policy 'maybe'" bh firewall work policy maybe
expect_err "an unknown qube" 1 "no qube named 'ghost'" bh firewall ghost list
ok $([ "$(sha256sum <"$cfg")" = "$before" ]; echo $?) "the refused changes left the qube's file as it was"
ok $([ "$(bh --json firewall work list)" = "$json" ]; echo $?) "and its rules as they were"

# Usage errors: exit 2, nothing sent.
expect_err "no action is a usage error" 2 "missing action" bh firewall work
expect_err "an unknown action is a usage error" 2 "unknown action 'frob'" bh firewall work frob
expect_err "add without a rule is a usage error" 2 "missing rule" bh firewall work add
expect_err "del needs a number" 2 "invalid value 'two'" bh firewall work del two
expect_err "policy needs one value" 2 "policy takes one value" bh firewall work policy accept drop
expect_err "--before goes with add only" 2 "with add only" bh firewall work del --before 1 1
expect_err "--format goes with list only" 2 "with list only" bh firewall work add --format=qubes drop
expect_err "--format takes bulkhead or qubes" 2 "invalid value 'xml' for --format" bh firewall work list --format=xml
expect_err "a bad relative expire is a usage error" 2 "invalid expire '+soon'" bh firewall work add drop expire=+soon

check "del 2" bh firewall work del 2
check "policy drop" bh firewall work policy drop
check "an expired rule may be added" bh firewall work add --before 1 drop proto=icmp expire=1
expect_out "list shows the change, the expired rule marked, the policy last" "1  drop proto=icmp expire=1  (expired)
2  accept dst4=10.0.0.0/8 comment=the lan, ok
3  accept specialtarget=dns
4  drop
policy: drop" bh firewall work list
ok $(bh --json firewall work list | python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(not (r["rules"][0]["expired"] is True and r["rules"][1]["expired"] is False))'; echo $?) \
	"--json marks the expired rule"
ok $(grep -q '^firewall_policy = "drop"$' "$cfg"; echo $?) "the policy is in the qube's file"
ok $([ "$(vm_field work firewall_policy)" = drop ] && [ "$(vm_field work firewall_rules)" = 4 ]; echo $?) \
	"the qube object shows firewall_policy and firewall_rules"
ok $(bh --json firewall work policy drop | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["applied"] != "at its next start")'; echo $?) \
	"a change to a halted qube says it applies at its next start"
# The subscriber writes what domd sent a moment ago: wait for it a little.
for _ in $(seq 50); do grep -q '"event":"firewall","vm":"work","policy":"drop","rules":4' "$T/events" && break; sleep 0.1; done
ok $(grep -q '"event":"firewall","vm":"work","policy":"drop","rules":4' "$T/events"; echo $?) \
	"changes are announced as firewall events"
expect_err "vm.set cannot change the policy" 1 "property 'firewall_policy' cannot be changed" \
	bh prefs work firewall_policy accept

# vm.firewall set replaces everything at once, or nothing.
raw() { python3 - "$BULKHEAD_SOCKET" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(json.dumps({"id": 1, "method": "vm.firewall", "vm": "work", "args": json.loads(sys.argv[2])}).encode() + b"\n")
data = b""
while not data.endswith(b"\n"):
    c = s.recv(65536)
    if not c: break
    data += c
print(data.decode().strip())
PY
}
before=$(sha256sum <"$cfg")
out=$(raw '{"op":"set","policy":"drop","rules":["accept proto=udp","drop proto=tcp dstports=0"]}')
ok $(printf '%s' "$out" | grep -q "invalid firewall rule 2: invalid dstports '0'"; echo $?) "set with one bad rule is refused, naming it: $out"
ok $([ "$(sha256sum <"$cfg")" = "$before" ]; echo $?) "and stores nothing"
out=$(raw '{"op":"del","rule":"drop"}')
ok $(printf '%s' "$out" | grep -q "argument 'rule' does not go with op del"; echo $?) "an argument of another op is refused"
# A peer that is neither root nor in group bulkhead may list but not change.
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chmod 755 "$T" "$T/run"
	nobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$CLI_BIN" --socket "$BULKHEAD_SOCKET" "$@"; }
	ok $(nobody firewall work list >/dev/null 2>&1; echo $?) "an unprivileged peer may list the rules"
	nobody firewall work add drop >/dev/null 2>"$T/err"
	ok $(grep -q "permission denied" "$T/err"; echo $?) "but not change them: $(cat "$T/err")"
fi

# Clones keep the rules; they survive a restart of domd.
check "clone work" bh clone work work2
ok $([ "$(bh firewall work2 list)" = "$(bh firewall work list)" ]; echo $?) "the clone has the same rules"
saved=$(bh firewall work list)
domd_stop
domd_start -v -v || exit 1
expect_out "the rules and policy survive a domd restart" "$saved" bh firewall work list

check "reset" bh firewall work reset
expect_out "reset leaves no rules and policy accept" "policy: accept" bh firewall work list

# Qubes' qvm-firewall form and dsthost's addresses and networks; list in
# either form.
check "add in Qubes' form" bh firewall work add action=accept proto=tcp dstports=443
check "add in Qubes' form, fields in any order" bh firewall work add proto=udp action=drop dsthost=fd00::/8 comment=ula
check "dsthost takes an IPv4 network" bh firewall work add accept dsthost=192.168.0.0/16
check "dst6 takes an IPv6 address" bh firewall work add action=accept dst6=2001:db8::1
check "specialtarget and icmptype in Qubes' form" bh firewall work add action=accept specialtarget=dns
check "icmptype in Qubes' form" bh firewall work add action=drop proto=icmp icmptype=8
now=$(date +%s)
check "expire=+SECONDS is from now (as qvm-firewall)" bh firewall work add action=drop expire=+3600
exp=$(bh --json firewall work list | python3 -c 'import json,sys; print(json.load(sys.stdin)["rules"][6]["rule"].split("=")[1])')
ok $([ "$exp" -ge $((now + 3600)) ] && [ "$exp" -le $((now + 3660)) ]; echo $?) "the stored expire is an hour from now: $exp (now $now)"
expect_out "list prints the canonical short form by default" "1  accept proto=tcp dstports=443
2  drop dst6=fd00::/8 proto=udp comment=ula
3  accept dst4=192.168.0.0/16
4  accept dst6=2001:db8::1
5  accept specialtarget=dns
6  drop proto=icmp icmptype=8
7  drop expire=$exp
policy: accept" bh firewall work list
expect_out "list --format=qubes prints qvm-firewall's form" "1  action=accept proto=tcp dstports=443-443
2  action=drop proto=udp dst6=fd00::/8 comment=ula
3  action=accept dst4=192.168.0.0/16
4  action=accept dst6=2001:db8::1/128
5  action=accept specialtarget=dns
6  action=drop proto=icmp icmptype=8
7  action=drop expire=$exp
policy: accept" bh firewall work list --format=qubes
expect_out "list --format=bulkhead is the default" "$(bh firewall work list)" bh firewall work list --format=bulkhead
# What --format=qubes prints is read back as the same rules.
bh firewall work list --format=qubes | sed -n 's/^[0-9]*  //p' | grep -v '^policy' >"$T/qrules"
check "reset" bh firewall work reset
while read -r line; do bh firewall work add $line || echo "refused: $line"; done <"$T/qrules" >"$T/readd" 2>&1
ok $([ ! -s "$T/readd" ] && [ "$(bh firewall work list --format=qubes | sed -n 's/^[0-9]*  //p' | grep -v '^policy')" = "$(cat "$T/qrules")" ]; echo $?) \
	"rules printed in Qubes' form add back unchanged $(cat "$T/readd")"
check "reset" bh firewall work reset
# qvm-firewall's positional form: ACTION [HOST [PROTO [PORTS|ICMPTYPE]]],
# mixed with key=value.
check "add ACTION HOST PROTO PORTS" bh firewall work add accept example.org tcp 443
check "add ACTION NETWORK icmp TYPE" bh firewall work add drop 10.0.0.0/8 icmp 8
check "a bare word fills the first field not given" bh firewall work add proto=udp accept fd00::/8 53
check "comment= takes the rest, bare words included" bh firewall work add drop comment=no more words
expect_out "they are stored as the same rules in key=value form" "1  accept dsthost=example.org proto=tcp dstports=443
2  drop dst4=10.0.0.0/8 proto=icmp icmptype=8
3  accept dst6=fd00::/8 proto=udp dstports=53
4  drop comment=no more words
policy: accept" bh firewall work list
expect_err "a bare word past the positional fields is a usage error" 2 "invalid rule element 'extra'" \
	bh firewall work add accept example.org tcp 443 extra
check "reset" bh firewall work reset
ok $(grep -q '^firewall = ' "$cfg"; [ $? -ne 0 ]; echo $?) "and no rules in the qube's file"

# A qube file written by hand, with firewall = [...], loads; one with a bad
# rule is skipped and the log says which rule and field.
domd_stop
mkdir -p "$T/state/qubes/hand" "$T/state/qubes/badfw"
cat >"$T/state/qubes/hand/qube.cfg" <<'CFG'
name = "hand"
class = "app"
label = "green"
template = "tpl"
firewall_policy = "drop"
firewall = [ "accept  proto=tcp   dstports=22 dst4=192.168.1.0/24",
             'accept specialtarget=dns comment=it\'s DNS',
             "drop" ]
CFG
sed -e 's/"hand"/"badfw"/' -e 's/dstports=22/dstports=99999/' "$T/state/qubes/hand/qube.cfg" >"$T/state/qubes/badfw/qube.cfg"
domd_start -v -v || exit 1
expect_out "a hand-written qube file with firewall = [...] loads" "1  accept dst4=192.168.1.0/24 proto=tcp dstports=22
2  accept specialtarget=dns comment=it's DNS
3  drop
policy: drop" bh firewall hand list
expect_err "a qube file with a bad rule is not loaded" 1 "no qube named 'badfw'" bh firewall badfw list
ok $(grep -q "badfw/qube.cfg: invalid firewall rule 1: invalid dstports '99999'" "$T/domd.log"; echo $?) \
	"and domd's log names the file, the rule and the field"

kill $events_pid 2>/dev/null; wait $events_pid 2>/dev/null
tap_end
