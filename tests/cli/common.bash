# Shared prologue of the CLI scenario scripts (sourced, not a test: ctest runs cli/*.sh only).
# Usage, after `set -u`:  . "$(dirname "${BASH_SOURCE[0]}")/common.bash" "$1"
# Gives: CBIT (the binary, absolute), T (a scratch directory removed at exit), fails (the count),
# ok / bad (one line each, bad counts), expect_exit CODE PATTERN -- command... (the exit code,
# PATTERN in stdout+stderr, at most one line on stderr; output kept in $T/out and $T/err),
# field NAME (the first word after "NAME:" in $T/out).
CBIT=$(realpath "$1")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_exit() {
  local want=$1 pat=$2
  shift 3
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    bad "exit $got (want $want): $*"; cat "$T/out" "$T/err"; return
  fi
  if ! cat "$T/out" "$T/err" | grep -q -- "$pat"; then
    bad "no '$pat' in output of: $*"; cat "$T/out" "$T/err"; return
  fi
  if [ "$(wc -l <"$T/err")" -gt 1 ]; then
    bad "more than one line on stderr: $*"; cat "$T/err"; return
  fi
  ok "exit $want, '$pat': ${*:2}"
}
field() { grep "^$1:" "$T/out" | sed "s/^$1: *//" | cut -d' ' -f1; }
