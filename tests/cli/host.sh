#!/usr/bin/env bash
# cbit host: the raw values it reads on this machine equal the Debian `cpuid` tool's, the
# checklist tells the truth about this machine, and recorded snapshots give the expected rows.
set -u
CBIT=$1
SRC=$2
DATA="$SRC/tests/data/host"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
has() { grep -qF -- "$2" "$1" && ok "$3" || { bad "$3: no '$2' in"; cat "$1"; }; }

# Pin to CPU 0 so per-CPU fields (APIC id in leaf 1) are the same for both tools.
PIN=""
command -v taskset >/dev/null && PIN="taskset -c 0"

# 1. Raw CPUID leaves equal `cpuid -r -1 -l LEAF` (Debian cpuid).
$PIN "$CBIT" host --raw >"$T/raw" || bad "cbit host --raw failed"
if command -v cpuid >/dev/null; then
  for leaf in 0x00000000 0x00000001 0x80000000 0x80000001 0x80000002 0x80000003 0x80000004 0x8000001f; do
    want=$($PIN cpuid -r -1 -l "$leaf" | grep -E "^ +$leaf 0x00:" | sed 's/^ *//')
    got=$(grep -E "^ +$leaf 0x00:" "$T/raw" | sed 's/^ *//')
    if [ -n "$want" ] && [ "$want" = "$got" ]; then ok "leaf $leaf matches cpuid: $got"
    else bad "leaf $leaf: cbit '$got' vs cpuid '$want'"; fi
  done
else
  echo "SKIP: the cpuid tool is not installed (apt-get install cpuid)"
fi

# 2. The checklist on this machine agrees with what CPUID says about it.
$PIN "$CBIT" host >"$T/live"
rc=$?
f1f=$(grep -E "^ +0x8000001f 0x00:" "$T/raw")
ecx1=$(grep -E "^ +0x00000001 0x00:" "$T/raw" | sed 's/.*ecx=\(0x[0-9a-f]*\).*/\1/')
if [ $(( ecx1 >> 31 & 1 )) = 1 ]; then
  has "$T/live" "[ FAIL ]   - Bare metal (not a virtual machine)" "a VM is reported as a VM"
  [ "$rc" != 0 ] && ok "exit $rc on a failing checklist" || bad "exit 0 despite FAIL rows"
fi
if echo "$f1f" | grep -q "eax=0x00000000 ebx=0x00000000 ecx=0x00000000 edx=0x00000000"; then
  has "$T/live" "Secure Memory Encryption (SME): CPUID Fn8000_001F EAX[0] = 0 (the whole leaf reads zero" \
    "an all-zero Fn8000_001F is reported as such"
fi
grep -q "^\[ \(PASS\|FAIL\|SKIP\) \] " "$T/live" && ok "checklist rows" || bad "no checklist rows"

# 3. -o json has sevctl's shape and the same counts.
$PIN "$CBIT" host -o json >"$T/live.json"
python3 - "$T/live.json" <<'PY' && ok "json shape" || bad "json shape"
import json, sys
j = json.load(open(sys.argv[1]))
s = j["summary"]
assert set(s) == {"passed", "failed", "skipped", "total"}
assert s["total"] == len(j["tests"]) == s["passed"] + s["failed"] + s["skipped"]
assert len(j["failures"]) == s["failed"] and all(f["hint"] for f in j["failures"])
assert len(j["skipped"]) == s["skipped"]
PY

# 4. --save then --from gives the same checklist.
$PIN "$CBIT" host --save "$T/snap.json" >"$T/a"
"$CBIT" host --from "$T/snap.json" >"$T/b"
cmp -s "$T/a" "$T/b" && ok "--save/--from reproduce the checklist" || bad "--from differs from live"

# 5. Recorded snapshots.
"$CBIT" host --from "$DATA/milan_snp_host.json" >"$T/milan" && ok "Milan SNP host exits 0" || bad "Milan exit"
has "$T/milan" "[ PASS ]         - SEV-SNP active in the kernel (KVM)" "Milan: SNP active"
has "$T/milan" "bit 24 SNP_EN = 1" "Milan: SYSCFG decoded"
"$CBIT" host --from "$DATA/rome_host.json" >"$T/rome" && ok "Rome host exits 0" || bad "Rome exit"
has "$T/rome" "[ SKIP ]     - Secure Nested Paging (SEV-SNP) (Rome (Zen 2) has no SEV-SNP)" "Rome: SNP SKIPped"
"$CBIT" host --from "$DATA/milan_bios_sme_off.json" >"$T/off" && bad "BIOS-off exit 0" || ok "BIOS-off exits non-zero"
has "$T/off" "[ PASS ]   - Secure Memory Encryption (SME)" "BIOS-off: SME supported"
has "$T/off" "[ FAIL ]     - SME enabled by firmware: SYSCFG[23] MemEncryptionModEn = 0" "BIOS-off: SME not enabled"
has "$T/off" "hint: turn on SMEE" "BIOS-off: hint"
"$CBIT" host --from "$DATA/sev_snp_guest.json" >"$T/guest" && ok "SNP guest exits 0" || bad "guest exit"
has "$T/guest" "guest checks (SEV guest detected)" "guest mode"
has "$T/guest" "SEV_STATUS[2] SNP = 1" "guest: SEV_STATUS decides"

# 6. Bad input: one line naming the file; no half-written --save.
"$CBIT" host --from "$T/missing.json" 2>"$T/err" && bad "missing file accepted" || has "$T/err" "missing.json" "missing file named"
printf '{"format":"cbit-host-snapshot-1","cpuid":{"0x0":["0x1"]}}' >"$T/bad.json"
"$CBIT" host --from "$T/bad.json" 2>"$T/err" && bad "bad snapshot accepted" || has "$T/err" "bad.json: cpuid.0x0" "bad snapshot named"
[ "$(wc -l <"$T/err")" = 1 ] && ok "one-line error" || bad "error not one line"
"$CBIT" host --from "$DATA/rome_host.json" --save "$T/nodir/x.json" >/dev/null 2>"$T/err" \
  && bad "--save into a missing dir succeeded" || has "$T/err" "nodir" "--save error names the file"
[ ! -e "$T/nodir/x.json" ] && ok "no file after a failed --save" || bad "half-written --save"
"$CBIT" host -o yaml >/dev/null 2>&1 && bad "-o yaml accepted" || ok "-o yaml rejected"

[ "$fails" = 0 ] && echo "host.sh: all passed" || echo "host.sh: $fails failed"
[ "$fails" = 0 ]
