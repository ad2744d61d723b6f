#!/usr/bin/env bash
# Hostile command lines against every subcommand of the real binary (docs/cli.md): empty,
# negative, overflowing, huge and garbage numbers, unknown and malformed --set fields, unknown
# flags, repeated options, missing and wrong-kind files. Each must be refused with the exit code
# its subcommand documents and
#  - one `cbit:` line on stderr (CLI11's two lines, "Run with --help ...", for parse errors),
#  - nothing on stdout (the refusal comes before any work),
#  - no assertion, no "internal error", no source path, no signal (exit < 128), no hang.
set -u
CBIT=$(realpath "$1")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1  # whatever a command might write by mistake lands here
fails=0
count=0
bad() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# The checks every refusal shares; $1 = exit code wanted, $2 = pattern, $3 = stderr lines.
check() {
  local want=$1 pat=$2 lines=$3 got=$4
  shift 4
  count=$((count + 1))
  if [ "$got" -ge 124 ]; then
    bad "exit $got (signal or timeout): $*"
    cat "$T/err"
    return
  fi
  if [ "$got" != "$want" ]; then
    bad "exit $got (want $want): $*"
    cat "$T/err"
    return
  fi
  if [ "$(wc -l <"$T/err")" != "$lines" ]; then
    bad "$(wc -l <"$T/err") lines on stderr (want $lines): $*"
    cat "$T/err"
    return
  fi
  if grep -qiE "assert|internal error|\.(cc|h|hpp):[0-9]|/src/|terminate called|basic_string" "$T/err"; then
    bad "an internal error reached the user: $*"
    cat "$T/err"
    return
  fi
  if [ -s "$T/out" ]; then
    bad "output before the refusal: $*"
    head -3 "$T/out"
    return
  fi
  if ! grep -q -- "$pat" "$T/err"; then
    bad "no '$pat' in: $*"
    cat "$T/err"
    return
  fi
}

# refuse CODE PATTERN -- cmd...: cbit's own refusal, one `cbit:` line.
refuse() {
  local want=$1 pat=$2
  shift 3
  timeout 120 "$CBIT" "$@" >"$T/out" 2>"$T/err"
  local got=$?
  check "$want" "$pat" 1 "$got" "$@"
  if [ "$got" = "$want" ] && ! head -1 "$T/err" | grep -q "^cbit: "; then
    bad "not a 'cbit:' line: $*"
    cat "$T/err"
  fi
}

# parse_error CODE PATTERN -- cmd...: CLI11's refusal, its message then "Run with --help".
parse_error() {
  local want=$1 pat=$2
  shift 3
  timeout 120 "$CBIT" "$@" >"$T/out" 2>"$T/err"
  local got=$?
  check "$want" "$pat" 2 "$got" "$@"
  if [ "$got" = "$want" ] && [ "$(sed -n 2p "$T/err")" != "Run with --help for more information." ]; then
    bad "not CLI11's two-line message: $*"
    cat "$T/err"
  fi
}

# Fixtures: an empty file, random bytes, a directory, JSON that is not what is asked for.
: >empty
head -c 5000 /dev/urandom >junk
mkdir dir
echo '{' >broken.json
echo '[1, 2]' >array.json
BIG=99999999999999999999    # > 2^64 - 1
U64MAX=18446744073709551615

# --- the binary itself ------------------------------------------------------------------------
parse_error 106 "A subcommand is required" -- 
parse_error 106 "A subcommand is required" -- bogus
parse_error 109 "not expected: --bogus" -- --bogus demo

# --- numbers: every numeric flag refuses what is not a whole number in its range ---------------
for v in -1 -0 "$BIG" 18446744073709551616 0x10000000000000000 010 "" " 1" "1 " 1e3 1.5 +1 0x ten; do
  parse_error 105 "^--seed: '$v' is not a whole number from 0 to $U64MAX" -- demo --seed "$v"
  parse_error 105 "^--seed: '$v' is not a whole number" -- map --seed "$v"
  parse_error 105 "^--seed: '$v' is not a whole number" -- attack --seed "$v" --matrix
  parse_error 105 "^--seed: '$v' is not a whole number" -- launch --firmware absent.fd --seed "$v"
  parse_error 105 "^--seed: '$v' is not a whole number" -- report sample --out-dir s --seed "$v"
done
[ -e s ] && bad "report sample created its --out-dir before refusing --seed"
for v in 0 1025 -1 "$BIG" 4294967297 ""; do
  parse_error 105 "^--memory: '$v' is not a whole number from 1 to 1024" -- launch --firmware absent.fd --memory "$v"
done
for v in 15 1025 -1 -4294967280 "$BIG"; do
  parse_error 105 "^--pages-per-row: '$v' is not a whole number from 16 to 1024" -- map --pages-per-row "$v"
done
# measure keeps sev-snp-measure's argparse code, 2, for every parse error.
for v in 0 65 -1 "$BIG" ""; do
  parse_error 2 "^--threads: '$v' is not a whole number from 1 to 64" -- measure --mode sev --ovmf absent.fd --threads "$v"
done
# The largest values are taken as they are, not wrapped (checked where they are echoed back).
"$CBIT" demo --seed "$U64MAX" --section nope >/dev/null 2>&1
[ $? = 1 ] || bad "--seed 2^64-1 refused"

# --- repeated, missing and unknown options ----------------------------------------------------
parse_error 114 "^--seed: At Most 1" -- demo --seed 1 --seed 2
parse_error 114 "^--cpu: At Most 1" -- demo --cpu milan --cpu rome
parse_error 114 "^--seed: At Most 1" -- attack --seed 1 --seed 2 --matrix
parse_error 114 "--seed" -- map --seed
parse_error 114 "--workdir" -- demo --workdir
refuse 1 "unknown section 'extra'" -- demo extra
parse_error 109 "not expected: extra" -- run f.toml extra
parse_error 109 "not expected: --bogus" -- map --bogus
parse_error 105 "^--output: yaml not in" -- demo -o yaml
parse_error 105 "^--output: yaml not in" -- host -o yaml
parse_error 106 "^--firmware is required" -- launch
parse_error 2 "not expected: --bogus" -- measure --bogus
parse_error 2 "files: At least 2" -- measure diff one.json
parse_error 2 "files: At Most 2" -- measure diff a.json b.json c.json
parse_error 2 "files is required" -- measure diff
parse_error 106 "A subcommand is required" -- report
parse_error 106 "report is required" -- report display
parse_error 109 "not expected: b" -- report display a b
parse_error 109 "not expected" -- attack one two --mode sev
parse_error 106 "DUMP is required" -- scan
# (scan reads its numbers itself, --threads, --chunk-kib, --max-matches, --base: tests/cli/scan.sh.)

# A newline in what the user typed does not make a second line.
NL=$'a\nb'
parse_error 105 "^--output: a\\\\nb not in" -- demo -o "$NL"
parse_error 109 "not expected: a\\\\nb" -- run f.toml "$NL"
refuse 1 "unknown section 'a\\\\nb'" -- demo "$NL"
parse_error 105 "^--seed: 'a b'" -- demo --seed "$NL"
refuse 1 "unknown CPU model 'a\\\\nb'" -- demo --cpu "$NL"
refuse 1 "unknown section 'a\\\\nb'" -- demo --section "$NL"
refuse 1 "cannot open" -- launch --firmware "$NL"

# --- demo --set: every field checked against its range before any work ------------------------
refuse 1 "demo section smetest needs SME (CPUID Fn8000_001F EAX\[0\])" -- demo --set features=-sme --section smetest
refuse 1 "demo section smetest needs SME" -- demo --set eax=0 --section smetest
refuse 1 "demo section sme-full needs SME" -- demo --set eax=0
refuse 1 "demo section dma needs SME" -- demo --cpu turin --set features=-sme,+sev --section dma
refuse 1 "demo section sev-shared needs SEV (CPUID Fn8000_001F EAX\[1\])" -- demo --set features=-sev --section sev-shared
refuse 1 "needs an ASID for SEV guests" -- demo --set asids=0 --section sev-guest
refuse 1 "needs SEV-ES with an ES ASID" -- demo --cpu milan --set features=-sev_es --section sev-guest
refuse 1 "needs SEV-ES with an ES ASID" -- demo --set asids=1 --section sev-guest
for v in 4294967295 4294967296 1024 -1 "$BIG" "" 0x 1e3; do
  refuse 1 "^cbit: --set asids=$v: not a whole number from 0 to 1023" -- demo --set "asids=$v"
done
refuse 1 "min-sev-asid=4294967297: not a whole number from 0 to 1024" -- demo --set min-sev-asid=4294967297
refuse 1 "min-sev-asid is 0; choose 1 to 16" -- demo --set min-sev-asid=0
refuse 1 "min-sev-asid is 256; choose 1 to 101" -- demo --cpu milan --set asids=100
refuse 1 "eax=0x100000000: not a whole number from 0 to 4294967295" -- demo --set eax=0x100000000
refuse 1 "eax=-1: not a whole number" -- demo --set eax=-1
refuse 1 "cbit=99: not a whole number from 0 to 63" -- demo --set cbit=99
refuse 1 "cbit is 42, but the C-bit must lie above the 43 usable" -- demo --set cbit=42
refuse 1 "cbit is 45, .*choose 46 to 51" -- demo --cpu genoa --set cbit=45
refuse 1 "reduction 13 leaves 35 usable" -- demo --set reduction=13
refuse 1 "reduction 0 with maxphyaddr 52 leaves no address bit" -- map --cpu genoa --set reduction=0
refuse 1 "vmpls=5: not a whole number from 0 to 4" -- demo --set vmpls=5
refuse 1 "maxphyaddr=53: not a whole number from 36 to 52" -- demo --set maxphyaddr=53
refuse 1 "maxphyaddr=35: not a whole number from 36 to 52" -- demo --set maxphyaddr=35
refuse 1 "cache-lines=1048577: not a whole number from 1 to 1048576" -- demo --set cache-lines=1048577
refuse 1 "cache-lines.*multiple of" -- demo --set cache-lines=17
refuse 1 "cipher=aes: choose xe" -- demo --set cipher=aes
refuse 1 "unknown feature 'bogus'" -- demo --set features=-bogus
refuse 1 "features: give +name or -name" -- demo --set features=
refuse 1 "unknown feature ''" -- demo --set features=+
refuse 1 "'nonsense' is not field=value" -- demo --set nonsense
refuse 1 "'' is not field=value" -- demo --set ""
refuse 1 "unknown field 'colour'" -- demo --set colour=blue
refuse 1 "unknown field" -- demo --set "$(printf 'cb\nit=47')"
refuse 1 "unknown section 'nope'" -- demo --section nope
refuse 1 "unknown section ''" -- demo --section ""
refuse 1 "unknown CPU model 'bogus'" -- demo --cpu bogus
refuse 1 "--workdir: junk is not a directory" -- demo --workdir junk --section smetest
refuse 1 "--workdir: absent is not a directory" -- demo --workdir absent --section smetest
refuse 1 "cannot create a working directory in /proc" -- demo --workdir /proc --section sme-full
# map: the same --set table, and scenarios that need SME.
refuse 1 "--set asids=4294967295: not a whole number from 0 to 1023" -- map --set asids=4294967295
refuse 1 "--scenario sme-partial needs SME" -- map --set features=-sme
refuse 1 "--scenario tsme needs SME" -- map --scenario tsme --set eax=0
refuse 1 "unknown scenario 'nope'" -- map --scenario nope
refuse 1 "dir: is a directory" -- map -O dir
refuse 1 "cannot write" -- map -O absent/dir/m.png

# --- measure ----------------------------------------------------------------------------------
refuse 2 "required: --mode" -- measure --ovmf junk
refuse 2 "--mode 'bogus'" -- measure --mode bogus --ovmf junk
for v in 4097 "$BIG"; do
  refuse 2 "^cbit: --vcpus '$v'" -- measure --mode snp --vcpus "$v" --vcpu-type EPYC --ovmf junk
done
refuse 2 "--vcpus 'abc': not an integer" -- measure --mode snp --vcpus abc --vcpu-type EPYC --ovmf junk
refuse 1 "absent.fd: cannot open" -- measure --mode sev --ovmf absent.fd
refuse 1 "dir: is a directory" -- measure --mode sev --ovmf dir
refuse 1 "too small to be a firmware image" -- measure --mode sev --ovmf empty
refuse 2 "empty: not the output of" -- measure diff empty junk
refuse 2 "broken.json: not the output of" -- measure diff broken.json array.json
refuse 2 "absent.json: cannot open" -- measure diff absent.json junk

# --- launch (each refusal comes before the firmware is read, or names it) ----------------------
for v in -1 -0 0x100000000 "" " 1" 010 x1; do
  refuse 1 "^cbit: --policy '$v': not a 32-bit number" -- launch --firmware absent.fd --policy "$v"
done
refuse 1 "--vcpus 513: choose 1 to 512" -- launch --firmware absent.fd --vcpus 513
refuse 2 "--vcpus '4097'" -- launch --firmware absent.fd --vcpus 4097
refuse 1 "--vcpus -1: choose 1 to 512" -- launch --firmware absent.fd --vcpus -1
refuse 1 "--vcpus -1: choose 1 to 512" -- launch --firmware absent.fd --mode sev-es --vcpus -1
refuse 2 "--vcpus 0: an SEV-ES guest" -- launch --firmware absent.fd --mode sev-es --vcpus 0
refuse 1 "choose sev, sev-es or snp" -- launch --firmware absent.fd --mode sev-snp
refuse 1 "--expect: 'z' is not a hex digit" -- launch --firmware absent.fd --expect zz
refuse 1 "--expect: 2 bytes, want a 32-byte" -- launch --firmware absent.fd --expect abcd
refuse 1 "absent.fd: cannot open" -- launch --firmware absent.fd
refuse 1 "dir: is a directory" -- launch --firmware dir
refuse 1 "too small to be a firmware image" -- launch --firmware empty
refuse 1 "not a multiple of 16" -- launch --firmware junk
refuse 1 "unknown CPU model" -- launch --firmware junk --cpu pentium

# --- attack -----------------------------------------------------------------------------------
refuse 2 "give an attack NAME" -- attack
refuse 2 "attack 'bogus': unknown" -- attack bogus --mode sev
refuse 2 "--mode 'bogus'" -- attack hv-memory-scan --mode bogus
refuse 2 "--mode: required" -- attack hv-memory-scan
refuse 2 "unknown CPU model ''" -- attack --matrix --cpu ""
refuse 2 "--matrix runs every attack" -- attack --matrix npt-remap

# --- host -------------------------------------------------------------------------------------
refuse 1 "input file name: empty" -- host --from ""
refuse 1 "--simulate: unknown CPU model ''" -- host --simulate ""
refuse 1 "absent.json: cannot open" -- host --from absent.json
refuse 1 "dir: is a directory" -- host --from dir
refuse 1 "broken.json: not valid JSON" -- host --from broken.json
refuse 1 "array.json: expected a JSON object" -- host --from array.json
refuse 1 "dir: is a directory" -- host --save dir

# --- scan (bad input is 2) --------------------------------------------------------------------
refuse 2 "absent.img" -- scan absent.img
refuse 2 "dir" -- scan dir

# --- report -----------------------------------------------------------------------------------
refuse 1 "absent.bin: cannot open" -- report display absent.bin
refuse 1 "dir: is a directory" -- report display dir
refuse 1 "empty: 0 bytes; an SNP attestation report is exactly 1184" -- report display empty
refuse 1 "junk: 5000 bytes" -- report display junk
refuse 1 "give --vcek FILE, --vlek FILE or --certs-dir DIR" -- report verify junk
refuse 1 "--certs-dir junk: not a directory" -- report verify junk --certs-dir junk
refuse 1 "--certs-dir dir: no vcek" -- report verify junk --certs-dir dir
refuse 1 "--out-dir junk" -- report sample --out-dir junk
for a in "--product bogus" "--mismatch bogus" "--report-data zz" "--key-cache junk"; do
  # shellcheck disable=SC2086
  refuse 1 "${a%% *}" -- report sample --out-dir made $a
  [ -e made ] && bad "report sample $a created its --out-dir before refusing" && rm -rf made
done
refuse 1 "--report-data: 65 bytes, at most 64" -- report sample --out-dir made --report-data "$(printf 'ab%.0s' $(seq 65))"
refuse 1 "junk: 5000 bytes" -- report signature-der junk --out sig.der
[ -e sig.der ] && bad "signature-der left an output after refusing"

if [ $fails -ne 0 ]; then
  echo "$fails of $count refusals misbehaved"
  exit 1
fi
echo "bad_input.sh: all $count refusals behaved"
