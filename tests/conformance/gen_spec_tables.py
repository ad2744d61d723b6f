#!/usr/bin/env python3
"""Generates C++ tables of the spec's numbers from docs/SPEC-FACTS.md.

The conformance tests compare cbit's enums and constants with these tables, so a value typed
wrongly in the code (or changed in the facts page) fails a test that names it.
Output: a .inc file with X-macro style initialiser lists.
"""
import os
import re
import sys


def section(text, title):
    m = re.search(r"^## " + re.escape(title) + r".*?$(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not m:
        sys.exit(f"gen_spec_tables: section '{title}' not found")
    return m.group(1)


def ident(name):
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()


def main(src, dst):
    text = open(src, encoding="utf-8").read()
    out = []

    # PSP commands: "NAME hexid" pairs in the command table.
    cmds = section(text, "Secure Processor commands")
    table = "\n".join(l for l in cmds.splitlines() if l.startswith("|") and "---" not in l)
    pairs = re.findall(r"\b([A-Z][A-Z_]+) ([0-9A-F]{2})\b", table)
    out.append("#define CBIT_SPEC_PSP_COMMANDS \\")
    out += [f'  {{"{n}", 0x{v}}}, \\' for n, v in pairs]
    out.append("")

    # Status codes: "0 SUCCESS, 1 INVALID_PLATFORM_STATE, ... 0A BAD_SIGNATURE".
    st = re.search(r"Status codes:(.*?)\n(?:SEV policy)", cmds, re.S).group(1)
    codes = re.findall(r"\b([0-9A-F]{1,2}) ([A-Z][A-Z_0-9]+)", st)
    out.append("#define CBIT_SPEC_STATUS_CODES \\")
    out += [f'  {{"{n}", 0x{v}}}, \\' for v, n in codes]
    out.append("")

    # CPUID Fn8000_001F EAX feature bits: "0 SME · 1 SEV · ...".
    cpuid = section(text, "CPUID Fn8000_001F")
    eax = re.search(r"EAX feature bits:(.*?)\nEBX", cpuid, re.S).group(1)
    bits = re.findall(r"(\d+) ([^·]+?)\s*(?:·|\.$|$)", eax.replace("\n", " "))
    out.append("#define CBIT_SPEC_CPUID_8000001F_EAX \\")
    out += [f'  {{"{ident(n)}", {b}}}, \\' for b, n in bits]
    out.append("")

    # MSR addresses.
    msrs = section(text, "MSRs")
    found = re.findall(r"([A-Z_]+) `0x([0-9A-Fa-f]+)`", msrs)
    out.append("#define CBIT_SPEC_MSRS \\")
    out += [f'  {{"{n}", 0x{v}}}, \\' for n, v in found]
    out.append("")

    # SYSCFG bits.
    syscfg = re.search(r"SYSCFG `0xC0010010`:(.*?)\n- SEV_STATUS", msrs, re.S).group(1)
    sb = re.findall(r"bit (\d+) ([A-Za-z_]+)", syscfg)
    out.append("#define CBIT_SPEC_SYSCFG_BITS \\")
    out += [f'  {{"{ident(n)}", {b}}}, \\' for b, n in sb]
    out.append("")

    # SEV policy bits (single bits only).
    pol = re.search(r"SEV policy bits:(.*?)\n", cmds).group(1)
    pb = [(b, n) for b, n in re.findall(r"\b(\d+) ([A-Z]+)\b", pol) if n != "API"]
    out.append("#define CBIT_SPEC_SEV_POLICY_BITS \\")
    out += [f'  {{"{n}", {b}}}, \\' for b, n in pb]
    out.append("")

    # Platform and guest states.
    ps = re.search(r"Platform states (.*?)\.", cmds).group(1)
    out.append("#define CBIT_SPEC_PLATFORM_STATES \\")
    out += [f'  {{"{n}", {v}}}, \\' for n, v in re.findall(r"([A-Z]+) (\d+)", ps)]
    out.append("")
    gs = re.search(r"SEV guest states (.*?)\(", cmds, re.S).group(1)
    out.append("#define CBIT_SPEC_SEV_GUEST_STATES \\")
    out += [f'  {{"{n}", {v}}}, \\' for n, v in re.findall(r"([A-Z]+) (\d+)", gs)]
    out.append("")

    # SNP report offsets: "0x00 version · 0x04 guest_svn ...".
    rep = section(text, "SNP attestation report")
    head = rep.split("- TCB bytes")[0]
    offs = [(o, n) for o, n in re.findall(r"(0x[0-9A-Fa-f]+) ([a-z_]+)", head) if n != "bytes"]
    out.append("#define CBIT_SPEC_REPORT_OFFSETS \\")
    out += [f'  {{"{n}", {o}}}, \\' for o, n in offs]
    out.append("")

    # SVM: VMCB control-area offsets and exit codes.
    svm = section(text, "SVM: the VMCB")
    ctl = re.search(r"Control area offsets:(.*?)\n- NESTED_CTL", svm, re.S).group(1)
    vo = re.findall(r"(0x[0-9A-Fa-f]+) ([A-Z_0-9]+)", ctl)
    out.append("#define CBIT_SPEC_VMCB_CONTROL \\")
    out += [f'  {{"{n}", {o}}}, \\' for o, n in vo]
    out.append("")
    ex = re.search(r"Exit codes:(.*?);", svm, re.S).group(1)
    ec = re.findall(r"(0x[0-9A-Fa-f]+) ([A-Z_]+)", ex)
    out.append("#define CBIT_SPEC_SVM_EXIT_CODES \\")
    out += [f'  {{"{n}", {o}}}, \\' for o, n in ec]
    out.append("")

    # SNP formats: each "- Label (sources): 0x10 NAME · 3 NAME ..." bullet, up to its first
    # sentence end, becomes one table.
    snp = section(text, "SNP formats")
    snp_tables = [
        ("RMP entry bits", "SNP_RMP_ENTRY_BITS"),
        ("RMP page states", "SNP_PAGE_STATES"),
        ("CPUID page offsets", "SNP_CPUID_PAGE_OFFSETS"),
        ("ID block offsets", "SNP_ID_BLOCK_OFFSETS"),
        ("ID auth offsets", "SNP_ID_AUTH_OFFSETS"),
        ("Secrets page offsets", "SNP_SECRETS_PAGE_OFFSETS"),
        ("Guest message header offsets", "SNP_GUEST_MSG_HEADER_OFFSETS"),
        ("Guest message types", "SNP_GUEST_MSG_TYPES"),
        ("GUEST_FIELD_SELECT bits", "SNP_GUEST_FIELD_SELECT_BITS"),
        ("PSC numbers", "SNP_PSC"),
        ("GHCB MSR codes", "SNP_GHCB_MSR_CODES"),
        ("SNP NAE events", "SNP_NAE_EVENTS"),
    ]
    for label, macro in snp_tables:
        m = re.search(r"^- " + re.escape(label) + r"[^:]*:(.*?)(?:\.\s|\.$)", snp, re.S | re.M)
        if not m:
            sys.exit(f"gen_spec_tables: SNP bullet '{label}' not found")
        rows = re.findall(r"\b(0x[0-9A-Fa-f]+|\d+) ([A-Z][A-Z0-9_]+)\b", m.group(1))
        if not rows:
            sys.exit(f"gen_spec_tables: SNP bullet '{label}' has no rows")
        out.append(f"#define CBIT_SPEC_{macro} \\")
        out += [f'  {{"{n}", {v}ull}}, \\' for v, n in rows]
        out.append("")

    if min(len(pairs), len(codes), len(bits), len(found), len(offs), len(vo), len(ec)) == 0:
        sys.exit("gen_spec_tables: a table came out empty; has SPEC-FACTS.md changed shape?")
    os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
    with open(dst, "w", encoding="utf-8") as f:
        f.write("// Generated from docs/SPEC-FACTS.md by gen_spec_tables.py. Do not edit.\n")
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
