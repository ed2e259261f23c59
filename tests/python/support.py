"""Shared helpers of the Python binding tests: where things are, and
certificates made once per process."""
import functools
import os
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HEADER = os.environ.get("MGW_HEADER", os.path.join(ROOT, "include", "mgwauth.h"))
TESTDATA = os.path.join(ROOT, "tests", "data")
PASSWORD = "P\u00e4ss w\u00f6rd \U0001F511"

# Run by hand from the source tree: use ./build's library and the package here.
os.environ.setdefault("MGWAUTH_LIBRARY", os.path.join(ROOT, "build", "src", "libmgwauth.so.1"))
if os.path.join(ROOT, "bindings", "python") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
# The interop tests' helpers (workdir: loopback ports) serve these tests too.
sys.path.append(os.path.join(ROOT, "tests", "interop"))

import mgwauth  # noqa: E402


def header_text() -> str:
    with open(HEADER, encoding="utf-8") as f:
        return f.read()


@functools.lru_cache(maxsize=None)
def ca() -> "mgwauth.Certificate":
    """A P-256 company CA with its key."""
    return mgwauth.create_ca("CN=Imago Verum Test CA,O=Imago Verum,C=DE", key="p256")


@functools.lru_cache(maxsize=None)
def leaf() -> "mgwauth.Certificate":
    """An end-entity certificate issued by ca(), with its key."""
    return mgwauth.create_certificate(
        subject="CN=phone-001,OU=Mobile,O=Imago Verum,C=DE", upn=["phone-001@imagoverum.com"],
        email=["phone-001@imagoverum.com"], dns=["phone-001.imagoverum.com"],
        uri=["urn:device:phone-001"], key="p256", days=365, ca=ca())


class TempDir:
    """A temporary directory for one test, removed afterwards."""

    def __enter__(self) -> str:
        self._dir = tempfile.TemporaryDirectory(prefix="mgw-py-")
        return self._dir.name

    def __exit__(self, *exc) -> None:
        self._dir.cleanup()
