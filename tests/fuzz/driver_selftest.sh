#!/usr/bin/env bash
# Checks the gcc fuzz driver (tests/fuzz/driver.cc) with a target that fails on purpose
# (driver_selftest_target.cc): the seed is printed and honoured, a fresh run gets a fresh seed,
# the time budget holds, and for every way of dying (signal, abort, uncaught exception, stack
# overflow, hang, and under ASan/UBSan their reports) the input that died is saved where the
# driver says, byte for byte, and replays to the same death.
set -u
ulimit -c 0  # the deaths below are on purpose
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

mkdir "$work/corpus"
printf 'aaaa' >"$work/corpus/a"

# Seeds: printed, honoured, fresh when unset.
out=$(CBIT_FUZZ_SEED=42 CBIT_FUZZ_RUNS=300 "$bin" --regressions="$work/benign" "$work/corpus" 2>&1) || fail "benign run failed: $out"
grep -q 'seed=42; reproduce with CBIT_FUZZ_SEED=42 ' <<<"$out" || fail "seed 42 not printed: $out"
grep -q ' 300 mutations ' <<<"$out" || fail "CBIT_FUZZ_RUNS=300 not honoured: $out"
s1=$(CBIT_FUZZ_RUNS=10 "$bin" --regressions="$work/benign" "$work/corpus" | sed -n 's/.*seed=\([0-9]*\);.*/\1/p')
s2=$(CBIT_FUZZ_RUNS=10 "$bin" --regressions="$work/benign" "$work/corpus" | sed -n 's/.*seed=\([0-9]*\);.*/\1/p')
[ -n "$s1" ] && [ -n "$s2" ] && [ "$s1" != "$s2" ] || fail "unset CBIT_FUZZ_SEED gave seeds '$s1' and '$s2'"

# The time budget: one second of mutations ends in about one second, with mutations done.
start=$(date +%s)
out=$(CBIT_FUZZ_SECONDS=1 "$bin" --regressions="$work/benign" "$work/corpus" 2>&1) || fail "timed run failed: $out"
[ $(($(date +%s) - start)) -le 20 ] || fail "CBIT_FUZZ_SECONDS=1 ran $(($(date +%s) - start)) s"
grep -q ' 0 mutations ' <<<"$out" && fail "CBIT_FUZZ_SECONDS=1 ran no mutation: $out"

asan=$(printf 'cbit-die?' >"$work/probe" && "$bin" "$work/probe" | sed -n 's/^asan=//p')
kinds="S A T X R"
[ "$asan" = 1 ] && kinds="$kinds O U"

# $1 = kind, $2 = "crash" or "timeout": the stored input dies; it must be saved and replay.
check_death() {
  local kind=$1 what=$2 dir="$work/c_$1" reg="$work/reg_$1"
  mkdir -p "$dir"
  printf 'cbit-die%s-input' "$kind" >"$dir/in"
  out=$(CBIT_FUZZ_TIMEOUT=1 CBIT_FUZZ_RUNS=10 "$bin" --regressions="$reg" "$dir" 2>&1) &&
    { fail "$kind: the run did not fail"; return; }
  local saved
  saved=$(sed -n "s|.*; input saved to \($reg/$what-[0-9a-f]*\)$|\1|p" <<<"$out")
  [ -n "$saved" ] || { fail "$kind: no '$what' input saved: $out"; return; }
  cmp -s "$saved" "$dir/in" || fail "$kind: $saved is not the input that died"
  [ "$(ls "$reg" | wc -l)" = 1 ] || fail "$kind: $reg holds $(ls "$reg")"
  CBIT_FUZZ_TIMEOUT=1 "$bin" "$saved" >/dev/null 2>&1 && fail "$kind: replaying $saved did not fail"
  # A saved regression is replayed by every later run of the target.
  out=$(CBIT_FUZZ_TIMEOUT=1 CBIT_FUZZ_RUNS=10 "$bin" --regressions="$reg" "$work/corpus" 2>&1) &&
    fail "$kind: the regression directory was not replayed"
  grep -q 'replaying a stored input' <<<"$out" || fail "$kind: no replay message: $out"
}
for k in $kinds; do check_death "$k" crash; done
check_death H timeout

# A crash found by a mutation: the saved file is the mutated input, and the printed seed with
# the printed mutation number reproduces it exactly (the same bytes, so the same file name).
reg="$work/reg_mut"
out=$(CBIT_SELFTEST_MUTATION=1 CBIT_FUZZ_SEED=7 CBIT_FUZZ_SECONDS=30 "$bin" --regressions="$reg" "$work/corpus" 2>&1) &&
  fail "mutation crash not found: $out"
saved=$(sed -n "s|.*; input saved to \($reg/crash-[0-9a-f]*\)$|\1|p" <<<"$out")
n=$(sed -n 's/.*crash on mutation \([0-9]*\) of seed=7;.*/\1/p' <<<"$out")
if [ -z "$saved" ] || [ -z "$n" ]; then
  fail "mutation crash: no path or mutation number: $out"
else
  [ "$(head -c1 "$saved")" = Z ] || fail "mutation crash: $saved does not start with Z"
  rm "$saved"
  CBIT_SELFTEST_MUTATION=1 CBIT_FUZZ_SEED=7 CBIT_FUZZ_RUNS=$((n + 1)) "$bin" --regressions="$reg" "$work/corpus" >/dev/null 2>&1 &&
    fail "mutation crash: seed 7 with $((n + 1)) runs did not crash again"
  [ -f "$saved" ] || fail "mutation crash: seed 7 did not reproduce $saved: $(ls "$reg")"
fi

[ "$fails" = 0 ] && echo "fuzz driver: seeds, time budget and $(echo $kinds | wc -w)+2 ways of dying checked"
exit $((fails > 0))
