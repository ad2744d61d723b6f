#!/usr/bin/env bash
# End-to-end checks of `cbit attack`: the matrix as text and JSON (four columns with SEV-SNP and
# the SNP mitigation table), one attack in one mode (SNP included), and bad input (mode, attack
# name, CPU, --set fields and values, missing --mode) as one-line errors with a non-zero exit.
# Usage: bash attack.sh <path-to-cbit> <source-dir>
set -u
CBIT=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
expect_rc() {  # expect_rc RC DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  [ "$rc" -eq "$want" ] && ok || bad "$what: exit $rc, want $want; stderr: $(head -c 300 "$T/err")"
}
contains() { grep -qF -- "$2" "$1" && ok || bad "$3: '$2' not in $(basename "$1"): $(head -c 400 "$1")"; }
one_error_line() {  # stderr is one line "cbit: ..." naming $1
  [ "$(wc -l <"$T/err")" -eq 1 ] && grep -qF -- "$1" "$T/err" && grep -q "^cbit: " "$T/err" && ok ||
    bad "error for $1 is not one line naming it: $(cat "$T/err")"
}

expect_rc 0 "matrix as text" -- "$CBIT" attack --matrix
contains "$T/out" "SEV attack matrix (cpu milan, seed 1)" "matrix title"
contains "$T/out" "| SEV-ES" "mode column"
contains "$T/out" "NPT remap (SEVered)" "remap row"
contains "$T/out" "| SEV-SNP" "SNP column"
contains "$T/out" "restricted injection" "SNP mitigation table"
contains "$T/out" "ciphertext hiding" "SNP mitigation table"

expect_rc 0 "matrix as JSON" -- "$CBIT" attack --matrix --json --seed 7
python3 - "$T/out" <<'PY' && ok || bad "matrix JSON does not parse or has the wrong shape"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["seed"] == 7 and j["modes"] == ["off", "sev", "sev-es", "snp"], j["modes"]
rows = {r["attack"]: r["cells"] for r in j["rows"]}
assert len(rows) == 11, rows.keys()
assert all(len(c) == 4 and c[3]["mode"] == "snp" for c in rows.values())
assert all(c[3]["verdict"] in ("succeeded", "blocked") for c in rows.values())  # no ERR cell
assert rows["npt-remap"][3]["verdict"] == "blocked"
assert rows["npt-remap"][3]["evidence"]["npf_rmp_bit"] is True
assert rows["npt-remap"][3]["evidence"]["guest_vc_0x404"] is True
assert rows["wesee-vc-injection"][3]["verdict"] == "succeeded"
assert rows["hv-write-private"][3]["evidence"]["rmp_bit"] is True
v = {x["variant"]: x for x in j["snp_variants"]}
assert len(v) == 4, v.keys()
assert all(x["without"]["verdict"] == "succeeded" and x["with"]["verdict"] == "blocked"
           for x in v.values()), {k: (x["without"]["verdict"], x["with"]["verdict"]) for k, x in v.items()}
# off: all work but CacheWarp, which milan's microcode stops in every column
assert all(r[0]["verdict"] == "succeeded" for a, r in rows.items() if a != "cachewarp")
assert all(c["verdict"] == "blocked" for c in rows["cachewarp"])
assert rows["hv-memory-scan"][1]["verdict"] == "blocked"
assert rows["hv-register-access"][2]["verdict"] == "blocked"
assert rows["npt-remap"][2]["verdict"] == "succeeded"
assert rows["cipherleaks"][2]["evidence"]["bits_recovered"] == 32
assert rows["cipherleaks-npf"][2]["evidence"]["exit"] == "#NPF"
PY

expect_rc 0 "one attack" -- "$CBIT" attack hv-memory-scan --mode sev
contains "$T/out" "HV memory scan [sev]: blocked" "single attack verdict"
expect_rc 0 "one attack as JSON" -- "$CBIT" attack npt-remap --mode sev-es --json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["verdict"]=="succeeded" and j["mode"]=="sev-es"' "$T/out" &&
  ok || bad "single attack JSON"

expect_rc 0 "remap on SNP" -- "$CBIT" attack npt-remap --mode snp
contains "$T/out" "NPT remap (SEVered) [snp]: blocked" "remap SNP verdict"
contains "$T/out" "#VC 0x404" "remap SNP: the guest's #VC"
expect_rc 0 "WeSee on SNP as JSON" -- "$CBIT" attack wesee-vc-injection --mode snp --json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["verdict"]=="succeeded" and j["mode"]=="snp" and j["evidence"]["ghcb_registered"]' "$T/out" &&
  ok || bad "WeSee SNP JSON"
expect_rc 0 "CacheWarp without the fix" -- "$CBIT" attack cachewarp --mode snp --set cachewarp-fix=0
contains "$T/out" "succeeded" "cachewarp without the fix works"
expect_rc 0 "CacheWarp with the fix" -- "$CBIT" attack cachewarp --mode snp --set cachewarp-fix=1
contains "$T/out" "blocked" "cachewarp with the fix is blocked"
expect_rc 0 "SNP on rome is reported, not invented" -- "$CBIT" attack npt-remap --mode snp --cpu rome
contains "$T/out" "error" "rome SNP verdict"

# Hostile values for the new flags.
expect_rc 2 "bad --mode" -- "$CBIT" attack hv-memory-scan --mode sev-snp
one_error_line "sev-snp"
[ ! -s "$T/out" ] && ok || bad "bad --mode wrote to stdout"
expect_rc 2 "missing --mode" -- "$CBIT" attack cipherleaks
one_error_line "--mode"
expect_rc 2 "unknown attack" -- "$CBIT" attack rowhammer --mode sev
one_error_line "attack 'rowhammer'"
expect_rc 2 "unknown CPU" -- "$CBIT" attack --matrix --cpu pentium
one_error_line "--cpu"
for set in "cachewarp-fix=2" "cachewarp-fix=" "no-such-field=1" "ciphertext-hiding=yes" "=" "cachewarp-fix=1$(printf '\n')x"; do
  expect_rc 2 "bad --set '$set'" -- "$CBIT" attack cachewarp --mode snp --set "$set"
  grep -q "^cbit: " "$T/err" && ok || bad "--set '$set': no one-line error: $(head -c 300 "$T/err")"
  [ ! -s "$T/out" ] && ok || bad "--set '$set' wrote to stdout"
done
expect_rc 2 "matrix with a name" -- "$CBIT" attack --matrix dma-private
one_error_line "--matrix"
expect_rc 0 "SEV-ES on naples is reported, not invented" -- "$CBIT" attack dma-private --mode sev-es --cpu naples
contains "$T/out" "error" "naples SEV-ES verdict"

echo "attack.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
