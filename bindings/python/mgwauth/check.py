"""The gateway check: the same HTTPS request with and without the client
certificate, proving that the gateway accepts the certificate and refuses
requests without one.

>>> result = run("https://mail.example.com", client=pfx, cafile="ca.pem")  # doctest: +SKIP
>>> result.passed, result.reason  # doctest: +SKIP
"""
from __future__ import annotations

import enum
from ctypes import c_int, c_uint32
from typing import Any, Iterable, Optional, Union

from . import _ffi, errors
from ._ffi import BUFFER_OUT, BYTES_IN, HANDLE, HANDLE_OUT, STATUS, lib
from .certs import Certificate
from .files import PathLike
from .keys import Key

_ffi.declare({
    "mgw_checkopts_new": (HANDLE, []),
    "mgw_checkopts_free": (None, [HANDLE_OUT]),
    "mgw_checkopts_set_url": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_checkopts_set_client": (STATUS, [HANDLE, HANDLE, HANDLE]),
    "mgw_checkopts_add_client_chain": (STATUS, [HANDLE, HANDLE]),
    "mgw_checkopts_set_cafile": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_checkopts_set_insecure": (STATUS, [HANDLE, c_int]),
    "mgw_checkopts_set_expected_status": (STATUS, [HANDLE, c_int]),
    "mgw_checkopts_set_timeout_ms": (STATUS, [HANDLE, c_uint32]),
    "mgw_checkopts_set_connect_to": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_checkopts_set_max_tls": (STATUS, [HANDLE, c_int]),
    "mgw_check_max_tls": (c_int, []),
    "mgw_check_run": (STATUS, [HANDLE, HANDLE_OUT]),
    "mgw_checkres_free": (None, [HANDLE_OUT]),
    "mgw_checkres_passed": (c_int, [HANDLE]),
    "mgw_checkres_error": (c_int, [HANDLE]),  # the verdict's code: an answer, not a failure
    "mgw_checkres_reason": (STATUS, [HANDLE, BUFFER_OUT]),
    "mgw_checkres_status": (c_int, [HANDLE, c_int]),
    "mgw_checkres_describe": (STATUS, [HANDLE, c_int, BUFFER_OUT]),
})


class TlsVersion(enum.IntEnum):
    """MGW_TLS_*."""
    TLS_1_2 = 0x0303
    TLS_1_3 = 0x0304


class CheckRequest(enum.IntEnum):
    """MGW_CHECK_*: the two requests of a check."""
    WITH_CERT = 1
    WITHOUT_CERT = 2


Client = Any  # a Certificate carrying its private_key, or a Pfx
TlsVersionLike = Union[str, int, TlsVersion]


def max_tls() -> TlsVersion:
    """Newest TLS version this build of the library can speak."""
    return TlsVersion(lib.mgw_check_max_tls())


def _tls_version(value: TlsVersionLike) -> TlsVersion:
    """TlsVersion from "1.2" / "1.3", a member name or the number."""
    if isinstance(value, str) and value in ("1.2", "1.3"):
        value = "TLS_" + value.replace(".", "_")
    return _ffi.enum_arg(TlsVersion, value)


class CheckOptions(_ffi.Handle):
    """What to check and how. Library defaults: expected status 200,
    timeout 10 s, TLS 1.2 up to :func:`max_tls`. A check needs a URL, a
    client certificate, and a CA file or ``insecure=True``."""

    _free_function = "mgw_checkopts_free"

    def __init__(self, url: Optional[str] = None, *, client: Optional[Client] = None,
                 key: Optional[Key] = None, chain: Iterable[Certificate] = (),
                 cafile: Optional[PathLike] = None, insecure: bool = False,
                 expected_status: Optional[int] = None, timeout_ms: Optional[int] = None,
                 connect_to: Optional[str] = None,
                 max_tls: Optional[TlsVersionLike] = None) -> None:
        super().__init__(lib.mgw_checkopts_new())
        if url is not None:
            self.set_url(url)
        if client is not None:
            self.set_client(client, key)
        for cert in chain:
            self.add_client_chain(cert)
        if cafile is not None:
            self.set_cafile(cafile)
        if insecure:
            self.set_insecure(True)
        if expected_status is not None:
            self.set_expected_status(expected_status)
        if timeout_ms is not None:
            self.set_timeout_ms(timeout_ms)
        if connect_to is not None:
            self.set_connect_to(connect_to)
        if max_tls is not None:
            self.set_max_tls(max_tls)

    def set_url(self, url: str) -> None:
        """https://host[:port][/path]; without a path the check requests
        /Microsoft-Server-ActiveSync/HealthCheck.htm. CheckUrlError else."""
        self._call(lib.mgw_checkopts_set_url, _ffi.text_arg(url))

    def set_client(self, client: Client, key: Optional[Key] = None) -> None:
        """The client certificate and its key (copied): a Certificate with
        ``key`` or its ``private_key``, or a Pfx. KeyMismatchError when they
        do not belong together."""
        cert = client if isinstance(client, Certificate) else client.certificate
        key = key if key is not None else cert.private_key
        if key is None:
            raise ValueError("the client certificate needs its private key: pass key=, a "
                             "Certificate made or loaded with its key, or a Pfx")
        with _ffi.using(self, cert, key):
            lib.mgw_checkopts_set_client(self, cert, key)

    def add_client_chain(self, cert: Certificate) -> None:
        """An intermediate certificate sent after the client certificate."""
        with _ffi.using(self, cert):
            lib.mgw_checkopts_add_client_chain(self, cert)

    def set_cafile(self, path: Optional[PathLike]) -> None:
        """CA certificates (PEM bundle or DER) that verify the server."""
        self._call(lib.mgw_checkopts_set_cafile, None if path is None else _ffi.path_arg(path))

    def set_insecure(self, insecure: bool = True) -> None:
        """Accept an unverified server certificate (reported as unverified)."""
        self._call(lib.mgw_checkopts_set_insecure, int(bool(insecure)))

    def set_expected_status(self, status: int) -> None:
        """HTTP status the authenticated request must get (100 to 599)."""
        self._call(lib.mgw_checkopts_set_expected_status, status)

    def set_timeout_ms(self, ms: int) -> None:
        """Deadline of each request, connection to last byte (1 ms to 600 s)."""
        self._call(lib.mgw_checkopts_set_timeout_ms, ms)

    def set_connect_to(self, address: Optional[str]) -> None:
        """Connect to this address instead of the URL's host, which still
        names the server for SNI and the certificate check (curl --resolve)."""
        self._call(lib.mgw_checkopts_set_connect_to, _ffi.text_arg(address))

    def set_max_tls(self, version: TlsVersionLike) -> None:
        """Highest TLS version to offer: "1.2" or "1.3" (or a TlsVersion)."""
        self._call(lib.mgw_checkopts_set_max_tls, _tls_version(version))


class CheckResult(_ffi.Described):
    """The verdict of a check and what led to it. ``describe()`` gives the
    verdict, TLS version and cipher suite, server certificate, the
    CertificateRequest and its CA names, status lines and body excerpts as
    text, ``describe_json()`` as a dict."""

    _free_function = "mgw_checkres_free"
    _describe_function = "mgw_checkres_describe"

    @property
    def passed(self) -> bool:
        """True when the authenticated request got the expected status and
        the anonymous one was refused."""
        return self._call(lib.mgw_checkres_passed) == 1

    @property
    def error(self) -> int:
        """errors.OK on PASS, else the MGW_ERR_CHECK_* (or other) code."""
        return int(self._call(lib.mgw_checkres_error))

    @property
    def exception(self) -> Optional[errors.MgwError]:
        """The failure as the exception :attr:`error` stands for (with
        :attr:`reason` as its message), or None on PASS; to raise it."""
        code = self.error
        return None if code == errors.OK else errors.error_for(code, self.reason)

    @property
    def reason(self) -> str:
        """One line saying why the check passed or failed."""
        return self._str(lib.mgw_checkres_reason)

    def status(self, which: Union[str, int, CheckRequest] = CheckRequest.WITH_CERT) -> int:
        """HTTP status of one request ("with_cert" or "without_cert"), 0 if
        it got none."""
        return int(self._call(lib.mgw_checkres_status, _ffi.enum_arg(CheckRequest, which)))

    def __repr__(self) -> str:
        if self.closed:
            return "<CheckResult closed>"
        return f"<CheckResult {'PASS' if self.passed else 'FAIL'}: {self.reason}>"


def run(target: Union[CheckOptions, str], **keywords: Any) -> CheckResult:
    """Run a check: ``target`` is a :class:`CheckOptions`, or the URL with
    the other options as keywords (those of :class:`CheckOptions`). Network
    and TLS faults do not raise: they are the result's
    :attr:`CheckResult.error` and :attr:`CheckResult.reason`. Raised: no
    URL (CheckUrlError), no client certificate, no CA file without
    ``insecure`` (InvalidArgumentError)."""
    options = target if isinstance(target, CheckOptions) else None
    if options is None:
        keywords["url"] = target
    with _ffi.options_or_keywords(CheckOptions, options, keywords) as opts, _ffi.using(opts):
        return CheckResult._adopt(lib.mgw_check_run, opts)
