#!/usr/bin/env python3
"""Portability check (TAP): every mbedTLS-based source, which the Windows build
here leaves out, compiles for the Windows target (-fsyntax-only) against
Debian's mbedTLS headers. Only those headers are made visible (a private
include directory with links to them), never the rest of /usr/include, so that
the target's own C library headers are the ones used. Arguments: the cross
compiler, the source root, then the sources."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402

CC, ROOT, SOURCES = sys.argv[1], sys.argv[2], sys.argv[3:]
HEADERS = ("mbedtls", "psa")
FLAGS = ["-std=c11", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wshadow",
         "-Wstrict-prototypes", "-Wmissing-prototypes", "-Wformat=2", "-Wvla", "-Wconversion",
         "-Wno-sign-conversion", "-D_POSIX_C_SOURCE=200809L", "-D__USE_MINGW_ANSI_STDIO=1",
         "-D_WIN32_WINNT=0x0601", "-DMGW_STATIC"]


def include_dir():
    d = tempfile.mkdtemp(prefix="mgw-mbedtls-inc-")
    for h in HEADERS:
        src = os.path.join("/usr/include", h)
        if os.path.isdir(src):
            os.symlink(src, os.path.join(d, h))
    if not os.path.isdir(os.path.join(d, "mbedtls")):
        raise AssertionError("mbedTLS headers not found (Debian: apt-get install libmbedtls-dev)")
    return d


def make_test(src, inc):
    def test():
        p = subprocess.run([CC, *FLAGS, "-I", os.path.join(ROOT, "include"), "-I",
                            os.path.join(ROOT, "src"), "-I", inc, src],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    return test


def main():
    inc = include_dir()
    try:
        tests = {}
        for src in SOURCES:  # one subtest each, in this order (tap.run's sort is stable)
            name = "test_" + os.path.relpath(src, os.path.join(ROOT, "src")).replace("/", "_")
            tests[name] = make_test(src, inc)
        return tap.run(tests)
    finally:
        shutil.rmtree(inc, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
