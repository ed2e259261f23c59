"""Shared helpers of the interop tests (and of the Python binding's tests):
running the tools under test, loopback ports, and a temporary directory
removed afterwards."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

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


def free_port():
    """A loopback TCP port nothing listens on (for now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=10, proc=None):
    """Wait until something accepts connections on the loopback port; fail
    at once if `proc` (the server started for it) has exited."""
    end = time.time() + seconds
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


class WorkDir:
    def __init__(self, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
