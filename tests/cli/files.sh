#!/usr/bin/env bash
# Files as a hostile or careless user (or root) hands them to cbit (common/file.h,
# common/output_file.h): devices and FIFOs at output paths are written through and stay what they
# are; links at output paths are refused; outputs never name each other or an input; a full
# stdout fails with one line; FIFO, device and huge sparse inputs are refused at once; a signal
# in the middle of a write leaves no temporary; the demo removes what it made and only that.
set -u
set -m  # background jobs get their own process group and keep SIGINT (the Ctrl-C test)
CBIT=$(realpath "$1")
SRC=$2
T=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
temps() { compgen -G "$1/*.cbit-tmp.*" || true; }

# A character device standing in for /dev/null: as root, a private node (major 1, minor 3), so a
# regression that replaced it would not take the machine's /dev/null with it.
if [ "$(id -u)" = 0 ] && mknod "$T/null" c 1 3 2>/dev/null; then NULLDEV=$T/null; else NULLDEV=/dev/null; fi
still_null() { [ -c "$NULLDEV" ] && [ "$(stat -c %t,%T "$NULLDEV")" = "1,3" ]; }
# The same for /dev/full (major 1, minor 7): a write to it fails with ENOSPC.
if [ "$(id -u)" = 0 ] && mknod "$T/full" c 1 7 2>/dev/null; then FULLDEV=$T/full; else FULLDEV=/dev/full; fi

# Inputs: a firmware blob (SEV measures any blob), a report a display accepts, a host snapshot.
head -c 65536 /dev/urandom >"$T/fw.bin"
python3 -c "import struct,sys; open(sys.argv[1],'wb').write(struct.pack('<I',2)+bytes(1180))" "$T/r.bin"
SNAP=$SRC/tests/data/host/rome_host.json
"$CBIT" measure --mode sev --ovmf "$T/fw.bin" --explain --json >"$T/a.json" || bad "explain json"
"$CBIT" map --seed 1 -O "$T/m.png" --image-out "$T/img" --page-map-out "$T/pm.json" >/dev/null \
  || bad "map with all outputs"

# 1. Device outputs are written through and stay devices.
for args in "map --seed 1 -O $NULLDEV" "map --seed 1 -O $T/m2.png --image-out $NULLDEV --page-map-out $NULLDEV" \
  "host --from $SNAP --save $NULLDEV" "report signature-der $T/r.bin --out $NULLDEV --signed-bytes $NULLDEV" \
  "launch --seed 1 --firmware $T/fw.bin --dump $NULLDEV"; do
  out=$("$CBIT" $args 2>&1 >/dev/null)
  rc=$?
  if [ "${args%% *}" = host ]; then [ "$rc" -le 1 ]; else [ "$rc" = 0 ]; fi || bad "exit $rc: $args: $out"
  still_null && ok "$NULLDEV still a character device after: ${args%% -*}" \
    || { bad "$NULLDEV replaced by: $args"; ls -l "$NULLDEV"; }
done
[ -z "$(temps "$(dirname "$NULLDEV")")" ] || bad "temporary left beside $NULLDEV"
# measure --dump-vmsa writes vmsa<N>.bin in the working directory: a device there stays one
# (SEV-ES needs a real OVMF for its reset vector).
OVMF=/usr/share/ovmf/OVMF.fd
if [ "$NULLDEV" != /dev/null ] && [ -f "$OVMF" ]; then
  mkdir "$T/vm" && mknod "$T/vm/vmsa0.bin" c 1 3
  (cd "$T/vm" && "$CBIT" measure --mode seves --vcpus 2 --vcpu-type EPYC --ovmf "$OVMF" --dump-vmsa \
    >/dev/null) || bad "dump-vmsa"
  [ -c "$T/vm/vmsa0.bin" ] && [ "$(stat -c %s "$T/vm/vmsa1.bin")" = 4096 ] \
    && ok "--dump-vmsa: the vmsa0.bin device written through, vmsa1.bin a file" \
    || bad "--dump-vmsa: $(ls -l "$T/vm")"
fi

# A FIFO output gets the bytes; stdout ("-") too, with map's summary moved to stderr.
mkfifo "$T/out.fifo"
head -c 8 <"$T/out.fifo" >"$T/fifo-head" &
"$CBIT" map --seed 1 -O "$T/out.fifo" >/dev/null 2>"$T/err" || bad "map to a FIFO: $(cat "$T/err")"
wait $!
[ -p "$T/out.fifo" ] && od -An -tx1 "$T/fifo-head" | grep -q "89 50 4e 47" \
  && ok "FIFO output: a PNG went through, still a FIFO" || bad "FIFO output"
"$CBIT" map --seed 1 -O - 2>"$T/err" | head -c 8 | od -An -tx1 | grep -q "89 50 4e 47" \
  && grep -q "pages:" "$T/err" && ok "map -O -: PNG on stdout, summary on stderr" || bad "map -O -"
[ ! -e "$T/-" ] && [ ! -e ./- ] || bad "map -O - made a file named -"

# 2. A link at an output path is refused, and what it points to is untouched.
echo precious >"$T/victim"
ln -s "$T/victim" "$T/link.png"
"$CBIT" map --seed 1 -O "$T/link.png" >"$T/out" 2>"$T/err" && bad "map through a symlink succeeded"
[ "$(cat "$T/victim")" = precious ] && [ -L "$T/link.png" ] && [ "$(wc -l <"$T/err")" = 1 ] \
  && grep -q "symbolic link" "$T/err" && ok "symlink at -O refused, target untouched" \
  || { bad "symlink at -O"; cat "$T/err"; }
ln -s "$T/victim" "$T/link.core"
"$CBIT" launch --seed 1 --firmware "$T/fw.bin" --dump "$T/link.core" >/dev/null 2>"$T/err" \
  && bad "launch --dump through a symlink succeeded"
[ "$(cat "$T/victim")" = precious ] && grep -q "symbolic link" "$T/err" \
  && ok "symlink at --dump refused" || bad "symlink at --dump: $(cat "$T/err")"

# 3. Two outputs, or an output and an input, naming one file.
same() {  # same PATTERN -- command...
  local pat=$1
  shift 2
  "$@" >/dev/null 2>"$T/err"
  local rc=$?
  if [ "$rc" != 0 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q -- "$pat" "$T/err"; then
    ok "refused: ${*:2}"
  else
    bad "exit $rc, not refused with '$pat': $*"; cat "$T/err"
  fi
}
cp "$T/r.bin" "$T/r-copy.bin"
same "the same file" -- "$CBIT" map --seed 1 -O "$T/x" --image-out "$T/x"
same "the same file" -- "$CBIT" map --seed 1 -O "$T/x" --page-map-out "$T/./x"
same "an output may not replace an input" -- "$CBIT" report signature-der "$T/r-copy.bin" --out "$T/r-copy.bin"
same "the same file" -- "$CBIT" launch --firmware "$T/fw.bin" --dump "$T/../$(basename "$T")/fw.bin"
same "the same file" -- "$CBIT" host --from "$T/a.json" --save "$T/a.json"
cmp -s "$T/r.bin" "$T/r-copy.bin" && [ ! -e "$T/x" ] && ok "refusals wrote nothing" || bad "a refusal wrote"

# 4. A full stdout: non-zero, one line, for every command that prints.
[ -c "$FULLDEV" ] || bad "$FULLDEV is not a character device (replaced by something else?)"
full() {
  "$@" >"$FULLDEV" 2>"$T/err"
  local rc=$?
  if [ "$rc" != 0 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q "write error\|No space left" "$T/err"; then
    ok "> /dev/full: exit $rc, one line: ${*:2:3}: $(cat "$T/err")"
  else
    bad "> /dev/full: exit $rc: $*"; cat "$T/err"
  fi
}
full "$CBIT" measure --mode sev --ovmf "$T/fw.bin"
full "$CBIT" measure --mode sev --ovmf "$T/fw.bin" --explain
full "$CBIT" measure diff "$T/a.json" "$T/a.json"
full "$CBIT" map --seed 1 -O "$T/m3.png"
full "$CBIT" host --from "$SNAP"
full "$CBIT" host --from "$SNAP" --raw
full "$CBIT" scan "$T/img" -q -s "of the workload"
full "$CBIT" report display "$T/r.bin"
full "$CBIT" launch --seed 1 --firmware "$T/fw.bin"
full "$CBIT" demo --section smetest
full "$CBIT" attack dma-private --mode sev
full "$CBIT" --help
full "$CBIT" --version
full "$CBIT" map --seed 1 -O -  # the PNG itself to the full stdout
# A pipe whose reader left, with SIGPIPE ignored (EPIPE): the same one line, as sha256sum.
( trap '' PIPE; "$CBIT" demo --section smetest 2>"$T/err" | true )
[ "$(wc -l <"$T/err")" = 1 ] && grep -q "stdout: write error" "$T/err" \
  && ok "EPIPE: one line" || bad "EPIPE: $(cat "$T/err")"
# A closed stdout: the same one line, and the output file is not where the text went.
"$CBIT" map --seed 1 -O "$T/closed.png" >&- 2>"$T/err"
rc=$?
[ "$rc" != 0 ] && [ "$(wc -l <"$T/err")" = 1 ] && head -c 8 "$T/closed.png" | od -An -tx1 | grep -q "89 50 4e 47" \
  && ! grep -q "pages:" "$T/closed.png" && ok "closed stdout: exit $rc, one line, the PNG intact" \
  || bad "closed stdout: exit $rc: $(cat "$T/err")"
# Control: the same command to a real file succeeds.
"$CBIT" measure --mode sev --ovmf "$T/fw.bin" >"$T/out" 2>"$T/err" && [ -s "$T/out" ] && [ ! -s "$T/err" ] \
  && ok "control: measure to a file" || bad "control: measure to a file"

# 5. Inputs that are FIFOs (no writer), devices or 64 GiB sparse files: refused at once, one line.
mkfifo "$T/in.fifo"
truncate -s 64G "$T/huge"
refused_fast() {  # refused_fast -- command...
  shift
  local t0=$SECONDS
  timeout 20 "$@" >/dev/null 2>"$T/err"
  local rc=$?
  if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ $((SECONDS - t0)) -le 5 ] && [ "$(wc -l <"$T/err")" = 1 ]; then
    ok "refused in $((SECONDS - t0)) s: ${*:2} ($(cut -c1-70 "$T/err"))"
  else
    bad "exit $rc after $((SECONDS - t0)) s: $*"; head -c 300 "$T/err"
  fi
}
for IN in "$T/in.fifo" "$T/huge" /dev/zero; do
  refused_fast -- "$CBIT" measure --mode sev --ovmf "$IN"
  refused_fast -- "$CBIT" measure --mode sev --ovmf "$T/fw.bin" --kernel "$IN"
  refused_fast -- "$CBIT" measure --mode sev --ovmf "$T/fw.bin" --kernel "$T/fw.bin" --initrd "$IN"
  refused_fast -- "$CBIT" launch --firmware "$IN"
  refused_fast -- "$CBIT" report display "$IN"
  refused_fast -- "$CBIT" host --from "$IN"
  refused_fast -- "$CBIT" scan "$T/img" -q --page-map "$IN"
  refused_fast -- "$CBIT" measure diff "$IN" "$T/a.json"
done
refused_fast -- "$CBIT" scan "$T/in.fifo" -q  # a 64 GiB dump is legitimate, read in chunks
grep -q "a FIFO or pipe" "$T/err" && ok "scan names the FIFO" || bad "scan FIFO message: $(cat "$T/err")"
# A FIFO with an endless writer is read only up to what a firmware image can be.
yes >"$T/in.fifo" 2>/dev/null &
pids+=($!)
refused_fast -- "$CBIT" measure --mode sev --ovmf "$T/in.fifo"
grep -q "more than a firmware image can be" "$T/err" && ok "endless FIFO bounded" || bad "endless FIFO: $(cat "$T/err")"
kill "${pids[-1]}" 2>/dev/null
rm -f "$T/huge"

# 6. A signal in the middle of a write leaves no temporary (and no half file).
# SIGXFSZ, deterministically: the DRAM image crosses `ulimit -f` half-way.
mkdir "$T/sig"
(ulimit -f 1024; exec "$CBIT" map --seed 1 -O "$NULLDEV" --image-out "$T/sig/dram.img") >/dev/null 2>&1
rc=$?
[ "$rc" = $((128 + 25)) ] && [ -z "$(ls -A "$T/sig")" ] && ok "SIGXFSZ mid-write: no temporary, no image" \
  || { bad "SIGXFSZ: exit $rc, left: $(ls -A "$T/sig")"; }
# The same limit with SIGXFSZ ignored: the write fails (EFBIG), one line, nothing left.
(trap '' XFSZ; ulimit -f 1024; exec "$CBIT" map --seed 1 -O "$NULLDEV" --image-out "$T/sig/dram.img") >/dev/null 2>"$T/err"
rc=$?
[ "$rc" = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q "File too large" "$T/err" && [ -z "$(ls -A "$T/sig")" ] \
  && ok "EFBIG mid-write: one line, nothing left" || bad "EFBIG: exit $rc: $(cat "$T/err"); left: $(ls -A "$T/sig")"
# SIGTERM while launch writes its dump: sent as soon as the temporary shows (a short window,
# polled without forking; if the write is over first, there is nothing to check). The dump is
# sparse (untouched guest pages are holes), so the signal may also land after the rename, or
# after the exit (a zombie: exit 0): then the core must be whole, byte for byte the dump of the
# same seeded launch without a signal.
"$CBIT" launch --seed 1 --memory 64 --firmware "$T/fw.bin" --dump "$T/ref.core" >/dev/null 2>&1 ||
  bad "reference dump"
"$CBIT" launch --seed 1 --memory 64 --firmware "$T/fw.bin" --dump "$T/sig/guest.core" >/dev/null 2>&1 &
pid=$!
pids+=($pid)
seen=""
while kill -0 "$pid" 2>/dev/null; do
  if [ -n "$(temps "$T/sig")" ]; then seen=1; kill -TERM "$pid"; break; fi
done
wait "$pid"
rc=$?
if [ -n "$seen" ]; then
  if [ "$rc" = 143 ] && [ -z "$(ls -A "$T/sig")" ]; then
    ok "SIGTERM mid-dump: no temporary, no core"
  elif { [ "$rc" = 143 ] || [ "$rc" = 0 ]; } && [ "$(ls -A "$T/sig")" = guest.core ] &&
    cmp -s "$T/sig/guest.core" "$T/ref.core"; then
    ok "SIGTERM just after the dump's rename (exit $rc): no temporary, the core whole"
  else
    bad "SIGTERM mid-dump: exit $rc, left: $(ls -A "$T/sig")"
  fi
else
  echo "skip: the dump was written before its temporary was seen (exit $rc)"
fi
rm -f "$T/sig"/*

# 7. The demo removes its working directory on Ctrl-C, and never what it did not make.
mkdir "$T/w"
echo mine >"$T/w/nvdimm-off.img"
"$CBIT" demo --section sme-full --section sev-guest --workdir "$T/w" >/dev/null 2>&1 || bad "demo in --workdir"
[ "$(cat "$T/w/nvdimm-off.img")" = mine ] && [ "$(ls -A "$T/w")" = nvdimm-off.img ] \
  && ok "demo --workdir: the user's nvdimm-off.img untouched, nothing else left" \
  || bad "demo --workdir left: $(ls -A "$T/w")"
"$CBIT" demo --section sev-guest --section sev-attacks --workdir "$T/w" >/dev/null 2>&1 &
pid=$!
pids+=($pid)
seen=""
for _ in $(seq 2000); do
  if compgen -G "$T/w/cbit-demo-*" >/dev/null; then seen=1; break; fi
  sleep 0.005
done
sleep 0.2  # let a section make its files
kill -INT "$pid"
wait "$pid"
rc=$?
[ -n "$seen" ] && [ "$rc" = 130 ] && [ "$(ls -A "$T/w")" = nvdimm-off.img ] \
  && ok "demo Ctrl-C: working directory removed (exit 130)" \
  || bad "demo Ctrl-C: seen=$seen exit $rc, left: $(ls -AR "$T/w")"

echo "files.sh: $fails failure(s)"
[ "$fails" = 0 ]
