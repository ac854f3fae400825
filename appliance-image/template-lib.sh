# Shared by build-template (the minimal template) and build-debian-template
# (the X-capable one), sourced: what every template root carries of
# Bulkhead, and how a finished tree replaces the old one.  The caller
# defines die() and a trap that removes "$old" (set here) at exit.

# template_add_bulkhead ROOT AGENT [PROGRAM...]: the agent as /sbin/init and
# as the qube's RPC programs; each PROGRAM in /usr/lib/bulkhead with the
# shared libraries ldd names that ROOT lacks; the services they bring; the
# qube's DNS addresses.
template_add_bulkhead() {
	local root=$1 agent=$2 p name lib t d
	shift 2
	mkdir -p -- "$root/sbin" "$root/usr/bin" "$root/etc/bulkhead/rpc"
	install -m 0755 -- "$agent" "$root/sbin/init"
	# The agent is also the qube's RPC programs, chosen by the name it runs as.
	for name in bulkhead-rpc bulkhead-copy bulkhead-move bulkhead-updates-forward; do
		ln -sfn ../../sbin/init "$root/usr/bin/$name"
	done
	ln -sfn ../../../sbin/init "$root/etc/bulkhead/rpc/bulkhead.Filecopy"

	# The programs are dynamically linked (libiptc, libusb, xcb): each brings
	# the libraries ldd names, at the same paths, and the loader.
	for p in "$@"; do
		install -D -m 0755 -- "$p" "$root/usr/lib/bulkhead/$(basename -- "$p")"
		ldd "$p" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | LC_ALL=C sort -u |
		while IFS= read -r lib; do
			[ -f "$lib" ] || die "ldd named '$lib', which is not a file"
			[ -e "$root$lib" ] || install -D -m 0755 -- "$(readlink -f -- "$lib")" "$root$lib"
		done
	done
	if [ -e "$root/usr/lib/bulkhead/bulkhead-usbproxy" ]; then
		# A USB qube's service; domd allows a call to it only for an attach,
		# and as root (usbfs).
		cat > "$root/etc/bulkhead/rpc/bulkhead.USB" <<'USB'
#!/bin/sh
# bulkhead.USB+DEVICE: serves DEVICE (a bus id like 1-1, or VID.PID) over
# USB/IP on this call's channel.
exec /usr/lib/bulkhead/bulkhead-usbproxy export "$BULKHEAD_RPC_ARG"
USB
		# How dom0's `bulkhead usb list` reads the devices (a per-qube
		# /rw/config/rpc/bulkhead.USBList comes first, as for services).
		cat > "$root/etc/bulkhead/rpc/bulkhead.USBList" <<'USBLIST'
#!/bin/sh
exec /usr/lib/bulkhead/bulkhead-usbproxy list
USBLIST
		chmod 0755 "$root/etc/bulkhead/rpc/bulkhead.USB" "$root/etc/bulkhead/rpc/bulkhead.USBList"
	fi
	if [ -e "$root/usr/lib/bulkhead/bulkhead-updates-proxy" ] &&
	   [ -e "$root/usr/lib/bulkhead/tinyproxy" ]; then
		# A netvm's service for templates' package managers (policy
		# decides which templates reach which netvm): one checked request
		# per call, carried by tinyproxy on the netvm's loopback.
		ln -sfn ../../../usr/lib/bulkhead/bulkhead-updates-proxy \
			"$root/etc/bulkhead/rpc/bulkhead.UpdatesProxy"
		cat > "$root/etc/bulkhead/tinyproxy.conf" <<'TINYPROXY'
# tinyproxy for bulkhead.UpdatesProxy (started by bulkhead-updates-proxy):
# the netvm's loopback only, tunnels to port 443 only; the service lets
# only GET, HEAD and CONNECT requests through to it.
Port 8082
Listen 127.0.0.1
Allow 127.0.0.1
ConnectPort 443
Timeout 300
MaxClients 64
DisableViaHeader Yes
LogLevel Warning
LogFile "/tmp/bulkhead-tinyproxy.log"
PidFile "/tmp/bulkhead-tinyproxy.pid"
TINYPROXY
		chmod 0644 "$root/etc/bulkhead/tinyproxy.conf"
	fi
	if [ -e "$root/usr/lib/bulkhead/bulkhead" ]; then
		# The CLI and console for a management qube: inside a qube they
		# reach domd through bulkhead.admin.* calls (policy decides).
		ln -sfn ../lib/bulkhead/bulkhead "$root/usr/bin/bulkhead"
		for t in l/linux v/vt100 v/vt220 x/xterm x/xterm-256color s/screen \
		    s/screen-256color t/tmux t/tmux-256color; do
			for d in /lib/terminfo /usr/share/terminfo; do
				if [ -e "$d/$t" ] && [ ! -e "$root$d/$t" ]; then
					install -D -m 0644 -- "$d/$t" "$root$d/$t"
				fi
			done
		done
	fi
	# Every qube asks the two virtual DNS addresses; its netvm forwards them.
	rm -f -- "$root/etc/resolv.conf"
	cat > "$root/etc/resolv.conf" <<'RESOLV'
nameserver 10.139.1.1
nameserver 10.139.1.2
options timeout:2 attempts:2
RESOLV
	chmod 0644 "$root/etc/resolv.conf"
}

# template_swap_in TMP OUT EPOCH INPUT...: every mtime in TMP becomes EPOCH
# but the stamp's, which takes the newest INPUT's (make compares it with
# them); then TMP replaces OUT by rename, so readers see either the old or
# the new complete tree.
template_swap_in() {
	local tmp=$1 out=$2 epoch=$3 newest parent
	shift 3
	parent=$(dirname -- "$out")
	find "$tmp" -exec touch -h -d "@$epoch" {} +
	newest=$(find -L "$@" -maxdepth 0 -printf '%T@ %p\n' |
		 LC_ALL=C sort -n | tail -n1 | cut -d' ' -f2-)
	touch -r "$newest" "$tmp/.stamp"
	touch -h -d "@$epoch" "$tmp"

	if [ -e "$out" ] || [ -L "$out" ]; then
		old=$(mktemp -d -- "$parent/.root.old.XXXXXX")
		mv -T -- "$out" "$old/root"
	fi
	mv -T -- "$tmp" "$out"
	# A rename within one directory leaves the tree's mtime alone on ext4 and
	# tmpfs; set it again for file systems that do not.
	touch -h -d "@$epoch" "$out"
}
