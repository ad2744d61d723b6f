#!/usr/bin/env bash
# cbit demo and cbit map end to end: output formats, reproducibility, bad input.
set -euo pipefail
CBIT=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Human output: every section, every check ok, exit 0.
"$CBIT" demo --seed 3 >"$tmp/out.txt" || fail "demo exited non-zero"
grep -q "Secret data is: my secret" "$tmp/out.txt" || fail "smetest transcript missing"
grep -q "dmesg: Memory Encryption Features active: AMD SME" "$tmp/out.txt" || fail "dmesg line missing"
! grep -q "\[FAIL\]" "$tmp/out.txt" || fail "a check failed"
# snp-attest (examples/scenarios/snp-attest.toml): the relying party's checks, the secret (the
# file's) printed by the guest program, the seven attack rows each refused with its control.
grep -q "relying party: accepted; the secret released" "$tmp/out.txt" || fail "snp-attest: no acceptance"
grep -q "^  \[PASS\] measurement$" "$tmp/out.txt" || fail "snp-attest: measurement check not shown"
grep -q "^My secret is 1055436$" "$tmp/out.txt" || fail "snp-attest: the guest program did not print the secret"
for row in report-replay relay forged-report tcb-rollback other-image ghcb-tamper vmpl1-vmpck0; do
  grep -q "\[ ok \] $row: refused by" "$tmp/out.txt" || fail "snp-attest: $row not refused"
  grep -q "\[ ok \] $row control: the honest guest got the secret" "$tmp/out.txt" || fail "snp-attest: $row control"
done
[ "$(grep -c '\[ ok \]' "$tmp/out.txt")" -ge 20 ] || fail "too few checks"

# JSON: parseable, ok, same seed -> same output, other seed -> other ciphertext.
"$CBIT" demo --seed 3 -o json >"$tmp/a.json"
"$CBIT" demo --seed 3 -o json >"$tmp/b.json"
"$CBIT" demo --seed 4 -o json >"$tmp/c.json"
python3 - "$tmp/a.json" "$tmp/b.json" "$tmp/c.json" <<'PY'
import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:])
assert a["ok"] is True, "demo not ok"
assert [s["id"] for s in a["sections"]] == ["sme-full", "sme-partial", "smetest", "dma",
                                           "sev-guest", "sev-shared", "sev-attacks", "snp-attest"]
assert a == b, "same seed gave different output"
sa = {s["id"]: s for s in a["sections"]}
sc = {s["id"]: s for s in c["sections"]}
# smetest runs examples/scenarios/smetest.toml: "sme.decrypted" is ioctl(f, 1), the ciphertext.
assert sa["smetest"]["data"]["sme.decrypted"]["hex"] != sc["smetest"]["data"]["sme.decrypted"]["hex"]
for s in ("sme-partial", "smetest", "dma"):
    assert sa[s]["file"] == "examples/scenarios/%s.toml" % s, sa[s].get("file")
g = sa["sev-guest"]["data"]  # examples/scenarios/sev-guest.toml's step results
assert g["off.secret"]["found"] >= 1 and g["off.format"]["found"] >= 2, g["off.secret"]
for m in ("sev", "sev-es", "snp"):
    assert g[m + ".secret"]["found"] == 0 and g[m + ".format"]["found"] >= 1, g[m + ".format"]
    assert g[m + ".format"]["found_shared"] == g[m + ".format"]["found"], g[m + ".format"]
    assert g[m + ".g"]["owner_verified"] is True
# snp-attest and sev-attacks run their scenario files: their data are the steps' results by id.
rt = sa["snp-attest"]["data"]
assert sa["snp-attest"]["file"] == "examples/scenarios/snp-attest.toml"
assert rt["rt"]["accepted"] is True and "My secret is 1055436" in rt["rt"]["program"]["output"], rt["rt"]
rows = ["report-replay", "relay", "forged-report", "tcb-rollback", "other-image", "ghcb-tamper",
        "vmpl1-vmpck0"]
for row in rows:
    r = rt["attacks"][row]
    assert r["verdict"] == "blocked" and r["control_released"] is True, r
m = sa["sev-attacks"]["data"]["matrix"]
assert m["hv-memory-scan"]["off"] == "succeeded" and m["hv-memory-scan"]["sev"] == "blocked", m
assert m["variants"]["ciphertext-hiding"]["with"] == "blocked", m["variants"]
# sme-full runs examples/scenarios/sme-full.toml: its data are the steps' results by id.
sf = sa["sme-full"]
assert sf["file"] == "examples/scenarios/sme-full.toml", sf.get("file")
assert sf["data"]["sme.cb"]["found"] == 0 and sf["data"]["off.cb"]["found"] > 0, sf["data"]
PY

# Other generations run too.
"$CBIT" demo --cpu milan --section smetest --section dma >/dev/null || fail "milan demo"

# Bad input: one line, non-zero exit, no stack trace.
for args in "--cpu bogus" "--set cbit=99" "--set nonsense" "--section nope" "-o yaml" "--workdir /nonexistent"; do
  if "$CBIT" demo $args >"$tmp/o" 2>"$tmp/e"; then fail "demo $args succeeded"; fi
  [ "$(wc -l <"$tmp/e")" -le 2 ] || fail "demo $args: more than a short error: $(cat "$tmp/e")"
  grep -qi "error\|unknown\|not\|outside\|invalid\|must" "$tmp/e" || fail "demo $args: unclear error: $(cat "$tmp/e")"
done

# cbit map writes a PNG; an unwritable path is refused without leaving a file.
"$CBIT" map --seed 1 -O "$tmp/m.png" | grep -q "ciphertext" || fail "map summary"
head -c 8 "$tmp/m.png" | od -An -tx1 | grep -q "89 50 4e 47" || fail "map did not write a PNG"
if "$CBIT" map -O /nonexistent/dir/m.png 2>"$tmp/e"; then fail "map to a bad path succeeded"; fi
grep -q "/nonexistent/dir/m.png" "$tmp/e" || fail "map error does not name the file"
if "$CBIT" map --scenario nope 2>/dev/null; then fail "unknown scenario accepted"; fi
# The simulation's cold-boot image and page map feed `cbit scan`: the workload's records are
# found only in shared (decrypted) pages, and found everywhere when encryption is off.
"$CBIT" map --seed 1 --scenario sme-partial -O "$tmp/p.png" --image-out "$tmp/img" --page-map-out "$tmp/pm.json" >/dev/null
"$CBIT" scan "$tmp/img" -q -s "of the workload" --page-map "$tmp/pm.json" -o json >"$tmp/scan.json" || fail "scan of the SME image"
"$CBIT" map --seed 1 --scenario off -O "$tmp/o.png" --image-out "$tmp/img-off" >/dev/null
"$CBIT" scan "$tmp/img-off" -q -s "of the workload" -o json >"$tmp/scan-off.json" || fail "scan of the plain image"
python3 - "$tmp/scan.json" "$tmp/scan-off.json" "$tmp/pm.json" <<'PY'
import json, sys
on, off, pm = (json.load(open(p)) for p in sys.argv[1:])
text = json.dumps(on)
assert pm["format"] == "cbit-page-map" and any(r["kind"] == "shared" for r in pm["regions"])
kinds = [m["kind"] for m in on["matches"]]
assert kinds and all(k == "shared" for k in kinds), kinds
def total(j):
    return j["matches_total"]
assert total(off) > total(on) > 0, (total(off), total(on))
PY
echo "demo.sh: all checks passed"
