#!/usr/bin/env bash
# cbit report: sample -> display -> verify, cross-checked with stock openssl, and every way a
# verification must fail (go-sev-guest's exit codes 1 misuse, 2 bad signature, 5 policy; cbit's
# 6 chain not verified, 7 root not AMD's, 8 malformed, 10 VLEK/VCEK mismatch), and real AMD
# reports from tests/data/report (see its NOTICE) under the pinned AMD roots.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/common.bash" "$1"
SRC=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
REAL="$SRC/tests/data/report"
command -v openssl >/dev/null || bad "the 'openssl' tool is missing (scripts/install-deps.sh installs it)"

# flip_byte IN OUT OFFSET: OUT is IN with the byte at OFFSET inverted (so it surely changes).
flip_byte() {
  python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); o = int(sys.argv[3]); b[o] ^= 0xFF; open(sys.argv[2], "wb").write(b)' "$@"
}

KEYS="$T/keys"
"$CBIT" report sample --out-dir "$T/a" --seed 1 --key-cache "$KEYS" --report-data 0102030405 \
  >/dev/null || { echo "FAIL: sample"; exit 1; }
"$CBIT" report sample --out-dir "$T/b" --seed 2 --key-cache "$KEYS" >/dev/null || exit 1
for f in report.bin ark.pem ask.pem vcek.pem; do
  [ -s "$T/a/$f" ] || bad "sample did not write $f"
done
[ "$(stat -c %s "$T/a/report.bin")" = 1184 ] && ok "report.bin is 1184 bytes" || bad "report size"
grep -q "not AMD" <(openssl x509 -in "$T/a/ark.pem" -noout -subject) && ok "ARK subject says not AMD" \
  || bad "ARK subject does not say it is not AMD"

# display
"$CBIT" report display "$T/a/report.bin" >"$T/display" || bad "display failed"
grep -q "^Attestation Report:" "$T/display" && grep -q "^Version:                      3" "$T/display" \
  && grep -q "^01 02 03 04 05 00" "$T/display" && ok "display layout" || bad "display layout"

# the sample prints how to verify it
"$CBIT" report sample --out-dir "$T/p" --seed 1 --key-cache "$KEYS" | grep -q -- "--trust-ark $T/p/ark.pem" \
  && ok "sample prints the --trust-ark command" || bad "sample does not say how to verify"

# verify: the consistent sample passes with its root trusted explicitly, from a certs dir and
# from explicit files, and says the root is not AMD's
expect_exit 0 "Report verified, up to the ARK from --trust-ark" -- "$CBIT" report verify \
  "$T/a/report.bin" --certs-dir "$T/a" --trust-ark "$T/a/ark.pem"
grep -q "root: ARK from --trust-ark $T/a/ark.pem (sha256 [0-9a-f]\{64\}), not AMD's" "$T/out" \
  && ok "root line names the --trust-ark file" || bad "root line"
expect_exit 0 "CHIP_ID matches" -- "$CBIT" report verify "$T/a/report.bin" --vcek "$T/a/vcek.pem" \
  --ask "$T/a/ask.pem" --ark "$T/a/ark.pem" --trust-ark "$T/a/ark.pem"
# ... and without --trust-ark its root (AMD's names aside) is refused: 7
expect_exit 7 "is NOT one of AMD's pinned ARKs" -- "$CBIT" report verify "$T/a/report.bin" \
  --certs-dir "$T/a"
# the VCEK alone: the signature verifies, the chain does not: 6, its own message
expect_exit 6 "Report signature verified; chain NOT verified" -- "$CBIT" report verify \
  "$T/a/report.bin" --vcek "$T/a/vcek.pem"
mkdir -p "$T/vcek-only" && cp "$T/a/vcek.pem" "$T/vcek-only/"
expect_exit 6 "chain NOT verified" -- "$CBIT" report verify "$T/a/report.bin" --certs-dir "$T/vcek-only"
grep -q "^Report verified" "$T/out" && bad "VCEK-only output says Report verified" \
  || ok "VCEK-only output does not say Report verified"
# a byte after the signature (0x330..0x49F): refused as malformed, 8
cp "$T/a/report.bin" "$T/tail.bin"
printf '\x01' | dd of="$T/tail.bin" bs=1 seek=$((0x400)) conv=notrunc 2>/dev/null
expect_exit 8 "reserved after the signature 0x330..0x49F must be zero" -- "$CBIT" report verify \
  "$T/tail.bin" --certs-dir "$T/a" --trust-ark "$T/a/ark.pem"
"$CBIT" report display "$T/tail.bin" | grep -q "cbit: warning (mbz.0x330)" \
  && ok "display warns about the tail byte" || bad "display did not warn about the tail byte"

# -o json: verify and display
"$CBIT" report verify "$T/a/report.bin" --certs-dir "$T/a" --trust-ark "$T/a/ark.pem" -o json \
  >"$T/v.json"; rc=$?
[ "$rc" = 0 ] && python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["verdict"] == "verified" and j["exit_code"] == 0, j
assert j["root"]["kind"] == "trusted" and len(j["root"]["cert_sha256"]) == 64, j["root"]
assert {c["status"] for c in j["checks"]} <= {"pass", "fail", "skip", "info"}
assert any(c["id"] == "signature" and c["status"] == "pass" for c in j["checks"])
' "$T/v.json" && ok "verify -o json" || bad "verify -o json (exit $rc)"
"$CBIT" report verify "$T/a/report.bin" --vcek "$T/a/vcek.pem" -o json >"$T/v6.json"; rc=$?
[ "$rc" = 6 ] && python3 -c '
import json, sys
j = json.load(open(sys.argv[1])); assert j["verdict"] == "chain_not_verified", j
' "$T/v6.json" && ok "verify -o json, VCEK only: exit 6" || bad "verify -o json VCEK only (exit $rc)"
"$CBIT" report display "$T/a/report.bin" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["version"] == 3 and j["policy"]["SMT"] is True and j["platform_info"]["TIO_EN"] is False
assert j["report_data"].startswith("0102030405") and j["format_findings"] == []
' && ok "display -o json" || bad "display -o json"

# stock openssl agrees: the chain, and the report signature once R,S are DER
out=$(openssl verify -CAfile "$T/a/ark.pem" -untrusted "$T/a/ask.pem" "$T/a/vcek.pem" 2>&1)
[ "$out" = "$T/a/vcek.pem: OK" ] && ok "openssl verify chain" || bad "openssl verify: $out"
"$CBIT" report signature-der "$T/a/report.bin" --out "$T/sig.der" --signed-bytes "$T/signed.bin"
openssl x509 -in "$T/a/vcek.pem" -pubkey -noout >"$T/vcek.pub"
out=$(openssl dgst -sha384 -verify "$T/vcek.pub" -signature "$T/sig.der" "$T/signed.bin" 2>&1)
[ "$out" = "Verified OK" ] && ok "openssl dgst verifies the report signature" || bad "openssl dgst: $out"
# control: the same check by openssl on a tampered copy must fail
cp "$T/signed.bin" "$T/signed-t.bin"
printf '\x55' | dd of="$T/signed-t.bin" bs=1 seek=$((0x90)) conv=notrunc 2>/dev/null
openssl dgst -sha384 -verify "$T/vcek.pub" -signature "$T/sig.der" "$T/signed-t.bin" >/dev/null 2>&1 \
  && bad "openssl accepted a tampered report" || ok "openssl rejects the tampered report"
# the DER signature is what openssl asn1parse sees as two INTEGERs
[ "$(openssl asn1parse -inform DER -in "$T/sig.der" | grep -c INTEGER)" = 2 ] \
  && ok "signature DER holds R and S" || bad "signature DER shape"

# a tampered report byte -> 2
cp "$T/a/report.bin" "$T/tampered.bin"
printf '\x55' | dd of="$T/tampered.bin" bs=1 seek=$((0x90)) conv=notrunc 2>/dev/null
expect_exit 2 "report signature" -- "$CBIT" report verify "$T/tampered.bin" --certs-dir "$T/a" \
  --trust-ark "$T/a/ark.pem"

# a wrong VCEK (another chip's, with its own valid chain) -> 2
expect_exit 2 "does not verify under this VCEK" -- "$CBIT" report verify "$T/a/report.bin" \
  --certs-dir "$T/b" --trust-ark "$T/b/ark.pem"

# a broken chain: ASK signed by another ARK -> 2; openssl verify agrees
expect_exit 2 "ASK is NOT signed by the ARK" -- "$CBIT" report verify "$T/a/report.bin" \
  --vcek "$T/a/vcek.pem" --ask "$T/a/ask.pem" --ark "$T/b/ark.pem"
openssl verify -CAfile "$T/b/ark.pem" -untrusted "$T/a/ask.pem" "$T/a/vcek.pem" >/dev/null 2>&1 \
  && bad "openssl accepted the broken chain" || ok "openssl rejects the broken chain too"

# a VCEK issued for another TCB (same chain, same key) -> 5, naming the field
"$CBIT" report sample --out-dir "$T/tcb" --seed 1 --key-cache "$KEYS" --mismatch tcb >/dev/null
expect_exit 5 "REPORTED_TCB.snp = 8 but the VCEK's snp SPL extension (1.3.6.1.4.1.3704.1.3.3) = 9" \
  -- "$CBIT" report verify "$T/tcb/report.bin" --certs-dir "$T/tcb" --trust-ark "$T/tcb/ark.pem"
# a VCEK for another chip -> 5
"$CBIT" report sample --out-dir "$T/chip" --seed 1 --key-cache "$KEYS" --mismatch chip-id >/dev/null
expect_exit 5 "CHIP_ID .* differs from the VCEK's hwID" -- "$CBIT" report verify \
  "$T/chip/report.bin" --certs-dir "$T/chip" --trust-ark "$T/chip/ark.pem"

# DER certificates work the same
"$CBIT" report sample --out-dir "$T/der" --seed 1 --key-cache "$KEYS" --der >/dev/null
expect_exit 0 "Report verified" -- "$CBIT" report verify "$T/der/report.bin" --certs-dir "$T/der" \
  --trust-ark "$T/der/ark.der"
openssl x509 -inform DER -in "$T/der/vcek.der" -noout >/dev/null 2>&1 && ok "DER vcek parses in openssl" \
  || bad "DER vcek"

# truncated and oversized files -> 1, one line naming the file
head -c 1183 "$T/a/report.bin" >"$T/short.bin"
expect_exit 1 "short.bin: 1183 bytes" -- "$CBIT" report verify "$T/short.bin" --certs-dir "$T/a"
cat "$T/a/report.bin" <(printf x) >"$T/long.bin"
expect_exit 1 "long.bin: 1185 bytes" -- "$CBIT" report display "$T/long.bin"
[ "$(wc -l <"$T/err")" = 1 ] && ok "one-line error" || bad "error is not one line"
head -c 200 "$T/a/vcek.pem" >"$T/cut.pem"
expect_exit 1 "cut.pem" -- "$CBIT" report verify "$T/a/report.bin" --vcek "$T/cut.pem"
expect_exit 1 "missing.pem" -- "$CBIT" report verify "$T/a/report.bin" --vcek "$T/missing.pem"
expect_exit 1 "an ARK without the ASK" -- "$CBIT" report verify "$T/a/report.bin" \
  --vcek "$T/a/vcek.pem" --ark "$T/a/ark.pem"
expect_exit 1 "without an ARK" -- "$CBIT" report verify "$T/a/report.bin" --vcek "$T/a/vcek.pem" \
  --ask "$T/a/ask.pem"

expect_exit 1 "report-data" -- "$CBIT" report sample --out-dir "$T/x" --report-data zz
[ ! -e "$T/x/report.bin" ] && ok "no output after a bad flag" || bad "output written after a bad flag"

# Real reports (tests/data/report/NOTICE): AMD's pinned ARKs accept them, edits are refused.
# --at 2025-06-01 keeps the test inside every certificate's validity (the VLEK's ends 2025-12).
AT="--at 2025-06-01"
for d in virtee-sev-milan go-sev-guest-milan; do
  expect_exit 0 "root: AMD ARK-Milan (pinned, sha256 69d063b4" -- "$CBIT" report verify \
    "$REAL/$d/report.bin" --vcek "$REAL/$d/vcek.der" --ask "$REAL/virtee-sev-milan/ask.pem" \
    --ark "$REAL/virtee-sev-milan/ark.pem" $AT
  flip_byte "$REAL/$d/report.bin" "$T/real.bin" $((0x50))
  expect_exit 2 "report signature" -- "$CBIT" report verify "$T/real.bin" \
    --vcek "$REAL/$d/vcek.der" --ask "$REAL/virtee-sev-milan/ask.pem" \
    --ark "$REAL/virtee-sev-milan/ark.pem" $AT
done
# Genoa (Azure), snpguest's VCEK layout in a directory
expect_exit 0 "root: AMD ARK-Genoa (pinned, sha256 4c6598d1" -- "$CBIT" report verify \
  "$REAL/trustee-genoa-azure/report.bin" --certs-dir "$REAL/trustee-genoa-azure" $AT
# a VLEK (AWS, Milan), snpguest's VLEK layout (vlek.der, asvk.pem, ark.pem), labelled VLEK/ASVK
expect_exit 0 "ARK -> ASVK -> VLEK OK" -- "$CBIT" report verify \
  "$REAL/trustee-milan-vlek/report.bin" --certs-dir "$REAL/trustee-milan-vlek" $AT
# ... past the VLEK's notAfter the path does not validate: 2, and it says why
expect_exit 2 "certificate has expired" -- "$CBIT" report verify \
  "$REAL/trustee-milan-vlek/report.bin" --certs-dir "$REAL/trustee-milan-vlek" --at 2026-06-01
# the VLEK report with a VCEK-layout directory, and the reverse: 10
expect_exit 10 "says the VLEK signed this report" -- "$CBIT" report verify \
  "$REAL/trustee-milan-vlek/report.bin" --certs-dir "$REAL/virtee-sev-milan" $AT
expect_exit 10 "says the VCEK signed this report" -- "$CBIT" report verify \
  "$REAL/virtee-sev-milan/report.bin" --certs-dir "$REAL/trustee-milan-vlek" $AT
expect_exit 1 "--at: '2025-13-01' is not" -- "$CBIT" report verify \
  "$REAL/virtee-sev-milan/report.bin" --certs-dir "$REAL/virtee-sev-milan" --at 2025-13-01
# the real AMD chain with only the VCEK: 6; the sample's chain with AMD's real root: 2
expect_exit 6 "chain NOT verified" -- "$CBIT" report verify "$REAL/virtee-sev-milan/report.bin" \
  --vcek "$REAL/virtee-sev-milan/vcek.der"
expect_exit 2 "ASK is NOT signed by the ARK" -- "$CBIT" report verify "$T/a/report.bin" \
  --vcek "$T/a/vcek.pem" --ask "$T/a/ask.pem" --ark "$REAL/virtee-sev-milan/ark.pem"

# sample --vlek: a report signed by the KDS stand-in's VLEK (KEY_INFO.SIGNING_KEY 1) with the
# ARK -> ASVK -> VLEK chain in snpguest's VLEK layout; verify labels the chain so and accepts it
"$CBIT" report sample --out-dir "$T/vlek" --seed 1 --key-cache "$KEYS" --vlek >"$T/vlek.out" \
  || bad "sample --vlek failed"
grep -q "ark,asvk,vlek" "$T/vlek.out" && ok "sample --vlek names ark, asvk, vlek" \
  || bad "sample --vlek output: $(cat "$T/vlek.out")"
for f in report.bin ark.pem asvk.pem vlek.pem; do
  [ -s "$T/vlek/$f" ] || bad "sample --vlek did not write $f"
done
[ -e "$T/vlek/vcek.pem" ] || [ -e "$T/vlek/ask.pem" ] && bad "sample --vlek wrote a VCEK or ASK" \
  || ok "sample --vlek wrote no VCEK layout"
openssl x509 -in "$T/vlek/vlek.pem" -noout -text | grep -q "1.3.6.1.4.1.3704.1.5" \
  && ok "the VLEK carries CSP_ID" || bad "the VLEK has no CSP_ID extension"
openssl x509 -in "$T/vlek/asvk.pem" -noout -subject | grep -q "SEV-VLEK-Milan" \
  && ok "the ASVK's CN is SEV-VLEK-Milan" || bad "ASVK subject"
openssl verify -CAfile "$T/vlek/ark.pem" -untrusted "$T/vlek/asvk.pem" "$T/vlek/vlek.pem" \
  >/dev/null 2>&1 && ok "openssl verify: ARK -> ASVK -> VLEK" || bad "openssl verify of the VLEK chain"
"$CBIT" report display "$T/vlek/report.bin" | grep -q "VLEK" && ok "display says VLEK" \
  || bad "display of the VLEK report does not say VLEK"
expect_exit 0 "ARK -> ASVK -> VLEK OK" -- "$CBIT" report verify "$T/vlek/report.bin" \
  --certs-dir "$T/vlek" --trust-ark "$T/vlek/ark.pem"
grep -q "^Report verified" "$T/out" && ok "VLEK sample: Report verified" || bad "VLEK sample verdict"
grep -q "VCEK\|ASK " "$T/out" && bad "VLEK sample's output names a VCEK or ASK" \
  || ok "VLEK sample's output names no VCEK/ASK"
# controls: the VLEK report with the VCEK sample's directory (same seed, same chip): 10; the VCEK
# report with the VLEK directory: 10; the VLEK report without --trust-ark: 7; the VLEK report
# whose signature byte is flipped: 2; a VLEK certified for another TCB: refused
expect_exit 10 "says the VLEK signed this report" -- "$CBIT" report verify "$T/vlek/report.bin" \
  --certs-dir "$T/a" --trust-ark "$T/a/ark.pem"
expect_exit 10 "says the VCEK signed this report" -- "$CBIT" report verify "$T/a/report.bin" \
  --certs-dir "$T/vlek" --trust-ark "$T/vlek/ark.pem"
expect_exit 7 "is NOT one of AMD's pinned ARKs" -- "$CBIT" report verify "$T/vlek/report.bin" \
  --certs-dir "$T/vlek"
flip_byte "$T/vlek/report.bin" "$T/vlek-sig.bin" $((0x2A0 + 5))
expect_exit 2 "" -- "$CBIT" report verify "$T/vlek-sig.bin" --certs-dir "$T/vlek" \
  --trust-ark "$T/vlek/ark.pem"
"$CBIT" report sample --out-dir "$T/vlek-tcb" --seed 1 --key-cache "$KEYS" --vlek --mismatch tcb \
  >/dev/null || bad "sample --vlek --mismatch tcb failed"
expect_exit 5 "REPORTED_TCB.snp = 8 but the VLEK's snp SPL extension" -- "$CBIT" report verify \
  "$T/vlek-tcb/report.bin" --certs-dir "$T/vlek-tcb" --trust-ark "$T/vlek-tcb/ark.pem"
expect_exit 1 "a VLEK names no chip" -- "$CBIT" report sample --out-dir "$T/x" --vlek \
  --mismatch chip-id

# Optional: another real report and AMD chain (report.bin, vcek, ask, ark in a dir).
if [ -n "${CBIT_REAL_SNP_DIR:-}" ]; then
  expect_exit 0 "Report verified" -- "$CBIT" report verify "$CBIT_REAL_SNP_DIR/report.bin" \
    --certs-dir "$CBIT_REAL_SNP_DIR"
fi

[ "$fails" = 0 ] && echo "report.sh: all passed" || echo "report.sh: $fails failed"
[ "$fails" = 0 ]
