#!/usr/bin/env python3
"""The layering rule of src/README.md, checked over the sources.

Usage: layering.py SRC_DIR [TOOLS_DIR]

The table of layers is read from SRC_DIR/README.md (rows "| N | `dir` ... |"),
so the rule is written down once. A file in a folder of layer N may include
headers of its own folder and of folders of lower layers only: not of a higher
layer, and not of another folder of the same layer. A folder of src/ that has
no layer fails too, so a new folder is placed before it is used. Files of
TOOLS_DIR (the CLI) may include no header of src/ at all: they see only
include/mgwauth.h.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
ROW = re.compile(r"^\|\s*(\d+)\s*\|(.*?)\|", re.M)


def layers(src):
    with open(os.path.join(src, "README.md"), encoding="utf-8") as f:
        text = f.read()
    rank = {}
    for m in ROW.finditer(text):
        for d in re.findall(r"`([a-z0-9_]+)/`", m.group(2)):
            rank[d] = int(m.group(1))
    if not rank:
        sys.exit("layering: no table of layers in %s/README.md" % src)
    return rank


def sources(top):
    for dirpath, _, names in os.walk(top):
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                yield os.path.join(dirpath, n)


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    # comments out, so that a commented-out include cannot trip it
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    for m in INCLUDE.finditer(text):
        yield text.count("\n", 0, m.start()) + 1, m.group(1)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = sys.argv[1]
    rank = layers(src)
    bad = []
    checked = 0
    for path in sources(src):
        rel = os.path.relpath(path, src)
        parts = rel.split(os.sep)
        if len(parts) < 2:
            continue  # files of src/ itself (none are C sources today)
        here = parts[0]
        if here not in rank:
            bad.append("%s: folder %s/ has no layer in src/README.md" % (rel, here))
            continue
        for line, inc in includes(path):
            checked += 1
            if "/" not in inc:
                # "mgwauth.h" is the public header; anything else is a
                # header of the file's own folder
                if inc != "mgwauth.h" and not os.path.exists(os.path.join(src, here, inc)):
                    bad.append("%s:%d: \"%s\" is neither in %s/ nor the public header" % (rel, line, inc, here))
                continue
            there = inc.split("/")[0]
            if there == here:
                continue
            if there not in rank:
                bad.append("%s:%d: includes %s from folder %s/, which has no layer" % (rel, line, inc, there))
            elif rank[there] > rank[here]:
                bad.append("%s:%d: %s/ (layer %d) includes %s of %s/ (layer %d): upward"
                           % (rel, line, here, rank[here], inc, there, rank[there]))
            elif rank[there] == rank[here]:
                bad.append("%s:%d: %s/ includes %s of %s/, a folder of the same layer %d"
                           % (rel, line, here, inc, there, rank[here]))
    if len(sys.argv) == 3:
        for path in sources(sys.argv[2]):
            for line, inc in includes(path):
                checked += 1
                if "/" in inc and inc.split("/")[0] in rank:
                    bad.append("%s:%d: the CLI includes %s: it sees only include/mgwauth.h"
                               % (os.path.relpath(path, os.path.dirname(sys.argv[2])), line, inc))
    for b in bad:
        print(b)
    print("layering: %d includes checked, %d against the rule" % (checked, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
