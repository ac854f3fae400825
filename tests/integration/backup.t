#!/bin/bash
# bulkhead backup: three qubes with private data (a large file, a tree with
# symlinks, odd names, other owners) backed up into a file and into a qube
# over RPC, verified, restored under new names with the same files,
# settings, tags and firewall; a wrong passphrase, a flipped byte, a
# truncation, reordered chunks and hostile archives each refused with one
# line and nothing written; conflicts renamed or skipped; running qubes
# untouched; a missing template refused unless --template.
. tests/integration/lib.sh

FORGE=$PWD/$BUILD/tests/backup-forge
MB=${BACKUP_MB:-200}
mkdir -p "$T/cfg/policy.d"
printf 'bulkhead.Filecopy * work personal allow\n' >"$T/cfg/policy.d/50-backup-test.policy"
domd_start || exit 1
setup_template
echo 'correct horse battery staple' >"$T/pass"
echo 'wrong horse' >"$T/wrong"
PF=(--passphrase-file "$T/pass")

for q in work personal vault; do bh create $q --class app --label blue --template tpl >/dev/null; done
bh create busy --class app --label red --template tpl >/dev/null
bh create store --class app --label gray --template tpl >/dev/null
bh tag work add projects >/dev/null; bh tag work add backed-up >/dev/null
bh tag personal add home >/dev/null
bh firewall work add "accept proto=tcp dsthost=example.org dstports=443" >/dev/null
bh firewall work add "accept specialtarget=dns" >/dev/null
bh firewall work policy drop >/dev/null
bh firewall vault policy drop >/dev/null
bh prefs personal memory 300 >/dev/null

# The files of a qube's home: names, modes, owners, types, link targets and
# sha256 of every regular file, sorted.
MANIFEST='cd /home/user && find . | LC_ALL=C sort | while IFS= read -r f; do
	if [ -L "$f" ]; then echo "$(stat -c "%n %A %u %g" "$f") -> $(readlink "$f")";
	elif [ -f "$f" ]; then echo "$(stat -c "%n %A %u %g %s" "$f") $(sha256sum <"$f" | cut -d" " -f1)";
	else stat -c "%n %A %u %g" "$f"; fi; done'

bh start work personal vault >/dev/null
bh run --user root work -- "cd /home/user && dd if=/dev/urandom of=big bs=1M count=$MB 2>/dev/null &&
	mkdir -p 'tree/sub dir/deep' tree/empty && echo one >tree/a && echo two >'tree/sub dir/b c' &&
	printf 'x' >\"tree/q'uote\\\"s\" && echo star >'tree/*glob?' && echo utf >'tree/caf\303\251' &&
	ln -s ../big tree/link-up && ln -s 'sub dir/b c' tree/link-in && ln -s /etc/hostname tree/abs-link &&
	ln -s missing tree/dangling && chmod 700 'tree/sub dir' && chmod 4750 tree/a && chmod 600 'tree/sub dir/b c' &&
	echo rootfile >tree/root-owned && chown 0:0 tree/root-owned && chown -h 1234:5678 tree/link-in &&
	chown 1000:1000 -R . 2>/dev/null; chown 0:0 tree/root-owned; chown 4321:99 tree/empty; chmod 4750 tree/a"
bh run personal -- 'echo personal data > notes; mkdir -p docs; for i in 1 2 3 4 5; do echo "doc $i" > docs/$i.txt; done'
bh run vault -- 'for i in $(seq 64); do echo PLAINTEXT-MARKER-4f1c; done > secret; chmod 400 secret'
for q in work personal vault; do bh run $q -- "$MANIFEST" >"$T/$q.manifest"; done
ok $([ "$(grep -c . "$T/work.manifest")" -ge 14 ] && grep -q "tree/link-up .* -> ../big" "$T/work.manifest" && grep -q "rwsr-x---" "$T/work.manifest" && grep -q "root-owned -rw-r--r-- 0 0" "$T/work.manifest"; echo $?) "work's home: a $MB MiB file, a tree with symlinks, odd names, other owners, setuid"
for q in work personal vault; do bh shutdown --wait $q >/dev/null; done
bh start busy store >/dev/null
busy_pid=$(vm_pid busy)

settings() { # the settings that a restore keeps
	bh --json prefs "$1" | python3 -c 'import json,sys; o=json.load(sys.stdin)
for k in ("name","uuid","uid_base","ip","state","state_reason","pid","backend"): o.pop(k, None)
print(json.dumps(o, sort_keys=True))'
	bh firewall "$1" list
	bh tag "$1" list
}
for q in work personal vault; do settings $q >"$T/$q.settings"; done
qubes_now() { bh --json ls | python3 -c 'import json,sys; print(" ".join(sorted(v["name"] for v in json.load(sys.stdin))))'; }
leftovers() { ls -A "$T/state/qubes" | grep -c '^\.restore' ; }

# --- create ---
out=$(bh backup create busy --to "$T/busy.bk" "${PF[@]}" 2>&1); rc=$?
ok $([ $rc -eq 1 ] && [ ! -e "$T/busy.bk" ] && echo "$out" | grep -q "running.*--allow-running" && [ "$(echo "$out" | wc -l)" -eq 1 ]; echo $?) "a running qube is refused without --allow-running: $out"
t0=$(date +%s%N)
check "backup create work personal vault --to FILE" bh backup create work personal vault --to "$T/b.bk" "${PF[@]}"
t1=$(date +%s%N)
diag "backup of $MB MiB + 3 private images: $(( (t1 - t0) / 1000000 )) ms, $(stat -c %s "$T/b.bk") bytes"
ok $(head -c 8 "$T/b.bk" | grep -q BHBACKUP && ! grep -q PLAINTEXT-MARKER "$T/b.bk" && ! grep -q "dsthost=example.org" "$T/b.bk"; echo $?) "the file is a backup with no plaintext in it"
out=$(bh backup create work --to "$T/b.bk" "${PF[@]}" 2>&1)
ok $([ $? -eq 1 ] && echo "$out" | grep -q "exists already"; echo $?) "an existing file is never written over"
check "backup verify FILE" bh backup verify "$T/b.bk" "${PF[@]}"
ok $(grep -q "authenticated and complete: 3 qubes, 1 policy file" "$T/last.out" && grep -q "^  work  .*app.*tpl" "$T/last.out" && grep -q "policy.d/50-backup-test.policy" "$T/last.out"; echo $?) "verify lists the qubes and the policy file"

bh run store -- 'mkdir -p backups' >/dev/null
check "backup create --all --exclude --to VM:PATH (through RPC into a qube)" bh backup create --all --exclude busy --exclude store --to store:backups/all.bk "${PF[@]}"
ok $(bh run store -- 'head -c 8 backups/all.bk | grep -q BHBACKUP && ! grep -q PLAINTEXT-MARKER backups/all.bk && ! ls backups/*.part' >/dev/null 2>&1; echo $?) "the qube holds the backup and never saw a plaintext byte"
check "backup verify VM:PATH" bh backup verify store:backups/all.bk "${PF[@]}"
ok $(grep -q "3 qubes" "$T/last.out"; echo $?) "the backup in the qube holds the three qubes (templates and running qubes left out)"

# Interrupted half way: nothing left behind.
grown() { # grown GLOB: a file matching it holds more than 8 MiB (waits up to 20 s)
	for _ in $(seq 400); do
		for f in $1; do [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt 8388608 ] && return 0; done
		sleep 0.05
	done
	return 1
}
"$CLI_BIN" backup create work --to "$T/int.bk" "${PF[@]}" >/dev/null 2>"$T/int.err" & pid=$!
grown "$T/.int.bk.part-*"; kill -INT $pid; wait $pid; rc=$?
ok $([ $rc -eq 1 ] && [ ! -e "$T/int.bk" ] && ! ls -A "$T" | grep -q "int.bk.part" && grep -q interrupted "$T/int.err"; echo $?) "an interrupted backup leaves no file: $(cat "$T/int.err")"
before=$(qubes_now)
"$CLI_BIN" backup restore "$T/b.bk" --rename-conflicts "${PF[@]}" >/dev/null 2>"$T/int.err" & pid=$!
grown "$T/state/qubes/.restore-$pid/*/private.img"; kill -TERM $pid; wait $pid; rc=$?
ok $([ $rc -eq 1 ] && [ "$(qubes_now)" = "$before" ] && [ "$(leftovers)" -eq 0 ] && grep -q interrupted "$T/int.err"; echo $?) "an interrupted restore creates nothing and leaves nothing: $(cat "$T/int.err")"

# --- refused: each with one line, nothing written ---
cp "$T/b.bk" "$T/flip.bk"
python3 - "$T" <<'PY'
import struct, sys
t = sys.argv[1]
data = open(t + "/b.bk", "rb").read()
f = bytearray(data); f[len(f) // 2] ^= 0x01
open(t + "/flip.bk", "wb").write(f)
open(t + "/trunc.bk", "wb").write(data[:len(data) - 1000])
# chunks: after the 72-byte header, u32 length + ciphertext each
off, chunks = 72, []
while off < len(data):
    n = struct.unpack_from("<I", data, off)[0]; chunks.append(data[off:off + 4 + n]); off += 4 + n
swapped = chunks[:1] + [chunks[2], chunks[1]] + chunks[3:]
open(t + "/reorder.bk", "wb").write(data[:72] + b"".join(swapped))
open(t + "/dropfinal.bk", "wb").write(data[:72] + b"".join(chunks[:-1]))
open(t + "/extra.bk", "wb").write(data + b"\0\0\0\0")
PY
before=$(qubes_now)
refused() { # refused DESCRIPTION PATTERN FILE [ARGS...]
	local d=$1 pat=$2 f=$3; shift 3
	out=$(bh backup restore "$f" --rename-conflicts "$@" 2>&1); rc=$?
	ok $([ $rc -eq 1 ] && echo "$out" | grep -q -- "$pat" && [ "$(echo "$out" | wc -l)" -eq 1 ] &&
		[ "$(qubes_now)" = "$before" ] && [ "$(leftovers)" -eq 0 ] && [ ! -e /tmp/bk-escaped ]; echo $?) "$d: $out"
}
refused "a wrong passphrase" "wrong passphrase" "$T/b.bk" --passphrase-file "$T/wrong"
refused "a flipped byte" "fails authentication" "$T/flip.bk" "${PF[@]}"
refused "a truncated backup" "truncated" "$T/trunc.bk" "${PF[@]}"
refused "two chunks swapped" "chunk 2 fails authentication" "$T/reorder.bk" "${PF[@]}"
refused "the final chunk dropped" "without its final chunk" "$T/dropfinal.bk" "${PF[@]}"
refused "bytes after the final chunk" "data follows the final chunk" "$T/extra.bk" "${PF[@]}"
out=$(bh backup verify "$T/flip.bk" "${PF[@]}" 2>&1)
ok $([ $? -eq 1 ] && echo "$out" | grep -q "fails authentication"; echo $?) "verify refuses the flipped byte too"

# Hostile archives, encrypted with the right key.
cfg=$(printf 'name = "evil"\nclass = "app"\nlabel = "red"\ntemplate = "tpl"\n')
forge() { # forge NAME: the archive from python on stdin
	python3 - "$cfg" >"$T/$1.plain" && "$FORGE" "$T/pass" <"$T/$1.plain" >"$T/$1.bk"
}
HDR='import struct, sys
cfg = sys.argv[1].encode() + b"\n"
def ent(t, name, data=b"", mode=0o644, size=None, uid=0, gid=0):
    size = len(data) if size is None else size
    return struct.pack("<IBBHIIIIQq", 0x45414842, t, 0, len(name), mode, uid, gid, 0, size, 0) + name + data
END = struct.pack("<IBBHIIIIQq", 0x45414842, 4, 0, 0, 0, 0, 0, 0, 0, 0)
CFG = ent(1, b"qubes/evil/qube.cfg", cfg)
out = sys.stdout.buffer.write'
forge traversal <<<"$HDR
out(CFG + ent(2, b\"qubes/evil/private\", mode=0o755) + ent(1, b\"qubes/evil/private/../../../../../../tmp/bk-escaped\", b\"x\") + END)"
refused "an entry with .. in its path" "component" "$T/traversal.bk" "${PF[@]}"
forge absolute <<<"$HDR
out(CFG + ent(1, b\"/tmp/bk-escaped\", b\"x\") + END)"
refused "an absolute path" "entry 2" "$T/absolute.bk" "${PF[@]}"
forge symlink <<<"$HDR
out(CFG + ent(2, b\"qubes/evil/private\", mode=0o755) + ent(3, b\"qubes/evil/private/l\", b\"/tmp\") + ent(1, b\"qubes/evil/private/l/bk-escaped\", b\"x\") + END)"
refused "a file through a symlink" "symlink" "$T/symlink.bk" "${PF[@]}"
forge elsewhere <<<"$HDR
out(CFG + ent(1, b\"qubes/evil/console.log\", b\"x\") + END)"
refused "a file outside the known places of a qube" "no place" "$T/elsewhere.bk" "${PF[@]}"
forge other <<<"$HDR
out(CFG + ent(1, b\"qubes/work/private.img\", b\"x\") + END)"
refused "a file of another qube than the one begun" "not with the rest" "$T/other.bk" "${PF[@]}"
forge huge <<<"$HDR
out(CFG + ent(1, b\"qubes/evil/private.img\", b\"x\" * 10, size=1 << 50) + END)"
refused "a file size over the bound" "over the bound" "$T/huge.bk" "${PF[@]}"
forge short <<<"$HDR
out(CFG + ent(1, b\"qubes/evil/private.img\", b\"x\" * 10, size=1000))"
refused "an archive that ends inside a file" "archive ends inside" "$T/short.bk" "${PF[@]}"
forge noend <<<"$HDR
out(CFG)"
refused "an archive without its END entry" "archive ends inside" "$T/noend.bk" "${PF[@]}"
forge badcfg <<<"import sys, struct
exec(open('/dev/stdin').read()) if False else None
$HDR
out(ent(1, b\"qubes/evil/qube.cfg\", b\"name = \\\"evil\\\"\nclass = \\\"app\\\"\nuid_base = -5\nbogus = 1\n\") + END)"
refused "settings domd would not accept" "evil" "$T/badcfg.bk" "${PF[@]}"
forge twice <<<"$HDR
out(CFG + ent(2, b\"qubes/evil/private\", mode=0o755) + ent(2, b\"qubes/evil/private\", mode=0o755) + END)"
refused "an entry sent twice" "cannot restore" "$T/twice.bk" "${PF[@]}"

# --- restore ---
out=$(bh backup restore "$T/b.bk" "${PF[@]}" 2>&1)
ok $([ $? -eq 1 ] && echo "$out" | grep -q "exists: give --rename-conflicts or --skip-existing" && [ "$(qubes_now)" = "$before" ]; echo $?) "restore next to the same names: refused unless told how"
check "restore --dry-run" bh backup restore "$T/b.bk" --rename-conflicts --dry-run "${PF[@]}"
ok $(grep -q "work .*would be restored as work-1" "$T/last.out" && [ "$(qubes_now)" = "$before" ] && [ "$(leftovers)" -eq 0 ]; echo $?) "a dry run prints the plan and writes nothing"
check "restore FILE --rename-conflicts" bh backup restore "$T/b.bk" --rename-conflicts "${PF[@]}"
ok $(grep -q "restored 3 qubes" "$T/last.out" && [ "$(qubes_now)" = "$(echo busy personal personal-1 store tpl vault vault-1 work work-1)" ] && [ "$(leftovers)" -eq 0 ]; echo $?) "restored as work-1, personal-1, vault-1"
for q in work personal vault; do
	bh start $q-1 >/dev/null
	bh run $q-1 -- "$MANIFEST" >"$T/$q-1.manifest"
	ok $(cmp -s "$T/$q.manifest" "$T/$q-1.manifest"; echo $?) "$q-1: every file's checksum, mode, owner and link target as in $q"
	diff "$T/$q.manifest" "$T/$q-1.manifest" | head -5 | sed 's/^/#   /'
	settings $q-1 | sed "s/\"$q-1\"/\"$q\"/" >"$T/$q-1.settings"
	ok $(diff <(sed 1d "$T/$q.settings") <(sed 1d "$T/$q-1.settings") >/dev/null && [ "$(head -1 "$T/$q.settings" | sed 's/"autostart": [a-z]*, //')" = "$(head -1 "$T/$q-1.settings" | sed 's/"autostart": [a-z]*, //')" ]; echo $?) "$q-1: settings, tags and firewall as in $q"
	diff "$T/$q.settings" "$T/$q-1.settings" | head -6 | sed 's/^/#   /'
done
ok $([ "$(vm_field work uuid)" != "$(vm_field work-1 uuid)" ] && [ "$(vm_field work uid_base)" != "$(vm_field work-1 uid_base)" ]; echo $?) "a restored qube has a uuid and an id range of its own"

check "restore VM:PATH --skip-existing" bh backup restore store:backups/all.bk --skip-existing "${PF[@]}"
ok $(grep -q "restored 0 qubes" "$T/last.out" && grep -q "skipped" "$T/last.out" && [ "$(qubes_now)" = "$(echo busy personal personal-1 store tpl vault vault-1 work work-1)" ]; echo $?) "--skip-existing: every qube exists, nothing restored"
check "restore VM:PATH vault --rename-conflicts" bh backup restore store:backups/all.bk vault --rename-conflicts "${PF[@]}"
bh start vault-2 >/dev/null
ok $(grep -q "vault .*restored as vault-2" "$T/last.out" && [ "$(bh run vault-2 -- "$MANIFEST")" = "$(cat "$T/vault.manifest")" ] && ! bh ls | grep -q "work-2"; echo $?) "only the qube asked for, from the qube's copy: vault-2 with vault's files"

# Running qubes are never touched: busy backed up while running, restored
# next to itself.
check "backup create --allow-running" bh backup create busy --allow-running --to "$T/busy.bk" "${PF[@]}"
check "restore a backup of a running qube next to it" bh backup restore "$T/busy.bk" --rename-conflicts "${PF[@]}"
ok $([ "$(vm_pid busy)" = "$busy_pid" ] && [ "$(vm_field busy state)" = running ] && [ "$(vm_field busy-1 state)" = halted ]; echo $?) "busy kept running, untouched; its copy is busy-1"

# A missing template: refused unless --template.
bh create tpl2 --class template --label black >/dev/null
cp -a "$TEMPLATE_ROOT/." "$T/state/qubes/tpl2/root/"
bh create onbase --class app --label green --template tpl2 >/dev/null
bh start onbase >/dev/null && bh run onbase -- 'echo on tpl2 > mark' >/dev/null && bh shutdown --wait onbase >/dev/null
check "backup of an AppVM without its template" bh backup create onbase --to "$T/onbase.bk" "${PF[@]}"
check "backup --with-templates of the template" bh backup create tpl2 --with-templates --to "$T/tpl2.bk" "${PF[@]}"
bh remove onbase >/dev/null && bh remove tpl2 >/dev/null
before=$(qubes_now)
refused "an AppVM whose template is missing" "template 'tpl2' is missing" "$T/onbase.bk" "${PF[@]}"
check "restore --template T" bh backup restore "$T/onbase.bk" --template tpl "${PF[@]}"
bh start onbase >/dev/null
ok $([ "$(vm_field onbase template)" = tpl ] && [ "$(bh run onbase -- 'cat mark')" = "on tpl2" ]; echo $?) "restored on the template given, with its data"
check "restore a template (its root) from a backup" bh backup restore "$T/tpl2.bk" "${PF[@]}"
ok $([ "$(vm_field tpl2 class)" = template ] && diff -r "$TEMPLATE_ROOT" "$T/state/qubes/tpl2/root" >/dev/null; echo $?) "the template's root tree restored as it was"

# The passphrase on a terminal: asked twice, not echoed; a mismatch refused.
cat >"$T/ask.py" <<'PY'
import os, pty, sys, time, select
# ask.py ANSWER1 ANSWER2 -- CMD...: CMD on a new terminal, the answers typed
# at its prompts; prints what the terminal showed, exits with CMD's status.
answers = sys.argv[1:3]; cmd = sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(cmd[0], cmd)
out = b""; deadline = time.time() + 120
while time.time() < deadline:
    if not select.select([fd], [], [], 0.2)[0]:
        continue
    try: d = os.read(fd, 4096)
    except OSError: break
    if not d: break
    out += d
    if answers and out.rstrip().endswith(b":"):
        time.sleep(0.1); os.write(fd, answers.pop(0).encode() + b"\n")
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(st))
PY
out=$(python3 "$T/ask.py" 'typed secret' 'typed secret' -- "$CLI_BIN" backup create vault --to "$T/tty.bk" 2>&1); rc=$?
ok $([ $rc -eq 0 ] && [ "$(echo "$out" | grep -c "Backup passphrase:\|Passphrase again:")" -eq 2 ] && ! echo "$out" | grep -q "typed secret" && echo 'typed secret' >"$T/tty.pass" && bh backup verify "$T/tty.bk" --passphrase-file "$T/tty.pass" >/dev/null; echo $?) "the passphrase asked twice on the terminal, never echoed"
out=$(python3 "$T/ask.py" 'typed secret' 'typo secret' -- "$CLI_BIN" backup create vault --to "$T/tty2.bk" 2>&1); rc=$?
ok $([ $rc -eq 1 ] && echo "$out" | grep -q "the passphrases differ" && [ ! -e "$T/tty2.bk" ]; echo $?) "two different passphrases: refused, nothing written"
out=$(setsid "$CLI_BIN" backup verify "$T/tty.bk" </dev/null 2>&1); rc=$?
ok $([ $rc -eq 1 ] && echo "$out" | grep -q "no terminal to ask the passphrase on: give --passphrase-file"; echo $?) "no terminal and no --passphrase-file: a clear refusal"
# --progress-lines (what the console reads): lines on a stderr that is no
# terminal, without carriage returns or escape sequences.
out=$(bh backup verify "$T/tty.bk" --passphrase-file "$T/tty.pass" --progress-lines 2>&1 >/dev/null); rc=$?
ok $([ $rc -eq 0 ] && echo "$out" | grep -Eq '^verify: [0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B  [0-9.]+ [KMG]?i?B/s$' &&
	! echo "$out" | grep -q $'[\r\033]'; echo $?) "--progress-lines: the progress as plain lines on stderr"
echo "$out" | sed 's/^/# /'

# A standalone: its root comes with --with-templates and back.
bh create solo --class standalone --label green --template tpl >/dev/null
bh start solo >/dev/null && bh run --user root solo -- 'echo solo > /home/user/mark; echo changed > /etc/solo-root' >/dev/null
bh shutdown --wait solo >/dev/null
cp -a "$T/state/qubes/solo/root" "$T/solo-root"
check "backup --with-templates of a standalone" bh backup create solo --with-templates --to "$T/solo.bk" "${PF[@]}"
bh remove solo >/dev/null
# --template maps AppVMs only: a standalone keeps its own root.
check "restore the standalone, --template naming no template" bh backup restore "$T/solo.bk" --template nosuch "${PF[@]}"
bh start solo >/dev/null
ok $([ "$(vm_field solo class)" = standalone ] && [ "$(bh run solo -- 'cat mark /etc/solo-root')" = "$(printf 'solo\nchanged')" ] && diff -r "$T/solo-root" "$T/state/qubes/solo/root" >/dev/null; echo $?) "the standalone restored with its own root and its data"
bh kill solo >/dev/null

# A restore's staging folder left by a process that is gone (kill -9) is
# removed when domd loads the store; one of a live process is kept.
sleep 0 & gone=$!; wait $gone
mkdir -p "$T/state/qubes/.restore-$gone/x/private" "$T/state/qubes/.restore-$$/y"
domd_stop; domd_start
for _ in $(seq 40); do [ -e "$T/state/qubes/.restore-$gone" ] || break; sleep 0.05; done
ok $([ ! -e "$T/state/qubes/.restore-$gone" ] && [ -d "$T/state/qubes/.restore-$$" ] && [ "$(vm_pid busy)" = "$busy_pid" ]; echo $?) "domd removes an abandoned restore's staging folder, keeps a live one's"
rm -rf "$T/state/qubes/.restore-$$"

out=$(bh backup create --to "$T/x.bk" "${PF[@]}" 2>&1)
ok $([ $? -eq 2 ] && echo "$out" | grep -q "qube names or --all"; echo $?) "usage errors exit 2"
ok $(bh help backup | grep -q -- "--rename-conflicts"; echo $?) "bulkhead help backup documents the options"

tap_end
