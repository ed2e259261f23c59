#!/usr/bin/env python3
"""The layering check must fail where the rule is broken: each case copies
src/, include/ and tools/ to a scratch tree, adds one include that breaks the
rule (in the forms a compiler still accepts) and expects layering.py to
refuse it; the untouched copy and allowed forms must pass. TAP output.

Usage: layering_cases.py SOURCE_ROOT"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# (description, file to append to, lines appended, whether the check must pass)
CASES = [
    ("untouched tree", None, [], True),
    ("upward include", "src/core/mem.c", ['#include "registry/plan.h"'], False),
    ("upward include in a header", "src/core/core.h", ['#include "roots/roots.h"'], False),
    ("sideways include", "src/iis/model.c", ['#include "registry/plan.h"'], False),
    ("angle brackets", "src/core/mem.c", ["#include <registry/plan.h>"], False),
    ("path through the own folder", "src/core/mem.c", ['#include "core/../registry/plan.h"'], False),
    ("relative path", "src/core/mem.c", ['#include "../registry/plan.h"'], False),
    ("no space after include", "src/core/mem.c", ['#include"registry/plan.h"'], False),
    ("computed include", "src/core/mem.c", ['#define H "roots/roots.h"', "#include H"], False),
    ("include between \"/*\" and \"*/\" strings", "src/core/mem.c",
     ['static const char *a = "/*";', '#include "roots/roots.h"', 'static const char *b = "*/";'],
     False),
    ("a source directly in src/", "src/x.c", ["int x;"], False),
    ("a folder with no layer", "src/newroom/a.c", ['#include "core/core.h"'], False),
    ("an included fragment", "src/core/y.inc", ['#include "roots/roots.h"'], False),
    ("the CLI: a src header by relative path", "tools/csv.c", ['#include "../src/core/core.h"'],
     False),
    ("the CLI: a src header in angle brackets", "tools/csv.c", ["#include <core/core.h>"], False),
    ("commented-out includes", "src/core/mem.c",
     ['/* #include "roots/roots.h" */', '// #include "roots/roots.h"'], True),
    ("system header", "src/core/mem.c", ["#include <stdio.h>"], True),
    ("downward include", "src/roots/plan.c", ['#include "core/core.h"'], True),
]


def main():
    root = sys.argv[1]
    failures = 0
    print("1..%d" % len(CASES))
    for i, (what, path, lines, ok) in enumerate(CASES, 1):
        with tempfile.TemporaryDirectory() as tmp:
            for d in ("src", "include", "tools"):
                shutil.copytree(os.path.join(root, d), os.path.join(tmp, d))
            if path is not None:
                target = os.path.join(tmp, path)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "a", encoding="utf-8") as f:
                    f.write("\n" + "\n".join(lines) + "\n")
            r = subprocess.run([sys.executable, os.path.join(HERE, "layering.py"),
                                os.path.join(tmp, "src"), os.path.join(tmp, "tools")],
                               capture_output=True, text=True)
            good = (r.returncode == 0) == ok
            failures += not good
            print("%s %d - %s: %s" % ("ok" if good else "not ok", i, what,
                                      "passes" if r.returncode == 0 else "refused"))
            if not good:
                for l in r.stdout.splitlines():
                    print("# " + l)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
