#!/usr/bin/env bash
# Whole-process speed of `cbit measure` (SNP, 64 vCPUs, Debian's 4 MiB OVMF) against
# `openssl dgst -sha384` merely hashing the same file and, if SSM points at a sev-snp-measure
# checkout, against sev-snp-measure itself. Runs each command N times, interleaved round by
# round so load on a shared machine hits all alike, and prints the mean per run and ratios.
# Usage: scripts/bench-measure.sh [path-to-cbit] [N]    (env SSM=/path/to/sev-snp-measure)
set -euo pipefail
CBIT=${1:-build/cbit}
N=${2:-50}
FW=${FW:-/usr/share/OVMF/OVMF_CODE_4M.fd}
[ -f "$FW" ] || { echo "bench-measure: $FW missing (apt-get install ovmf)" >&2; exit 1; }
ARGS=(--mode snp --vcpus 64 --vcpu-type EPYC-v4 --ovmf "$FW")

now() { date +%s%N; }
declare -A total=([cbit]=0 [openssl]=0 [ssm]=0)
run_one() {  # name command...
  local name=$1 t0 t1
  shift
  t0=$(now)
  "$@" >/dev/null
  t1=$(now)
  total[$name]=$((total[$name] + t1 - t0))
}
# Same digest first, if the reference is there.
if [ -n "${SSM:-}" ]; then
  want=$(python3 "$SSM/sev-snp-measure.py" "${ARGS[@]}")
  got=$("$CBIT" measure "${ARGS[@]}")
  [ "$want" = "$got" ] || { echo "bench-measure: digests differ: $got vs $want" >&2; exit 1; }
  echo "same digest as sev-snp-measure: $got"
fi
"$CBIT" measure "${ARGS[@]}" >/dev/null  # warm the page cache
for _ in $(seq "$N"); do
  run_one cbit "$CBIT" measure "${ARGS[@]}"
  run_one openssl openssl dgst -sha384 "$FW"
  if [ -n "${SSM:-}" ]; then run_one ssm python3 "$SSM/sev-snp-measure.py" "${ARGS[@]}"; fi
done
ms() { awk -v t="$1" -v n="$N" 'BEGIN { printf "%.2f", t / n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "firmware: $FW ($(stat -c %s "$FW") bytes), SNP, 64 vCPUs, $N runs each, $(nproc) cores"
echo "cbit measure:        $(ms "${total[cbit]}") ms/run"
echo "openssl dgst -sha384: $(ms "${total[openssl]}") ms/run"
echo "ratio openssl/cbit:  $(ratio "${total[openssl]}" "${total[cbit]}")x (>= 1: cbit no slower)"
if [ -n "${SSM:-}" ]; then
  echo "sev-snp-measure:     $(ms "${total[ssm]}") ms/run"
  echo "ratio ssm/cbit:      $(ratio "${total[ssm]}" "${total[cbit]}")x (goal >= 5)"
fi
