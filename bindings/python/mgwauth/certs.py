"""Certificate options, certificates and certificate requests."""
from __future__ import annotations

import datetime
import enum
from ctypes import byref, c_int, c_int64, c_size_t, c_uint32, c_void_p
from typing import Any, Iterable, List, NamedTuple, Optional, Tuple, Union

from . import _ffi, errors
from ._ffi import BUFFER_OUT, BYTES_IN, HANDLE, HANDLE_OUT, POINTER, RNG_CB, STATUS, lib
from .keys import Format, FormatLike, Key, KeyType, KeyTypeLike, Rng, file_format

_ffi.declare({
    "mgw_certopts_new": (HANDLE, []),
    "mgw_certopts_free": (None, [HANDLE_OUT]),
    "mgw_certopts_set_subject": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_certopts_add_upn": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_certopts_add_email": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_certopts_add_dns": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_certopts_add_uri": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_certopts_set_days": (STATUS, [HANDLE, c_uint32]),
    "mgw_certopts_set_not_before": (STATUS, [HANDLE, c_int64]),
    "mgw_certopts_add_eku": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_certopts_set_ca": (STATUS, [HANDLE, c_int, c_int]),
    "mgw_certopts_set_rng": (STATUS, [HANDLE, RNG_CB, c_void_p]),
    "mgw_cert_create": (STATUS, [HANDLE, HANDLE, HANDLE, HANDLE, HANDLE_OUT]),
    "mgw_cert_sign_csr": (STATUS, [HANDLE, HANDLE, HANDLE, HANDLE, HANDLE_OUT]),
    "mgw_cert_parse": (STATUS, [BYTES_IN, c_size_t, HANDLE_OUT]),
    "mgw_cert_free": (None, [HANDLE_OUT]),
    "mgw_cert_export": (STATUS, [HANDLE, c_int, BUFFER_OUT, _ffi.SIZE_OUT]),
    "mgw_cert_thumbprint": (STATUS, [HANDLE, c_int, BUFFER_OUT]),
    "mgw_cert_subject": (STATUS, [HANDLE, BUFFER_OUT]),
    "mgw_cert_issuer": (STATUS, [HANDLE, BUFFER_OUT]),
    "mgw_cert_serial": (STATUS, [HANDLE, BUFFER_OUT]),
    "mgw_cert_validity": (STATUS, [HANDLE, POINTER(c_int64), POINTER(c_int64)]),
    "mgw_cert_san_count": (c_size_t, [HANDLE]),
    "mgw_cert_san": (STATUS, [HANDLE, c_size_t, POINTER(c_int), BUFFER_OUT]),
    "mgw_cert_eku_count": (c_size_t, [HANDLE]),
    "mgw_cert_eku": (STATUS, [HANDLE, c_size_t, BUFFER_OUT]),
    "mgw_cert_key_info": (STATUS, [HANDLE, POINTER(c_int), POINTER(c_int)]),
    "mgw_cert_is_ca": (c_int, [HANDLE]),
    "mgw_cert_check_key": (c_int, [HANDLE, HANDLE]),  # MGW_ERR_KEY_MISMATCH is an answer
    "mgw_cert_check_issuer": (c_int, [HANDLE, HANDLE]),  # MGW_ERR_CERT_SIGNATURE is an answer
    "mgw_cert_describe": (STATUS, [HANDLE, c_int, BUFFER_OUT]),
    "mgw_csr_parse": (STATUS, [BYTES_IN, c_size_t, HANDLE_OUT]),
    "mgw_csr_free": (None, [HANDLE_OUT]),
    "mgw_csr_subject": (STATUS, [HANDLE, BUFFER_OUT]),
})


class SanType(enum.IntEnum):
    """MGW_SAN_*: kinds of subject alternative name."""
    UPN = 1
    EMAIL = 2
    DNS = 3
    URI = 4
    IP = 5
    OTHER = 6  # any other GeneralName, as "tag:hex"


class Digest(enum.IntEnum):
    """MGW_DIGEST_*."""
    SHA1 = 1
    SHA256 = 2


class SubjectAltName(NamedTuple):
    type: SanType
    value: str


Timestamp = Union[datetime.datetime, int, float]
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _unix_time(when: Timestamp) -> int:
    """Seconds since 1970 from a datetime (naive means UTC) or a number."""
    if isinstance(when, datetime.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        return int((when - _EPOCH).total_seconds())
    return int(when)


def _datetime(unix_time: int) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(seconds=unix_time)


def _names(value: Union[str, Iterable[str], None]) -> List[str]:
    """One name or several, as a list (a lone str is not split into letters)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


class CertOptions(_ffi.Handle):
    """What a certificate to issue contains. Library defaults: empty subject,
    no SAN, 730 days from 10 minutes ago, EKU clientAuth, not a CA."""

    _free_function = "mgw_certopts_free"

    def __init__(self, subject: Optional[str] = None, *,
                 upn: Union[str, Iterable[str], None] = None,
                 email: Union[str, Iterable[str], None] = None,
                 dns: Union[str, Iterable[str], None] = None,
                 uri: Union[str, Iterable[str], None] = None,
                 eku: Union[str, Iterable[str], None] = None,
                 days: Optional[int] = None, not_before: Optional[Timestamp] = None,
                 is_ca: bool = False, pathlen: Optional[int] = 0, rng: Rng = None) -> None:
        super().__init__(lib.mgw_certopts_new())
        if subject is not None:
            self.set_subject(subject)
        for add, values in ((self.add_upn, upn), (self.add_email, email), (self.add_dns, dns),
                            (self.add_uri, uri), (self.add_eku, eku)):
            for v in _names(values):
                add(v)
        if days is not None:
            self.set_days(days)
        if not_before is not None:
            self.set_not_before(not_before)
        if is_ca:
            self.set_ca(True, pathlen)
        if rng is not None:
            self.set_rng(rng)

    def set_subject(self, rfc4514: str) -> None:
        """Subject as an RFC 4514 string, most specific RDN first
        ("CN=x,O=y,C=DE"). InputError names the byte position of a fault."""
        self._call(lib.mgw_certopts_set_subject, _ffi.text_arg(rfc4514))

    def add_upn(self, upn: str) -> None:
        """Add a user principal name (otherName 1.3.6.1.4.1.311.20.2.3)."""
        self._call(lib.mgw_certopts_add_upn, _ffi.text_arg(upn))

    def add_email(self, email: str) -> None:
        """Add an rfc822Name (ASCII)."""
        self._call(lib.mgw_certopts_add_email, _ffi.text_arg(email))

    def add_dns(self, name: str) -> None:
        """Add a DNS name (LDH labels, optional leading "*.")."""
        self._call(lib.mgw_certopts_add_dns, _ffi.text_arg(name))

    def add_uri(self, uri: str) -> None:
        """Add a URI (ASCII, with a scheme)."""
        self._call(lib.mgw_certopts_add_uri, _ffi.text_arg(uri))

    def add_eku(self, name_or_oid: str) -> None:
        """Add an extended key usage (clientAuth, serverAuth, codeSigning,
        emailProtection, timeStamping, OCSPSigning, smartcardLogon or a dotted
        OID). The first one replaces the clientAuth default."""
        self._call(lib.mgw_certopts_add_eku, _ffi.text_arg(name_or_oid))

    def set_days(self, days: int) -> None:
        """Validity in days, 1 to 36500."""
        self._call(lib.mgw_certopts_set_days, days)

    def set_not_before(self, when: Timestamp) -> None:
        """Start of validity: a datetime (naive means UTC) or seconds since
        1970."""
        self._call(lib.mgw_certopts_set_not_before, _unix_time(when))

    def set_ca(self, is_ca: bool = True, pathlen: Optional[int] = 0) -> None:
        """Make (or stop making) a CA certificate; pathlen None leaves the
        path length open."""
        self._call(lib.mgw_certopts_set_ca, 1 if is_ca else 0, -1 if pathlen is None else pathlen)

    def set_rng(self, rng: Rng) -> None:
        """Use ``rng(n) -> n bytes`` for serial numbers and ECDSA; None
        restores the OS source."""
        cb = _ffi.rng_callback(rng)
        with _ffi.using(self):
            lib.mgw_certopts_set_rng(self, cb, None)
            self._keep(cb)


class CertificateRequest(_ffi.Handle):
    """A PKCS#10 request whose signature has been verified."""

    _free_function = "mgw_csr_free"

    @classmethod
    def parse(cls, data: bytes) -> "CertificateRequest":
        """Parse a request, PEM or DER, and verify its signature."""
        data = bytes(data)
        return cls._adopt(lib.mgw_csr_parse, data, len(data))

    @property
    def subject(self) -> str:
        """The requested subject as an RFC 4514 string."""
        with _ffi.using(self):
            return _ffi.take_str(lib.mgw_csr_subject, self)

    def __repr__(self) -> str:
        return "<CertificateRequest closed>" if self.closed else f"<CertificateRequest {self.subject}>"


Issuer = Any  # a Certificate with its private_key, or a Pfx (anything with .certificate)


def _issuer_pair(ca: Issuer) -> Tuple["Certificate", Key]:
    cert = ca if isinstance(ca, Certificate) else ca.certificate
    if cert.private_key is None:
        raise ValueError("the issuing CA needs its private key: pass a Certificate made or "
                         "loaded with its key, or a Pfx")
    return cert, cert.private_key


class Certificate(_ffi.Described):
    """An X.509 certificate. ``private_key`` is its key when it is known (a
    certificate created here or taken from a PFX), else None. ``describe()``
    gives everything below as ``mgwauth cert show`` prints it,
    ``describe_json()`` as a dict."""

    _free_function = "mgw_cert_free"
    _describe_function = "mgw_cert_describe"
    private_key: Optional[Key] = None

    @classmethod
    def parse(cls, data: bytes) -> "Certificate":
        """Parse one certificate, DER or PEM (the first CERTIFICATE block)."""
        data = bytes(data)
        return cls._adopt(lib.mgw_cert_parse, data, len(data))

    @classmethod
    def create(cls, options: CertOptions, key: Key, issuer: Optional[Issuer] = None) -> "Certificate":
        """Issue a certificate for ``key``: self-signed, or signed by
        ``issuer`` (a CA Certificate with its key, or a Pfx)."""
        ca_cert, ca_key = _issuer_pair(issuer) if issuer is not None else (None, None)
        with _ffi.using(options, key, ca_cert, ca_key):
            cert = cls._adopt(lib.mgw_cert_create, options, key, ca_cert, ca_key)
        cert.private_key = key
        return cert

    def sign_csr(self, csr: CertificateRequest, options: Optional[CertOptions] = None) -> "Certificate":
        """Issue a certificate for a request, this certificate being the CA.
        SAN, EKU and validity come from ``options``, never from the request;
        the subject is the request's unless ``options`` sets one."""
        ca_cert, ca_key = _issuer_pair(self)
        if options is None:
            with CertOptions() as defaults:
                return self.sign_csr(csr, defaults)
        with _ffi.using(options, csr, ca_cert, ca_key):
            return Certificate._adopt(lib.mgw_cert_sign_csr, options, csr, ca_cert, ca_key)

    def export(self, format: FormatLike = "der") -> bytes:
        with _ffi.using(self):
            return _ffi.take_bytes(lib.mgw_cert_export, self, file_format(format))

    def to_der(self) -> bytes:
        """DER encoding (a .cer file, what Windows imports)."""
        return self.export(Format.DER)

    def to_pem(self) -> bytes:
        """PEM encoding (one CERTIFICATE block)."""
        return self.export(Format.PEM)

    def thumbprint(self, digest: Union[str, int, Digest] = "sha1") -> str:
        """Upper-case hex digest of the DER certificate, without separators."""
        return self._str(lib.mgw_cert_thumbprint, _ffi.enum_arg(Digest, digest))

    @property
    def thumbprint_sha1(self) -> str:
        """SHA-1 thumbprint as Windows shows it (upper-case hex)."""
        return self.thumbprint(Digest.SHA1)

    @property
    def thumbprint_sha256(self) -> str:
        return self.thumbprint(Digest.SHA256)

    @property
    def subject(self) -> str:
        """Subject as an RFC 4514 string, most specific RDN first."""
        return self._str(lib.mgw_cert_subject)

    @property
    def issuer(self) -> str:
        return self._str(lib.mgw_cert_issuer)

    @property
    def serial(self) -> str:
        """Serial number in upper-case hex, as stored."""
        return self._str(lib.mgw_cert_serial)

    @property
    def validity(self) -> Tuple[datetime.datetime, datetime.datetime]:
        """(not_before, not_after) as timezone-aware UTC datetimes."""
        nb, na = c_int64(), c_int64()
        with _ffi.using(self):
            lib.mgw_cert_validity(self, byref(nb), byref(na))
        return _datetime(nb.value), _datetime(na.value)

    @property
    def not_before(self) -> datetime.datetime:
        return self.validity[0]

    @property
    def not_after(self) -> datetime.datetime:
        return self.validity[1]

    @property
    def sans(self) -> List[SubjectAltName]:
        """Subject alternative names in certificate order."""
        result = []
        with _ffi.using(self):
            for i in range(lib.mgw_cert_san_count(self)):
                kind = c_int()
                value = _ffi.take_str(lib.mgw_cert_san, self, i, byref(kind))
                result.append(SubjectAltName(SanType(kind.value), value))
        return result

    def _san_values(self, kind: SanType) -> List[str]:
        return [s.value for s in self.sans if s.type == kind]

    @property
    def upns(self) -> List[str]:
        return self._san_values(SanType.UPN)

    @property
    def emails(self) -> List[str]:
        return self._san_values(SanType.EMAIL)

    @property
    def dns_names(self) -> List[str]:
        return self._san_values(SanType.DNS)

    @property
    def uris(self) -> List[str]:
        return self._san_values(SanType.URI)

    @property
    def ekus(self) -> List[str]:
        """Extended key usages as dotted OIDs."""
        with _ffi.using(self):
            return [_ffi.take_str(lib.mgw_cert_eku, self, i)
                    for i in range(lib.mgw_cert_eku_count(self))]

    @property
    def key_info(self) -> Tuple[Optional[KeyType], int]:
        """(KeyType or None for other key types, size in bits)."""
        t, bits = c_int(), c_int()
        with _ffi.using(self):
            lib.mgw_cert_key_info(self, byref(t), byref(bits))
        return (KeyType(t.value) if t.value else None), bits.value

    @property
    def is_ca(self) -> bool:
        """True if basicConstraints says CA:TRUE."""
        with _ffi.using(self):
            return lib.mgw_cert_is_ca(self) == 1

    def matches_key(self, key: Key) -> bool:
        """True if ``key`` is this certificate's private key."""
        with _ffi.using(self, key):
            r = lib.mgw_cert_check_key(self, key)
        if r not in (errors.OK, errors.ERR_KEY_MISMATCH):
            raise errors.error_for(r, _ffi.last_error_message(r))
        return r == errors.OK

    def issued_by(self, issuer: "Certificate") -> bool:
        """True if ``issuer`` issued this certificate (name and signature checked)."""
        with _ffi.using(self, issuer):
            r = lib.mgw_cert_check_issuer(self, issuer)
        if r not in (errors.OK, errors.ERR_CERT_SIGNATURE):
            raise errors.error_for(r, _ffi.last_error_message(r))
        return r == errors.OK

    def to_pfx(self, password: Union[str, bytes, None], profile: Any = "compat", *,
               key: Optional[Key] = None, **options: Any) -> bytes:
        """A PFX of this certificate and its private key (or ``key``).
        ``password`` None writes a PFX without password. Further keywords
        are those of :class:`mgwauth.PfxOptions` (iterations, friendly_name,
        chain, ...)."""
        from .pfx import write_pfx
        return write_pfx(self, key, password, profile=profile, **options)

    def __repr__(self) -> str:
        if self.closed:
            return "<Certificate closed>"
        return f"<Certificate {self.subject!r} SHA1 {self.thumbprint_sha1}>"


def load_certificate(data: bytes) -> Certificate:
    """Parse a certificate, DER or PEM."""
    return Certificate.parse(data)


def load_csr(data: bytes) -> CertificateRequest:
    """Parse a PKCS#10 request, PEM or DER, and verify its signature."""
    return CertificateRequest.parse(data)


def create_certificate(subject: Optional[str] = None, *,
                       upn: Union[str, Iterable[str], None] = None,
                       email: Union[str, Iterable[str], None] = None,
                       dns: Union[str, Iterable[str], None] = None,
                       uri: Union[str, Iterable[str], None] = None,
                       key: Union[KeyTypeLike, Key] = "rsa2048", days: int = 730,
                       ca: Optional[Issuer] = None,
                       eku: Union[str, Iterable[str], None] = None,
                       not_before: Optional[Timestamp] = None,
                       is_ca: bool = False, pathlen: Optional[int] = 0,
                       rng: Rng = None) -> Certificate:
    """Issue a certificate and return it with its ``private_key``.

    ``key`` is a key type ("rsa2048", "rsa3072", "rsa4096", "p256", "p384"),
    for which a new key is generated, or an existing :class:`Key`. Without
    ``ca`` the certificate is self-signed; ``ca`` is a CA Certificate with its
    key, or a :class:`Pfx` holding one. ``is_ca`` makes a CA certificate."""
    if not isinstance(key, Key):
        key = Key.generate(key, rng=rng)
    with CertOptions(subject, upn=upn, email=email, dns=dns, uri=uri, eku=eku, days=days,
                     not_before=not_before, is_ca=is_ca, pathlen=pathlen, rng=rng) as opts:
        return Certificate.create(opts, key, ca)


def create_ca(subject: str, *, key: Union[KeyTypeLike, Key] = "p384", days: int = 3650,
              pathlen: Optional[int] = 0, ca: Optional[Issuer] = None, rng: Rng = None) -> Certificate:
    """A CA certificate (self-signed unless ``ca`` is given) with its key, as
    ``mgwauth ca create`` makes it."""
    return create_certificate(subject, key=key, days=days, is_ca=True, pathlen=pathlen, ca=ca,
                              rng=rng)


def sign_csr(csr: Union[CertificateRequest, bytes], ca: Issuer, *, subject: Optional[str] = None,
             upn: Union[str, Iterable[str], None] = None,
             email: Union[str, Iterable[str], None] = None,
             dns: Union[str, Iterable[str], None] = None,
             uri: Union[str, Iterable[str], None] = None,
             eku: Union[str, Iterable[str], None] = None, days: int = 730,
             not_before: Optional[Timestamp] = None, rng: Rng = None) -> Certificate:
    """Issue a certificate for a request (object, PEM or DER) with ``ca`` (a
    CA Certificate with its key, or a Pfx)."""
    if not isinstance(csr, CertificateRequest):
        csr = CertificateRequest.parse(csr)
    ca_cert, _ = _issuer_pair(ca)
    with CertOptions(subject, upn=upn, email=email, dns=dns, uri=uri, eku=eku, days=days,
                     not_before=not_before, rng=rng) as opts:
        return ca_cert.sign_csr(csr, opts)
