#!/bin/bash
# domd's limits per peer (domd.conf): connections per qube on its control
# socket, pending asks per calling qube, connections per uid on the admin
# socket (root's own, higher). A flood past each limit is refused with a
# message the peer reads, logged once for the burst, and everyone else goes
# on working. The floods come from build/tests/connflood (make unit-bins), a
# static program that opens connections and holds them without a word.
. tests/integration/lib.sh

FLOOD=$PWD/build/tests/connflood
[ -x "$FLOOD" ] || { echo "Bail out! $FLOOD missing: run make unit-bins"; exit 1; }
mkdir -p "$T/cfg/policy.d"
cat >"$T/cfg/domd.conf" <<EOF2
cgroup_parent = "$CGROUP_PARENT"
start_timeout = 20
ask_timeout = 60
qube_max_connections = 8
qube_max_asks = 3
admin_max_connections = 10
admin_max_connections_root = 40
EOF2
cat >"$T/cfg/policy.d/50-test.policy" <<'EOF2'
# service   arg  source  target  action
test.Echo   *    work    other   allow
test.Echo   *    other   work    allow
test.Ask    *    work    other   ask
test.Ask    *    other   work    ask
EOF2
domd_start || exit 1
setup_template
bh create work --class app --label blue --template tpl >/dev/null
bh create other --class app --label red --template tpl >/dev/null
bh start work >/dev/null && bh start other >/dev/null || exit 1
for vm in work other; do
	printf '#!/bin/sh\necho "in $(hostname) from $BULKHEAD_RPC_SOURCE"\n' |
		bh run --pass-io --user root $vm -- 'mkdir -p /rw/config/rpc; cat >/rw/config/rpc/test.Echo;
			chmod 755 /rw/config/rpc/test.Echo; cp /rw/config/rpc/test.Echo /rw/config/rpc/test.Ask'
done
bh run --pass-io --user root work -- 'cat >/tmp/connflood; chmod 755 /tmp/connflood' <"$FLOOD"

wait_for() { # wait_for SECONDS COMMAND...: until COMMAND succeeds
	local n=$(($1 * 10)); shift
	for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
log_count() { grep -c -- "$1" "$T/domd.log"; }
flood() { # flood NAME EXPECTED DESCRIPTION COMMAND...: a flood in the background ($flood_pid)
	local out=$T/$1.out expected=$2 d=$3; shift 3
	"$@" >"$out" 2>&1 &
	flood_pid=$!
	wait_for 15 grep -q connected "$out"
	ok $(grep -q "$expected" "$out"; echo $?) "$d ($(head -1 "$out"))"
}

# 1. A qube floods its own control socket, as root inside it.
flood flood "connected 20 refused 12 held 8" "control socket: 8 connections held, the 12 past qube_max_connections refused" \
	bh run --user root work -- '/tmp/connflood /dev/bulkhead/control.sock 20 12'
ok $(grep -q "refused by domd: work has 8 connections open (qube_max_connections)" "$T/flood.out"; echo $?) \
	"the refused peers read why"
bh run work -- 'bulkhead-rpc other test.Echo' >"$T/call.out" 2>&1; rc=$?
r=$([ $rc -eq 124 ] && [ "$(wc -l <"$T/call.out")" -eq 1 ] &&
	grep -q "^bulkhead-rpc: test.Echo to other: refused by domd: work has 8 connections open (qube_max_connections)$" "$T/call.out"; echo $?)
ok $r "a call from the flooding qube fails at once with one line from bulkhead-rpc (rc $rc)"
[ $r -eq 0 ] || sed 's/^/#   /' "$T/call.out"
ok $([ "$(bh run other -- 'bulkhead-rpc work test.Echo' 2>&1)" = "in work from other" ]; echo $?) \
	"during the flood another qube's call goes through (to the flooding qube, whose agent is not counted)"
check "and the operator's bulkhead ls works" bh ls
ok $([ "$(log_count 'qube work: too many connections on its control socket (limit 8)')" -eq 1 ]; echo $?) \
	"domd logged the burst once"
wait $flood_pid
ok $(wait_for 10 grep -q 'qube work: burst over: 13 refused in all' "$T/domd.log"; echo $?) \
	"and once more with the total when it was over"
ok $([ "$(bh run work -- 'bulkhead-rpc other test.Echo' 2>&1)" = "in other from work" ]; echo $?) \
	"after the flood the qube's calls go through again"

# 2. An ask flood from one qube.
ask_count() { # ask_count SOURCE: pending asks from SOURCE
	bh --json ask | python3 -c 'import json,sys; print(sum(a["source"]==sys.argv[1] for a in json.load(sys.stdin)))' "$1"
}
asks_from() { [ "$(ask_count "$1")" -eq "$2" ]; } # asks_from SOURCE N
bh run work -- 'for i in 1 2 3 4 5 6; do (bulkhead-rpc other test.Ask >/tmp/ask$i 2>&1; echo "rc=$?" >>/tmp/ask$i) & done
	sleep 2; cat /tmp/ask*; wait' >"$T/asks.out" 2>&1 &
asks=$!
wait_for 10 sh -c "[ \$(grep -c 'rc=126' $T/asks.out) -ge 3 ]"
ok $(asks_from work 3; echo $?) "asks: 3 from work wait for the operator"
r=$([ "$(grep -c '^bulkhead-rpc: test.Ask to other: denied by policy: work has 3 asks pending (qube_max_asks)$' "$T/asks.out")" -eq 3 ] &&
	[ "$(grep -c 'rc=126' "$T/asks.out")" -eq 3 ]; echo $?)
ok $r "the 3 past qube_max_asks are denied at once, with the reason"
[ $r -eq 0 ] || sed 's/^/#   /' "$T/asks.out"
(bh run other -- 'bulkhead-rpc work test.Ask' >"$T/other-ask.out" 2>&1; echo "rc=$?" >>"$T/other-ask.out") &
other_ask=$!
ok $(wait_for 10 asks_from other 1 && asks_from work 3; echo $?) "another qube's ask still joins the queue"
ok $([ "$(log_count 'qube work: too many pending asks (limit 3)')" -eq 1 ]; echo $?) "domd logged the burst once"
for id in $(bh --json ask | python3 -c 'import json,sys; [print(a["id"]) for a in json.load(sys.stdin)]'); do
	bh ask deny "$id" >/dev/null
done
wait $asks $other_ask
ok $(grep -q "rc=126" "$T/other-ask.out" && asks_from work 0; echo $?) "the operator's denials end them all"
bh run work -- 'bulkhead-rpc other test.Ask' >/dev/null 2>&1 &
asks=$!
ok $(wait_for 10 asks_from work 1; echo $?) "then work may ask again"
bh ask deny "$(bh --json ask | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')" >/dev/null
wait $asks

# 3. A local user floods the admin socket.
install -m 755 "$FLOOD" "$T/connflood"
chmod 711 "$T"
as_uid() { local u=$1; shift; setpriv --reuid "$u" --regid "$u" --clear-groups "$@"; }
flood aflood "connected 30 refused 20 held 10" \
	"admin socket: uid 65534 holds 10 connections, the 20 past admin_max_connections are refused" \
	as_uid 65534 "$T/connflood" "$BULKHEAD_SOCKET" 30 8
ok $(grep -q '"ok":false,"error":{"code":"limit","message":"too many connections from uid 65534 (admin_max_connections is 10)"}' "$T/aflood.out"; echo $?) \
	"each gets a JSON error line"
check "root's bulkhead ls works during the flood" bh ls
check "so does another user's" as_uid 65533 "$CLI_BIN" ls
as_uid 65534 "$CLI_BIN" ls >"$T/ls.out" 2>&1; rc=$?
r=$([ $rc -ne 0 ] && grep -q "too many connections from uid 65534 (admin_max_connections is 10)" "$T/ls.out" &&
	[ "$(wc -l <"$T/ls.out")" -eq 1 ]; echo $?)
ok $r "the flooding user's own bulkhead ls is refused with one line (rc $rc)"
[ $r -eq 0 ] || sed 's/^/#   /' "$T/ls.out"
ok $([ "$(log_count 'uid 65534: too many connections on the admin socket (limit 10)')" -eq 1 ]; echo $?) \
	"domd logged the burst once"
wait $flood_pid
check "after the flood the user is served again" as_uid 65534 "$CLI_BIN" ls

# 4. Root has a limit too, higher (40 here), against runaway scripts.
flood rflood "connected 50 refused 10 held 40" "root: 40 connections held, 10 refused" \
	"$T/connflood" "$BULKHEAD_SOCKET" 50 5
bh ls >"$T/ls.out" 2>&1
ok $(grep -q "admin_max_connections_root is 40" "$T/ls.out"; echo $?) "root's bulkhead ls says why it is refused"
wait $flood_pid
check "and works once the flood is over" bh ls
ok $(kill -0 "$DOMD_PID"; echo $?) "domd is still running"

tap_end
