#!/usr/bin/env python3
"""The demo (TAP): ./run demo's steps, run twice with this build's tool into
a temporary directory. The second run keeps the gateway certificate (phones
have it), the plan follows its own advice (an issuer store with trust mode 2),
the prune shows what it keeps, the task name is the tool's, and the closing
words say how to check the gateway."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402

ROOT = os.environ["MESON_SOURCE_ROOT"]
MGW = os.environ["MGWAUTH"]
WORK = tempfile.mkdtemp(prefix="mgw-demo-")
OUT = os.path.join(WORK, "demo-out")
RUNS = []


def demo():
    p = subprocess.run([os.path.join(ROOT, "run"), "demo-steps", MGW, OUT], capture_output=True,
                       text=True, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
    RUNS.append(p.stdout + p.stderr)
    return RUNS[-1]


def read(*path):
    with open(os.path.join(OUT, *path), "rb") as f:
        return f.read()


def test_a_second_run_keeps_the_gateway_certificate_and_the_ca():
    demo()
    first = {p: read(*p) for p in (("gateway", "Certificate.pfx"), ("gateway", "Certificate.cer"),
                                   ("ca", "ca.pfx"))}
    out = demo()
    assert all(read(*p) == data for p, data in first.items())
    assert f"kept: {OUT}/gateway/Certificate.pfx exists" in out, out


def test_the_plan_names_the_issuer_store_its_warning_asks_for():
    for out in RUNS:
        assert "names none (DefaultSslCtlStoreName)" not in out, out
        assert re.search(r'DefaultSslCtlStoreName\s+\S+\s+"ClientAuthIssuer"', out), out


def test_the_prune_shows_what_it_keeps():
    thumb = re.search(r"SHA-1 ([0-9A-F]{40})", RUNS[-1]).group(1)
    for out in RUNS:
        assert re.search(rf"^keep +{thumb}  CN=imagoverum.com  \[gateway.cer\]$", out, re.M), out
        assert re.search(r"^\(\d+ remove lines left out\)$", out, re.M), out


def test_names_and_next_steps():
    out = RUNS[-1]
    names = set(re.findall(r'schtasks /create /tn "([^"]+)"', out))
    assert names == {"mgwauth roots prune"}, names
    assert re.search(r"mgwauth check https://\S+ --pfx \S+/gateway/Certificate.pfx", out), out
    has_gateway = subprocess.run([MGW, "help", "gateway", "status"],
                                 capture_output=True).returncode == 0
    assert ("mgwauth gateway status" in out) == has_gateway, out


if __name__ == "__main__":
    try:
        status = tap.run(globals())
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(status)
