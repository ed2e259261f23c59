#!/usr/bin/env python3
"""ABI checks (TAP): the shared library exports exactly the functions that the
public header marks MGW_API, all of them listed in the symbol map under a
versioned node, and nothing without the mgw_ prefix."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402

LIB = os.environ["MGW_SHARED_LIB"]
HEADER = os.environ["MGW_HEADER"]
MAP = os.environ["MGW_SYMBOL_MAP"]


def header_names():
    text = open(HEADER, encoding="utf-8").read()
    return set(re.findall(r"MGW_API\s[^;(]*?\b(mgw_\w+)\s*\(", text))


def map_names():
    text = re.sub(r"/\*.*?\*/", "", open(MAP, encoding="utf-8").read(), flags=re.S)
    names = set()
    for node in re.finditer(r"(MGWAUTH_[\d.]+)\s*\{(.*?)\}", text, flags=re.S):
        glob = re.search(r"global:(.*?)(local:|$)", node.group(2), flags=re.S)
        names |= set(re.findall(r"\b(mgw_\w+)\s*;", glob.group(1) if glob else ""))
    return names


def dynamic_symbols():
    out = subprocess.run(["nm", "-D", "--defined-only", LIB], capture_output=True, text=True,
                         check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            syms[parts[2]] = parts[1]
    return syms


def test_only_mgw_symbols_are_exported():
    syms = dynamic_symbols()
    others = sorted(s for s in syms if not s.startswith("mgw_") and not s.startswith("MGWAUTH_"))
    assert not others, f"exported without the mgw_ prefix: {others}"


def test_exports_equal_header_declarations():
    exported = {s.split("@")[0] for s, t in dynamic_symbols().items() if t == "T"}
    declared = header_names()
    assert declared, "no MGW_API declarations found"
    assert exported == declared, (f"declared, not exported: {sorted(declared - exported)}; "
                                  f"exported, not declared: {sorted(exported - declared)}")


def test_symbol_map_lists_exactly_the_header():
    assert map_names() == header_names(), (sorted(map_names() ^ header_names()))


def test_symbols_carry_the_version_node():
    out = subprocess.run(["objdump", "-T", LIB], capture_output=True, text=True, check=True).stdout
    versioned = {l.split()[-1] for l in out.splitlines() if re.search(r"\bMGWAUTH_1\.\d+\b", l)}
    missing = header_names() - versioned
    assert not missing, f"not in a node MGWAUTH_1.x: {sorted(missing)}"


def test_soname_is_libmgwauth_so_1():
    out = subprocess.run(["objdump", "-p", LIB], capture_output=True, text=True, check=True).stdout
    assert re.search(r"SONAME\s+libmgwauth\.so\.1\b", out), out


if __name__ == "__main__":
    tap.main(globals())
