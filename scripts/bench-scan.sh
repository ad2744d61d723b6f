#!/usr/bin/env bash
# Whole-process throughput of `cbit scan DUMP -s PATTERN` against `strings DUMP | grep PATTERN`
# on the same ~1 GiB dump (zero, text and AES-ciphertext-like random pages in runs, with a few
# planted matches), both from a warm page cache. Prints times, the ratio, and cbit's peak RSS.
# Usage: scripts/bench-scan.sh [path-to-cbit] [size-MiB]
set -euo pipefail
CBIT=${1:-build/cbit}
MIB=${2:-1024}
PATTERN="cbit-planted-secret"
DUMP=$(mktemp "${TMPDIR:-/tmp}/cbit-bench-scan.XXXXXX.raw")
trap 'rm -f "$DUMP"' EXIT

python3 - "$DUMP" "$MIB" "$PATTERN" <<'PY'
import os, random, sys
path, mib, pattern = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
rng = random.Random(1)
text = (b"The host reads every page of guest memory it can map; with SEV the private pages are "
        b"ciphertext and only shared pages (virtio, swiotlb) are plaintext.\n") * 64
zero = bytes(4096)
pages = mib * 256
planted = 0
with open(path, "wb") as f:
    done = 0
    while done < pages:
        kind = rng.choice(["zero", "zero", "text", "random", "random"])
        run = min(rng.randint(1, 64), pages - done)
        if kind == "zero":
            f.write(zero * run)
        elif kind == "random":
            f.write(os.urandom(4096 * run))
        else:
            for _ in range(run):
                page = bytearray(text[:4096])
                if planted < 5 and rng.random() < 0.001:
                    at = rng.randint(0, 4096 - len(pattern))
                    page[at:at + len(pattern)] = pattern
                    planted += 1
                f.write(page)
        done += run
print(f"bench-scan: wrote {mib} MiB, {planted} planted matches", file=sys.stderr)
PY

cat "$DUMP" > /dev/null  # warm the page cache for both contenders
now() { date +%s.%N; }
best() {  # best of 3 runs of "$@", seconds
  local b=999999 t0 t1 d
  for _ in 1 2 3; do
    t0=$(now); "$@" > /dev/null; t1=$(now)
    d=$(echo "$t1 - $t0" | bc -l); (( $(echo "$d < $b" | bc -l) )) && b=$d
  done
  echo "$b"
}
strings_grep() { strings "$DUMP" | grep -c "$PATTERN" || true; }
cbit_scan() { "$CBIT" scan "$DUMP" -s "$PATTERN" -q || [ $? -eq 1 ]; }

n_sg=$(strings "$DUMP" | grep -c "$PATTERN" || true)
n_cbit=$("$CBIT" scan "$DUMP" -s "$PATTERN" -q -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["matches_total"])')
echo "matches: strings|grep lines $n_sg, cbit scan $n_cbit"
t_sg=$(best strings_grep)
t_cbit=$(best cbit_scan)
rss=$(/usr/bin/time -f %M "$CBIT" scan "$DUMP" -s "$PATTERN" -q 2>&1 >/dev/null | tail -1 || true)
printf 'strings | grep: %.3f s (%.0f MiB/s)\n' "$t_sg" "$(echo "$MIB / $t_sg" | bc -l)"
printf 'cbit scan:      %.3f s (%.0f MiB/s, pages classified too), peak RSS %s KiB\n' \
  "$t_cbit" "$(echo "$MIB / $t_cbit" | bc -l)" "$rss"
printf 'ratio (strings|grep time / cbit scan time): %.1fx\n' "$(echo "$t_sg / $t_cbit" | bc -l)"
