#!/bin/bash
# Networking with real packets: AppVMs → sys-firewall → sys-net → an
# "outside" namespace made here (TCP/UDP echo servers, a DNS server), with
# each AppVM's rules applied by bulkhead-firewall in sys-firewall.
. tests/integration/lib.sh

PROBE=$PWD/tests/integration/netprobe.py
OUT=bhout-$$        # the outside's network namespace
UP=bhup$$           # its link, moved into sys-net as the uplink
OUT_IP=192.168.77.1
ALT_IP=192.168.77.3 # a second address of the outside
DNSMASQ_PID=
ECHO_PID=

net_cleanup() {
	local rc=$?
	[ -n "$DNSMASQ_PID" ] && kill "$DNSMASQ_PID" 2>/dev/null
	[ -n "$ECHO_PID" ] && kill "$ECHO_PID" 2>/dev/null
	ip netns del "$OUT" 2>/dev/null
	ip link del "$UP" 2>/dev/null
	set_rc() { return "$1"; }
	set_rc "$rc"; cleanup
}
trap net_cleanup EXIT

# The outside: its end of the uplink, two addresses, echo servers on 7000
# and 7001, and a DNS server that knows echo.test.
ip netns add "$OUT" || exit 1
ip link add "$UP" type veth peer name out0 netns "$OUT" || exit 1
ip -n "$OUT" link set lo up
ip -n "$OUT" link set out0 up
ip -n "$OUT" addr add "$OUT_IP/24" dev out0
ip -n "$OUT" addr add "$ALT_IP/24" dev out0
ip netns exec "$OUT" python3 "$PROBE" serve 7000 7001 >"$T/echo.log" 2>&1 &
ECHO_PID=$!
start_dns() { # start_dns ADDRESS-OF-echo.test
	[ -n "$DNSMASQ_PID" ] && { kill "$DNSMASQ_PID"; wait "$DNSMASQ_PID" 2>/dev/null; }
	ip netns exec "$OUT" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
		--conf-file=/dev/null --user=root --pid-file= --listen-address="$OUT_IP" \
		--bind-interfaces --address="/echo.test/$1" --log-facility=- >>"$T/dns.log" 2>&1 &
	DNSMASQ_PID=$!
	for _ in $(seq 50); do
		ip netns exec "$OUT" python3 "$PROBE" dns "$OUT_IP" echo.test >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
start_dns "$OUT_IP" || { echo "# dnsmasq did not come up"; cat "$T/dns.log"; exit 1; }

domd_start -v || exit 1
setup_template
bh create sys-net --label red --template tpl --provides-network >/dev/null || exit 1
for kv in "uplink dev:$UP" "uplink_address 192.168.77.2/24" "uplink_gateway $OUT_IP" \
	  "uplink_dns $OUT_IP"; do
	set -- $kv
	bh prefs sys-net "$1" "$2" >/dev/null || exit 1
done
bh create sys-firewall --label green --template tpl --netvm sys-net --provides-network >/dev/null
bh create work --label blue --template tpl --netvm sys-firewall >/dev/null
bh create other --label orange --template tpl --netvm sys-firewall >/dev/null
bh create offline --label gray --template tpl >/dev/null

# in_net VM COMMAND...: runs a host command in the qube's network namespace.
in_net() { local pid; pid=$(vm_pid "$1"); shift; nsenter -t "$pid" -n "$@"; }
probe() { local vm=$1; shift; in_net "$vm" python3 "$PROBE" "$@"; }
# applied NETVM: waits until the netvm's firewall has applied domd's last word.
applied() {
	for _ in $(seq 100); do
		case $(vm_field "$1" network_status) in applied*) return 0 ;; esac
		sleep 0.1
	done
	diag "$1: network_status: $(vm_field "$1" network_status)"; return 1
}
# eventually DESC COMMAND...: true within 5 s (links come up asynchronously).
eventually() {
	local d=$1; shift
	for _ in $(seq 50); do "$@" >/dev/null 2>&1 && { ok 0 "$d"; return; }; sleep 0.1; done
	ok 1 "$d"; "$@" 2>&1 | sed 's/^/#   /'
}
refused() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok 1 "$d"; else ok 0 "$d"; fi; }

check "starting work starts sys-firewall and sys-net" bh start work
check "sys-net applied its configuration" applied sys-net
check "sys-firewall applied its configuration" applied sys-firewall
work_ip=$(vm_field work ip)
fw_ip=$(vm_field sys-firewall ip)
check "work has an address of 10.137.0.0/16" grep -q '^10\.137\.' <<<"$work_ip"
check "work's default route goes through sys-firewall" \
	sh -c "nsenter -t $(vm_pid work) -n ip route | grep -q 'default via $fw_ip dev eth0'"
check "sys-firewall has work's link (vif)" \
	sh -c "nsenter -t $(vm_pid sys-firewall) -n ip -br link | grep -q '^vif'"

diag "no rules, policy accept: everything goes out"
eventually "TCP echo from work to the outside" probe work tcp "$OUT_IP" 7000
check "UDP echo from work to the outside" probe work udp "$OUT_IP" 7000
check "DNS through the virtual address 10.139.1.1 answers echo.test" probe work dns 10.139.1.1 echo.test
check "the outside saw sys-net's uplink address, never a qube's (masquerading)" \
	sh -c "grep -q 'from 192.168.77.2\$' $T/echo.log && ! grep -q 'from 10\.137' $T/echo.log"

diag "rules of work, applied by sys-firewall"
check "policy drop" bh firewall work policy drop
check "add: tcp to the outside's port 7000" bh firewall work add "accept dst4=$OUT_IP proto=tcp dstports=7000"
check "the allowed host:port connects at once" probe work tcp "$OUT_IP" 7000
refused "a port not allowed does not connect" probe work tcp "$OUT_IP" 7001
refused "UDP to the allowed port is not allowed" probe work udp "$OUT_IP" 7000
refused "DNS is dropped without specialtarget=dns" probe work dns 10.139.1.1 echo.test
check "add: specialtarget=dns" bh firewall work add "accept specialtarget=dns"
check "DNS through the virtual address works with specialtarget=dns" probe work dns 10.139.1.2 echo.test
refused "specialtarget=dns does not open the outside's server itself" probe work dns "$OUT_IP" echo.test

diag "dsthost follows the name"
bh firewall work reset >/dev/null && bh firewall work policy drop >/dev/null
check "add: dsthost=echo.test port 7001" bh firewall work add "accept dsthost=echo.test proto=tcp dstports=7001"
check "echo.test ($OUT_IP) port 7001 connects" probe work tcp "$OUT_IP" 7001
refused "$ALT_IP is not echo.test" probe work tcp "$ALT_IP" 7001
check "echo.test now resolves to $ALT_IP" start_dns "$ALT_IP"
check "a rule change re-applies (and resolves again)" bh firewall work add "accept proto=icmp"
check "echo.test ($ALT_IP) connects" probe work tcp "$ALT_IP" 7001
refused "the old address of echo.test does not" probe work tcp "$OUT_IP" 7001
start_dns "$OUT_IP"

diag "expire"
bh firewall work reset >/dev/null && bh firewall work policy drop >/dev/null
check "add: a rule that expires in 3 s" bh firewall work add "accept proto=tcp dstports=7000 expire=$(( $(date +%s) + 3 ))"
check "before it expires it matches" probe work tcp "$OUT_IP" 7000
sleep 4
eventually "once expired it matches no more" sh -c "! nsenter -t $(vm_pid work) -n python3 $PROBE tcp $OUT_IP 7000"

diag "spoofing"
bh firewall work reset >/dev/null
check "work reaches the outside with its own address" probe work tcp "$OUT_IP" 7000
in_net work ip addr add 10.137.0.250/32 dev eth0
refused "a forged source address does not get through" probe work tcp "$OUT_IP" 7000 10.137.0.250
check "sys-firewall counted it on its anti-spoofing rule" sh -c "nsenter -t $(vm_pid sys-firewall) -n \
	iptables-legacy -vnxL FORWARD | awk '/DROP/ && / vif\\+ / && \$1 > 0 { found = 1 } END { exit !found }'"
in_net work ip addr del 10.137.0.250/32 dev eth0

only_lo() { [ "$(nsenter -t "$(vm_pid "$1")" -n ip -o link | awk '{print $2}')" = "lo:" ]; }
diag "a qube without netvm"
check "offline starts" bh start offline
check "offline has loopback only" only_lo offline
probe offline tcp "$OUT_IP" 7000 >/dev/null 2>&1; rc=$?
ok $([ $rc -eq 2 ]; echo $?) "offline has no route out (probe: $rc)"

diag "between AppVMs"
check "other starts" bh start other
other_ip=$(vm_field other ip)
in_net other python3 "$PROBE" serve 7000 >"$T/other-echo.log" 2>&1 &
other_echo=$!
eventually "other reaches the outside" probe other tcp "$OUT_IP" 7000
refused "work (policy accept, no rules) cannot reach other's address" probe work tcp "$other_ip" 7000
check "add: a rule naming other's address" bh firewall work add "accept dst4=$other_ip proto=tcp dstports=7000"
check "now work reaches other" probe work tcp "$other_ip" 7000
refused "and other still cannot reach work" probe other tcp "$work_ip" 7000

vif_of() { echo "vif$(( ($(echo "$1" | cut -d. -f3) << 8) | $(echo "$1" | cut -d. -f4) ))"; }
diag "netvm changes of a running qube"
check "work's netvm becomes sys-net" bh prefs work netvm sys-net
eventually "work reaches the outside through sys-net" probe work tcp "$OUT_IP" 7000
# (The listing must succeed: an empty one would prove nothing.)
check "sys-firewall lost work's link" sh -c "nsenter -t $(vm_pid sys-firewall) -n ip -o link >$T/links &&
	grep -q ' lo:' $T/links && ! grep -q ' $(vif_of "$work_ip")@' $T/links"
check "netvm \"\" is accepted" bh prefs work netvm ""
check "work has loopback only" only_lo work
check "back to sys-firewall" bh prefs work netvm sys-firewall
eventually "work reaches the outside again" probe work tcp "$OUT_IP" 7000

diag "restarting sys-firewall re-applies every rule"
bh firewall work reset >/dev/null && bh firewall work policy drop >/dev/null
bh firewall work add "accept dst4=$OUT_IP proto=tcp dstports=7000" >/dev/null
check "sys-firewall shuts down" bh shutdown --wait sys-firewall
refused "work has no way out meanwhile" probe work tcp "$OUT_IP" 7000
check "sys-firewall starts again" bh start sys-firewall
check "it applied the configuration" applied sys-firewall
eventually "work's allowed port connects" probe work tcp "$OUT_IP" 7000
refused "work's other port still does not" probe work tcp "$OUT_IP" 7001

diag "fail closed"
bh firewall work reset >/dev/null
fw_ip=$(vm_field sys-firewall ip)
printf '%s\n' "netcfg 1" "self $fw_ip" "upstream eth0" \
	"client work $work_ip $(vif_of "$work_ip") accept" "bad its rules could not be read" \
	"client other $other_ip $(vif_of "$other_ip") accept" "end" >"$T/bad.netcfg"
cp "$T/bad.netcfg" "/proc/$(vm_pid sys-firewall)/root/tmp/bad.netcfg"
check "sys-firewall applies a configuration with work's rule set unreadable" \
	in_vm sys-firewall /usr/lib/bulkhead/bulkhead-firewall --apply /tmp/bad.netcfg
refused "work's traffic is dropped" probe work tcp "$OUT_IP" 7000
check "other's is not" probe other tcp "$OUT_IP" 7000
sed 's/^bad .*/rule accept dstports=99999/' "$T/bad.netcfg" >"/proc/$(vm_pid sys-firewall)/root/tmp/bad.netcfg"
in_vm sys-firewall /usr/lib/bulkhead/bulkhead-firewall --apply /tmp/bad.netcfg >"$T/out" 2>&1; rc=$?
ok $([ $rc -eq 1 ] && grep -q "dstports" "$T/out"; echo $?) "a message that does not parse is refused, naming the field"
refused "then no client gets through" probe other tcp "$OUT_IP" 7000
check "domd's next word restores the rules" bh firewall work policy accept
check "work gets through" probe work tcp "$OUT_IP" 7000
check "other gets through" probe other tcp "$OUT_IP" 7000
kill "$other_echo" 2>/dev/null; wait "$other_echo" 2>/dev/null

diag "domd restarts: links and rules stay, the firewalls reconnect"
wpid=$(vm_pid work)
domd_kill9
check "work still reaches the outside while domd is away" \
	nsenter -t "$wpid" -n python3 "$PROBE" tcp "$OUT_IP" 7000
check "domd restarts after a SIGKILL" domd_start -v
check "sys-firewall's bulkhead-firewall is back in touch" applied sys-firewall
check "sys-net's too" applied sys-net
check "a rule change after the restart" bh firewall work add "drop dst4=$OUT_IP proto=tcp dstports=7000"
refused "is applied at once" probe work tcp "$OUT_IP" 7000
check "other is untouched" probe other tcp "$OUT_IP" 7000

diag "sys-net gives a dev: uplink back when it stops (a veth would die with it)"
check "sys-net shuts down" bh shutdown --wait sys-net
check "the uplink is back on the host" ip link show "$UP"
check "sys-net starts again" bh start sys-net
check "it took the uplink again and applied its configuration" applied sys-net
refused "the host no longer has it" ip link show "$UP"
eventually "other reaches the outside again" probe other tcp "$OUT_IP" 7000

OUT6=2001:db8:77::1  # the outside's IPv6 address
ALT6=2001:db8:77::3  # and a second one
UP6=2001:db8:77::2   # sys-net's on the uplink (what SLAAC would give it)
ip -n "$OUT" addr add "$OUT6/64" dev out0 nodad
# Deprecated: never the source of the echo servers' UDP answers, which
# must come from the address asked.
ip -n "$OUT" addr add "$ALT6/64" dev out0 nodad preferred_lft 0
ip6_of() { # Qubes' IPv6 address of a qube's IPv4 one
	local a b c d; IFS=. read -r a b c d <<<"$1"
	printf 'fd09:24ef:4179::%x:%x\n' $(( (a << 8) | b )) $(( (c << 8) | d ))
}
work_ip=$(vm_field work ip)
work6=$(ip6_of "$work_ip")
fw_ip=$(vm_field sys-firewall ip)
fw6_addr=$(ip6_of "$fw_ip")
work_vif=$(vif_of "$work_ip")

diag "IPv6 is off by default: nothing of it leaves a client"
bh firewall work reset >/dev/null
ok $([ "$(vm_field sys-firewall ipv6)" = False ]; echo $?) "ipv6 is off for a new netvm"
check "work has no IPv6 address but link-local" \
	sh -c "[ -z \"\$(nsenter -t $(vm_pid work) -n ip -6 -o addr show scope global)\" ]"
refused "work has no IPv6 route out" probe work tcp "$OUT6" 7000
# Forced by hand, as a hostile qube would: its address, a route via the
# netvm's link-local address.
fw_ll=$(nsenter -t "$(vm_pid sys-firewall)" -n ip -6 -o addr show dev "$work_vif" scope link |
	awk '{ sub("/.*", "", $4); print $4 }')
check "sys-firewall's side of work's link has a link-local address ($fw_ll)" test -n "$fw_ll"
in_net work ip -6 addr add "$work6/128" dev eth0 nodad
in_net work ip -6 route add default via "$fw_ll" dev eth0
refused "a client that sets up IPv6 itself gets nothing through" probe work tcp "$OUT6" 7000
refused "nor UDP" probe work udp "$OUT6" 7000
# nsenter execs the server: $! is its pid, and killing it lets the
# namespace go when sys-firewall stops.
nsenter -t "$(vm_pid sys-firewall)" -n python3 "$PROBE" serve 7002 >"$T/fw-echo.log" 2>&1 &
fw_echo=$!
eventually "sys-firewall listens on 7002 (reachable from itself)" in_net sys-firewall python3 "$PROBE" tcp ::1 7002
refused "nor does it reach the netvm over the link-local address" probe work tcp "$fw_ll%eth0" 7002
kill "$fw_echo" 2>/dev/null; wait "$fw_echo" 2>/dev/null
in_net work ip -6 route del default via "$fw_ll" dev eth0
in_net work ip -6 addr del "$work6/128" dev eth0

diag "ipv6 on the netvms: clients get IPv6 through the chain"
check "set ipv6 on sys-net" bh prefs sys-net ipv6 1
check "set ipv6 on sys-firewall" bh prefs sys-firewall ipv6 1
check "sys-firewall shuts down" bh shutdown --wait sys-firewall
check "sys-net shuts down" bh shutdown --wait sys-net
check "sys-net starts" bh start sys-net
check "sys-net applied its configuration" applied sys-net
# What SLAAC gives a Qubes sys-net: an address and a default route.
in_net sys-net ip -6 addr add "$UP6/64" dev "$UP" nodad
in_net sys-net ip -6 route add default via "$OUT6" dev "$UP"
check "sys-firewall starts" bh start sys-firewall
check "sys-firewall applied its configuration" applied sys-firewall
check "work has its IPv6 address ($work6)" \
	sh -c "nsenter -t $(vm_pid work) -n ip -6 -o addr show dev eth0 | grep -q ' $work6/128 '"
check "work's IPv6 default route goes through sys-firewall ($fw6_addr)" \
	sh -c "nsenter -t $(vm_pid work) -n ip -6 route | grep -q 'default via $fw6_addr dev eth0'"
check "sys-firewall has its IPv6 address from sys-net" \
	sh -c "nsenter -t $(vm_pid sys-firewall) -n ip -6 -o addr show dev eth0 | grep -q ' $fw6_addr/128 '"

diag "IPv6 packets: no rules, policy accept"
eventually "TCP over IPv6 from work to the outside" probe work tcp "$OUT6" 7000
check "UDP over IPv6 too" probe work udp "$OUT6" 7000
check "the outside saw sys-net's IPv6 address, never a qube's (masquerading)" \
	sh -c "grep -q 'from $UP6\$' $T/echo.log && ! grep -q 'from fd09:' $T/echo.log"
check "IPv4 still works" probe work tcp "$OUT_IP" 7000

diag "IPv6 packets: rules"
check "policy drop" bh firewall work policy drop
check "add: dst6 port 7000" bh firewall work add "accept dst6=$OUT6 proto=tcp dstports=7000"
check "add (Qubes' form): dsthost=IPv6 address port 7001" \
	bh firewall work add "action=accept dsthost=$ALT6 proto=tcp dstports=7001"
check "add: IPv4 to the outside" bh firewall work add "accept dst4=$OUT_IP"
check "the allowed IPv6 host:port connects" probe work tcp "$OUT6" 7000
refused "a port not allowed over IPv6 does not" probe work tcp "$OUT6" 7001
check "dsthost with an IPv6 address is a dst6 rule" probe work tcp "$ALT6" 7001
refused "which allows that address only" probe work tcp "$ALT6" 7000
refused "UDP over IPv6 is not allowed" probe work udp "$OUT6" 7000
check "the dst4 rule lets IPv4 through" probe work tcp "$OUT_IP" 7001
check "add: a network in CIDR form" bh firewall work add "accept dsthost=2001:db8:77::/64 proto=udp"
check "UDP to the network now goes" probe work udp "$OUT6" 7000
ok $(bh firewall work list --format=qubes | grep -q "^2  action=accept proto=tcp dst6=$ALT6/128 dstports=7001-7001\$"; echo $?) \
	"rules in Qubes' form list back"

diag "IPv6 anti-spoofing"
bh firewall work reset >/dev/null
check "work reaches the outside over IPv6 with its own address" probe work tcp "$OUT6" 7000
in_net work ip -6 addr add "$(ip6_of 10.137.0.250)/128" dev eth0 nodad
in_net work ip -6 addr add 2001:db8:99::5/128 dev eth0 nodad
refused "a forged qube address does not get through" probe work tcp "$OUT6" 7000 "$(ip6_of 10.137.0.250)"
refused "nor a forged global one" probe work tcp "$OUT6" 7000 2001:db8:99::5
check "sys-firewall counted them on its IPv6 anti-spoofing rule" sh -c "nsenter -t $(vm_pid sys-firewall) -n \
	ip6tables-legacy -vnxL FORWARD | awk '/DROP/ && / vif\\+ / && \$1 > 0 { found = 1 } END { exit !found }'"
in_net work ip -6 addr del "$(ip6_of 10.137.0.250)/128" dev eth0
in_net work ip -6 addr del 2001:db8:99::5/128 dev eth0
other6=$(ip6_of "$(vm_field other ip)")
nsenter -t "$(vm_pid other)" -n python3 "$PROBE" serve 7000 >"$T/other-echo6.log" 2>&1 &
other_echo=$!
eventually "other reaches the outside over IPv6" probe other tcp "$OUT6" 7000
refused "work cannot reach other's IPv6 address without a rule" probe work tcp "$other6" 7000
kill "$other_echo" 2>/dev/null; wait "$other_echo" 2>/dev/null
check "work's IPv6 chain is in sys-firewall's ip6tables" \
	nsenter -t "$(vm_pid sys-firewall)" -n ip6tables-legacy -S "bh-$work_ip"

tap_end
