#!/usr/bin/env bash
# --trace FILE (docs/trace.md): the Chrome trace-event JSON of `cbit launch`, `cbit attack`,
# `cbit demo` and `cbit run` parses and holds what the run did; without --trace nothing is written; a bad
# output path is one line on stderr and exit 1, before anything runs, and leaves nothing behind.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/common.bash" "$1"

OVMF=/usr/share/ovmf/OVMF.fd
if [ ! -f $OVMF ]; then
  echo "FAIL: $OVMF is missing: scripts/install-deps.sh installs the ovmf package"
  exit 1
fi

# An SEV-ES launch: the Secure Processor's commands in order, each SUCCESS.
expect_exit 0 "verdict: *verified" -- "$CBIT" launch --firmware $OVMF --mode sev-es --seed 1 --trace "$T/es.json"
python3 - "$T/es.json" <<'PY' && ok "SEV-ES launch trace: LAUNCH_START .. LAUNCH_FINISH, SUCCESS" || bad "SEV-ES launch trace"
import json, sys
j = json.load(open(sys.argv[1]))
ev = j["traceEvents"]
sp = [e for e in ev if e["ph"] == "X" and e["pid"] == 1 and e["tid"] == 1]
names = [e["name"] for e in sp]
launch = [e["name"] + " " + e["args"]["status"] for e in sp if e["name"].startswith("LAUNCH_")]
# KVM asks LAUNCH_MEASURE for the length first: INVALID_LEN (0x4) with the length it needs.
assert launch == ["LAUNCH_START SUCCESS", "LAUNCH_UPDATE_DATA SUCCESS", "LAUNCH_UPDATE_VMSA SUCCESS",
                  "LAUNCH_MEASURE INVALID_LEN", "LAUNCH_MEASURE SUCCESS", "LAUNCH_FINISH SUCCESS"], launch
names_m = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
assert names_m[(1, 1)] == "Secure Processor", names_m
PY

# The same run without --trace: no trace file appears.
mkdir "$T/quiet"
(cd "$T/quiet" && "$CBIT" launch --firmware $OVMF --mode sev --seed 1 >/dev/null 2>&1)
[ -z "$(ls -A "$T/quiet")" ] && ok "no --trace, no file written" || bad "files without --trace: $(ls -A "$T/quiet")"

# An attack: the failing RMP check and the #PF with its RMP bit (SNP), none without SNP.
expect_exit 0 "" -- "$CBIT" attack hv-write-private --mode snp --trace "$T/snp.json"
grep -q '"RMP check failed: Hypervisor-Owned"' "$T/snp.json" && grep -q '"bits":"P|W|RMP"' "$T/snp.json" &&
  ok "SNP attack trace: RMP check failed, #PF P|W|RMP" || bad "SNP attack trace"
expect_exit 0 "" -- "$CBIT" attack hv-write-private --mode sev --trace "$T/sev.json"
grep -q 'RMP check failed' "$T/sev.json" && bad "an RMP failure in an SEV attack" || ok "SEV attack: no RMP failure"

# The demo, one section.
expect_exit 0 "" -- "$CBIT" demo --section dma --seed 3 --trace "$T/demo.json"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert any(e["name"].startswith("DMA ") for e in j["traceEvents"])' "$T/demo.json" &&
  ok "demo trace has DMA transfers" || bad "demo trace"

# A scenario file (cbit run).
expect_exit 0 "checks hold" -- "$CBIT" run "$2/examples/scenarios/sme-full.toml" --seed 5 --trace "$T/run.json"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); n=[e["name"] for e in j["traceEvents"]]; assert "key slot loaded" in n and "printk" in n, n[:20]' "$T/run.json" &&
  ok "cbit run trace" || bad "cbit run trace"

# Bad paths: one line, exit 1, before the machine runs; nothing left behind.
expect_exit 1 "no-such-dir" -- "$CBIT" launch --firmware $OVMF --mode sev --trace "$T/no-such-dir/t.json"
mkdir "$T/adir"
expect_exit 1 "is a directory" -- "$CBIT" attack hv-memory-scan --mode sev --trace "$T/adir"
echo keep >"$T/target"
ln -s "$T/target" "$T/link"
expect_exit 1 "symbolic link" -- "$CBIT" demo --section dma --trace "$T/link"
[ "$(cat "$T/target")" = keep ] && ok "the link's target is untouched" || bad "link target changed"
expect_exit 1 "same file" -- "$CBIT" launch --firmware $OVMF --mode sev --dump "$T/x" --trace "$T/x"
ls "$T" | grep -q cbit-tmp && bad "a temporary was left behind" || ok "no temporary left behind"

exit $((fails > 0))
