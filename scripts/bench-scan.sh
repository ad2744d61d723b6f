#!/usr/bin/env bash
# Whole-process throughput of `cbit scan` against the usual tools on the same ~1 GiB dump (runs of
# zero pages, English text and AES-ciphertext-like random pages, 1% each of PEM-style base64
# lines and 32 KiB base64 runs, a few planted needles), all from a warm page cache, runs interleaved:
#   1. `cbit scan DUMP -e REGEX`   vs `grep -c -a -E REGEX DUMP` (LC_ALL=C, grep's fastest mode)
#   2. `cbit scan DUMP -s STRING`  vs `strings DUMP | grep -c STRING`
# cbit also classifies every page and, for -s, searches the string as UTF-8 and UTF-16LE.
# Prints best and mean times, the ratio, the match counts and cbit's peak RSS.
# The dump lives in a mktemp directory and is removed on exit. Not part of `make test`.
# Usage: scripts/bench-scan.sh [path-to-cbit] [size-MiB] [runs]
set -euo pipefail
CBIT=$(realpath "${1:-build/cbit}")
MIB=${2:-1024}
RUNS=${3:-3}
REGEX='[A-Za-z0-9+/=]{40,}'
NEEDLE="cbit-planted-secret"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/cbit-bench-scan.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
DUMP=$DIR/dump.raw
export LC_ALL=C

python3 - "$DUMP" "$MIB" "$NEEDLE" <<'PY'
import os, random, sys
path, mib, needle = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
rng = random.Random(1)
b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
text = (b"The host reads every page of guest memory it can map; with SEV the private pages are "
        b"ciphertext and only shared pages (virtio, swiotlb) are plaintext.\n") * 64
pem = [bytes(rng.choice(b64) for _ in range(76)) + b"\n" for _ in range(256)]
long_runs = [bytes(rng.choice(b64) for _ in range(32767)) + b"\n" for _ in range(4)]
zero = bytes(4096)
pages = mib * 256
planted = 0
with open(path, "wb") as f:
    done = 0
    while done < pages:
        # Mostly zero, text and ciphertext-like pages; 1% each of PEM lines and long base64 runs.
        kind = rng.choices(["zero", "text", "random", "pem", "run"], [32, 32, 34, 1, 1])[0]
        run = min(rng.randint(1, 64), pages - done)
        if kind == "zero":
            f.write(zero * run)
        elif kind == "random":
            f.write(os.urandom(4096 * run))
        elif kind == "pem":  # certificates and keys in PEM: one 76-character match per line
            f.write(b"".join(rng.choice(pem) for _ in range(54 * run)).ljust(4096 * run, b"\n")[:4096 * run])
        elif kind == "run":  # one long base64 run per 8 pages (the std::regex crash of issue 8)
            f.write(b"".join(rng.choice(long_runs) for _ in range(run // 8)))
            f.write(zero * (run % 8))
        else:
            for _ in range(run):
                page = bytearray(text[:4096])
                if planted < 5 and rng.random() < 0.002:
                    at = rng.randint(0, 4096 - len(needle))
                    page[at:at + len(needle)] = needle
                    planted += 1
                f.write(page)
        done += run
print(f"bench-scan: wrote {mib} MiB, {planted} planted needles", file=sys.stderr)
PY

cat "$DUMP" > /dev/null  # warm the page cache for all contenders
now() { date +%s.%N; }
# time_run NAME command...: appends one wall time (seconds) to $DIR/NAME. Output goes to a file:
# GNU grep stops at the first match when its output is /dev/null.
time_run() {
  local name=$1 t0 t1; shift
  t0=$(now); "$@" > "$DIR/out"; t1=$(now)
  echo "$t1 - $t0" | bc -l >> "$DIR/$name"
}
stats() {  # best mean
  sort -g "$DIR/$1" | awk '{s += $1; if (NR == 1) b = $1} END {printf "%.3f %.3f\n", b, s / NR}'
}
cbit_regex() { "$CBIT" scan "$DUMP" -e "$REGEX" -q --max-matches 0 || [ $? -eq 1 ]; }
grep_regex() { grep -c -a -E "$REGEX" "$DUMP" || true; }
cbit_string() { "$CBIT" scan "$DUMP" -s "$NEEDLE" -q --max-matches 0 || [ $? -eq 1 ]; }
strings_grep() { strings "$DUMP" | grep -c "$NEEDLE" || true; }

for _ in $(seq "$RUNS"); do
  time_run cbit_regex cbit_regex
  time_run grep_regex grep_regex
  time_run cbit_string cbit_string
  time_run strings_grep strings_grep
done

json() { "$CBIT" scan "$DUMP" "$@" -q -o json --max-matches 0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["matches_total"])'; }
n_cbit_re=$(json -e "$REGEX")
n_grep_re=$(grep_regex)
n_cbit_s=$(json -s "$NEEDLE")
n_sg=$(strings_grep)
rss=$(/usr/bin/time -f %M "$CBIT" scan "$DUMP" -e "$REGEX" -q 2>&1 >/dev/null | tail -1 || true)

report() {  # report LABEL-CBIT NAME-CBIT LABEL-OTHER NAME-OTHER
  read -r cb cm < <(stats "$2")
  read -r ob om < <(stats "$4")
  printf '  %-34s best %7.3f s (%5.0f MiB/s)  mean %7.3f s\n' "$1" "$cb" "$(echo "$MIB / $cb" | bc -l)" "$cm"
  printf '  %-34s best %7.3f s (%5.0f MiB/s)  mean %7.3f s\n' "$3" "$ob" "$(echo "$MIB / $ob" | bc -l)" "$om"
  printf '  ratio (%s / cbit, best): %.2fx\n' "$3" "$(echo "$ob / $cb" | bc -l)"
}
echo "bench-scan: $MIB MiB dump, $RUNS interleaved runs each, $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') (family $(grep -m1 'cpu family' /proc/cpuinfo | awk '{print $NF}'), model $(grep -m1 '^model' /proc/cpuinfo | awk '{print $NF}'))"
echo "regex /$REGEX/: cbit findings $n_cbit_re, grep -c lines $n_grep_re"
report "cbit scan -e" cbit_regex "grep -c -a -E" grep_regex
echo "string $NEEDLE: cbit matches $n_cbit_s (UTF-8 + UTF-16LE), strings|grep lines $n_sg"
report "cbit scan -s" cbit_string "strings | grep -c" strings_grep
echo "cbit scan -e peak RSS: ${rss} KiB"
