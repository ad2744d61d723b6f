#!/usr/bin/env bash
# cbit run end to end: every file of examples/scenarios/ runs and all its checks hold (exit 0),
# `cbit demo SECTION` prints the same transcript as `cbit run` of its file, a failing check
# exits 3, and hostile files (empty, random bytes, 2 MiB, deep nesting, a FIFO, a directory, an
# unknown action, a 400 000-part dotted key) give one line naming the file, exit 1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/common.bash" "$1"
SRC=$2
cd "$SRC" || exit 1

n=0
for f in examples/scenarios/*.toml; do
  n=$((n + 1))
  expect_exit 0 "checks hold" -- "$CBIT" run "$f" --seed 5
  "$CBIT" run "$f" --seed 5 -o json >"$T/run.json" || bad "$f -o json"
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["ok"] is True and j["checks"], j["checks"]' \
    "$T/run.json" && ok "$f: JSON ok" || bad "$f: JSON not ok"
done
[ "$n" -ge 1 ] && ok "$n scenario files ran" || bad "no scenario files"

# The same transcript from cbit demo (the compiled-in file) and cbit run (the file on disk).
"$CBIT" run examples/scenarios/sme-full.toml --seed 9 | sed -n '/^== /,/^$/p' >"$T/run.txt"
"$CBIT" demo sme-full --seed 9 | sed -n '/^== /,/^$/p' >"$T/demo.txt"
if [ -s "$T/run.txt" ] && cmp -s "$T/run.txt" "$T/demo.txt"; then ok "demo and run agree"; else
  bad "demo and run transcripts differ"; diff "$T/run.txt" "$T/demo.txt" | head; fi
expect_exit 0 "examples/scenarios/sme-full.toml" -- "$CBIT" demo --list
expect_exit 0 "bus-probe-report" -- "$CBIT" run --list-actions
expect_exit 0 "--cpu milan" -- bash -c "'$CBIT' run examples/scenarios/sme-full.toml --cpu milan | grep -q 'simulated milan' && echo --cpu milan"

# A check that fails: exit 3 and the check line says what it saw.
cat >"$T/fails.toml" <<'TOML'
[scenario]
id = "fails"
title = "a check that must fail"
[[step]]
do = "machine"
id = "m"
dram = "32M"
expect = { cpu = "rome" }
TOML
expect_exit 3 "saw cpu = \"naples\"" -- "$CBIT" run "$T/fails.toml"

# Hostile or broken files: one line on stderr naming the file, exit 1, before anything runs.
: >"$T/empty.toml"
head -c 4096 /dev/urandom >"$T/random.toml"
python3 -c 'print("[scenario]\nid=\"big\"\ntitle=\"x\"\n" + "#" * (2 << 20))' >"$T/big.toml"
python3 -c 'print("[scenario]\nid=\"deep\"\ntitle=\"x\"\n[[step]]\ndo=\"say\"\ntext=" + "[" * 5000 + "]" * 5000)' >"$T/deep.toml"
python3 -c 'print("[" + ".".join(["a"] * 400000) + "]")' >"$T/dotted.toml"
mkfifo "$T/fifo.toml"
mkdir "$T/dir.toml"
cat >"$T/unknown.toml" <<'TOML'
[scenario]
id = "unknown"
title = "x"
[[step]]
do = "cold-bot"
find = ["x"]
TOML
expect_exit 1 "empty.toml:1:1: key 'scenario'" -- "$CBIT" run "$T/empty.toml"
expect_exit 1 "random.toml" -- "$CBIT" run "$T/random.toml"
expect_exit 1 "big.toml: 2097183 bytes, more than a scenario file can be" -- "$CBIT" run "$T/big.toml"
expect_exit 1 "deep.toml:6:" -- "$CBIT" run "$T/deep.toml"
expect_exit 1 "dotted.toml:1:1: a key or table name of more than" -- "$CBIT" run "$T/dotted.toml"
expect_exit 1 "fifo.toml" -- timeout 10 "$CBIT" run "$T/fifo.toml"
expect_exit 1 "dir.toml" -- "$CBIT" run "$T/dir.toml"
expect_exit 1 "unknown.toml:5:6: key 'do': unknown action 'cold-bot' (did you mean 'cold-boot'?)" -- "$CBIT" run "$T/unknown.toml"
expect_exit 1 "nonexistent.toml" -- "$CBIT" run "$T/nonexistent.toml"
expect_exit 1 "name a scenario file" -- "$CBIT" run
# A run-time error: what ran before is printed (text: the lines and checks; JSON: with
# "error"), then one line on stderr naming the step, exit 1.
cat >"$T/rterr.toml" <<'TOML'
[scenario]
id = "rterr"
title = "ciphertext hiding on a part without it"
cpu = "milan"
[[step]]
do = "machine"
id = "m"
dram = "32M"
expect = { cpu = "milan" }
[[step]]
do = "attack"
attack = "cipherleaks"
mode = "snp"
ciphertext_hiding = true
TOML
expect_exit 1 "rterr.toml:14:21: key 'ciphertext_hiding': the CPU (milan) has no ciphertext hiding" -- "$CBIT" run "$T/rterr.toml"
grep -q '^  \[ ok \] m: cpu = "milan"' "$T/out" && ok "the transcript before the error" || bad "no transcript before the error"
"$CBIT" run "$T/rterr.toml" -o json >"$T/rterr.json" 2>/dev/null
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["ok"] is False and "ciphertext-hiding=1" in j["error"] and j["steps"][0]["id"] == "m", j' \
  "$T/rterr.json" && ok "JSON so far with error" || bad "JSON after a run-time error"
# A file without [scenario] cpu: attack runs on milan (its default), not naples.
cat >"$T/nocpu.toml" <<'TOML'
[scenario]
id = "nocpu"
title = "attack's default CPU"
[[step]]
do = "attack"
id = "a"
attack = "hv-memory-scan"
mode = "off"
expect = { cpu = "milan" }
TOML
expect_exit 0 "each step's default CPU" -- "$CBIT" run "$T/nocpu.toml"
# A bare string where a list is declared: refused before anything runs.
sed 's/find = \["x"\]/find = "x"/; s/cold-bot/cold-boot/' "$T/unknown.toml" >"$T/bare.toml"
sed -i 's/id = "unknown"/id = "bare"/' "$T/bare.toml"
expect_exit 1 "bare.toml:6:8: key 'find': must be a list of strings" -- "$CBIT" run "$T/bare.toml"
# A bad --set is refused before anything runs, as for cbit demo.
expect_exit 1 "cbit" -- "$CBIT" run examples/scenarios/sme-full.toml --set cbit=99

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
