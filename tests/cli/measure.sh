#!/usr/bin/env bash
# cbit measure end to end: digests of Debian's OVMF builds as sev-snp-measure prints them
# (values from sev-snp-measure 0.0.13 on the ovmf 2024.11 package; rows skipped if the package
# differs), output formats, --explain / diff, --dump-vmsa, and every refusal with its exit code.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/common.bash" "$1"
for tool in xxd base64 sha256sum; do
  command -v $tool >/dev/null || bad "the '$tool' tool is missing (scripts/install-deps.sh installs it)"
done
# expect_digest WANT -- args...: stdout is exactly WANT and a newline.
expect_digest() {
  local want=$1
  shift 2
  local got
  got=$("$CBIT" measure "$@" 2>"$T/err")
  if [ $? -ne 0 ] || [ "$got" != "$want" ]; then
    bad "measure $*: got '$got' want '$want'"; cat "$T/err"; return
  fi
  ok "digest: $*"
}

OVMF=/usr/share/ovmf/OVMF.fd
CODE4M=/usr/share/OVMF/OVMF_CODE_4M.fd
# pinned FILE SHA256: the build the digests below come from. A missing file fails (a missing
# dependency); another build of it skips those rows, saying so.
pinned() {
  if [ ! -f "$1" ]; then
    bad "$1 is missing: scripts/install-deps.sh installs the ovmf package"
    return 1
  fi
  [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}
if pinned $OVMF 7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773; then
  # sev-snp-measure --mode sev --ovmf /usr/share/ovmf/OVMF.fd
  expect_digest 7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773 -- --mode sev --ovmf $OVMF
  # sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --ovmf /usr/share/ovmf/OVMF.fd
  expect_digest 5f69b0f48cbd00c7bed859a9d597034d426b3a64a443674755132d833bf0e480 -- --mode seves --vcpus 4 --vcpu-type EPYC-v4 --ovmf $OVMF
  # sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --ovmf /usr/share/ovmf/OVMF.fd
  expect_digest 32ac9d7a17d28f7cd4404a4516d2f00519668c40ada2062351c36767e908eb3f090d66c33ab10f80150e00a4385b6d0f -- --mode snp --vcpus 4 --vcpu-type EPYC-v4 --ovmf $OVMF
  # base64 of the same
  expect_digest "$(echo 32ac9d7a17d28f7cd4404a4516d2f00519668c40ada2062351c36767e908eb3f090d66c33ab10f80150e00a4385b6d0f | xxd -r -p | base64 -w0)" \
    -- --mode snp --vcpus 4 --vcpu-type EPYC-v4 --ovmf $OVMF --output-format base64
  # sev-snp-measure --mode snp --vcpus 2 --vcpu-sig -1 --ovmf /usr/share/ovmf/OVMF.fd
  expect_digest 2797ffccd153ef48d5ec4588bd3dd06cd8c3f30f67b8aace5bfccb62de6d793e1ab4734d1ef2d9409955d9f3369c2b98 -- --mode snp --vcpus 2 --vcpu-sig -1 --ovmf $OVMF
  # sev-snp-measure --mode snp --vcpus 2 --vcpus 3 --vcpu-type EPYC --ovmf ... (the last value wins)
  expect_digest 7ae00cab27105271bdbb83298aa2a97f7cd653a8626a629bad02509f243dc0ec40e076553947907119216d4a1be4b066 -- --mode snp --vcpus 2 --vcpus 3 --vcpu-type EPYC --ovmf $OVMF
  expect_digest 7ae00cab27105271bdbb83298aa2a97f7cd653a8626a629bad02509f243dc0ec40e076553947907119216d4a1be4b066 -- --mode=snp --vcpus=3 --vcpu-type=EPYC --ovmf=$OVMF
  expect_exit 0 "Calculated SEV_SNP guest measurement: 32ac9d7a" -- "$CBIT" measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --ovmf $OVMF -v
  # Debian's OVMF has SNP metadata but no kernel-hashes section / hashes table.
  expect_exit 1 "doesn't include SNP_KERNEL_HASHES" -- "$CBIT" measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf $OVMF --kernel $OVMF
  expect_exit 1 "doesn't support kernel/initrd/cmdline" -- "$CBIT" measure --mode sev --ovmf $OVMF --kernel $OVMF
else
  echo "skip: $OVMF is not the pinned Debian build"
fi
if pinned $CODE4M b157d97b1f69729514feb7f201d2cbe4957f23ab77920e361fe9f822ba49ca4c; then
  # sev-snp-measure --mode snp --vcpus 64 --vcpu-type EPYC-v4 --ovmf /usr/share/OVMF/OVMF_CODE_4M.fd
  expect_digest 8fe20c0ac6abd93d50667cba892fc671a4af15039b96db821202708066be625e994079258e5ef059b7ed5f2cfb6ce7dd -- --mode snp --vcpus 64 --vcpu-type EPYC-v4 --ovmf $CODE4M
  expect_digest 8fe20c0ac6abd93d50667cba892fc671a4af15039b96db821202708066be625e994079258e5ef059b7ed5f2cfb6ce7dd -- --mode snp --vcpus 64 --vcpu-type EPYC-v4 --ovmf $CODE4M --threads 1
fi

# Refusals: not firmware, missing files, usage errors (exit 2 like argparse).
head -c 8192 /dev/zero >"$T/zeros.bin"
for i in $(seq 100); do echo "not firmware, line $i"; done >"$T/text.txt"
printf 'tiny\n' >"$T/tiny.txt"
expect_exit 1 "Can't find SEV_ES_RESET_BLOCK_GUID" -- "$CBIT" measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf "$T/zeros.bin"
expect_exit 1 "not a whole number of 4 KiB pages" -- "$CBIT" measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf "$T/text.txt"
expect_exit 0 "" -- "$CBIT" measure --mode sev --ovmf "$T/text.txt"  # SEV hashes any blob, as the reference does
[ "$("$CBIT" measure --mode sev --ovmf "$T/text.txt")" = "$(sha256sum "$T/text.txt" | cut -d' ' -f1)" ] \
  && ok "SEV digest of a blob is its SHA-256" || bad "SEV digest of a blob"
# A device is refused before it is read (tests/cli/files.sh covers FIFOs and huge sparse files);
# an empty file is too small.
expect_exit 1 "a character device, not a firmware image" -- "$CBIT" measure --mode sev --ovmf /dev/null
: >"$T/empty.fd"
expect_exit 1 "too small to be a firmware image" -- "$CBIT" measure --mode sev --ovmf "$T/empty.fd"
expect_exit 1 "too small to be a firmware image" -- "$CBIT" measure --mode sev --ovmf "$T/tiny.txt"
expect_exit 1 "$T/nope.fd: cannot open" -- "$CBIT" measure --mode sev --ovmf "$T/nope.fd"
expect_exit 1 "is a directory" -- "$CBIT" measure --mode sev --ovmf "$T"
expect_exit 2 "missing --vcpus" -- "$CBIT" measure --mode snp --ovmf "$T/zeros.bin"
expect_exit 2 "missing --vcpu-type" -- "$CBIT" measure --mode snp --vcpus 2 --ovmf "$T/zeros.bin"
expect_exit 2 "required: --mode" -- "$CBIT" measure --ovmf "$T/zeros.bin"
expect_exit 2 "--vcpus 'x': not an integer" -- "$CBIT" measure --mode snp --vcpus x --vcpu-type EPYC --ovmf "$T/zeros.bin"
expect_exit 2 "unknown VMM type 'kvm'" -- "$CBIT" measure --mode snp --vcpus 2 --vcpu-type EPYC --vmm-type kvm --ovmf "$T/zeros.bin"
expect_exit 2 "--vcpu-type 'EPYC-Foo'" -- "$CBIT" measure --mode snp --vcpus 2 --vcpu-type EPYC-Foo --ovmf "$T/zeros.bin"
expect_exit 2 "--kernel required when using --initrd" -- "$CBIT" measure --mode sev --ovmf "$T/zeros.bin" --initrd x
expect_exit 2 "--output-format 'raw'" -- "$CBIT" measure --mode sev --ovmf "$T/zeros.bin" --output-format raw

if pinned $OVMF 7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773; then
  # --explain: text ends with the digest; JSON feeds diff, which names the differing input.
  "$CBIT" measure --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf $OVMF --explain >"$T/explain.txt" || bad "explain"
  grep -q "^digest: " "$T/explain.txt" && grep -q "SNP_SECRETS" "$T/explain.txt" && ok "explain text" || bad "explain text"
  "$CBIT" measure --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf $OVMF --explain --json >"$T/a.json" || bad "explain json a"
  "$CBIT" measure --mode snp --vcpus 4 --vcpu-type EPYC-Rome --ovmf $OVMF --explain --json >"$T/b.json" || bad "explain json b"
  expect_exit 0 "same digest" -- "$CBIT" measure diff "$T/a.json" "$T/a.json"
  expect_exit 1 "first input that differs: vCPU signature" -- "$CBIT" measure diff "$T/a.json" "$T/b.json"
  expect_exit 2 "not the output of" -- "$CBIT" measure diff "$T/a.json" "$T/text.txt"
  # --dump-vmsa writes one VMSA per vCPU, 4 KiB each, and still prints the digest.
  (cd "$T" && "$CBIT" measure --mode seves --vcpus 3 --vcpu-type EPYC --ovmf $OVMF --dump-vmsa >/dev/null) || bad "dump-vmsa"
  [ "$(stat -c %s "$T/vmsa2.bin" 2>/dev/null)" = 4096 ] && cmp -s "$T/vmsa1.bin" "$T/vmsa2.bin" \
    && ! cmp -s "$T/vmsa0.bin" "$T/vmsa1.bin" && ok "dump-vmsa: BSP differs from the identical APs" || bad "dump-vmsa"
fi

echo "measure.sh: $fails failure(s)"
[ "$fails" = 0 ]
