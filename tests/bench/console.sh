#!/bin/bash
# Benchmark: the console (`bulkhead console`) with many qubes defined, and
# what it costs on a serial line.
#
# Defines BENCH_QUBES (default 500) app qubes through the API, then prints
#  - the time to build and draw a full frame: `console --bench-frames N`
#    (hidden option) rebuilds the table (filter, sort by another column each
#    frame) and repaints every cell, in a pseudo-terminal that this script
#    drains; at 80x24 and 132x43, xterm-256color and vt100. Baseline: the
#    same with only the template defined (same run).
#  - the bytes written to the terminal, counted on the pty master, at 80x24
#    with xterm-256color, vt220 (the appliance's serial console) and vt100:
#    when one qube changes state (pause, unpause, kill: running -> halted,
#    start: halted -> running with its first stats) of a qube on screen,
#    each measured from the CLI command until the terminal has been quiet
#    for 0.4 s, started just after a stats refresh so that none falls
#    inside; a stats refresh with one running qube; the selection moving
#    one row past the bottom (the table scrolls by one); and
#    BENCH_IDLE_SECS (default 60) with nothing changing (no qube running).
#    Each with its time on the line at 9600 baud (8N1: 10 bits a byte).
#    Baseline: the first full frame; and with BENCH_BASELINE_REF=REF (a git
#    ref, e.g. main) the same figures for that ref's console (built from
#    `git archive REF` in a temporary directory), printed beside.
#
#   tests/bench/console.sh   (from the repo root, as root, after `make all template`)
#
# Goals (issues 5, 23): <= 5 ms per full frame; <= 200 bytes (<= 0.25 s at
# 9600 baud) for a one-row change; 0 bytes while nothing changes.
# Prints figures and ratios; exits non-zero only on a functional failure.
set -eu
BH_NAME=console
# shellcheck source=tests/bench/common.bash
. tests/bench/common.bash 2>/dev/null || { echo "console: run from the repo root" >&2; exit 1; }

Q=${BENCH_QUBES:-500}
FRAMES=${BENCH_FRAMES:-200}
case "$Q" in '' | *[!0-9]* | 0) bh_die "BENCH_QUBES must be a positive integer (got '$Q')" ;; esac
case "$FRAMES" in '' | *[!0-9]* | 0) bh_die "BENCH_FRAMES must be a positive integer (got '$FRAMES')" ;; esac
IDLE=${BENCH_IDLE_SECS:-60}
case "$IDLE" in '' | *[!0-9]* | 0) bh_die "BENCH_IDLE_SECS must be a positive integer (got '$IDLE')" ;; esac
command -v python3 >/dev/null || bh_die "python3 is needed to drive the pseudo-terminal"

bh_preflight
bh_setup
bh_cc scale_client
bh_start_domd
SOCK=$BH_SOCK
CLI=$PWD/$BH_CLI

# The pseudo-terminal driver: runs the console on a pty of a given size,
# drains and counts what it writes, and triggers CLI commands.
cat > "$BH_T/ptydrive.py" <<'PY'
import curses, fcntl, os, pty, re, select, struct, subprocess, sys, termios, time

cli, sock, mode = sys.argv[1], sys.argv[2], sys.argv[3]

def spawn(cols, rows, term, args):
    pid, fd = pty.fork()
    if pid == 0:
        # The size is set before the console starts: no resize to race with.
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.environ["TERM"] = term
        os.environ.pop("NO_COLOR", None)
        os.execv(cli, [cli, "--socket", sock, "console"] + args)
    return pid, fd

class Reader:
    def __init__(self, fd):
        self.fd, self.total, self.last, self.data = fd, 0, time.monotonic(), b""
    def pump(self, timeout):
        """Reads for up to timeout s; returns bytes read."""
        n, end = 0, time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return n
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                return n
            try:
                b = os.read(self.fd, 65536)
            except OSError:
                return -1 if n == 0 else n
            if not b:
                return -1 if n == 0 else n
            n += len(b); self.total += len(b); self.last = time.monotonic()
            self.data = (self.data + b)[-65536:]
    def quiet(self, secs, limit):
        """Reads until secs without output (or limit s); returns bytes read."""
        n, start = 0, time.monotonic()
        while time.monotonic() - start < limit:
            k = self.pump(secs)
            if k <= 0:
                return n
            n += k
        return n
    def burst(self, limit):
        """Waits for output, then for 0.1 s of quiet; False if none came."""
        if self.pump(limit) <= 0:
            return False
        self.quiet(0.1, 1.0)
        return True

def frames(cols, rows, term, n):
    pid, fd = spawn(cols, rows, term, ["--bench-frames", str(n)])
    rd = Reader(fd)
    while rd.pump(5) > 0:
        pass
    os.waitpid(pid, 0)
    os.close(fd)
    m = re.search(r"bench-frames: (\d+) frames of (\d+) rows: mean ([0-9.]+) ms, "
                  r"min ([0-9.]+) ms, max ([0-9.]+) ms", rd.data.decode("ascii", "replace"))
    if m:
        print(m.group(3), m.group(4), m.group(5), m.group(2), rd.total // max(n, 1))
        return
    sys.exit("no bench-frames line from the console: %r" % rd.data[-300:])

def cli_run(*args):
    subprocess.run([cli, "--socket", sock] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def change(rd, ticking, *args, keys=None):
    """Bytes written for one change (a CLI command, or keys typed),
    started right after a stats refresh."""
    if ticking:
        rd.burst(3.0)
    else:
        rd.quiet(0.5, 5.0)
    before = rd.total
    if keys is not None:
        os.write(rd.fd, keys)
    else:
        cli_run(*args)
    rd.quiet(0.4, 1.7)
    return rd.total - before

def rows(cols, rows_, term, vm, idle):
    pid, fd = spawn(cols, rows_, term, [])
    rd = Reader(fd)
    first = rd.quiet(0.5, 10.0)           # the first full frame (and first stats)
    t0 = rd.total
    rd.burst(3.0)                          # a stats refresh (one running qube)
    tick = rd.total - t0
    out = {"first": first, "tick": tick}
    out["pause"] = change(rd, True, "pause", vm)
    out["unpause"] = change(rd, True, "unpause", vm)
    out["kill"] = change(rd, True, "kill", vm)
    rd.quiet(0.5, 5.0)
    before = rd.total; rd.pump(float(idle)); out["idle"] = rd.total - before
    out["start"] = change(rd, False, "start", vm)
    # Down to the last row shown (rows_ - 4 rows of qubes), then one more,
    # as this terminal type's Down key.
    curses.setupterm(term, fd)
    down = curses.tigetstr("kcud1")
    os.write(fd, down * (rows_ - 5))
    rd.quiet(0.4, 3.0)
    out["scroll"] = change(rd, True, keys=down)
    os.write(fd, b"q")
    rd.quiet(0.3, 3.0)
    os.waitpid(pid, 0)
    os.close(fd)
    print(" ".join("%s=%d" % kv for kv in out.items()))

if mode == "frames":
    frames(int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], int(sys.argv[7]))
else:
    rows(int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7], sys.argv[8])
PY
drive() { python3 "$BH_T/ptydrive.py" "$CLI" "$SOCK" "$@"; }
drive_base() { python3 "$BH_T/ptydrive.py" "$BASE_CLI" "$SOCK" "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v v="$1" -v g="$2" 'BEGIN { print (v <= g) ? "meets" : "MISSES" }'; }
# Seconds on a 9600-baud line (10 bits a byte).
at9600() { awk -v b="$1" 'BEGIN { printf "%.2f", b * 10 / 9600 }'; }

# The console of BENCH_BASELINE_REF, for the figures before a change.
BASE_CLI=
if [ -n "${BENCH_BASELINE_REF:-}" ]; then
	ref=$BENCH_BASELINE_REF
	git rev-parse -q --verify "$ref^{commit}" >/dev/null || bh_die "BENCH_BASELINE_REF: no commit '$ref'"
	mkdir -p "$BH_T/base"
	git archive "$ref" | tar -x -C "$BH_T/base" || bh_die "git archive $ref failed"
	make -C "$BH_T/base" -j2 build/bulkhead > "$BH_T/base.log" 2>&1 ||
		{ tail -20 "$BH_T/base.log" >&2; bh_die "cannot build $ref's console"; }
	BASE_CLI=$BH_T/base/build/bulkhead
	BASE_NAME="$ref ($(git rev-parse --short "$ref"))"
fi

"$CLI" --socket "$SOCK" template import tpl "$PWD/$BH_TPL" > /dev/null || bh_die "template import"

# --- baseline: frames with one qube (the template)
declare -A base
for size in 80x24 132x43; do
	out=$(drive frames "${size%x*}" "${size#*x}" xterm-256color "$FRAMES") || bh_die "console --bench-frames failed"
	read -r mean _ _ _ _ <<< "$out"
	base[$size]=$mean
done

# --- the qubes
secs=$("$BH_T/bin/scale_client" create "$SOCK" tpl q "$Q")
echo "console: defined $Q app qubes (+ template tpl) in ${secs} s"

for term in xterm-256color vt100; do
	for size in 80x24 132x43; do
		out=$(drive frames "${size%x*}" "${size#*x}" "$term" "$FRAMES") || bh_die "console --bench-frames failed"
		read -r mean min max nrows bytes <<< "$out"
		[ "$nrows" = $((Q + 1)) ] || bh_die "the console's table had $nrows rows, expected $((Q + 1))"
		b=${base[$size]}
		echo "console: full frame $size $term: mean $mean ms (min $min, max $max) over $FRAMES frames, $nrows qubes," \
			"$bytes bytes/frame; vs 1 qube ${b} ms ratio $(ratio "$mean" "$b") -- goal <= 5 ms: $(verdict "$mean" 5)"
	done
done

# --- bytes for a one-row change: q102 is on screen (rows sorted by name:
# q1 q10 q100 q101 q102 ...), not the selected row (q10 with fewer qubes).
VM=q102
[ "$Q" -ge 102 ] || VM=q10
[ "$Q" -ge 10 ] || bh_die "BENCH_QUBES: at least 10 for the byte counts"
BH_QUBES+=("$VM")
"$CLI" --socket "$SOCK" start "$VM" > /dev/null || bh_die "start $VM"
restart_vm() {
	"$CLI" --socket "$SOCK" kill "$VM" > /dev/null 2>&1 || true
	"$CLI" --socket "$SOCK" start "$VM" > /dev/null || bh_die "start $VM"
}
# cost VALUE [BASE]: one figure in bytes, its time at 9600 baud, the baseline.
cost() {
	local s
	s="$1 bytes ($(at9600 "$1") s at 9600 baud)"
	[ -z "${2:-}" ] || s="$s; $BASE_NAME: $2 bytes ($(at9600 "$2") s)"
	echo "$s"
}
for term in xterm-256color vt220 vt100; do
	out=$(drive rows 80 24 "$term" "$VM" "$IDLE") || bh_die "the pty driver failed"
	restart_vm
	declare -A f=() old=()
	for kv in $out; do f[${kv%%=*}]=${kv#*=}; done
	if [ -n "$BASE_CLI" ]; then
		out=$(drive_base rows 80 24 "$term" "$VM" "$IDLE") || bh_die "the pty driver failed (baseline)"
		restart_vm
		for kv in $out; do old[${kv%%=*}]=${kv#*=}; done
	fi
	echo "console: bytes to the terminal, 80x24 $term:"
	echo "console:   first full frame: $(cost "${f[first]}" "${old[first]:-}")"
	echo "console:   stats refresh (1 running): $(cost "${f[tick]}" "${old[tick]:-}")"
	echo "console:   ${IDLE} s with nothing changing: $(cost "${f[idle]}" "${old[idle]:-}") -- goal 0: $(verdict "${f[idle]}" 0)"
	for ch in pause unpause kill start; do
		echo "console:   $ch $VM: $(cost "${f[$ch]}" "${old[$ch]:-}"), vs the full frame ratio $(ratio "${f[$ch]}" "${f[first]}")" \
			"-- goal <= 200 bytes, <= 0.25 s: $(verdict "${f[$ch]}" 200)"
	done
	echo "console:   Down past the last row (scrolls by one): $(cost "${f[scroll]}" "${old[scroll]:-}")"
done
kill -0 "$BH_DOMD_PID" 2>/dev/null || bh_die "domd died"
