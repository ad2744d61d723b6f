#!/usr/bin/env bash
# The cost of an SEV-SNP report request from a guest program, broken down (issue 10 §5;
# bench/bench_snp_report.cc says what each part covers). Runs BM_SnpReportRequest (report and
# extended report) and prints a table of CPU microseconds per request and each part's share,
# with the CPU, the load average and `openssl speed ecdsap384`'s signing time as the reference
# for the ECDSA part. The table is what docs/attestation.md "Speed" shows.
# Usage: scripts/bench-report.sh [path-to-cbit_bench]   (build: cmake --build build --target cbit_bench)
set -euo pipefail
BENCH=${1:-build/bench/cbit_bench}
[ -x "$BENCH" ] || { echo "bench-report: $BENCH is not an executable" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$BENCH" --benchmark_filter='BM_SnpReportRequest' --benchmark_out="$T/out.json" \
  --benchmark_out_format=json >"$T/log" 2>&1 || { cat "$T/log" >&2; exit 1; }
OSSL=$(openssl speed -seconds 2 ecdsap384 2>/dev/null | awk '/ecdsa \(nistp384\)/ {print $5}')
python3 - "$T/out.json" "${OSSL:-?}" <<'PY'
import json, os, sys
runs = {r["name"]: r for r in json.load(open(sys.argv[1]))["benchmarks"]}
ossl = sys.argv[2]
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
              if l.startswith("model name")), "?")
print(f"CPU: {model}, {os.cpu_count()} cores; load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
rows = [("user", "program: syscall, ioctl copies"),
        ("drv_gcm", "guest driver: AES-256-GCM seal + open"),
        ("ghcb", "GHCB, VMGEXIT/VMRUN, KVM exit handling and guest copies"),
        ("kvm_in", "KVM: its pages, the firmware page (RMPUPDATE), the mailbox"),
        ("fw_checks", "firmware: RMP, page and header checks, DMA"),
        ("fw_gcm", "firmware: AES-256-GCM open + seal"),
        ("fw_build", "firmware: report fields + serialization"),
        ("sign", "firmware: ECDSA P-384 signature (VCEK)"),
        ("reclaim", "SNP_PAGE_RECLAIM of the response page"),
        ("kvm_out", "KVM reads the response page")]
cols = [("report", "BM_SnpReportRequest/ext:0/iterations:10"),
        ("ext report", "BM_SnpReportRequest/ext:1/iterations:10")]
for _, name in cols:
    if name not in runs or runs[name].get("error_occurred"):
        sys.exit(f"bench-report: {name}: {runs.get(name, {}).get('error_message', 'did not run')}")
print(f"| part | {' | '.join(f'{c} µs | %' for c, _ in cols)} |")
print("|---|" + "---:|---:|" * len(cols))
for key, label in rows:
    cells = " | ".join(f"{runs[n][key + '_us']:.0f} | {runs[n][key + '_pct']:.1f}" for _, n in cols)
    print(f"| {label} | {cells} |")
def row(label, key, pct=None, bold=False):
    cells = []
    for _, n in cols:
        v = "%.0f" % runs[n][key]
        cells.append(("**%s**" % v if bold else v) + " | " + (pct or ""))
    print("| %s | %s |" % (label, " | ".join(cells)))
row("**per request (ioctl to ioctl)**", "req_us", "100", bold=True)
row("cross-check: (run of 41 requests - run of 1) / 40", "req_by_difference_us")
row("once per program: exec, hex output on the serial console, exit", "program_fixed_us")
row("once per TCB: VCEK derivation (hashsticks + key)", "vcek_once_us")
print(f"openssl speed ecdsap384: {ossl} per signature")
PY
