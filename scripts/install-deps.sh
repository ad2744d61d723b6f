#!/usr/bin/env bash
# Installs the Debian 12 packages cbit needs to build, test and run, if any are missing.
set -euo pipefail
# The build (compilers, libraries), then what the tests and scripts run: ovmf (firmware images
# measured and launched), cpuid (host.sh compares cbit host with it), xxd and openssl
# (measure.sh, report.sh), time (GNU time: scan.sh's peak-RSS checks), util-linux (taskset),
# musl-tools (musl-gcc: the static musl guest programs, docs/guest-programs.md), binutils and bc (scripts/bench-scan.sh's strings and arithmetic), qemu-user (scan.sh runs cbit
# on an emulated CPU without SSSE3, which Hyperscan needs).
PKGS=(build-essential cmake pkg-config python3 clang clang-format libclang-rt-14-dev
      libssl-dev openssl libunicorn-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
      libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev libelf-dev libpng-dev zlib1g-dev libhyperscan-dev
      musl-tools ovmf cpuid binutils xxd time util-linux coreutils diffutils bc qemu-user)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
