#!/usr/bin/env bash
# End-to-end checks of `cbit scan`: outputs, GPAs, attribution, exit codes (0 found / 1 none /
# 2 bad input), one-line errors, no progress bar off a terminal, memory independent of dump size.
# Usage: bash scan.sh <path-to-cbit> <source-dir>
set -u
CBIT=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
expect_rc() {  # expect_rc RC DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  [ "$rc" -eq "$want" ] && ok || bad "$what: exit $rc, want $want; stderr: $(head -c 300 "$T/err")"
}
contains() { grep -qF -- "$2" "$1" && ok || bad "$3: '$2' not in $(basename "$1"): $(head -c 400 "$1")"; }
one_error_line() {  # stderr is one line "cbit: ..." naming $1
  [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^cbit: .*$1" "$T/err" && ok ||
    bad "error for $1 is not one line naming it: $(cat "$T/err")"
}

# A raw dump: page 0 zero, page 1 text with a password, pages 2-3 random, page 4 a string that
# crosses into page 5, a UTF-16LE string in page 6 and one across the end of page 1.
python3 - "$T/raw.bin" <<'PY'
import os, sys, random
r = random.Random(4)
d = bytearray(4096 * 8)
d[4096:8192] = (b"login ok; password=hunter2; " * 200)[:4096]
d[8192:16384] = bytes(r.getrandbits(8) for _ in range(8192))
d[5 * 4096 - 4:5 * 4096 + 12] = b"CROSS-PAGE-MATCH"
w = "wide-secret".encode("utf-16-le")
d[6 * 4096 + 8:6 * 4096 + 8 + len(w)] = w
w = "straddle-wide".encode("utf-16-le")  # 9 bytes at the end of page 1, 17 in page 2
d[2 * 4096 - 9:2 * 4096 + 17] = w
open(sys.argv[1], "wb").write(d)
PY

expect_rc 0 "string found" -- "$CBIT" scan "$T/raw.bin" -s hunter2
contains "$T/out" "GPA 0x1013 (page 0x1000 + 0x13" "first hunter2 at its GPA"
contains "$T/out" "string \"hunter2\" (UTF-8): 146" "hunter2 count"
contains "$T/out" "zero (unreadable or never written; not evidence of no leak)" "zero label"
contains "$T/out" "encrypted fraction:" "encrypted fraction line"
[ ! -s "$T/err" ] && ok || bad "stderr not empty off a terminal (progress bar?): $(cat "$T/err")"

expect_rc 0 "cross-page match" -- "$CBIT" scan "$T/raw.bin" -s CROSS-PAGE-MATCH
contains "$T/out" "GPA 0x4ffc" "match across a page boundary"
expect_rc 0 "hex with wildcard" -- "$CBIT" scan "$T/raw.bin" -x "43 52 ?? 53 53"
contains "$T/out" "GPA 0x4ffc" "hex match GPA"
expect_rc 0 "regex" -- "$CBIT" scan "$T/raw.bin" -e "password=[a-z0-9]+" --max-matches 1
contains "$T/out" "\"password=hunter2\"" "regex match text"
contains "$T/out" "more not shown" "max-matches limit"
# --string finds both encodings (as `strings` and `strings -el` would) and says which it found.
expect_rc 0 "utf-16le found by --string" -- "$CBIT" scan "$T/raw.bin" -s wide-secret
contains "$T/out" "GPA 0x6008 (page 0x6000 + 0x8, file offset 0x6008) string (UTF-16LE): \"wide-secret\"" "UTF-16LE match GPA and encoding"
contains "$T/out" "string \"wide-secret\" (UTF-8): 0" "no UTF-8 copy of the wide string"
contains "$T/out" "string \"wide-secret\" (UTF-16LE): 1" "UTF-16LE count"
expect_rc 0 "utf-16le across a page boundary" -- "$CBIT" scan "$T/raw.bin" -s straddle-wide -o json
python3 - "$T/out" <<'PY' && ok || bad "UTF-16LE straddling match in JSON"
import json, sys
j = json.load(open(sys.argv[1]))
assert [p["encoding"] for p in j["patterns"]] == ["utf-8", "utf-16le"], j["patterns"]
assert [p["matches"] for p in j["patterns"]] == [0, 1], j["patterns"]
m = j["matches"][0]
assert m["gpa"] == 2 * 4096 - 9 and m["encoding"] == "utf-16le" and m["text"] == "straddle-wide", m
assert m["length"] == 26 and m["hex"].startswith("7300740072"), m
PY
expect_rc 0 "--wide is still accepted" -- "$CBIT" scan "$T/raw.bin" -s wide-secret --wide
expect_rc 1 "no match gives 1" -- "$CBIT" scan "$T/raw.bin" -s not-in-this-dump
contains "$T/out" "matches: 0" "absent string: 0 matches"
expect_rc 0 "no patterns gives 0" -- "$CBIT" scan "$T/raw.bin" --pages
contains "$T/out" "0x0000000000002000-0x0000000000003fff          2  high-entropy" "page ranges"
expect_rc 0 "raw base" -- "$CBIT" scan "$T/raw.bin" -s CROSS-PAGE --base 0x100000000
contains "$T/out" "GPA 0x100004ffc" "raw --base shifts GPAs"
for b in -1 +1 " 1" 99999999999999999999 0x ""; do
  expect_rc 2 "--base '$b'" -- "$CBIT" scan "$T/raw.bin" --base "$b"; one_error_line "--base '$b'"
done

# JSON.
expect_rc 0 "json" -- "$CBIT" scan "$T/raw.bin" -s hunter2 -o json --pages
python3 - "$T/out" <<'PY' && ok || bad "json content"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["matches_total"] == 146, j["matches_total"]
assert j["matches"][0]["gpa"] == 0x1013
assert j["pages"]["zero"] == 2 and j["pages"]["high-entropy"] == 2 and j["pages"]["other"] == 3, j["pages"]
assert abs(j["encrypted_fraction"]["of_readable"] - 2 / 6) < 1e-9
assert j["page_ranges"][0] == {"gpa": 0, "pages": 1, "class": "zero"}
PY

# ELF cores from the fuzz corpus: a match at the second PT_LOAD's guest-physical address.
CORE="$SRC/tests/fuzz/corpus/elf_core/two_loads64.core"
expect_rc 0 "elf core hex" -- "$CBIT" scan "$CORE" -x "0d b4 ?? 02" -o json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["matches"][0]["gpa"]==0x100000, j["matches"]; assert j["dump"]["format"]=="elf-core"' "$T/out" && ok || bad "elf core GPA"
expect_rc 0 "elf32 core" -- "$CBIT" scan "$SRC/tests/fuzz/corpus/elf_core/one_load32.core" -s secret
contains "$T/out" "GPA 0x1000 " "elf32 GPA"
contains "$T/out" "ELF32 core, 2 PT_LOAD segments" "elf32 described"

# The issue-8 crash: a 32 KiB base64 run with an ordinary pattern (std::regex overflowed its
# stack on it, exit 139). One match from the run's start, as long as the run; control: the same
# pattern with a length the run does not reach finds nothing.
python3 - "$T/run.bin" <<'PY'
import random, sys
r = random.Random(8)
b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
d = bytearray(r.getrandbits(8) | 0x80 for _ in range(4096 * 12))  # no printable bytes
d[4096 + 100:4096 + 100 + 32768] = bytes(r.choice(b64) for _ in range(32768))
open(sys.argv[1], "wb").write(d)
PY
expect_rc 0 "32 KiB printable run" -- "$CBIT" scan "$T/run.bin" -e '[A-Za-z0-9+/=]{40,}'
contains "$T/out" "regex /[A-Za-z0-9+/=]{40,}/: 1" "one finding for the run"
contains "$T/out" "GPA 0x1064 (page 0x1000 + 0x64, file offset 0x1064) regex: " "run GPA"
contains "$T/out" "... (32768 bytes)" "run length"
expect_rc 1 "control: the run holds no '='" -- "$CBIT" scan "$T/run.bin" -e '[A-Za-z0-9+/]{40,}='
contains "$T/out" "matches: 0" "control: 0 matches"

# Page map: the password is in a shared page (AMDSEV#31).
cat >"$T/map.json" <<'J'
{"format": "cbit-page-map", "version": 1, "regions": [
  {"gpa": "0x0", "size": "0x1000", "kind": "private"},
  {"gpa": "0x1000", "size": "0x1000", "kind": "shared", "label": "virtio-console"},
  {"gpa": "0x2000", "size": "0x6000", "kind": "private"}]}
J
expect_rc 0 "page map" -- "$CBIT" scan "$T/raw.bin" -s hunter2 --page-map "$T/map.json" --max-matches 1
contains "$T/out" "plaintext page, shared: shared page (virtio-console)" "shared attribution"
contains "$T/out" "AMDSEV#31" "likely cause cites AMDSEV#31"
contains "$T/out" "private             7 pages: zero 2 high-entropy 2 other 3" "by-kind counts"

# Bad input: exit 2, one line naming the input.
: >"$T/empty.bin"
expect_rc 2 "empty file" -- "$CBIT" scan "$T/empty.bin"; one_error_line "empty.bin"
mkdir "$T/dir"
expect_rc 2 "directory" -- "$CBIT" scan "$T/dir"; one_error_line "dir"
head -c 100 "$CORE" >"$T/trunc.core"
expect_rc 2 "truncated elf" -- "$CBIT" scan "$T/trunc.core"; one_error_line "trunc.core"
head -c 2000 "$CORE" >"$T/short.core"
expect_rc 2 "segment beyond end" -- "$CBIT" scan "$T/short.core"; one_error_line "short.core: PT_LOAD"
expect_rc 2 "kdump" -- "$CBIT" scan "$SRC/tests/fuzz/corpus/elf_core/kdump_signature.bin"; one_error_line "kdump-compressed"
expect_rc 2 "missing" -- "$CBIT" scan "$T/nope.bin"; one_error_line "nope.bin: cannot open"
expect_rc 2 "bad hex" -- "$CBIT" scan "$T/raw.bin" -x "zz"; one_error_line "--hex"
expect_rc 2 "bad regex" -- "$CBIT" scan "$T/raw.bin" -e "(unclosed"; one_error_line "--regex"
# PCRE constructs Hyperscan does not do: one line with Hyperscan's own message, exit 2.
expect_rc 2 "back-reference" -- "$CBIT" scan "$T/raw.bin" -e '(a)\1'
one_error_line "--regex '(a).1': Hyperscan cannot compile it: Back-reference"
expect_rc 2 "matches empty" -- "$CBIT" scan "$T/raw.bin" -s x -e 'x' -e 'a*'
one_error_line "--regex 'a\*': Hyperscan cannot compile it: .*empty"
[ ! -s "$T/out" ] && ok || bad "output written before the patterns were checked"
# Numbers: a negative count is refused, not wrapped to 2^64 - 1.
expect_rc 2 "--max-matches -1" -- "$CBIT" scan "$T/raw.bin" -s hunter2 --max-matches -1
one_error_line "--max-matches '-1': expected a whole number from 0 to 100000"
expect_rc 2 "--max-matches too large" -- "$CBIT" scan "$T/raw.bin" -s hunter2 --max-matches 18446744073709551616
one_error_line "--max-matches"
expect_rc 0 "--max-matches 0" -- "$CBIT" scan "$T/raw.bin" -s hunter2 --max-matches 0
contains "$T/out" "146 more not shown" "--max-matches 0 counts all, lists none"
expect_rc 2 "--chunk-kib -1" -- "$CBIT" scan "$T/raw.bin" --chunk-kib -1; one_error_line "--chunk-kib '-1'"
expect_rc 2 "--threads -1" -- "$CBIT" scan "$T/raw.bin" --threads -1; one_error_line "--threads '-1'"
expect_rc 2 "--threads 0" -- "$CBIT" scan "$T/raw.bin" --threads 0; one_error_line "--threads '0'"
echo '[{"gpa": 1, "size": 4096, "kind": "private"}]' >"$T/badmap.json"
expect_rc 2 "bad page map" -- "$CBIT" scan "$T/raw.bin" --page-map "$T/badmap.json"; one_error_line "badmap.json: region 0"
[ ! -s "$T/out" ] && ok || bad "output written before the page map was checked"

# Memory use does not grow with the dump: 1 GiB sparse (zero) dumps, peak RSS well under 100 MiB
# (256 MiB for a sanitizer build, whose shadow memory and quarantine come on top).
RSS_LIMIT=102400
grep -qa "libasan\.so" "$CBIT" && RSS_LIMIT=262144
if [ ! -x /usr/bin/time ]; then
  bad "GNU time (/usr/bin/time) is missing: scripts/install-deps.sh installs the time package"
else
  truncate -s 1G "$T/big.bin"
  /usr/bin/time -f "%M" -o "$T/rss" "$CBIT" scan "$T/big.bin" -s x -q >/dev/null 2>&1
  rss=$(tail -1 "$T/rss")
  [ "$rss" -lt "$RSS_LIMIT" ] && ok || bad "peak RSS $rss KiB for a 1 GiB dump"
  # The same for an ELF core: libelf must not pull the segment data into memory.
  python3 - "$T/big.core" <<'PY'
import struct, sys
size = 1 << 30
ph = struct.pack("<IIQQQQQQ", 4, 0, 176, 0, 0, 0, 0, 4)
ph += struct.pack("<IIQQQQQQ", 1, 7, 4096, 0, 0x100000000, size, size, 0)
eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
eh += struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, 2, 64, 0, 0)
with open(sys.argv[1], "wb") as f:
    f.write(eh + ph)
    f.truncate(4096 + size)
PY
  /usr/bin/time -f "%M" -o "$T/rss" "$CBIT" scan "$T/big.core" -s x -q -o json >"$T/out" 2>/dev/null
  rss=$(tail -1 "$T/rss")
  [ "$rss" -lt "$RSS_LIMIT" ] && ok || bad "peak RSS $rss KiB for a 1 GiB ELF core"
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["pages"]["zero"]==262144' "$T/out" && ok || bad "1 GiB core page count"
fi

# A pattern matching every byte of a dump: all counted, --max-matches kept, memory stays small.
if [ -x /usr/bin/time ]; then
  truncate -s 64M "$T/zeros.bin"
  /usr/bin/time -f "%M" -o "$T/rss" "$CBIT" scan "$T/zeros.bin" -x 00 -q -o json >"$T/out" 2>/dev/null
  rss=$(tail -1 "$T/rss")
  [ "$rss" -lt "$RSS_LIMIT" ] && ok || bad "peak RSS $rss KiB for 64 Mi matches"
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["matches_total"]==64<<20 and len(j["matches"])==1000 and j["matches"][999]["gpa"]==999' "$T/out" && ok || bad "dense match count"
fi

# Hyperscan needs SSSE3: on a CPU without it (emulated by qemu-user's qemu64 model, when
# installed) a search is refused with one line and exit 3; a scan without patterns still runs.
# An ASan build cannot run under qemu-user (its shadow memory makes qemu map terabytes: 20 GiB of
# RSS before it was stopped), so that build leaves this check to the release build's run.
if grep -qa "libasan\.so" "$CBIT"; then
  echo "scan.sh: SKIP CPU-without-SSSE3 check (sanitizer build; the release build runs it)"
elif ! command -v qemu-x86_64 >/dev/null; then
  bad "qemu-x86_64 is missing: scripts/install-deps.sh installs qemu-user"
else
  expect_rc 3 "no SSSE3" -- qemu-x86_64 -cpu qemu64 "$CBIT" scan "$T/raw.bin" -s hunter2
  one_error_line "needs a CPU with SSSE3"
  [ ! -s "$T/out" ] && ok || bad "output written on a CPU without SSSE3"
  expect_rc 0 "no SSSE3, no patterns" -- qemu-x86_64 -cpu qemu64 "$CBIT" scan "$T/raw.bin"
  contains "$T/out" "encrypted fraction:" "page classes without SSSE3"
  expect_rc 0 "control: qemu64 with SSSE3" -- qemu-x86_64 -cpu qemu64,+ssse3 "$CBIT" scan "$T/raw.bin" -s hunter2
fi

echo "scan.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
