#!/bin/bash
# The host-nat uplink of the ns backend (what `make run` uses): sys-net gets a
# veth to the host, the host forwards and masquerades for it. A "lan"
# namespace behind the host stands for the world: an AppVM's packets reach
# it from the host's address, and the host's rules go away with sys-net.
. tests/integration/lib.sh

PROBE=$PWD/tests/integration/netprobe.py
LAN=bhlan-$$
LANIF=bhlan$$
FORWARD_WAS=$(cat /proc/sys/net/ipv4/ip_forward)
ECHO_PID=

nat_cleanup() {
	local rc=$?
	[ -n "$ECHO_PID" ] && kill "$ECHO_PID" 2>/dev/null
	ip netns del "$LAN" 2>/dev/null
	ip link del "$LANIF" 2>/dev/null
	echo "$FORWARD_WAS" >/proc/sys/net/ipv4/ip_forward
	set_rc() { return "$1"; }
	set_rc "$rc"; cleanup
}
trap nat_cleanup EXIT

ip netns add "$LAN" || exit 1
ip link add "$LANIF" type veth peer name lan0 netns "$LAN" || exit 1
ip addr add 192.168.88.1/24 dev "$LANIF"
ip link set "$LANIF" up
ip -n "$LAN" link set lo up
ip -n "$LAN" link set lan0 up
ip -n "$LAN" addr add 192.168.88.2/24 dev lan0
ip -n "$LAN" route add default via 192.168.88.1
ip netns exec "$LAN" python3 "$PROBE" serve 7000 >"$T/echo.log" 2>&1 &
ECHO_PID=$!

domd_start -v || exit 1
setup_template
bh create sys-net --label red --template tpl --provides-network >/dev/null || exit 1
bh prefs sys-net uplink host-nat >/dev/null || exit 1
bh create work --label blue --template tpl --netvm sys-net >/dev/null || exit 1

probe() { local vm=$1; shift; nsenter -t "$(vm_pid "$vm")" -n python3 "$PROBE" "$@"; }
eventually() {
	local d=$1; shift
	for _ in $(seq 50); do "$@" >/dev/null 2>&1 && { ok 0 "$d"; return; }; sleep 0.1; done
	ok 1 "$d"; "$@" 2>&1 | sed 's/^/#   /'
}

echo 0 >/proc/sys/net/ipv4/ip_forward
check "work starts (and sys-net with it)" bh start work
check "the host forwards now" sh -c "[ \$(cat /proc/sys/net/ipv4/ip_forward) = 1 ]"
net_ip=$(vm_field sys-net ip)
n=$(( ($(echo "$net_ip" | cut -d. -f3) << 8 | $(echo "$net_ip" | cut -d. -f4)) & 16383 ))
hostif=bhnat$n
check "the host has sys-net's link $hostif, up, with a 10.138 address" \
	sh -c "ip -br addr show $hostif | grep -q 'UP.*10\\.138\\.'"
check "sys-net has its end as uplink0 with the other address of the /30" \
	sh -c "nsenter -t $(vm_pid sys-net) -n ip -br addr show uplink0 | grep -q '10\\.138\\.'"
check "the host masquerades the /30 (legacy iptables)" \
	sh -c "iptables-legacy -t nat -S POSTROUTING | grep -q -- '-s 10\\.138\\..*/30 -j MASQUERADE'"
check "and forwards for the link" sh -c "iptables-legacy -S FORWARD | grep -q -- '-i $hostif -j ACCEPT'"
eventually "work reaches the lan behind the host" probe work tcp 192.168.88.2 7000
check "the lan saw the host's address, never a qube's" \
	sh -c "grep -q 'from 192.168.88.1\$' $T/echo.log && ! grep -q 'from 10\\.13[78]' $T/echo.log"

domd_kill9
check "domd restarts after a SIGKILL and adopts the qubes" domd_start -v
check "the host's rules are there once, not twice" \
	sh -c "[ \$(iptables-legacy -t nat -S POSTROUTING | grep -c -- '-s 10\\.138\\.') -eq 1 ] && [ \$(iptables-legacy -S FORWARD | grep -c -- '$hostif') -eq 2 ]"
eventually "work still reaches the lan" probe work tcp 192.168.88.2 7000

check "sys-net shuts down (work first)" sh -c "$CLI_BIN shutdown --wait work && $CLI_BIN shutdown --wait sys-net"
check "the host's masquerading rule is gone" \
	sh -c "! iptables-legacy -t nat -S POSTROUTING | grep -q -- '-s 10\\.138\\.'"
check "its forwarding rules are gone" sh -c "! iptables-legacy -S FORWARD | grep -q -- '$hostif'"
check "and its link" sh -c "! ip link show $hostif 2>/dev/null"
check "the host's forwarding is off again, as before" \
	sh -c "[ \$(cat /proc/sys/net/ipv4/ip_forward) = 0 ]"

tap_end
