#!/bin/bash
# The host-nat uplink of the ns backend (what `make run` uses): sys-net gets a
# veth to the host, the host forwards and masquerades for it. A "lan"
# namespace behind the host stands for the world: an AppVM's packets reach
# it from the host's address, and the host's rules go away with sys-net.
# sys-net's root is hostile: it must not reach the host's own services (on
# any of the host's addresses, IPv6 included) nor another host-nat link,
# and the lan must not open connections into sys-net.
. tests/integration/lib.sh

PROBE=$PWD/tests/integration/netprobe.py
LAN=bhlan-$$
LANIF=bhlan$$
DUMMY=bhdum$$
FORWARD_WAS=$(cat /proc/sys/net/ipv4/ip_forward)
ECHO_PID=
PIDS=
# The host's own rules, which domd must leave alone.
MARK_IN="INPUT -i $LANIF -p tcp --dport 7999 -j ACCEPT"
MARK_FWD="FORWARD -i $LANIF -o $LANIF -j ACCEPT"

nat_cleanup() {
	local rc=$?
	[ -n "$ECHO_PID" ] && kill "$ECHO_PID" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	ip netns del "$LAN" 2>/dev/null
	ip link del "$LANIF" 2>/dev/null
	ip link del "$DUMMY" 2>/dev/null
	iptables-legacy -D $MARK_IN 2>/dev/null
	iptables-legacy -D $MARK_FWD 2>/dev/null
	echo "$FORWARD_WAS" >/proc/sys/net/ipv4/ip_forward
	set_rc() { return "$1"; }
	set_rc "$rc"; cleanup
}
trap nat_cleanup EXIT
iptables-legacy -A $MARK_IN && iptables-legacy -A $MARK_FWD || exit 1

lan_make "$LAN" "$LANIF" 192.168.88 || exit 1
ip netns exec "$LAN" python3 "$PROBE" serve 7000 >"$T/echo.log" 2>&1 &
ECHO_PID=$!
# Another address of the host's, on an interface of its own (a veth: not
# every kernel has the dummy driver).
ip link add "$DUMMY" type veth peer name "${DUMMY}p" && ip addr add 192.168.99.1/32 dev "$DUMMY" &&
	ip link set "$DUMMY" up && ip link set "${DUMMY}p" up || exit 1
# A service of the host's, on every address it has (7101: IPv6).
python3 "$PROBE" serve 7100 >"$T/host.log" 2>&1 &
PIDS="$PIDS $!"
python3 -c '
import socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 7101)); s.listen(8)
while True:
    c, _ = s.accept(); c.settimeout(2)
    try: c.sendall(c.recv(100))
    except OSError: pass
    c.close()' >/dev/null 2>&1 &
PIDS="$PIDS $!"

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
link_of() { # the host's end of a host-nat netvm's link
	local ip; ip=$(vm_field "$1" ip)
	echo bhnat$(( ($(echo "$ip" | cut -d. -f3) << 8 | $(echo "$ip" | cut -d. -f4)) & 16383 ))
}
hostif=$(link_of sys-net)
check "the host has sys-net's link $hostif, up, with a 10.138 address" \
	sh -c "ip -br addr show $hostif | grep -q 'UP.*10\\.138\\.'"
check "sys-net has its end as uplink0 with the other address of the /30" \
	sh -c "nsenter -t $(vm_pid sys-net) -n ip -br addr show uplink0 | grep -q '10\\.138\\.'"
check "the host masquerades the /30 (legacy iptables, a chain of domd's own)" \
	sh -c "iptables-legacy -t nat -S POSTROUTING | grep -q -- '-j BULKHEAD-NAT-POSTROUTING' && iptables-legacy -t nat -S BULKHEAD-NAT-POSTROUTING | grep -q -- '-s 10\\.138\\..*/30 -j MASQUERADE'"
check "and forwards for the link, first in FORWARD" \
	sh -c "iptables-legacy -S FORWARD | sed -n 2p | grep -q -- '-j BULKHEAD-NAT-FORWARD' && iptables-legacy -S BULKHEAD-NAT-FORWARD | grep -q -- '-i $hostif -j ACCEPT'"
check "INPUT takes only replies from the link, first" \
	sh -c "iptables-legacy -S INPUT | sed -n 2p | grep -q -- '-j BULKHEAD-NAT-INPUT' && iptables-legacy -S BULKHEAD-NAT-INPUT | grep -q -- '-i $hostif -m state --state RELATED,ESTABLISHED -j ACCEPT' && iptables-legacy -S BULKHEAD-NAT-INPUT | grep -q -- '-i $hostif -j DROP'"
check "the host's end of the link has no IPv6" \
	sh -c "[ \$(cat /proc/sys/net/ipv6/conf/$hostif/disable_ipv6) = 1 ] && ! ip -6 addr show dev $hostif | grep -q inet6"
eventually "work reaches the lan behind the host" probe work tcp 192.168.88.2 7000
check "the lan saw the host's address, never a qube's" \
	sh -c "grep -q 'from 192.168.88.1\$' $T/echo.log && ! grep -q 'from 10\\.13[78]' $T/echo.log"

# From inside sys-net, as its root, with the template's own nc.
nc_in() { in_vm "$1" "echo hi | timeout 4 nc -w 2 $2 $3" 2>/dev/null | grep -q hi; }
hostaddr=$(ip -4 -br addr show "$hostif" | awk '{print $3}' | cut -d/ -f1)
check "the host's service answers the lan (the probe works)" ip netns exec "$LAN" python3 "$PROBE" tcp 192.168.88.1 7100
check "sys-net reaches the lan with nc (the probe works from inside)" nc_in sys-net 192.168.88.2 7000
ok $(! nc_in sys-net "$hostaddr" 7100; echo $?) "sys-net cannot reach the host's service on the link's address ($hostaddr)"
ok $(! nc_in sys-net 192.168.88.1 7100; echo $?) "nor on the host's lan address"
ok $(! nc_in sys-net 192.168.99.1 7100; echo $?) "nor on another interface of the host's"
ok $(! probe work tcp 192.168.99.1 7100 >/dev/null 2>&1; echo $?) "nor can work behind it"

# IPv6: sys-net's root sends straight to the host's end of the link (a
# neighbour entry of its own makes NDP unnecessary), to an address the
# host has on another interface.
ip addr add fd42:bb::1/128 dev "$DUMMY" nodad
nsenter -t "$(vm_pid sys-net)" -n sh -c "ip -6 route add fd42:bb::1/128 dev uplink0 &&
	ip -6 neigh replace fd42:bb::1 lladdr $(cat /sys/class/net/$hostif/address) dev uplink0"
ok $(! nc_in sys-net fd42:bb::1 7101; echo $?) "nor over IPv6, even with a route and a neighbour of its own"
echo 0 >/proc/sys/net/ipv6/conf/$hostif/disable_ipv6
# (the link takes a moment to come up for IPv6: a few tries)
retry() { for _ in 1 2 3 4 5; do "$@" && return 0; sleep 1; done; return 1; }
check "(with IPv6 back on the host's end by hand, the same attempt gets through)" retry nc_in sys-net fd42:bb::1 7101
echo 1 >/proc/sys/net/ipv6/conf/$hostif/disable_ipv6

# Nothing is forwarded into the link but replies.
net_addr=$(nsenter -t "$(vm_pid sys-net)" -n ip -4 -br addr show uplink0 | awk '{print $3}' | cut -d/ -f1)
nsenter -t "$(vm_pid sys-net)" -n python3 "$PROBE" serve 7300 >/dev/null 2>&1 &
PIDS="$PIDS $!"
eventually "a service in sys-net answers the host (the probe works)" python3 "$PROBE" tcp "$net_addr" 7300
ok $(! ip netns exec "$LAN" python3 "$PROBE" tcp "$net_addr" 7300 >/dev/null 2>&1; echo $?) "the lan cannot open a connection into sys-net"

# A second host-nat netvm: the two links do not reach each other.
bh create sys-net2 --label red --template tpl --provides-network >/dev/null &&
	bh prefs sys-net2 uplink host-nat >/dev/null && bh start sys-net2 >/dev/null
hostif2=$(link_of sys-net2)
net2_addr=$(nsenter -t "$(vm_pid sys-net2)" -n ip -4 -br addr show uplink0 | awk '{print $3}' | cut -d/ -f1)
nsenter -t "$(vm_pid sys-net2)" -n python3 "$PROBE" serve 7200 >/dev/null 2>&1 &
PIDS="$PIDS $!"
eventually "a second host-nat netvm answers the host on $net2_addr (the probe works)" python3 "$PROBE" tcp "$net2_addr" 7200
ok $(! nc_in sys-net "$net2_addr" 7200; echo $?) "sys-net cannot reach the other host-nat link"
check "the second netvm stops" bh shutdown --wait sys-net2
check "its rules went alone: sys-net's are all there" \
	sh -c "! iptables-legacy -S | grep -q -- '$hostif2' && ! iptables-legacy -t nat -S | grep -q -- '$hostif2' &&
		[ \$(iptables-legacy -S | grep -c -- '^-A BULKHEAD-NAT-.*$hostif') -eq 6 ] &&
		[ \$(iptables-legacy -t nat -S BULKHEAD-NAT-POSTROUTING | grep -c MASQUERADE) -eq 1 ]"
check "sys-net still reaches the lan" nc_in sys-net 192.168.88.2 7000

domd_kill9
check "domd restarts after a SIGKILL and adopts the qubes" domd_start -v
check "the host's rules are there once, not twice" \
	sh -c "[ \$(iptables-legacy -t nat -S BULKHEAD-NAT-POSTROUTING | grep -c -- '-s 10\\.138\\.') -eq 1 ] &&
		[ \$(iptables-legacy -S BULKHEAD-NAT-FORWARD | grep -c -- '$hostif') -eq 4 ] &&
		[ \$(iptables-legacy -S BULKHEAD-NAT-INPUT | grep -c -- '$hostif') -eq 2 ] &&
		[ \$(iptables-legacy -S | grep -c -- '-j BULKHEAD-NAT') -eq 2 ] &&
		[ \$(iptables-legacy -t nat -S | grep -c -- '-j BULKHEAD-NAT') -eq 1 ]"
eventually "work still reaches the lan" probe work tcp 192.168.88.2 7000
ok $(! nc_in sys-net 192.168.88.1 7100; echo $?) "and sys-net still cannot reach the host"

check "sys-net shuts down (work first)" sh -c "$CLI_BIN shutdown --wait work && $CLI_BIN shutdown --wait sys-net"
check "the host's masquerading rule is gone, with its chain" \
	sh -c "! iptables-legacy -t nat -S | grep -q -- 'BULKHEAD-NAT\\|-s 10\\.138\\.'"
check "its filter rules are gone, with their chains" sh -c "! iptables-legacy -S | grep -q -- 'BULKHEAD-NAT\\|$hostif'"
check "the host's own rules are untouched" sh -c "iptables-legacy -C $MARK_IN && iptables-legacy -C $MARK_FWD"
check "and its link" sh -c "! ip link show $hostif 2>/dev/null"
check "the host's forwarding is off again, as before" \
	sh -c "[ \$(cat /proc/sys/net/ipv4/ip_forward) = 0 ]"

tap_end
