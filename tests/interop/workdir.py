"""Shared helpers of the interop tests: running the tools under test and a
temporary directory removed afterwards."""
import os
import shutil
import subprocess
import tempfile

MGW = os.environ.get("MGWAUTH", "mgwauth")
OPENSSL = os.environ.get("OPENSSL", "openssl")


def run(cmd, check=True, **kw):
    """Run a command; its output as text (undecodable bytes replaced). With
    check, a non-zero exit fails the test with the command's stderr."""
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def mgw(*args, check=True, **kw):
    return run([MGW, *args], check=check, **kw)


def ossl(*args, check=True, **kw):
    return run([OPENSSL, *args], check=check, **kw)


class WorkDir:
    def __init__(self, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
