#!/usr/bin/env bash
# cbit launch --mode snp end to end: the SNP firmware's launch digest beside cbit measure's
# (1 and 4 vCPUs, two vCPU types), --json, and every refusal (hostile policies, sizes, files,
# hex) with its exit code and a one-line error.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/common.bash" "$1"

OVMF=/usr/share/ovmf/OVMF.fd
[ -f $OVMF ] || { echo "FAIL: $OVMF is missing"; exit 1; }

for args in "--vcpus 1 --vcpu-type EPYC-v4" "--vcpus 4 --vcpu-type EPYC-v4" \
            "--vcpus 4 --vcpu-type EPYC-Milan"; do
  # shellcheck disable=SC2086
  expect_exit 0 "verdict: *verified" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa $args
  got=$(field measurement)
  # shellcheck disable=SC2086
  want=$("$CBIT" measure --mode snp --ovmf $OVMF $args)
  [ "$got" = "$want" ] && ok "measurement = cbit measure ($args)" || bad "$got != $want ($args)"
done
# sev-snp-measure's own output for 4 x EPYC-v4 with Debian's OVMF.fd (virtee/sev-snp-measure).
expect_exit 0 "SEV_SNP" -- "$CBIT" launch --mode snp --firmware $OVMF --vcpus 4 --vcpu-type EPYC-v4 --json
grep -q '"measurement": "[0-9a-f]\{96\}"' "$T/out" && ok "json measurement" || bad "json measurement"

# The guest runs: SNP_GUEST_STATUS says RUNNING and the BSP's VMSA passes VMRUN's SNP checks.
expect_exit 0 "guest state: *RUNNING" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa
grep -q "^first VMRUN: *accepted" "$T/out" && ok "first VMRUN accepted" || bad "first VMRUN"
want=$(field measurement)
# The owner's own expectation: the right digest is accepted, a wrong one is exit 3.
expect_exit 0 "(--expect)" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa --expect "$want"
wrong=$(printf "00%.0s" $(seq 48))
expect_exit 3 "refused" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa --expect "$wrong"
expect_exit 1 "want a 48-byte" -- "$CBIT" launch --mode snp --firmware $OVMF --expect 00
# ec2 and gce: the firmware's digest equals cbit measure's for each VMM type.
for vmm in ec2 gce; do
  expect_exit 0 "verdict: *verified" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa --vmm-type $vmm --vcpus 2 --vcpu-type EPYC-v4
  got=$(field measurement)
  want2=$("$CBIT" measure --mode snp --ovmf $OVMF --vmm-type $vmm --vcpus 2 --vcpu-type EPYC-v4)
  [ "$got" = "$want2" ] && ok "$vmm measurement = cbit measure" || bad "$vmm: $got != $want2"
done
# --dump: KVM's guest_memfd view, zeros where the pages are private (all of the guest's memory
# right after the launch, --no-run), while the control SEV dump of the same image shows its
# ciphertext.
expect_exit 0 "dump:" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa --no-run --dump "$T/snp.core"
python3 - "$T/snp.core" <<'PY' && ok "SNP dump: zeros past the ELF notes" || bad "SNP dump has non-zero guest bytes"
import struct, sys
d = open(sys.argv[1], "rb").read()
phoff, = struct.unpack_from("<Q", d, 0x20); phnum, = struct.unpack_from("<H", d, 0x38)
loads = [struct.unpack_from("<IIQQQQQQ", d, phoff + 56 * i) for i in range(phnum)]
loads = [p for p in loads if p[0] == 1]
assert loads and all(not any(d[p[2]:p[2] + p[5]]) for p in loads)
PY
expect_exit 0 "dump:" -- "$CBIT" launch --mode sev --firmware $OVMF --dump "$T/sev.core"
python3 - "$T/sev.core" <<'PY' && ok "control: the SEV dump has the firmware's ciphertext" || bad "SEV dump is all zeros"
import struct, sys
d = open(sys.argv[1], "rb").read()
phoff, = struct.unpack_from("<Q", d, 0x20); phnum, = struct.unpack_from("<H", d, 0x38)
loads = [struct.unpack_from("<IIQQQQQQ", d, phoff + 56 * i) for i in range(phnum)]
assert any(any(d[p[2]:p[2] + p[5]]) for p in loads if p[0] == 1)
PY

# The launched VM runs: the guest kernel model takes over in it and runs seed 004's program
# (default --run "secret 123"); its SNP dmesg lines and the program's output are printed.
expect_exit 0 "program output: *My secret is 123" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa --vcpus 2 --vcpu-type EPYC-v4
grep -q "^guest kernel: .*as if OVMF had booted Linux" "$T/out" && ok "takeover said" || bad "no takeover line"
grep -q "^guest dmesg: .*SEV: Using SNP CPUID table" "$T/out" && ok "SNP CPUID table line" || bad "no CPUID table line"
grep -q "SEV: Status: SEV SEV-ES SEV-SNP" "$T/out" && ok "SNP status line" || bad "no SNP status line"
grep -q "^SEV_STATUS: *0x7" "$T/out" && ok "SEV_STATUS 0x7" || bad "SEV_STATUS"
grep -q "^first VMRUN: *accepted: VMRUN entered the guest" "$T/out" && ok "VMRUN entered" || bad "VMRUN"
# The digest is still the one cbit measure predicts for the same options.
got=$(field measurement)
want3=$("$CBIT" measure --mode snp --ovmf $OVMF --vcpus 2 --vcpu-type EPYC-v4)
[ "$got" = "$want3" ] && ok "running VM: measurement = cbit measure" || bad "running VM: $got != $want3"
expect_exit 0 "program output: *My secret is 7" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa --run "secret.elf 7"
# Control: --no-run stops after the launch; nothing is run or printed from the guest.
expect_exit 0 "guest is not entered" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa --no-run
grep -q "program output" "$T/out" && bad "--no-run ran a program" || ok "--no-run runs nothing"
# JSON: the guest's dmesg lines and the program's output.
expect_exit 0 '"program_output": "My secret is 123' -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa --json
python3 - "$T/out" <<'PY' && ok "json guest object" || bad "json guest object"
import json, sys
j = json.load(open(sys.argv[1]))
g = j["guest"]
assert g["failure"] is None and g["program"] == ["./secret.elf", "123"]
assert any("SEV-SNP" in l for l in g["dmesg"]) and g["sev_status"] == "0x7"
PY
# After the run, the dump holds the program's secret nowhere (private pages are zeros to KVM).
expect_exit 0 "dump:" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa --dump "$T/run.core"
grep -c "My secret is 123" "$T/run.core" >/dev/null && bad "the secret is in the dump" || ok "the secret is not in the dump of the running guest"
# RAM just above OVMF's SNP metadata pages (0x800000..) is enough; below them the launch is refused.
expect_exit 0 "My secret is 123" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa --memory 9
expect_exit 1 "outside guest memory" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu genoa --memory 8
# Bad --run values are bad input (exit 1); a guest that cannot run its program is exit 4 with
# one line (the termination case is the unit test GuestRun.TerminationIsAFailure).
expect_exit 1 "not found" -- "$CBIT" launch --mode snp --firmware $OVMF --run "nosuchprogram 1"
expect_exit 1 "not a guest program name" -- "$CBIT" launch --mode snp --firmware $OVMF --run "bad!name"
expect_exit 1 "give a program" -- "$CBIT" launch --mode snp --firmware $OVMF --run " "
expect_exit 1 "not found\|No such\|cannot" -- "$CBIT" launch --mode snp --firmware $OVMF --run "$T/none.elf"
head -c 100 /dev/urandom >"$T/junk.elf"
expect_exit 4 "could not execute" -- "$CBIT" launch --mode snp --firmware $OVMF --run "$T/junk.elf"

# Hostile values: one line each.
expect_exit 1 "POLICY_FAILURE\|-EINVAL" -- "$CBIT" launch --mode snp --firmware $OVMF --policy 0x10000
expect_exit 1 "-EINVAL" -- "$CBIT" launch --mode snp --firmware $OVMF --policy 0xffffffffffffffff
expect_exit 1 "not a whole number" -- "$CBIT" launch --mode snp --firmware $OVMF --policy -1
expect_exit 1 "not a whole number" -- "$CBIT" launch --mode snp --firmware $OVMF --policy 99999999999999999999
expect_exit 1 "choose 1 to" -- "$CBIT" launch --mode snp --firmware $OVMF --vcpus 0
expect_exit 1 "choose 1 to" -- "$CBIT" launch --mode snp --firmware $OVMF --vcpus 513
expect_exit 1 "want 32" -- "$CBIT" launch --mode snp --firmware $OVMF --host-data 00
expect_exit 1 "host-data" -- "$CBIT" launch --mode snp --firmware $OVMF --host-data zz
head -c 96 /dev/zero >"$T/idb"
head -c 100 /dev/zero >"$T/ida"
expect_exit 1 "give both" -- "$CBIT" launch --mode snp --firmware $OVMF --id-block "$T/idb"
expect_exit 1 "want 4096" -- "$CBIT" launch --mode snp --firmware $OVMF --id-block "$T/idb" --id-auth "$T/ida"
head -c 4096 /dev/zero >"$T/ida"
# An ID block whose digest is zero: the firmware's BAD_MEASUREMENT (or its signature check
# first), in KVM's words.
expect_exit 1 "KVM_SEV_SNP_LAUNCH_FINISH: -EIO" -- "$CBIT" launch --mode snp --firmware $OVMF --id-block "$T/idb" --id-auth "$T/ida"
expect_exit 1 "no SEV-SNP" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu rome

# The host kernel's command line: Debian's default runs the host without SME, mem_encrypt=on
# with it (the host's dmesg is on the trace); the launch digest does not depend on it.
expect_exit 0 "verdict: *verified" -- "$CBIT" launch --mode snp --firmware $OVMF --vcpus 1 --no-run --trace "$T/h0.json"
m0=$(field measurement)
expect_exit 0 "verdict: *verified" -- "$CBIT" launch --mode snp --firmware $OVMF --vcpus 1 --no-run --host-cmdline mem_encrypt=on --trace "$T/h1.json"
[ "$(field measurement)" = "$m0" ] && ok "same measurement with an SME host" || bad "measurement differs with an SME host"
grep -q '"Command line: "' "$T/h0.json" && ! grep -q 'active: AMD SME' "$T/h0.json" &&
  ok "default host: empty command line, SME not active" || bad "default host's dmesg"
grep -q '"Command line: mem_encrypt=on"' "$T/h1.json" && grep -q 'Memory Encryption Features active: AMD SME' "$T/h1.json" &&
  ok "--host-cmdline mem_encrypt=on: the host runs with SME" || bad "SME host's dmesg"
expect_exit 1 "no SEV-SNP" -- "$CBIT" launch --mode snp --firmware $OVMF --cpu rome --host-cmdline mem_encrypt=on

[ $fails -eq 0 ] && echo "all passed" || { echo "$fails failed"; exit 1; }
