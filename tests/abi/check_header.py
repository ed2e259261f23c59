#!/usr/bin/env python3
"""The public header on its own (TAP): it compiles alone as strict C99, C11
and C++11, with and without MGW_STATIC, and a C++ program links against the
library through it (extern "C")."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402

HEADER = os.environ["MGW_HEADER"]
LIB = os.environ["MGW_SHARED_LIB"]
CC = os.environ.get("CC", "cc")
CXX = os.environ.get("CXX", "c++")
WARN = ["-pedantic", "-Werror", "-Wall", "-Wextra"]
SOURCE = "#include <mgwauth.h>\n#include <mgwauth.h>\nint main(void) { return MGW_OK; }\n"


def compile_alone(compiler, lang, std, *extra):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "only." + ("c" if lang == "c" else "cpp"))
        with open(src, "w") as f:
            f.write(SOURCE)
        p = subprocess.run([compiler, "-std=" + std, *WARN, *extra, "-fsyntax-only",
                            "-I", os.path.dirname(HEADER), src], capture_output=True, text=True)
        assert p.returncode == 0, f"{compiler} -std={std} {' '.join(extra)}:\n{p.stderr}"


def test_c99():
    compile_alone(CC, "c", "c99", "-Wstrict-prototypes")


def test_c99_static():
    compile_alone(CC, "c", "c99", "-DMGW_STATIC")


def test_c11():
    compile_alone(CC, "c", "c11")


def test_cxx11():
    compile_alone(CXX, "c++", "c++11")


def test_cxx11_static():
    compile_alone(CXX, "c++", "c++11", "-DMGW_STATIC")


def test_cxx_program_links_and_runs():
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "v.cpp"), os.path.join(tmp, "v")
        with open(src, "w") as f:
            f.write('#include <mgwauth.h>\n#include <cstdio>\n'
                    'int main() { std::printf("%s\\n", mgw_version());\n'
                    '  return (mgw_version_number() >> 16) == MGW_VERSION_MAJOR ? 0 : 1; }\n')
        p = subprocess.run([CXX, "-std=c++11", *WARN, "-I", os.path.dirname(HEADER), src, LIB,
                            "-o", exe], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        p = subprocess.run([exe], capture_output=True, text=True,
                           env=dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(LIB)))
        assert p.returncode == 0 and p.stdout.startswith("1."), (p.returncode, p.stdout, p.stderr)


if __name__ == "__main__":
    tap.main(globals())
