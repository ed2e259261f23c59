#!/usr/bin/env python3
"""ABI gate (TAP): the shared library against the committed baseline in abi/.
abidiff must find nothing removed or changed (functions added are
compatible and only noted), and every pinned numeric macro must keep its
value. A deliberate break is recorded with `./run abi-update`."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402
import abi_baseline  # noqa: E402

LIB = os.environ["MGW_SHARED_LIB"]
HEADER = os.environ["MGW_HEADER"]


def abidiff(*extra):
    assert shutil.which("abidiff"), "abidiff not found (Debian: apt-get install abigail-tools)"
    assert os.path.exists(abi_baseline.BASELINE), "no baseline: run ./run abi-update"
    return subprocess.run(["abidiff", *extra, "--drop-private-types", "--headers-dir2",
                           os.path.dirname(HEADER), abi_baseline.BASELINE, LIB],
                          capture_output=True, text=True)


def test_nothing_removed_or_changed_since_the_baseline():
    p = abidiff("--no-added-syms")
    assert not p.returncode & 3, f"abidiff failed ({p.returncode}): {p.stderr}"
    assert p.returncode == 0, ("incompatible ABI change against abi/libmgwauth.abi "
                               "(./run abi-update records a deliberate one):\n" + p.stdout)


def test_additions_are_only_noted():
    p = abidiff()
    assert not p.returncode & 3, f"abidiff failed ({p.returncode}): {p.stderr}"
    added = re.findall(r"\[A\] '([^']*)'", p.stdout)
    for name in added:
        print(f"# added since the baseline: {name}")


def test_pinned_constants_keep_their_values():
    with open(abi_baseline.CONSTANTS, encoding="utf-8") as f:
        pinned = [line.split() for line in f if line.strip() and not line.startswith("#")]
    now = dict(line.split() for line in abi_baseline.constants(HEADER))
    assert len(pinned) > 30, pinned
    moved = [f"{name} was {value}, is {now.get(name, 'gone')}" for name, value in pinned
             if now.get(name) != value]
    assert not moved, "pinned constants changed: " + "; ".join(moved)


if __name__ == "__main__":
    tap.main(globals())
