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

DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*include\b(.*)$", re.M)
FORM = re.compile(r'^\s*(?:"([^"]+)"|<([^>]+)>)')
ROW = re.compile(r"^\|\s*(\d+)\s*\|(.*?)\|", re.M)
# files of src/ that are not C: the rule does not apply to them
NOT_C = (".md", ".build", ".map", ".py", ".txt")


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
            if not n.endswith(NOT_C):
                yield os.path.join(dirpath, n)


def strip_comments(text):
    """Comments blanked (newlines kept, so line numbers stay right), string
    and character literals left as they are: a "/*" inside a string does not
    start a comment."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def includes(path):
    """(line, written form, quoted, name) of every #include; name is None for
    a computed include (#include MACRO)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = strip_comments(f.read())
    for m in DIRECTIVE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        f = FORM.match(m.group(1))
        if f is None:
            yield line, m.group(1).strip(), False, None
        else:
            yield line, m.group(1).strip(), f.group(1) is not None, f.group(1) or f.group(2)


def resolve(path, quoted, name, dirs):
    """Where the compiler finds the header: beside the including file for the
    quoted form, then in the include directories. None: not in the project
    (a system header)."""
    places = ([os.path.dirname(path)] if quoted else []) + dirs
    for d in places:
        cand = os.path.realpath(os.path.join(d, name))
        if os.path.isfile(cand):
            return cand
    return None


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = os.path.realpath(sys.argv[1])
    public = os.path.join(os.path.dirname(src), "include")
    dirs = [public, src]
    rank = layers(src)
    bad = []
    checked = 0

    def folder_of(target):
        rel = os.path.relpath(target, src)
        if rel.startswith(".."):
            return None, rel
        parts = rel.split(os.sep)
        return (parts[0] if len(parts) > 1 else ""), rel

    for path in sources(src):
        rel = os.path.relpath(path, src)
        parts = rel.split(os.sep)
        if len(parts) < 2:
            bad.append("%s: a source directly in src/, in no folder and so in no layer" % rel)
            continue
        here = parts[0]
        if here not in rank:
            bad.append("%s: folder %s/ has no layer in src/README.md" % (rel, here))
            continue
        for line, written, quoted, name in includes(path):
            checked += 1
            if name is None:
                bad.append("%s:%d: #include %s: a computed include cannot be checked" % (rel, line, written))
                continue
            target = resolve(path, quoted, name, dirs)
            if target is None:
                if quoted:
                    bad.append("%s:%d: %s is found nowhere in the project" % (rel, line, written))
                continue  # a system header
            if os.path.dirname(target) == public:
                continue  # the public header
            there, trel = folder_of(target)
            if there is None:
                bad.append("%s:%d: %s is %s, outside src/ and include/" % (rel, line, written, trel))
            elif there == here:
                continue
            elif there == "":
                bad.append("%s:%d: %s is directly in src/, in no layer" % (rel, line, written))
            elif there not in rank:
                bad.append("%s:%d: includes %s from folder %s/, which has no layer" % (rel, line, written, there))
            elif rank[there] > rank[here]:
                bad.append("%s:%d: %s/ (layer %d) includes %s of %s/ (layer %d): upward"
                           % (rel, line, here, rank[here], written, there, rank[there]))
            elif rank[there] == rank[here]:
                bad.append("%s:%d: %s/ includes %s of %s/, a folder of the same layer %d"
                           % (rel, line, here, written, there, rank[here]))
    if len(sys.argv) == 3:
        tools = os.path.realpath(sys.argv[2])
        for path in sources(tools):
            rel = os.path.relpath(path, os.path.dirname(tools))
            for line, written, quoted, name in includes(path):
                checked += 1
                if name is None:
                    bad.append("%s:%d: #include %s: a computed include cannot be checked" % (rel, line, written))
                    continue
                target = resolve(path, quoted, name, dirs)
                if target is not None and folder_of(target)[0] is not None:
                    bad.append("%s:%d: the CLI includes %s (%s): it sees only include/mgwauth.h"
                               % (rel, line, written, os.path.relpath(target, os.path.dirname(src))))
    for b in bad:
        print(b)
    print("layering: %d includes checked, %d against the rule" % (checked, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
