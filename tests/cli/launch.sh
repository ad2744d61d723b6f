#!/usr/bin/env bash
# cbit launch end to end: SEV and SEV-ES launches of Debian's OVMF verified by the guest owner
# against cbit measure's digest, JSON, --seed reproducibility, --dump, and every refusal with
# its exit code and a one-line error.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/common.bash" "$1"

OVMF=/usr/share/ovmf/OVMF.fd
if [ ! -f $OVMF ]; then
  echo "FAIL: $OVMF is missing: scripts/install-deps.sh installs the ovmf package"
  exit 1
fi

# SEV: verified, an SEV ASID (Milan: min_sev_asid 256), the digest cbit measure prints.
expect_exit 0 "verdict: *verified" -- "$CBIT" launch --firmware $OVMF --mode sev --seed 1
asid=$(field ASID)
[ "$asid" -ge 256 ] && ok "SEV ASID $asid >= 256" || bad "SEV ASID $asid"
want=$("$CBIT" measure --mode sev --ovmf $OVMF)
[ "$(field 'expected digest')" = "$want" ] && ok "expected digest = cbit measure" ||
  bad "expected digest $(field 'expected digest') != $want"
grep -q "^guest state: *RUNNING" "$T/out" && ok "guest RUNNING" || bad "guest not RUNNING"

# SEV-ES, 4 vCPUs: an ES ASID below 256; the default vCPU signature is the host's (Milan).
expect_exit 0 "verdict: *verified" -- "$CBIT" launch --firmware $OVMF --mode sev-es --vcpus 4 --seed 1
asid=$(field ASID)
[ "$asid" -ge 1 ] && [ "$asid" -lt 256 ] && ok "SEV-ES ASID $asid < 256" || bad "SEV-ES ASID $asid"
want=$("$CBIT" measure --mode seves --vcpus 4 --vcpu-type EPYC-Milan --ovmf $OVMF)
[ "$(field 'expected digest')" = "$want" ] && ok "SEV-ES expected digest = cbit measure" ||
  bad "SEV-ES expected digest $(field 'expected digest') != $want"
expect_exit 0 "verdict: *verified" -- "$CBIT" launch --firmware $OVMF --mode sev-es --vcpus 2 --vcpu-type EPYC-v4 --policy 0x5

# --seed: the same run twice gives the same measurement and MNONCE; another seed does not.
"$CBIT" launch --firmware $OVMF --mode sev --seed 7 >"$T/a" 2>&1
"$CBIT" launch --firmware $OVMF --mode sev --seed 7 >"$T/b" 2>&1
"$CBIT" launch --firmware $OVMF --mode sev --seed 8 >"$T/c" 2>&1
cmp -s "$T/a" "$T/b" && ok "--seed 7 reproducible" || bad "--seed 7 runs differ"
cmp -s "$T/a" "$T/c" && bad "--seed 7 and 8 give the same output" || ok "--seed 8 differs"

# JSON.
expect_exit 0 '"verdict": "verified"' -- "$CBIT" launch --firmware $OVMF --mode sev-es --vcpus 1 --json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["mode"]=="SEV_ES" and len(j["measurement"])==64 and len(j["mnonce"])==32 and j["asid"]>=1 and j["handle"]==1, j' "$T/out" &&
  ok "JSON fields" || bad "JSON fields"

# The owner refuses a digest that is not the launch's (exit 3, one line), and the guest is not
# finished.
expect_exit 3 "guest owner refused" -- "$CBIT" launch --firmware $OVMF --mode sev --expect "$(printf '%064d' 0)"
grep -q "^guest state: *LSECRET" "$T/out" && ok "refused guest stays in LSECRET" || bad "refused guest state"

# --dump: an ELF core with the hypervisor's view, one PT_LOAD per memslot; cbit scan reads it.
expect_exit 0 "verdict: *verified" -- "$CBIT" launch --firmware $OVMF --mode sev --memory 4 --dump "$T/guest.core"
python3 - "$T/guest.core" <<'PY' && ok "dump is an ELF64 core with 2 PT_LOADs at 0 and 0xffe00000" || bad "dump layout"
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:4] == b"\x7fELF" and d[4] == 2 and d[5] == 1
e_type, e_machine = struct.unpack_from("<HH", d, 16)
assert e_type == 4 and e_machine == 62
phoff, = struct.unpack_from("<Q", d, 32)
phnum, = struct.unpack_from("<H", d, 56)
loads = []
for i in range(phnum):
    p_type, _, off, vaddr, paddr, filesz, memsz = struct.unpack_from("<IIQQQQQ", d, phoff + 56 * i)
    if p_type == 1:
        loads.append((paddr, filesz, memsz, vaddr))
assert loads == [(0, 4 << 20, 4 << 20, 0), (0xffe00000, 2 << 20, 2 << 20, 0)], loads
PY
# The firmware's bytes are not in the hypervisor's view of the launched guest.
python3 - "$T/guest.core" $OVMF <<'PY' && ok "no 64-byte window of OVMF's last page in the dump" || bad "OVMF plaintext in the dump"
import sys
core = open(sys.argv[1], "rb").read()
fw = open(sys.argv[2], "rb").read()[-4096:]
assert not any(fw[i:i + 64] in core for i in range(0, 4096, 64) if fw[i:i + 64].strip(b"\0\xff"))
PY
expect_exit 1 "cannot write" -- "$CBIT" launch --firmware $OVMF --mode sev --dump "$T/no/such/dir/x.core"
[ -e "$T/no" ] && bad "a failed dump left something" || ok "a failed dump leaves nothing"

# Every --memory of the documented 1..1024 MiB launches: the host's DRAM leaves room for the
# memslots' aligned power-of-two blocks (33..62 and 65.. MiB once found none).
for m in 1 32 33 62 63 65 129 1024; do
  expect_exit 0 "verdict: *verified" -- "$CBIT" launch --firmware $OVMF --mode sev --memory $m --seed 1
done

# Refusals.
expect_exit 1 "choose sev, sev-es or snp" -- "$CBIT" launch --firmware $OVMF --mode sev-snp
expect_exit 1 "needs the ES bit" -- "$CBIT" launch --firmware $OVMF --mode sev-es --policy 0x1
expect_exit 1 "must not have the ES bit" -- "$CBIT" launch --firmware $OVMF --mode sev --policy 5
expect_exit 1 "--policy 'x1'" -- "$CBIT" launch --firmware $OVMF --mode sev --policy x1
expect_exit 1 "cannot" -- "$CBIT" launch --firmware "$T/absent.fd" --mode sev
expect_exit 1 "no SEV-ES ASIDs" -- "$CBIT" launch --firmware $OVMF --mode sev-es --cpu naples
expect_exit 1 "unknown\|naples" -- "$CBIT" launch --firmware $OVMF --cpu pentium
expect_exit 2 "--vcpus 'abc'" -- "$CBIT" launch --firmware $OVMF --mode sev-es --vcpus abc
expect_exit 2 "--vcpus 0: an SEV-ES guest needs at least one vCPU" -- "$CBIT" launch --firmware $OVMF --mode sev-es --vcpus 0
expect_exit 1 "doesn't support kernel/initrd/cmdline" -- "$CBIT" launch --firmware $OVMF --mode sev --kernel $OVMF
# --memory out of 1..1024 is a parse error (CLI11's 105, two lines); tests/cli/bad_input.sh has
# the rest of the parse errors.
for m in 0 1025; do
  "$CBIT" launch --firmware $OVMF --memory $m >"$T/out" 2>"$T/err"
  rc=$?
  [ $rc = 105 ] && grep -q "^--memory: '$m' is not a whole number from 1 to 1024" "$T/err" &&
    ok "--memory $m refused (105)" || bad "--memory $m: exit $rc, $(cat "$T/err")"
done
expect_exit 1 "32-byte" -- "$CBIT" launch --firmware $OVMF --expect abcd
head -c 4096 /dev/urandom >"$T/junk.fd"
expect_exit 1 "firmware .*SEV_ES_RESET_BLOCK" -- "$CBIT" launch --firmware "$T/junk.fd" --mode sev-es --vcpus 2
# A plain blob has no OVMF footer: SEV measures it anyway (as sev-snp-measure does).
expect_exit 0 "verdict: *verified" -- "$CBIT" launch --firmware "$T/junk.fd" --mode sev

if [ $fails -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all launch checks passed"
