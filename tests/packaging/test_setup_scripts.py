#!/usr/bin/env python3
"""The set-up scripts (TAP): ./run and .ci/run install from one package list
in one way (.ci/run calls ./run deps), Wine with its recommended packages,
valgrind for the README's valgrind command, which then runs."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402

ROOT = os.environ["MESON_SOURCE_ROOT"]
BUILD = os.environ["MESON_BUILD_ROOT"]


def read(*path):
    with open(os.path.join(ROOT, *path), encoding="utf-8") as f:
        return f.read()


def packages(name):
    """The words of every NAME=(...) and NAME+=(...) in ./run."""
    words = []
    for m in re.finditer(rf"^{name}\+?=\(([^)]*)\)", read("run"), re.M):
        words += m.group(1).split()
    return words


def test_ci_installs_through_run_deps_only():
    ci = read(".ci", "run")
    assert "apt-get" not in ci, ci
    assert re.search(r"^\./run deps\b", ci, re.M) and re.search(r"^\./run test$", ci, re.M), ci
    assert ci.index("./run deps") < ci.index("./run test")


def test_one_list_with_wine_and_valgrind():
    plain, full = packages("PACKAGES"), packages("PACKAGES_WITH_RECOMMENDS")
    assert {"wine", "wine64"} <= set(full) and not {"wine", "wine64"} & set(plain), (plain, full)
    assert "valgrind" in plain and "python3-venv" in plain, plain
    run = read("run")
    # apt-get install appears in ensure_packages only, once per list
    assert run.count("apt-get install") == 2, run
    assert re.search(r"--no-install-recommends \\\n\s+\"\$\{plain\[@\]\}\"", run), run


def test_the_readme_valgrind_command_runs():
    readme = read("README.md")
    assert "meson test -C build --setup valgrind --suite unit" in readme
    assert shutil.which("valgrind"), "valgrind is not installed (./run deps installs it)"
    # the same setup, on two small suites of the unit set
    p = subprocess.run(["meson", "test", "-C", BUILD, "--setup", "valgrind", "--no-rebuild",
                        "rc2", "sha"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    log = open(os.path.join(BUILD, "meson-logs", "testlog-valgrind.txt"), encoding="utf-8").read()
    assert "valgrind --error-exitcode=1" in log, log[:2000]


if __name__ == "__main__":
    tap.main(globals())
