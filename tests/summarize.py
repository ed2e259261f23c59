#!/usr/bin/env python3
"""Count test results from Meson's testlog.json files (the Linux builds on
mbedTLS 2.28 and 3.6, the ASan build and the Windows build) and print the closing line `N passed, N failed`. A log that
is missing counts as one failure. TAP tests count per subtest; a TAP test whose
process failed without reporting a failing subtest counts one failure more."""
import json
import os
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b(.*)$")


def count(path):
    passed = failed = skipped = 0
    if not os.path.exists(path):
        print(f"summarize: {path} is missing (its build or test run failed)", file=sys.stderr)
        return 0, 1, 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            sub_pass = sub_fail = sub_skip = 0
            for out in (t.get("stdout") or "").splitlines():
                m = TAP.match(out.strip())
                if not m:
                    continue
                directive = m.group(2).lower()
                if "# skip" in directive:
                    sub_skip += 1
                elif m.group(1) == "ok":
                    sub_pass += 1
                else:
                    sub_fail += 1
            ok = t["result"] in ("OK", "EXPECTEDFAIL")
            if sub_pass + sub_fail + sub_skip == 0:
                if t["result"] == "SKIP":
                    skipped += 1
                elif ok:
                    passed += 1
                else:
                    failed += 1
                continue
            if not ok and sub_fail == 0:
                sub_fail = 1  # crashed or timed out after its last report
            passed += sub_pass
            failed += sub_fail
            skipped += sub_skip
    return passed, failed, skipped


def main():
    p = f = s = 0
    for path in sys.argv[1:]:
        a, b, c = count(path)
        p, f, s = p + a, f + b, s + c
    line = f"{p} passed, {f} failed"
    if s:
        line += f", {s} skipped"
    print(line)
    return 1 if f or p == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
