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

# The tools this script uses; a missing one is a failure that names it, never a skip.
for tool in cpuid taskset python3 cmp; do
  command -v "$tool" >/dev/null || bad "the '$tool' tool is missing (scripts/install-deps.sh installs it)"
done

# CPUID answers for the CPU that runs it (leaf 1 EBX[31:24] is its APIC ID). cbit pins its
# probe to the lowest-numbered CPU it may run on; the cpuid tool is pinned to the same one.
CPU=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
PIN="taskset -c $CPU"

# 1. Raw CPUID leaves equal `cpuid -r -1 -l LEAF` (Debian cpuid); one probe gives --raw and
#    the snapshot the later checks judge.
$PIN "$CBIT" host --raw --save "$T/live-snap.json" >"$T/raw" || bad "cbit host --raw failed"
for leaf in 0x00000000 0x00000001 0x80000000 0x80000001 0x80000002 0x80000003 0x80000004 0x80000008 0x8000001f; do
  want=$($PIN cpuid -r -1 -l "$leaf" 2>&1 | grep -E "^ +$leaf 0x00:" | sed 's/^ *//')
  got=$(grep -E "^ +$leaf 0x00:" "$T/raw" | sed 's/^ *//')
  if [ -n "$want" ] && [ "$want" = "$got" ]; then ok "leaf $leaf matches cpuid: $got"
  else bad "leaf $leaf: cbit '$got' vs cpuid '$want'"; fi
done

# 2. The checklist on this machine: its main verdicts are derived here again from the
#    snapshot's raw values (checked against `cpuid` above), whatever the machine is: AMD or
#    Intel, bare metal or VM, SEV guest or not, leaf 0x8000001F exposed or not.
#    oracle.py SNAPSHOT CHECKLIST.json EXIT NAME: exit 0 when the verdicts follow.
cat >"$T/oracle.py" <<'PY'
import json, sys
snap, out, rc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
name = sys.argv[4]
leaf = lambda l: [int(v, 16) for v in snap["cpuid"].get(l, ["0x0"] * 4)]
vendor = b"".join(r.to_bytes(4, "little") for r in (leaf("0x00000000")[1], leaf("0x00000000")[3],
                                                     leaf("0x00000000")[2])).decode()
hv = leaf("0x00000001")[2] >> 31 & 1
max_ext = leaf("0x80000000")[0]
f = leaf("0x8000001f") if max_ext >= 0x8000001F else [0] * 4
rows = {t["name"]: t for t in out["tests"]}
status = lambda name: rows[name]["status"]
problems = []
def want(name, st):
    if name not in rows: problems.append(f"no row {name!r}")
    elif status(name) != st: problems.append(f"{name!r} is {status(name)}, expected {st}")
print(f"  {name}: vendor {vendor}, hypervisor bit {hv}, max extended leaf {max_ext:#x}, "
      f"Fn8000_001F EAX {f[0]:#x}")
if vendor != "AuthenticAMD":
    want("AMD CPU", "FAIL")
    if vendor not in rows["AMD CPU"]["detail"]: problems.append("AMD CPU row does not name the vendor")
    under = [t for t in out["tests"] if t["depth"] > 0 and t["status"] != "SKIP"]
    if under: problems.append(f"rows under a failed AMD CPU row ran: {[t['name'] for t in under]}")
else:
    want("AMD CPU", "PASS")
    sev_status = snap["msr"]["SEV_STATUS"]
    log = snap.get("kernel_log") if isinstance(snap.get("kernel_log"), list) else []
    key = "Memory Encryption Features active:"
    log_sev = any("SEV" in l.split(key, 1)[1].split() for l in log if key in l)
    if isinstance(sev_status, str):
        guest = bool(hv) and bool(int(sev_status, 16) & 1)
    else:
        guest = bool(hv) and (log_sev or snap["devices"].get("/dev/sev-guest", "absent") != "absent"
                              or bool(f[0] >> 1 & 1))
    if out["mode"] != ("guest" if guest else "host"):
        problems.append(f"mode {out['mode']}, expected {'guest' if guest else 'host'}")
    elif guest and isinstance(sev_status, str):
        bits = int(sev_status, 16)
        want("Secure Encrypted Virtualization (SEV) guest", "PASS" if bits & 1 else "FAIL")
        want("Encrypted State (SEV-ES)", "PASS" if bits >> 1 & 1 else "FAIL")
        want("Secure Nested Paging (SEV-SNP)", "PASS" if bits >> 2 & 1 else "FAIL")
    elif not guest:
        want("Bare metal (not a virtual machine)", "FAIL" if hv else "PASS")
        want("Secure Memory Encryption (SME)", "PASS" if f[0] & 1 else "FAIL")
        want("Secure Encrypted Virtualization (SEV)", "PASS" if f[0] >> 1 & 1 else "FAIL")
        if max_ext >= 0x8000001F and f == [0] * 4 and "the whole leaf reads zero" not in \
                rows["Secure Memory Encryption (SME)"]["detail"]:
            problems.append("an all-zero Fn8000_001F is not reported as such")
failed = sum(t["status"] == "FAIL" for t in out["tests"])
if out["summary"]["failed"] != failed: problems.append("summary.failed disagrees with the rows")
if (rc != 0) != (failed > 0): problems.append(f"exit {rc} with {failed} FAIL rows")
for p in problems: print("  " + p)
sys.exit(1 if problems else 0)
PY
oracle() {  # oracle SNAPSHOT NAME: cbit judges it, oracle.py checks the verdicts
  local rc
  "$CBIT" host --from "$1" >"$T/o.txt"
  rc=$?
  "$CBIT" host --from "$1" -o json >"$T/o.json"
  grep -q "^\[ \(PASS\|FAIL\|SKIP\) \] " "$T/o.txt" || { bad "$2: no checklist rows"; return; }
  python3 "$T/oracle.py" "$1" "$T/o.json" "$rc" "$2" && ok "$2: verdicts follow from the raw values" \
    || { bad "$2: verdicts"; cat "$T/o.txt"; }
}
oracle "$T/live-snap.json" "this machine"
head -1 "$T/o.txt"
# The same derivation on the recorded snapshots, so its AMD and Intel branches run here too.
for f in "$DATA"/*.json; do oracle "$f" "$(basename "$f" .json)"; done
# Control: verdicts of another machine do not follow from these raw values.
"$CBIT" host --from "$DATA/milan_snp_host.json" -o json >"$T/other.json"
python3 "$T/oracle.py" "$DATA/epyc_vm_no_sme.json" "$T/other.json" 0 "control" >/dev/null \
  && bad "the oracle accepted another machine's verdicts" || ok "the oracle rejects another machine's verdicts"
python3 "$T/oracle.py" "$DATA/intel_xeon_kvm_guest.json" "$T/other.json" 0 "control" >/dev/null \
  && bad "the oracle accepted an AMD checklist for Intel leaves" || ok "the oracle rejects an AMD checklist for Intel leaves"

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

# 4. --save then --from gives the same checklist and the same exit status.
$PIN "$CBIT" host --save "$T/snap.json" >"$T/a"
rc_live=$?
"$CBIT" host --from "$T/snap.json" >"$T/b"
rc_from=$?
cmp -s "$T/a" "$T/b" && ok "--save/--from reproduce the checklist" || bad "--from differs from live"
[ "$rc_live" = "$rc_from" ] && ok "same exit status live and --from ($rc_live)" || bad "exit $rc_live live, $rc_from --from"

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
# Both vendors' paths, whatever this machine is: an Intel VM (recorded on the CI machine) and
# an AMD EPYC VM whose hypervisor hides Fn8000_001F.
"$CBIT" host --from "$DATA/intel_xeon_kvm_guest.json" >"$T/intel"
[ $? = 1 ] && ok "Intel exits 1" || bad "Intel exit"
has "$T/intel" "[ FAIL ] - AMD CPU: vendor GenuineIntel: Intel(R) Xeon(R) Processor (family 0x6, model 0xa7, stepping 1)" "Intel: AMD CPU FAILs"
has "$T/intel" "[ SKIP ]   - Secure Memory Encryption (SME) (needs a PASS of \"AMD CPU\")" "Intel: SME SKIPped"
"$CBIT" host --from "$DATA/epyc_vm_no_sme.json" >"$T/epycvm"
[ $? = 1 ] && ok "EPYC VM exits 1" || bad "EPYC VM exit"
has "$T/epycvm" "[ PASS ] - AMD CPU: AMD EPYC 7763 64-Core Processor (family 0x19, model 0x1, stepping 1: Milan (Zen 3))" "EPYC VM: AMD CPU"
has "$T/epycvm" "[ FAIL ]   - Bare metal (not a virtual machine)" "EPYC VM: a VM"
has "$T/epycvm" "[ FAIL ]   - Secure Memory Encryption (SME): CPUID Fn8000_001F EAX[0] = 0 (the whole leaf reads zero: the hypervisor does not expose it)" "EPYC VM: hidden leaf"

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
