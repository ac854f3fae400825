#!/bin/bash
# Every program the Makefile builds answers --help (its usage on stdout,
# exit 0) and --version ("NAME VERSION", exit 0), with nothing on stderr,
# without a daemon or a qube: the agent answers outside a qube (not PID 1),
# and so do the programs it is under other names (bulkhead-rpc,
# bulkhead-copy, bulkhead-move, the bulkhead.Filecopy service).
. tests/integration/lib.sh

version=$(sed -n 's/^VERSION := *//p' Makefile)
ok $(echo "$version" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$'; echo $?) "the Makefile's VERSION ($version)"

# The programs of `make all`: the agent is always in build/ (static, never
# sanitised), the others in $BUILD.
want="bulkhead bulkhead-domd bulkhead-guard bulkhead-firewall bulkhead-usbproxy bulkhead-gateway bulkhead-gui-agent bulkhead-xen-block"
progs=()
missing=
for p in $want; do
	if [ -x "$BUILD/$p" ]; then progs+=("$PWD/$BUILD/$p"); else missing="$missing $p"; fi
done
[ -x build/bulkhead-agent ] && progs+=("$PWD/build/bulkhead-agent") || missing="$missing bulkhead-agent"
ok $([ -z "$missing" ]; echo $?) "every program is built${missing:+ (missing:$missing)}"
# A program added to the build is checked too.
for f in "$BUILD"/bulkhead*; do
	case $f in *.d | *.a) continue ;; esac
	[ -f "$f" ] && [ -x "$f" ] || continue
	case " $want bulkhead-agent " in *" $(basename "$f") "*) ;; *) progs+=("$PWD/$f") ;; esac
done
# The agent's other names, as a template has them.
mkdir -p "$T/bin"
for n in bulkhead-rpc bulkhead-copy bulkhead-move bulkhead.Filecopy; do
	ln -s "$PWD/build/bulkhead-agent" "$T/bin/$n"
	progs+=("$T/bin/$n")
done

# run PROG ARG: in an empty folder, stdin empty, outside any qube; stdout,
# stderr and the exit status in $T/out, $T/err and $rc.
mkdir -p "$T/empty"
run() {
	(cd "$T/empty" && exec env -u BULKHEAD_AGENT_TEST -u BULKHEAD_SOCKET timeout 10 "$1" "$2") \
		</dev/null >"$T/out" 2>"$T/err"
	rc=$?
}
show() { sed 's/^/#   out: /' "$T/out" | head -5; sed 's/^/#   err: /' "$T/err" | head -10; }

for prog in "${progs[@]}"; do
	name=$(basename "$prog")
	run "$prog" --help
	usage_ok=1
	# The usage line names the program.
	grep -Eiq "^usage:( |\$)" "$T/out" && grep -Fq "$name" "$T/out" && usage_ok=0
	ok $([ $rc -eq 0 ] && [ $usage_ok -eq 0 ] && [ "$(wc -l <"$T/out")" -ge 2 ] && [ ! -s "$T/err" ]; echo $?) \
		"$name --help: usage on stdout, exit 0 (got $rc)"
	[ $rc -eq 0 ] && [ $usage_ok -eq 0 ] && [ ! -s "$T/err" ] || show
	run "$prog" --version
	ok $([ $rc -eq 0 ] && [ "$(cat "$T/out")" = "$name $version" ] && [ ! -s "$T/err" ]; echo $?) \
		"$name --version: '$name $version', exit 0 (got $rc: '$(head -1 "$T/out")')"
	[ $rc -eq 0 ] && [ ! -s "$T/err" ] || show
done

# A mistake is still one: an unknown option is refused (exit 2) on stderr.
for prog in "$PWD/$BUILD/bulkhead-gateway" "$PWD/$BUILD/bulkhead-firewall" "$PWD/$BUILD/bulkhead-usbproxy" \
	"$PWD/$BUILD/bulkhead-xen-block" "$PWD/$BUILD/bulkhead-guard"; do
	run "$prog" --no-such-option
	ok $([ $rc -eq 2 ] && [ ! -s "$T/out" ] && grep -qi usage "$T/err"; echo $?) \
		"$(basename "$prog") --no-such-option: refused, exit 2 (got $rc)"
done

echo "1..$tap_n"
[ "$tap_failed" -eq 0 ]
