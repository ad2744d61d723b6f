#!/usr/bin/env bash
# Whole-process speed of `cbit launch` (issue 9 §5): 64 vCPUs, Debian's OVMF.fd by default: boot
# a simulated Milan, its host kernel, the PSP driver and KVM; load the image through the
# hypervisor's view; launch it (SEV-ES: LAUNCH_START / UPDATE_DATA / UPDATE_VMSA x64 / MEASURE);
# the owner's verification against the predicted digest. The baseline is `openssl dgst` merely
# hashing the same bytes: SHA-256 for sev and sev-es, SHA-384 for snp (its launch digest's hash).
# snp: `cbit launch --mode snp` as a user runs it, with its default guest run (the guest kernel
# boots in the launched VM and runs seed 004's program), and on a second line the launch alone
# (--no-run). Interleaved round by round so load on a shared machine hits all alike; prints the
# best and the mean per run, wall and CPU, and the ratios cbit / openssl (goal: <= 3).
# Usage: scripts/bench-launch.sh [mode: sev | sev-es | snp] [N] [path-to-cbit]
#        (FW=path overrides the image, VCPUS=n the vCPU count)
set -euo pipefail
MODE=${1:-sev-es}
N=${2:-30}
CBIT=${3:-build/cbit}
FW=${FW:-/usr/share/ovmf/OVMF.fd}
VCPUS=${VCPUS:-64}
case "$MODE" in
  sev | sev-es) HASH=sha256 ;;
  snp) HASH=sha384 ;;
  *) echo "bench-launch: mode '$MODE': choose sev, sev-es or snp" >&2; exit 1 ;;
esac
[ -f "$FW" ] || { echo "bench-launch: $FW missing (apt-get install ovmf)" >&2; exit 1; }
[ -x "$CBIT" ] || { echo "bench-launch: $CBIT is not an executable (make build)" >&2; exit 1; }
ARGS=(launch --mode "$MODE" --vcpus "$VCPUS" --firmware "$FW" --seed 1)

# Each run's wall time and its CPU time (user + system, from wait4's rusage): on a shared
# machine the wall time counts the waits for a core, the CPU time does not.
python3 - "$N" "$HASH" "$FW" "$MODE" "$VCPUS" "$CBIT" "${ARGS[@]}" <<'PY'
import os, subprocess, sys, time
n, hash_, fw, mode, vcpus, cbit, args = int(sys.argv[1]), *sys.argv[2:7], sys.argv[7:]
cmds = {"cbit": [cbit] + args}
if mode == "snp":  # the launch alone, the guest not entered (docs/launch.md "The guest runs")
    cmds["cbit --no-run"] = [cbit] + args + ["--no-run"]
cmds["openssl"] = ["openssl", "dgst", "-" + hash_, fw]
wall = {k: [] for k in cmds}
cpu = {k: [] for k in cmds}
for _ in range(n):
    for name, cmd in cmds.items():
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        wall[name].append((time.perf_counter_ns() - t0) / 1e6)
        cpu[name].append((ru.ru_utime + ru.ru_stime) * 1e3)
        if status != 0:
            # cbit launch exits 0 only for a launch the owner verified (docs/launch.md).
            sys.exit(f"bench-launch: {' '.join(cmd)} exited {os.waitstatus_to_exitcode(status)}")
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"firmware: {fw} ({os.path.getsize(fw)} bytes), {mode}, {vcpus} vCPUs, {n} interleaved runs "
      f"each, {os.cpu_count()} cores, {model}")
label = {"cbit": "cbit launch" + (" (run)" if mode == "snp" else ""),
         "cbit --no-run": "cbit launch --no-run", "openssl": f"openssl dgst -{hash_}"}
for k in cmds:
    print(f"{label[k]:21s} wall best {min(wall[k]):7.2f} ms, mean {sum(wall[k]) / n:7.2f} ms;"
          f"  CPU best {min(cpu[k]):7.2f} ms, mean {sum(cpu[k]) / n:7.2f} ms")
mean = lambda v: sum(v) / len(v)
for k in cmds:
    if k == "openssl":
        continue
    r = lambda d, f: f(d[k]) / f(d["openssl"])
    print(f"ratio {label[k] + ':':22s} wall best {r(wall, min):.2f}x, mean {r(wall, mean):.2f}x;"
          f"  CPU best {r(cpu, min):.2f}x, mean {r(cpu, mean):.2f}x (goal <= 3)")
PY
