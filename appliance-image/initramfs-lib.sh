# Helpers to fill an initramfs tree and pack it reproducibly; sourced by
# build-xen-image.  $root is the tree being filled, $LIBPATH the library
# folders searched before the host's (the unpacked Debian packages).

MULTIARCH=usr/lib/x86_64-linux-gnu

# The skeleton: /lib and /lib64 point into /usr as on Debian.
ird_skeleton() {
	mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib64,$MULTIARCH,etc,dev,proc,sys,run,tmp,root,var}
	ln -s usr/bin "$root/bin"
	ln -s usr/sbin "$root/sbin"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	ln -s ../run "$root/var/run"
	chmod 1777 "$root/tmp"
	chmod 0700 "$root/root"
}

# A static busybox with one symlink per applet (never over a real file).
ird_busybox() {
	local bb=$1 app
	LC_ALL=C readelf -l "$bb" | grep -q 'program interpreter' && die "$bb is not static"
	install -m 0755 "$bb" "$root/usr/bin/busybox"
	while IFS= read -r app; do
		case $app in bin/*|sbin/*|usr/bin/*|usr/sbin/*) ;; *) continue ;; esac
		app=usr/${app#usr/}
		[ -e "$root/$app" ] || [ -L "$root/$app" ] && continue
		ln -s /usr/bin/busybox "$root/$app"
	done < <("$bb" --list-full | LC_ALL=C sort)
}

# An ELF program at DEST inside the tree, with every library ldd names
# (looked up in $LIBPATH first) in the multiarch folder, and the loader.
ird_elf() {
	local src=$1 dest=$2 line name path
	[ -x "$src" ] || die "$src: not found (build it first)"
	install -D -m 0755 "$src" "$root/$dest"
	LC_ALL=C readelf -l "$src" | grep -q 'program interpreter' || return 0
	while IFS= read -r line; do
		case $line in
		*"not found"*) die "$src needs a library that is not there: $line" ;;
		*"=> /"*) name=${line%% =>*}; name=${name//[[:space:]]/}
			  path=${line#*=> }; path=${path%% (*}
			  ird_lib "$path" "$name" ;;
		*/ld-linux*) path=${line%% (*}; path=${path//[[:space:]]/}
			  [ -e "$root/usr/lib64/${path##*/}" ] ||
				install -m 0755 "$(readlink -f "$path")" "$root/usr/lib64/${path##*/}" ;;
		esac
	done < <(LD_LIBRARY_PATH=$LIBPATH ldd "$src")
}

ird_lib() {
	local path=$1 name=$2
	[ -e "$root/$MULTIARCH/$name" ] && return 0
	install -m 0644 "$(readlink -f "$path")" "$root/$MULTIARCH/$name"
}

# Kernel modules NAME... with what they depend on (read from each module's
# .modinfo), copied under /lib/modules/KVER and listed in load order in
# /etc/bulkhead/modules, which init feeds to insmod.
ird_modules() {
	local kdir=$1; shift
	local kver=${kdir##*/} m
	mkdir -p "$root/etc/bulkhead"
	: > "$root/etc/bulkhead/modules"
	for m in "$@"; do ird_module "$kdir" "$kver" "$m"; done
}

ird_module() {
	local kdir=$1 kver=$2 name=$3 ko rel deps d
	grep -qx "[^ ]*/$name.ko" "$root/etc/bulkhead/modules" 2>/dev/null && return 0
	ko=$(find "$kdir/kernel" -name "$name.ko" -print -quit)
	[ -n "$ko" ] || ko=$(find "$kdir/kernel" -name "${name//-/_}.ko" -print -quit)
	[ -n "$ko" ] || die "kernel module $name not found in $kdir"
	deps=$(objcopy -O binary --only-section=.modinfo "$ko" /dev/stdout | tr '\0' '\n' |
	       sed -n 's/^depends=//p')
	for d in ${deps//,/ }; do ird_module "$kdir" "$kver" "$d"; done
	rel=lib/modules/$kver/${ko#"$kdir"/}
	install -D -m 0644 "$ko" "$root/usr/$rel"
	echo "/$rel" >> "$root/etc/bulkhead/modules"
}

# Packs the tree: sorted names, owner root, every mtime $epoch, gzip -n.
ird_pack() {
	local out=$1
	find "$root" -exec touch -h -d "@$epoch" {} +
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	 cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -n -6 > "$out.tmp"
	mv "$out.tmp" "$out"
}
