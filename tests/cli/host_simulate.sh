#!/usr/bin/env bash
# cbit host --simulate CPU: the simulated twin of a real host. Its --raw CPUID lines equal the
# recorded dumps of the real part (tests/data/cpuid/), in the `cpuid -r -1` format; its
# checklist passes where the part has the feature and fails, with a hint, when the simulated
# BIOS is left at the default the dumps show (no SEV-ES ASIDs).
set -u
CBIT=$1
SRC=$2
DUMPS="$SRC/tests/data/cpuid"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
has() { grep -qF -- "$2" "$1" && ok "$3" || { bad "$3: no '$2' in"; cat "$1"; }; }
leaf() { grep -E "^ +$2 0x00:" "$1" | sed 's/^ *//'; }

declare -A DUMP=([naples]=epyc-7551p [rome]=epyc-7742 [milan]=epyc-7763 [genoa]=epyc-9124
                 [turin]=epyc-9655)

for cpu in naples rome milan genoa turin; do
  d="$DUMPS/${DUMP[$cpu]}.txt"
  # 1. --raw: the part's leaves as the dump shows them. With the BIOS at its default
  #    (min-sev-asid=1, what every dump shows) the whole Fn8000_001F line is the dump's.
  "$CBIT" host --simulate "$cpu" --raw >"$T/raw" || bad "$cpu: --raw failed"
  "$CBIT" host --simulate "$cpu" --set min-sev-asid=1 --raw >"$T/raw1" || bad "$cpu: --raw --set"
  for l in 0x80000002 0x80000003 0x80000004; do
    [ "$(leaf "$T/raw" $l)" = "$(leaf "$d" $l)" ] && ok "$cpu leaf $l (brand) = dump" ||
      bad "$cpu leaf $l: '$(leaf "$T/raw" $l)' vs dump '$(leaf "$d" $l)'"
  done
  # Fn8000_0008 EAX: the part's address sizes (57-bit linear on genoa and turin).
  eax8() { leaf "$1" 0x80000008 | sed 's/ ebx=.*//'; }
  [ -n "$(eax8 "$d")" ] && [ "$(eax8 "$T/raw")" = "$(eax8 "$d")" ] &&
    ok "$cpu Fn8000_0008 $(eax8 "$d") = dump" ||
    bad "$cpu Fn8000_0008: '$(eax8 "$T/raw")' vs dump '$(eax8 "$d")'"
  [ "$(leaf "$T/raw1" 0x8000001f)" = "$(leaf "$d" 0x8000001f)" ] &&
    ok "$cpu Fn8000_001F with the BIOS default = dump: $(leaf "$d" 0x8000001f)" ||
    bad "$cpu Fn8000_001F: '$(leaf "$T/raw1" 0x8000001f)' vs dump '$(leaf "$d" 0x8000001f)'"
  sig() { leaf "$1" 0x00000001 | sed 's/ ebx=.*//'; }
  [ "$(sig "$T/raw")" = "$(sig "$d")" ] && ok "$cpu signature = dump" ||
    bad "$cpu signature: '$(sig "$T/raw")' vs dump '$(sig "$d")'"
  # The simulated BIOS is the only difference: EAX..ECX as dumped, EDX the preset's setting.
  [ "$(leaf "$T/raw" 0x8000001f | sed 's/ edx=.*//')" = "$(leaf "$d" 0x8000001f | sed 's/ edx=.*//')" ] &&
    ok "$cpu Fn8000_001F EAX..ECX = dump" || bad "$cpu Fn8000_001F EAX..ECX differ from the dump"

  # 2. The checklist: nothing FAILs on a host set up for what the part has.
  "$CBIT" host --simulate "$cpu" >"$T/list"
  rc=$?
  [ "$rc" = 0 ] && ok "$cpu: exit 0" || { bad "$cpu: exit $rc"; cat "$T/list"; }
  has "$T/list" "0 failed" "$cpu: no FAIL rows"
  has "$T/list" "[ PASS ]     - SEV enabled by firmware: SYSCFG[23] MemEncryptionModEn = 1" \
    "$cpu: SEV enabled by the simulated BIOS"
done

# Generation gates: Naples has no SEV-ES and no SNP, Rome no SNP, Milan and later everything.
"$CBIT" host --simulate naples >"$T/naples"
has "$T/naples" "[ SKIP ]     - Encrypted State (SEV-ES) (Naples (Zen 1) has no SEV-ES)" "naples: SEV-ES SKIPped"
has "$T/naples" "C-bit location: 47" "naples: C-bit 47"
"$CBIT" host --simulate rome >"$T/rome"
has "$T/rome" "[ PASS ]       - SEV-ES active in the kernel (KVM): /sys/module/kvm_amd/parameters/sev_es = Y" \
  "rome: SEV-ES active"
has "$T/rome" "[ SKIP ]     - Secure Nested Paging (SEV-SNP) (Rome (Zen 2) has no SEV-SNP)" "rome: SNP SKIPped"
for cpu in milan genoa turin; do
  "$CBIT" host --simulate "$cpu" >"$T/$cpu"
  has "$T/$cpu" "0 skipped" "$cpu: every row runs"
  has "$T/$cpu" "SYSCFG[24] SNP_EN = 1" "$cpu: SNP enabled"
  has "$T/$cpu" "C-bit location: 51" "$cpu: C-bit 51"
done
has "$T/genoa" "Page flush MSR: DISABLED (CPUID Fn8000_001F EAX[2] = 0)" "genoa: no VM_PAGE_FLUSH, as dumped"

# 3. Control: the BIOS default of the dumps (EDX=1) leaves KVM no SEV-ES ASIDs: FAIL, exit 1.
"$CBIT" host --simulate milan --set min-sev-asid=1 >"$T/default_bios"
rc=$?
[ "$rc" = 1 ] && ok "BIOS default: exit 1" || bad "BIOS default: exit $rc"
has "$T/default_bios" "[ FAIL ]       - SEV-ES active in the kernel (KVM): /sys/module/kvm_amd/parameters/sev_es = N" \
  "BIOS default: SEV-ES FAILs"
has "$T/default_bios" "Minimum ASID value for SEV-enabled, SEV-ES disabled guest: 1" "BIOS default: EDX 1"

# 4. -o json and --save/--from give the same verdict.
"$CBIT" host --simulate turin -o json >"$T/turin.json"
python3 - "$T/turin.json" <<'PY' && ok "json: turin all PASS" || bad "json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["mode"] == "host" and j["summary"]["failed"] == 0 and j["summary"]["skipped"] == 0, j["summary"]
assert "AMD EPYC 9655 96-Core Processor" in j["headline"], j["headline"]
PY
"$CBIT" host --simulate genoa --save "$T/genoa.json" >"$T/a"
"$CBIT" host --from "$T/genoa.json" >"$T/b"
cmp -s "$T/a" "$T/b" && ok "--save/--from round trip" || { bad "--from differs"; diff "$T/a" "$T/b"; }
has "$T/genoa.json" "simulated by cbit host --simulate genoa" "snapshot says it is simulated"

# 5. Bad input: one cbit: line, nothing on stdout, non-zero exit.
"$CBIT" host --simulate epyc >"$T/o" 2>"$T/e"
rc=$?
[ "$rc" != 0 ] && [ ! -s "$T/o" ] && [ "$(wc -l <"$T/e")" = 1 ] && grep -q "^cbit: --simulate: unknown CPU model 'epyc'" "$T/e" &&
  ok "unknown preset: $(cat "$T/e")" || { bad "unknown preset (exit $rc)"; cat "$T/o" "$T/e"; }
"$CBIT" host --simulate milan --set cbit=99 >"$T/o" 2>"$T/e"
rc=$?
[ "$rc" != 0 ] && [ ! -s "$T/o" ] && grep -q "^cbit: --set cbit" "$T/e" && ok "bad --set: $(cat "$T/e")" ||
  { bad "bad --set (exit $rc)"; cat "$T/o" "$T/e"; }
"$CBIT" host --set cbit=47 >"$T/o" 2>&1 && bad "--set without --simulate accepted" ||
  ok "--set needs --simulate"

echo "$fails failure(s)"
[ "$fails" = 0 ]
