#!/usr/bin/env bash
# End-to-end checks of `cbit map --scenario snp` (docs/map.md): a PNG is written with the RMP
# summary (firmware, VMSA, guest-valid, guest-invalid pages of two SNP guests), and bad values
# (a part without SNP, an unknown scenario, an out-of-range --pages-per-row, a --set field) are
# refused with an error on stderr, a non-zero exit and no file.
# Usage: bash map_snp.sh <path-to-cbit> <source-dir>
set -u
CBIT=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

"$CBIT" map --scenario snp --cpu milan --seed 1 -O "$T/snp.png" >"$T/out" 2>"$T/err" ||
  bad "map --scenario snp: exit $?; $(head -c 300 "$T/err")"
[ "$(head -c 8 "$T/snp.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] && ok ||
  bad "snp.png is not a PNG"
python3 - "$T/out" <<'PY' && ok || bad "RMP summary: $(cat "$T/out")"
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"RMP: (\d+) firmware, (\d+) VMSA, (\d+) guest-valid, (\d+) guest-invalid", t)
assert m, t
fw, vmsa, valid, invalid = map(int, m.groups())
assert fw > 0 and vmsa == 2 and valid > 0, m.groups()  # two SNP guests, one vCPU each
assert re.search(r"(\d+) ciphertext", t) and int(re.search(r"(\d+) ciphertext", t).group(1)) > 0
PY
# Same seed, same picture.
"$CBIT" map --scenario snp --cpu milan --seed 1 -O "$T/snp2.png" >/dev/null 2>&1 &&
  cmp -s "$T/snp.png" "$T/snp2.png" && ok || bad "map --scenario snp is not reproducible"
"$CBIT" map --scenario snp --cpu genoa --seed 2 -O "$T/genoa.png" >/dev/null 2>"$T/err" && ok ||
  bad "map --scenario snp on genoa: $(head -c 300 "$T/err")"

# Without --cpu the default part (naples) has no SNP: the scenario runs on milan and says so.
"$CBIT" map --scenario snp --seed 1 -O "$T/default.png" >"$T/out" 2>"$T/err" && ok ||
  bad "map --scenario snp without --cpu: $(head -c 300 "$T/err")"
grep -q "no --cpu: the default naples has no SEV-SNP.*runs on milan" "$T/out" && ok ||
  bad "no milan note: $(cat "$T/out")"
cmp -s "$T/snp.png" "$T/default.png" && ok || bad "default run is not milan's picture"
# Control: the other scenarios keep the default part and print no such note.
"$CBIT" map --scenario sme-partial --seed 1 -O "$T/sme.png" >"$T/out" 2>&1 && ok || bad "sme-partial"
grep -q "runs on milan" "$T/out" && bad "sme-partial moved to milan" || ok

refused() {  # refused NAME -- args...: non-zero exit, "cbit"/usage error on stderr, no PNG
  local what=$1; shift 2
  rm -f "$T/r.png"
  "$CBIT" "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  [ "$rc" -ne 0 ] && ok || bad "$what: exit 0"
  [ -s "$T/err" ] && ok || bad "$what: no error on stderr"
  [ ! -e "$T/r.png" ] && ok || bad "$what: wrote the PNG"
}
refused "snp on naples" -- map --scenario snp --cpu naples -O "$T/r.png"
grep -qF "SEV-SNP" "$T/err" && ok || bad "naples refusal does not name SEV-SNP: $(cat "$T/err")"
refused "snp on rome" -- map --scenario snp --cpu rome -O "$T/r.png"
refused "snp with SNP switched off" -- map --scenario snp --cpu milan --set features=-sev_snp -O "$T/r.png"
refused "snp, no --cpu, SNP switched off" -- map --scenario snp --set features=-sev_snp -O "$T/r.png"
refused "unknown scenario" -- map --scenario SNP -O "$T/r.png"
refused "scenario with junk" -- map --scenario "snp;rm" -O "$T/r.png"
refused "pages per row too small" -- map --scenario snp --cpu milan --pages-per-row 8 -O "$T/r.png"
refused "pages per row negative" -- map --scenario snp --cpu milan --pages-per-row -1 -O "$T/r.png"
refused "unknown --set field" -- map --scenario snp --cpu milan --set nosuch=1 -O "$T/r.png"
refused "empty output name" -- map --scenario snp --cpu milan -O ""

echo "map_snp.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
