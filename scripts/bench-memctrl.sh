#!/usr/bin/env bash
# The memory controller's encrypted page path against the AES engine alone (issue 9 §5: read
# and write of a 4 KiB page at >= 0.8x of the engine), in one run of bench/bench_memctrl.cc:
# BM_MemCtrl_{Read,Write}_Encrypted_Page (MemoryController::read/write, host key, over a 64 MiB
# working set) against BM_AesEngine_{Decrypt,Encrypt}_Page (the engine on a hot page, the same
# addresses). Repetitions are interleaved at random, so load on a shared machine hits every
# benchmark alike; the best of N per benchmark is compared.
# Usage: scripts/bench-memctrl.sh [N] [path-to-cbit_bench]
set -euo pipefail
N=${1:-10}
BENCH=${2:-build/bench/cbit_bench}
[ -x "$BENCH" ] || { echo "bench-memctrl: $BENCH is not an executable (make bench)" >&2; exit 1; }
T=$(mktemp)
trap 'rm -f "$T"' EXIT
"$BENCH" --benchmark_filter='^BM_(AesEngine_(De|En)crypt|MemCtrl_(Read|Write)_Encrypted)_Page$' \
  --benchmark_repetitions="$N" --benchmark_enable_random_interleaving=true \
  --benchmark_min_time=0.2 --benchmark_out="$T" --benchmark_out_format=json >/dev/null
python3 - "$T" "$N" <<'PY'
import json, subprocess, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
best = {}
for r in runs:
    if r.get("run_type") != "iteration":
        continue
    best[r["run_name"]] = max(best.get(r["run_name"], 0), r["bytes_per_second"])
cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), "?")
print(f"{model}, best of {sys.argv[2]} interleaved repetitions, GB/s (10^9 bytes)")
for path, engine in (("BM_MemCtrl_Read_Encrypted_Page", "BM_AesEngine_Decrypt_Page"),
                     ("BM_MemCtrl_Write_Encrypted_Page", "BM_AesEngine_Encrypt_Page")):
    p, e = best[path] / 1e9, best[engine] / 1e9
    print(f"{path:33s} {p:6.2f}   {engine:27s} {e:6.2f}   ratio {p / e:.2f} (goal >= 0.8)")
PY
