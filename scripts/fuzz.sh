#!/usr/bin/env bash
# `make fuzz`: runs every libFuzzer target of a -DCBIT_LIBFUZZER=ON build for SECONDS each, JOBS
# targets at a time, and prints a table (docs/fuzzing.md).
#   scripts/fuzz.sh BUILD_DIR SECONDS JOBS
# Per target <name> (tests/fuzz/fuzz_<name>.cc):
#   seed corpus     tests/fuzz/corpus/<name>/ and tests/fuzz/regressions/<name>/ (read only)
#   working corpus  BUILD_DIR/fuzz-corpus/<name>/ (kept between runs, never committed)
#   crashes         tests/fuzz/regressions/<name>/ (libFuzzer's crash-/timeout-/leak-<sha1>)
#   log             BUILD_DIR/fuzz-logs/<name>.log
# FUZZ_TARGETS="a b" runs only those; FUZZ_MERGE=1 afterwards merges the inputs that add coverage
# into tests/fuzz/corpus/<name>/ (-merge=1; look at how many before committing them).
# Exit status 1 if any target found a crash, leak or timeout.
set -euo pipefail
build=${1:?build dir} seconds=${2:?seconds} jobs=${3:?jobs}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
mkdir -p "$build/fuzz-logs" "$build/fuzz-corpus"

if [ -n "${FUZZ_TARGETS:-}" ]; then
  names=$FUZZ_TARGETS
else
  names=$(cd "$root/tests/fuzz" && ls fuzz_*.cc | sed 's/^fuzz_//; s/\.cc$//')
fi
for n in $names; do
  [ -x "$build/tests/fuzz_$n" ] || { echo "fuzz: $build/tests/fuzz_$n is not built" >&2; exit 2; }
done

run_one() {
  local n=$1 seconds=$2 build=$3 root=$4
  local work="$build/fuzz-corpus/$n" regress="$root/tests/fuzz/regressions/$n"
  local log="$build/fuzz-logs/$n.log"
  mkdir -p "$work" "$regress"
  local seeds=("$root/tests/fuzz/corpus/$n")
  [ -n "$(ls -A "$regress")" ] && seeds+=("$regress")
  echo "fuzz: $n for ${seconds}s (log $log)"
  # ASan's leak check and UBSan's reports end the run like a crash; -timeout: one input that
  # runs 60 s is a hang. The working corpus comes first: libFuzzer adds new inputs to it only.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/tests/fuzz_$n" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$regress/" "$work" "${seeds[@]}" >"$log" 2>&1 || true
  rmdir "$regress" 2>/dev/null || true  # nothing found: leave no empty directory behind
}
export -f run_one
printf '%s\n' $names | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} "$seconds" "$build" "$root"

if [ "${FUZZ_MERGE:-0}" = 1 ]; then
  for n in $names; do
    before=$(ls "$root/tests/fuzz/corpus/$n" | wc -l)
    "$build/tests/fuzz_$n" -merge=1 "$root/tests/fuzz/corpus/$n" "$build/fuzz-corpus/$n" \
      >"$build/fuzz-logs/$n.merge.log" 2>&1 || true
    echo "fuzz: merge $n: $before -> $(ls "$root/tests/fuzz/corpus/$n" | wc -l) corpus files"
  done
fi

# The table: libFuzzer's last status line ("#N DONE cov: C ft: F corp: K/S ...") and stats.
found=0
printf '\n| target | seconds | execs | cov | ft | corpus | findings |\n|---|---|---|---|---|---|---|\n'
for n in $names; do
  log="$build/fuzz-logs/$n.log"
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  findings=$(grep -oE '(crash|leak|timeout|oom|slow-unit)-[0-9a-f]+' "$log" | sort -u | tr '\n' ' ' || true)
  summary=$(grep -m1 -oE '^SUMMARY: [A-Za-z]+Sanitizer: [^ ]+|ERROR: libFuzzer: [a-z-]+' "$log" || true)
  [ -n "$findings$summary" ] && found=1
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$n" "${secs:-?}" "${execs:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "${findings:-none}${summary:+ ($summary)}"
done
exit $found
