#!/usr/bin/env bash
# Whole-process speed of `cbit launch` (SEV-ES, 64 vCPUs, Debian's OVMF_CODE_4M.fd: boot a
# simulated Milan, its host kernel, the PSP driver and KVM; load the image through the
# hypervisor's view; LAUNCH_START / UPDATE_DATA / UPDATE_VMSA x64 / MEASURE; the owner's
# verification against the predicted digest) against `openssl dgst -sha256` merely hashing the
# same bytes. Interleaved round by round so load on a shared machine hits both alike; prints
# the best and the mean per run and the ratio cbit / openssl (goal: <= 3).
# Usage: scripts/bench-launch.sh [path-to-cbit] [N]
set -euo pipefail
CBIT=${1:-build/cbit}
N=${2:-30}
FW=${FW:-/usr/share/OVMF/OVMF_CODE_4M.fd}
[ -f "$FW" ] || { echo "bench-launch: $FW missing (apt-get install ovmf)" >&2; exit 1; }
ARGS=(launch --mode sev-es --vcpus 64 --firmware "$FW" --seed 1)

now() { date +%s%N; }
declare -A total=([cbit]=0 [openssl]=0) best=([cbit]=0 [openssl]=0)
run_one() {  # name command...
  local name=$1 t0 t1 d
  shift
  t0=$(now)
  "$@" >/dev/null
  t1=$(now)
  d=$((t1 - t0))
  total[$name]=$((total[$name] + d))
  if [ "${best[$name]}" = 0 ] || [ "$d" -lt "${best[$name]}" ]; then best[$name]=$d; fi
}
"$CBIT" "${ARGS[@]}" | grep -q "verdict: *verified" || {
  echo "bench-launch: the launch did not verify" >&2
  exit 1
}
for _ in $(seq "$N"); do
  run_one cbit "$CBIT" "${ARGS[@]}"
  run_one openssl openssl dgst -sha256 "$FW"
done
ms() { awk -v t="$1" 'BEGIN { printf "%.2f", t / 1e6 }'; }
mean() { awk -v t="$1" -v n="$N" 'BEGIN { printf "%.2f", t / n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "firmware: $FW ($(stat -c %s "$FW") bytes), SEV-ES, 64 vCPUs, $N runs each, $(nproc) cores"
echo "cbit launch:          best $(ms "${best[cbit]}") ms, mean $(mean "${total[cbit]}") ms"
echo "openssl dgst -sha256: best $(ms "${best[openssl]}") ms, mean $(mean "${total[openssl]}") ms"
echo "ratio cbit/openssl:   best $(ratio "${best[cbit]}" "${best[openssl]}")x, mean $(ratio "${total[cbit]}" "${total[openssl]}")x (goal <= 3)"
