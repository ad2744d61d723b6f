#!/usr/bin/env bash
# cbit launch --mode snp --report-data HEX --report-out DIR (issue 10 §2): the launched guest's
# program gets an extended attestation report through /dev/sev-guest, KVM and the firmware; DIR
# holds report.bin and vcek/ask/ark.pem. Checked with openssl (chain and signature) and
# `cbit report verify`; REPORT_DATA and MEASUREMENT read back from the report. Refusals: too much
# REPORT_DATA, bad hex, a file at DIR, a symlink or FIFO at DIR's files, --report-data alone,
# --no-run, another mode.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/common.bash" "$1"
# Bytes [off, off+len) of a file as lowercase hex.
hexat() { od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }

OVMF=/usr/share/ovmf/OVMF.fd
[ -f $OVMF ] || { echo "FAIL: $OVMF is missing"; exit 1; }
RD=00112233445566778899aabbccddeeff
D="$T/att"

expect_exit 0 "report written: *$D/report.bin" -- "$CBIT" launch --mode snp --firmware $OVMF \
  --seed 7 --report-data $RD --report-out "$D"
meas=$(field measurement)
for f in report.bin vcek.pem ask.pem ark.pem; do
  [ -f "$D/$f" ] && ok "$f written" || bad "$f missing"
done
[ "$(stat -c %s "$D/report.bin")" = 1184 ] && ok "report.bin is 0x4A0 bytes" || bad "report size"
want=$(printf '%s%0*d' $RD $((128 - ${#RD})) 0)
[ "$(hexat "$D/report.bin" 80 64)" = "$want" ] && ok "REPORT_DATA is --report-data, zero-padded" \
  || bad "REPORT_DATA $(hexat "$D/report.bin" 80 64)"
[ "$(hexat "$D/report.bin" 144 48)" = "$meas" ] && ok "MEASUREMENT is the launch digest" \
  || bad "MEASUREMENT $(hexat "$D/report.bin" 144 48) != $meas"

if command -v openssl >/dev/null; then
  if openssl verify -CAfile "$D/ark.pem" -untrusted "$D/ask.pem" "$D/vcek.pem" >"$T/v" 2>&1; then
    ok "openssl verify: ARK -> ASK -> VCEK"
  else
    bad "openssl verify"; cat "$T/v"
  fi
  "$CBIT" report signature-der "$D/report.bin" --out "$T/sig.der" --signed-bytes "$T/signed.bin" \
    >/dev/null 2>&1 || bad "signature-der"
  openssl x509 -in "$D/vcek.pem" -pubkey -noout >"$T/vcek.pub"
  if openssl dgst -sha384 -verify "$T/vcek.pub" -signature "$T/sig.der" "$T/signed.bin" \
    >"$T/v" 2>&1; then
    ok "openssl dgst -sha384 -verify: the report's signature under the VCEK"
  else
    bad "openssl dgst -verify"; cat "$T/v"
  fi
  # Control: one flipped REPORT_DATA byte breaks the signature.
  cp "$T/signed.bin" "$T/forged.bin"
  printf '\xff' | dd of="$T/forged.bin" bs=1 seek=80 conv=notrunc 2>/dev/null
  if openssl dgst -sha384 -verify "$T/vcek.pub" -signature "$T/sig.der" "$T/forged.bin" \
    >/dev/null 2>&1; then
    bad "a forged report verified"
  else
    ok "control: an edited report does not verify"
  fi
else
  echo "SKIP: openssl is not installed; the chain and signature checks did not run"
fi
verify_args=(--certs-dir "$D")
if "$CBIT" report verify --help 2>&1 | grep -q -- --trust-ark; then
  verify_args+=(--trust-ark "$D/ark.pem")
fi
expect_exit 0 "Report verified" -- "$CBIT" report verify "$D/report.bin" "${verify_args[@]}"
if [ ${#verify_args[@]} -gt 2 ]; then
  # Control: the simulated root is not one of AMD's pinned ARKs; without --trust-ark, refused.
  "$CBIT" report verify "$D/report.bin" --certs-dir "$D" >"$T/out" 2>&1
  got=$?
  [ $got -ne 0 ] && ok "control: without --trust-ark the simulated chain is refused (exit $got)" \
    || bad "the simulated ARK was trusted without --trust-ark"
fi

# A second run into the same directory replaces the files (a new report, new REPORT_DATA).
expect_exit 0 "report written" -- "$CBIT" launch --mode snp --firmware $OVMF --seed 7 \
  --report-data ff --report-out "$D"
[ "$(hexat "$D/report.bin" 80 1)" = ff ] && ok "second run replaced report.bin" || bad "not replaced"

# Refusals, before anything runs.
expect_exit 1 "at most 64" -- "$CBIT" launch --mode snp --firmware $OVMF \
  --report-data "$(printf 'ab%.0s' $(seq 65))" --report-out "$T/r1"
[ -e "$T/r1" ] && bad "a refused run created its directory" || ok "refused run created nothing"
expect_exit 1 "report-data" -- "$CBIT" launch --mode snp --firmware $OVMF --report-data zz \
  --report-out "$T/r2"
: >"$T/file"
expect_exit 1 "not a directory" -- "$CBIT" launch --mode snp --firmware $OVMF --report-out "$T/file"
mkdir "$T/r3" && ln -s /etc/passwd "$T/r3/ark.pem"
expect_exit 1 "not a regular file" -- "$CBIT" launch --mode snp --firmware $OVMF --seed 7 \
  --report-out "$T/r3"
mkdir "$T/r4" && mkfifo "$T/r4/report.bin"
expect_exit 1 "not a regular file" -- "$CBIT" launch --mode snp --firmware $OVMF --seed 7 \
  --report-out "$T/r4"
ln -s "$T/r4" "$T/r5"
expect_exit 1 "symbolic link" -- "$CBIT" launch --mode snp --firmware $OVMF --report-out "$T/r5"
expect_exit 1 "needs --report-out" -- "$CBIT" launch --mode snp --firmware $OVMF --report-data 00
expect_exit 1 "drop --no-run" -- "$CBIT" launch --mode snp --firmware $OVMF --no-run \
  --report-out "$T/r6"
expect_exit 1 "need --mode snp" -- "$CBIT" launch --mode sev --firmware $OVMF --report-out "$T/r7"

[ $fails -eq 0 ] && echo "all passed" || { echo "$fails failed"; exit 1; }
