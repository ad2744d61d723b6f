#!/usr/bin/env bash
# The benchmarks as a smoke test: every one runs once (--benchmark_min_time=0, one iteration
# each) and must report a result; no timing is judged. A benchmark that reports an error fails
# the test, except the VAES backend's on a CPU without VAES/AVX-512, a property of the hardware:
# those are counted and printed as skipped.
# Usage: bench/smoke.sh path/to/cbit_bench
set -u
BENCH=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$BENCH" --benchmark_list_tests >"$T/list" || { echo "FAIL: $BENCH --benchmark_list_tests"; exit 1; }
"$BENCH" --benchmark_min_time=0 --benchmark_out="$T/out.json" --benchmark_out_format=json \
  >"$T/console" 2>&1
rc=$?
python3 - "$T/list" "$T/out.json" "$rc" <<'PY'
import json, sys
listed = [l.strip() for l in open(sys.argv[1]) if l.strip()]
rc = int(sys.argv[3])
try:
    runs = json.load(open(sys.argv[2]))["benchmarks"]
except (OSError, ValueError, KeyError) as e:
    print(f"FAIL: no benchmark results (exit {rc}): {e}")
    sys.exit(1)
by_name = {r["name"]: r for r in runs}
problems, skipped = [], []
for name in listed:
    r = by_name.get(name)
    if r is None:
        problems.append(f"{name}: did not run")
    elif r.get("error_occurred"):
        msg = r.get("error_message", "")
        (skipped if msg == "CPU lacks VAES/AVX-512" else problems).append(f"{name}: {msg}")
    elif r.get("iterations", 0) < 1:
        problems.append(f"{name}: no iteration")
if rc != 0:
    problems.append(f"cbit_bench exited {rc}")
for p in problems: print("FAIL: " + p)
for s in skipped: print("skipped (hardware): " + s)
print(f"bench smoke: {len(listed) - len(problems) - len(skipped)} ran, {len(skipped)} skipped "
      f"(hardware), {len(problems)} failed, of {len(listed)} benchmarks")
sys.exit(1 if problems else 0)
PY
