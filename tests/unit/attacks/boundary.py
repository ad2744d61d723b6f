#!/usr/bin/env python3
"""The attack boundary: attacks see only what an attacker sees (src/attacks/attacker.h).

Two checks, each with a control that must come out the other way:

  includes  Every src/attacks/*.{h,cc} is preprocessed with the build's own flags (-MM -MG) and
            its includes, direct and transitive, are checked against the rules below: nothing
            that defines the Machine, the memory controller, the cache, the Secure Processor or
            the host kernel (which hands out the Machine), nor the testbed that owns them.
            Control: files planted in a temporary directory with such includes must be flagged,
            and a clean one must not.
  compile   Breaches written as code (vm.machine().memctrl(), vm.kernel().machine(), the core
            behind a guest) must fail to compile against the attack headers, each with an
            "incomplete type" error on its own line. Control: the same code compiles once the
            definitions the rules keep out are included, so it is exactly the boundary that
            stops it.

Usage: boundary.py includes|compile --src SRC --build BUILD --cxx CXX
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

# Headers an attack may not include, directly or through another header. (The CPU model's
# header brings hw/memctrl/aes_engine.h for its enums: a type, not the machine's engine.)
FORBIDDEN = [
    (re.compile(r"^hw/machine\.h$"), "the Machine (owns every component)"),
    (re.compile(r"^hw/memctrl/memory_controller\.h$"), "the memory controller and its key slots"),
    (re.compile(r"^hw/cache/"), "the cache (lines under every key)"),
    (re.compile(r"^hw/psp/(secure_processor|sev/sev_firmware)\.h$"), "the Secure Processor"),
    (re.compile(r"^sw/host/(kernel|sev_dev|smp)\.h$"), "host objects that hand out the Machine"),
    (re.compile(r"^hw/cpu/cpu\.h$"), "the core (SVM wiring, MMU, TLB)"),
    (re.compile(r"^(testbed|demo|tools)/"), "code that owns a Machine"),
]
# What an attack includes itself: also nothing of the memory controller but the bus-observer
# hook, nothing of the Secure Processor.
FORBIDDEN_DIRECT = FORBIDDEN + [
    (re.compile(r"^hw/memctrl/(?!bus_observer\.h$)"), "the memory controller's insides"),
    (re.compile(r"^hw/psp/"), "the Secure Processor"),
]
# Per-file exceptions, each a reason: the victim guest's adapter runs on the core.
ALLOWED = {"fn_guest.cc": {"hw/cpu/cpu.h"}}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)


def build_flags(build, src):
    """-I/-isystem/-iquote/-D/-std from the build's compile command for an attack source."""
    path = os.path.join(build, "compile_commands.json")
    flags = []
    if os.path.exists(path):
        with open(path) as f:
            entries = json.load(f)
        for e in entries:
            if os.sep + "src" + os.sep + "attacks" + os.sep in e["file"]:
                args = e.get("arguments") or shlex.split(e["command"])
                i = 0
                while i < len(args):
                    a = args[i]
                    if a in ("-I", "-isystem", "-iquote", "-D") and i + 1 < len(args):
                        flags += [a, args[i + 1]]
                        i += 1
                    elif a.startswith(("-I", "-isystem", "-iquote", "-D", "-std=")):
                        flags.append(a)
                    i += 1
                break
    if not any(f.startswith("-std=") for f in flags):
        flags.append("-std=c++20")
    return ["-I" + src] + flags


def relative_to_src(path, src):
    p = os.path.realpath(path)
    s = os.path.realpath(src) + os.sep
    return p[len(s):] if p.startswith(s) else None


def transitive_includes(cxx, flags, path, src):
    """Every project header the file pulls in (paths relative to src/), via the preprocessor."""
    if path.endswith(".h"):  # a header on its own: a one-line TU that includes it
        cmd = [cxx] + flags + ["-I" + os.path.dirname(path), "-x", "c++", "-MM", "-MG", "-"]
        stdin = '#include "%s"\n' % os.path.basename(path)
    else:
        cmd = [cxx] + flags + ["-MM", "-MG", path]
        stdin = None
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: preprocessing failed:\n%s" % (path, r.stderr))
    deps = r.stdout.replace("\\\n", " ").split(":", 1)[1].split()
    out = set()
    for d in deps:
        rel = relative_to_src(d, src)
        if rel and os.path.realpath(d) != os.path.realpath(path):
            out.add(rel)
    return out


def violations(cxx, flags, path, src):
    """The rule breaches of one file: [(header, why, 'direct'|'transitive')]."""
    allowed = ALLOWED.get(os.path.basename(path), set())
    with open(path) as f:
        direct = INCLUDE_RE.findall(f.read())
    found = []
    for h in direct:
        for rule, why in FORBIDDEN_DIRECT:
            if rule.search(h) and h not in allowed:
                found.append((h, why, "direct"))
                break
    for h in sorted(transitive_includes(cxx, flags, path, src)):
        for rule, why in FORBIDDEN:
            if rule.search(h) and h not in allowed and (h, why, "direct") not in found:
                found.append((h, why, "transitive"))
                break
    return found


def attack_files(src):
    d = os.path.join(src, "attacks")
    return sorted(
        os.path.join(d, f) for f in os.listdir(d) if f.endswith((".h", ".cc"))
    )


PLANTED = {
    # name: (contents, a (header, kind) that must be among the flagged ones, or None = clean)
    "planted_direct.cc": ('#include "hw/machine.h"\n', ("hw/machine.h", "direct")),
    "planted_spaced.cc": ("#  include <hw/machine.h>\n", ("hw/machine.h", "direct")),
    "planted_through_demo.cc": ('#include "demo/demo.h"\n', ("hw/machine.h", "transitive")),
    "planted_through_kernel.h": (
        '#pragma once\n#include "sw/host/kernel.h"\n',
        ("hw/memctrl/memory_controller.h", "transitive"),
    ),
    "planted_memctrl.h": (
        '#pragma once\n#include "hw/memctrl/aes_engine.h"\n',
        ("hw/memctrl/aes_engine.h", "direct"),
    ),
    "planted_psp.cc": ('#include "hw/psp/sev/sev_api.h"\n', ("hw/psp/sev/sev_api.h", "direct")),
    # fn_guest.cc's exception is for that file only
    "planted_core.cc": ('#include "hw/cpu/cpu.h"\n', ("hw/cpu/cpu.h", "direct")),
    "planted_testbed.cc": ('#include "testbed/sev_host.h"\n', ("testbed/sev_host.h", "direct")),
    # control: what an attack may include is not flagged
    "planted_clean.cc": (
        '#include "attacks/attacker.h"\n#include "attacks/fn_guest.h"\n'
        '#include "hw/memctrl/bus_observer.h"\n#include "hw/raw_view.h"\n',
        None,
    ),
}


def check_includes(args):
    flags = build_flags(args.build, args.src)
    failed = False
    files = attack_files(args.src)
    for path in files:
        for h, why, kind in violations(args.cxx, flags, path, args.src):
            failed = True
            rel = os.path.relpath(path, args.src)
            print("BREACH %s: includes %s (%s): %s" % (rel, h, kind, why))
    print("checked %d attack files" % len(files))
    with tempfile.TemporaryDirectory(prefix="cbit-boundary-") as tmp:
        for name, (text, want) in PLANTED.items():
            p = os.path.join(tmp, name)
            with open(p, "w") as f:
                f.write(text)
            got = violations(args.cxx, flags, p, args.src)
            flagged = {(h, kind) for h, _, kind in got}
            if want is None and got:
                failed = True
                print("CONTROL FAILED: clean %s flagged: %s" % (name, got))
            elif want is not None and want not in flagged:
                failed = True
                print("CONTROL FAILED: %s not flagged for %s (got %s)"
                      % (name, want, sorted(flagged)))
            else:
                seen = "clean" if want is None else "flagged %s (%s)" % want
                print("control %s: %s" % (name, seen))
    return 1 if failed else 0


# Breaches as code, each a function over what an attack is given. `want`: the type the error
# must name as incomplete.
BREACHES = [
    (
        "the Machine behind a VM",
        "Machine",
        "auto vm = a.hypervisor().launch_vm(sw::hv::SevMode::Sev);\n"
        "  vm->machine().memctrl();",
    ),
    (
        "the host kernel behind a VM (and its machine())",
        "HostKernel",
        "auto vm = a.hypervisor().launch_vm(sw::hv::SevMode::Sev);\n"
        "  vm->kernel().machine().memctrl();",
    ),
    (
        "the host kernel behind the VM's memory",
        "HostKernel",
        "auto vm = a.hypervisor().launch_vm(sw::hv::SevMode::Sev);\n"
        "  vm->memory().kernel().machine().memctrl();",
    ),
    (
        "the core: rewiring its SVM checks",
        "Cpu",
        "hw::Cpu* core = nullptr;\n"
        "  core->attach_svm(nullptr, nullptr);",
    ),
]
CONTROL_INCLUDES = '#include "hw/machine.h"\n#include "sw/host/kernel.h"\n#include "hw/cpu/cpu.h"\n'


def translation_unit(src, control):
    lines = [CONTROL_INCLUDES] if control else []
    for path in attack_files(src):
        if path.endswith(".h"):
            lines.append('#include "attacks/%s"\n' % os.path.basename(path))
    lines.append("namespace cbit::attacks {\n")
    spans = []
    for i, (what, want, body) in enumerate(BREACHES):
        start = sum(l.count("\n") for l in lines) + 1
        lines.append("void breach_%d(HostAttacker& a) {\n  %s\n}\n" % (i, body))
        end = sum(l.count("\n") for l in lines)
        spans.append((start, end))
    lines.append("}  // namespace cbit::attacks\n")
    return "".join(lines), spans


def compile_tu(cxx, flags, text, tmp, name):
    p = os.path.join(tmp, name)
    with open(p, "w") as f:
        f.write(text)
    # (GCC reports every error; clang stops at 20, more than the breaches make.)
    r = subprocess.run([cxx] + flags + ["-fsyntax-only", p], capture_output=True, text=True)
    return r.returncode, r.stderr, p


def check_compile(args):
    flags = build_flags(args.build, args.src)
    failed = False
    with tempfile.TemporaryDirectory(prefix="cbit-boundary-") as tmp:
        # The attack headers on their own compile (so a failure below is the breach's).
        clean = "".join('#include "attacks/%s"\n' % os.path.basename(p)
                        for p in attack_files(args.src) if p.endswith(".h"))
        rc, err, _ = compile_tu(args.cxx, flags, clean, tmp, "clean.cc")
        if rc != 0:
            print("the attack headers do not compile on their own:\n" + err)
            return 1
        text, spans = translation_unit(args.src, control=False)
        rc, err, path = compile_tu(args.cxx, flags, text, tmp, "breach.cc")
        errors = []
        for line in err.splitlines():
            m = re.match(re.escape(path) + r":(\d+):(?:\d+:)? (?:fatal )?error: (.*)", line)
            if m:
                errors.append((int(m.group(1)), m.group(2)))
        if rc == 0:
            failed = True
            print("BREACH: the breaches compiled")
        for (what, want, _), (start, end) in zip(BREACHES, spans):
            here = [e for ln, e in errors if start <= ln <= end]
            hit = [e for e in here if "incomplete type" in e and want in e]
            if hit:
                print("blocked: %s: %s" % (what, hit[0]))
            else:
                failed = True
                print("BREACH not blocked as expected: %s (errors there: %s)" % (what, here))
        # Control: with the definitions the rules keep out, the same code compiles.
        text, _ = translation_unit(args.src, control=True)
        rc, err, _ = compile_tu(args.cxx, flags, text, tmp, "control.cc")
        if rc != 0:
            failed = True
            print("CONTROL FAILED: the breaches do not compile even with the definitions:\n" + err)
        else:
            print("control: with hw/machine.h, sw/host/kernel.h and hw/cpu/cpu.h "
                  "the same code compiles")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["includes", "compile"])
    ap.add_argument("--src", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--cxx", required=True)
    args = ap.parse_args()
    return check_includes(args) if args.mode == "includes" else check_compile(args)


if __name__ == "__main__":
    sys.exit(main())
