#!/usr/bin/env python3
"""The committed ABI baseline in abi/: libmgwauth.abi, written by abidw from
the shared library, and constants.txt, the numeric macros of the public
header (error codes and flags are pinned, and abidw cannot see macros).

    abi_baseline.py LIBRARY      rewrite both files from LIBRARY and the header

`./run abi-update` calls it on build/src/libmgwauth.so. The output does not
depend on where the source or build tree lives: abidw leaves out paths and
locations, and the translation-unit paths left are cut down to src/...
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ABI_DIR = os.path.join(ROOT, "abi")
BASELINE = os.path.join(ABI_DIR, "libmgwauth.abi")
CONSTANTS = os.path.join(ABI_DIR, "constants.txt")
HEADER_DIR = os.path.join(ROOT, "include")

ABIDW_OPTIONS = ["--drop-private-types", "--exported-interfaces-only", "--drop-undefined-syms",
                 "--no-corpus-path", "--no-comp-dir-path", "--no-show-locs", "--no-elf-needed",
                 "--no-parameter-names", "--type-id-style", "hash"]


def dump(library, header_dir=HEADER_DIR):
    """The ABI of `library` as abidw XML, independent of tree locations."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "lib.abi")
        subprocess.run(["abidw", "--headers-dir", header_dir, *ABIDW_OPTIONS, "--out-file", out,
                        library], check=True)
        with open(out, encoding="utf-8") as f:
            text = f.read()
    return re.sub(r"path='[^']*?/?(src/[^']*)'", r"path='\1'", text)


def constants(header_path):
    """Lines "NAME VALUE" for every numeric #define MGW_... of the header."""
    with open(header_path, encoding="utf-8") as f:
        text = f.read()
    found = re.findall(r"^#define (MGW_\w+) (-?(?:0x[0-9A-Fa-f]+|\d+))u?\b", text, flags=re.M)
    return [f"{name} {int(value, 0)}" for name, value in found
            if not name.startswith("MGW_VERSION_")]


def update(library):
    os.makedirs(ABI_DIR, exist_ok=True)
    with open(BASELINE, "w", encoding="utf-8") as f:
        f.write(dump(library))
    with open(CONSTANTS, "w", encoding="utf-8") as f:
        f.write("# Numeric macros of include/mgwauth.h, pinned: written by ./run abi-update\n")
        f.write("\n".join(constants(os.path.join(HEADER_DIR, "mgwauth.h"))) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: abi_baseline.py LIBRARY")
    update(sys.argv[1])
    print(f"wrote {os.path.relpath(BASELINE, ROOT)} and {os.path.relpath(CONSTANTS, ROOT)}")
