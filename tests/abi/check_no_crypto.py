#!/usr/bin/env python3
"""ABI checks (TAP) for the build without mbedTLS: platform/no_crypto.c defines
exactly the public functions of the modules that -Dcrypto=none leaves out, so
both builds export the same names. Arguments: no_crypto.c, then the left-out
sources."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402

STUBS, SOURCES = sys.argv[1], sys.argv[2:]
DEFINITION = re.compile(r"^MGW_API\s[^;(]*?\b(mgw_\w+)\s*\([^;]*?\)\s*\{", re.M | re.S)


def defined(path):
    with open(path, encoding="utf-8") as f:
        return set(DEFINITION.findall(f.read()))


def test_stubs_cover_exactly_the_left_out_functions():
    left_out = set().union(*(defined(p) for p in SOURCES))
    stubs = defined(STUBS)
    assert left_out, "no public function found in the mbedTLS-based sources"
    assert stubs == left_out, (f"left out without a stub: {sorted(left_out - stubs)}; "
                               f"stub without a left-out function: {sorted(stubs - left_out)}")


def test_every_int_stub_reports_not_available():
    text = open(STUBS, encoding="utf-8").read()
    for m in re.finditer(r"^MGW_API int (mgw_\w+)\([^)]*\)\n\{(.*?)^\}", text, re.M | re.S):
        body = m.group(2)
        assert "unavailable(__func__)" in body, f"{m.group(1)} does not report the error"


if __name__ == "__main__":
    tap.main(globals())
