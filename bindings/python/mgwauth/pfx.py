"""PFX (PKCS#12): write, read, convert, describe."""
from __future__ import annotations

import enum
from ctypes import byref, c_int, c_size_t, c_uint32, c_void_p, string_at
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Union

from . import _ffi, errors
from ._ffi import BUFFER_OUT, BYTES_IN, HANDLE, HANDLE_OUT, POINTER, RNG_CB, SIZE_OUT, STATUS, lib
from .certs import Certificate
from .keys import Key, Rng

_ffi.declare({
    "mgw_pfxopts_new": (HANDLE, []),
    "mgw_pfxopts_free": (None, [HANDLE_OUT]),
    "mgw_pfxopts_set_profile": (STATUS, [HANDLE, c_int]),
    "mgw_pfxopts_set_iterations": (STATUS, [HANDLE, c_uint32]),
    "mgw_pfxopts_set_friendly_name": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_pfxopts_set_csp_name": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_pfxopts_set_key_spec": (STATUS, [HANDLE, c_int]),
    "mgw_pfxopts_set_machine_keyset": (STATUS, [HANDLE, c_int]),
    "mgw_pfxopts_set_local_key_id": (STATUS, [HANDLE, BYTES_IN, c_size_t]),
    "mgw_pfxopts_add_chain": (STATUS, [HANDLE, HANDLE]),
    "mgw_pfxopts_set_rng": (STATUS, [HANDLE, RNG_CB, c_void_p]),
    "mgw_pfx_write": (STATUS, [HANDLE, HANDLE, HANDLE, BYTES_IN, c_size_t, BUFFER_OUT, SIZE_OUT]),
    "mgw_pfx_parse": (STATUS, [BYTES_IN, c_size_t, BYTES_IN, c_size_t, HANDLE_OUT]),
    "mgw_pfx_free": (None, [HANDLE_OUT]),
    "mgw_pfx_key": (STATUS, [HANDLE, HANDLE_OUT]),
    "mgw_pfx_cert": (STATUS, [HANDLE, HANDLE_OUT]),
    "mgw_pfx_extra_cert_count": (c_size_t, [HANDLE]),
    "mgw_pfx_extra_cert": (STATUS, [HANDLE, c_size_t, HANDLE_OUT]),
    "mgw_pfx_friendly_name": (STATUS, [HANDLE, BUFFER_OUT]),
    "mgw_pfx_algorithm": (STATUS, [HANDLE, c_int, BUFFER_OUT, POINTER(c_uint32)]),
    "mgw_pfx_describe": (STATUS, [HANDLE, c_int, BUFFER_OUT]),
    "mgw_pfx_convert": (STATUS, [HANDLE, HANDLE, BYTES_IN, c_size_t, BUFFER_OUT, SIZE_OUT]),
    "mgw_pfx_max_iterations": (c_uint32, []),
})


class PfxProfile(enum.IntEnum):
    """MGW_PFX_PROFILE_*. COMPAT: 3DES and an HMAC-SHA-1 MAC, opens everywhere.
    MODERN: PBES2 AES-256 and HMAC-SHA-256 (Windows 10 1709+ / Server 2019+)."""
    COMPAT = 1
    MODERN = 2


class KeySpec(enum.IntEnum):
    """MGW_PFX_KEYSPEC_*: the Windows key-usage attribute of the key."""
    NONE = 0
    EXCHANGE = 0x10
    SIGNATURE = 0x80


class PfxPart(enum.IntEnum):
    """MGW_PFX_PART_*."""
    KEY = 1
    CERTS = 2
    MAC = 3


class PfxAlgorithm(NamedTuple):
    name: str
    iterations: int


def max_iterations() -> int:
    """Largest KDF iteration count the reader accepts and the writer uses."""
    return int(lib.mgw_pfx_max_iterations())


class PfxOptions(_ffi.Handle):
    """How to write a PFX. Library defaults: compat profile, 2048 iterations,
    friendlyName from the certificate's CN, localKeyID = SHA-1 of the
    certificate, no Microsoft attributes, no chain.

    ``friendly_name`` None keeps the default, "" writes none."""

    _free_function = "mgw_pfxopts_free"

    def __init__(self, *, profile: Union[str, int, PfxProfile] = PfxProfile.COMPAT,
                 iterations: Optional[int] = None, friendly_name: Optional[str] = None,
                 csp_name: Optional[str] = None,
                 key_spec: Union[str, int, KeySpec, None] = None, machine_keyset: bool = False,
                 local_key_id: Optional[bytes] = None, chain: Iterable[Certificate] = (),
                 rng: Rng = None) -> None:
        super().__init__(lib.mgw_pfxopts_new())
        self.set_profile(profile)
        if iterations is not None:
            self.set_iterations(iterations)
        if friendly_name is not None:
            self.set_friendly_name(friendly_name)
        if csp_name is not None:
            self.set_csp_name(csp_name)
        if key_spec is not None:
            self.set_key_spec(key_spec)
        if machine_keyset:
            self.set_machine_keyset(True)
        if local_key_id is not None:
            self.set_local_key_id(local_key_id)
        for cert in chain:
            self.add_chain(cert)
        if rng is not None:
            self.set_rng(rng)

    def set_profile(self, profile: Union[str, int, PfxProfile]) -> None:
        self._call(lib.mgw_pfxopts_set_profile, _ffi.enum_arg(PfxProfile, profile))

    def set_iterations(self, iterations: int) -> None:
        """Iterations of every KDF, 1 to max_iterations()."""
        self._call(lib.mgw_pfxopts_set_iterations, iterations)

    def set_friendly_name(self, name: Optional[str]) -> None:
        """friendlyName; None or "" writes none."""
        self._call(lib.mgw_pfxopts_set_friendly_name, _ffi.text_arg(name))

    def set_csp_name(self, name: Optional[str]) -> None:
        """Microsoft CSP name attribute; None removes it."""
        self._call(lib.mgw_pfxopts_set_csp_name, _ffi.text_arg(name))

    def set_key_spec(self, key_spec: Union[str, int, KeySpec]) -> None:
        """"exchange" (what -KeySpec KeyExchange keys carry), "signature" or
        "none"."""
        self._call(lib.mgw_pfxopts_set_key_spec, _ffi.enum_arg(KeySpec, key_spec))

    def set_machine_keyset(self, on: bool = True) -> None:
        """Mark the key for the LocalMachine key set."""
        self._call(lib.mgw_pfxopts_set_machine_keyset, 1 if on else 0)

    def set_local_key_id(self, key_id: bytes) -> None:
        """localKeyID bytes (Windows writes 01 00 00 00); b"" restores the
        default."""
        key_id = bytes(key_id)
        self._call(lib.mgw_pfxopts_set_local_key_id, key_id, len(key_id))

    def add_chain(self, cert: Certificate) -> None:
        """Add a chain certificate (copied), e.g. the issuing CA."""
        with _ffi.using(self, cert):
            lib.mgw_pfxopts_add_chain(self, cert)

    def set_rng(self, rng: Rng) -> None:
        """Use ``rng(n) -> n bytes`` for salts and IVs; None restores the OS
        source."""
        cb = _ffi.rng_callback(rng)
        with _ffi.using(self):
            lib.mgw_pfxopts_set_rng(self, cb, None)
            self._keep(cb)


def write_pfx(certificate: Certificate, key: Optional[Key], password: Union[str, bytes, None], *,
              options: Optional[PfxOptions] = None, **keywords: Any) -> bytes:
    """A PFX holding ``certificate`` and ``key`` (by default the
    certificate's ``private_key``) and the chain of the options. ``password``
    None writes a PFX without password (PKCS#12 tells it from "")."""
    if key is None:
        key = certificate.private_key
    if key is None:
        raise ValueError("a PFX needs the private key: pass key= or use a Certificate that "
                         "carries its private_key")
    pw, pw_len = _ffi.password_arg(password)
    with _ffi.options_or_keywords(PfxOptions, options, keywords) as opts, _ffi.using(opts, certificate, key):
        return _ffi.take_bytes(lib.mgw_pfx_write, opts, certificate, key, pw, pw_len)


class Pfx(_ffi.Described):
    """A parsed and decrypted PFX: a private key, the certificate that
    matches it, further certificates and attributes. ``describe()`` gives
    algorithms, iterations, attributes, certificates and key as text,
    ``describe_json()`` as a dict."""

    _free_function = "mgw_pfx_free"
    _describe_function = "mgw_pfx_describe"
    _key: Optional[Key] = None
    _certificate: Optional[Certificate] = None

    @classmethod
    def parse(cls, data: bytes, password: Union[str, bytes, None]) -> "Pfx":
        """Parse and decrypt (DER or BER). The MAC is checked first: a wrong
        password raises WrongPasswordError (a PfxMacError). "" also opens
        files made without password; None opens only those."""
        data = bytes(data)
        pw, pw_len = _ffi.password_arg(password)
        return cls._adopt(lib.mgw_pfx_parse, data, len(data), pw, pw_len)

    @property
    def key(self) -> Key:
        """The private key (one copy, made on first use)."""
        with _ffi.using(self):
            if self._key is None:
                self._key = Key._adopt(lib.mgw_pfx_key, self)
            return self._key

    @property
    def certificate(self) -> Certificate:
        """The certificate matching the key, with ``private_key`` set."""
        with _ffi.using(self):
            if self._certificate is None:
                cert = Certificate._adopt(lib.mgw_pfx_cert, self)
                cert.private_key = self.key
                self._certificate = cert
            return self._certificate

    @property
    def extra_certificates(self) -> List[Certificate]:
        """The other certificates (the chain), as new copies."""
        with _ffi.using(self):
            return [Certificate._adopt(lib.mgw_pfx_extra_cert, self, i)
                    for i in range(lib.mgw_pfx_extra_cert_count(self))]

    @property
    def friendly_name(self) -> Optional[str]:
        """The friendlyName attribute, or None."""
        with _ffi.using(self):
            try:
                return self._str(lib.mgw_pfx_friendly_name)
            except errors.NotFoundError:
                return None

    def algorithm(self, part: Union[str, int, PfxPart]) -> PfxAlgorithm:
        """Algorithm name and iteration count of the key, certs or MAC."""
        name, iterations = c_void_p(), c_uint32()
        with _ffi.using(self):
            lib.mgw_pfx_algorithm(self, _ffi.enum_arg(PfxPart, part), byref(name), byref(iterations))
        try:
            return PfxAlgorithm(string_at(name.value).decode("utf-8"), iterations.value)
        finally:
            lib.mgw_free(name)

    @property
    def algorithms(self) -> Dict[PfxPart, PfxAlgorithm]:
        return {part: self.algorithm(part) for part in PfxPart}

    def convert(self, password: Union[str, bytes, None], *, options: Optional[PfxOptions] = None,
                **keywords: Any) -> bytes:
        """Re-encrypt with a new password (None: none) and options (profile,
        iterations, extra chain; attributes set there override the source's)."""
        pw, pw_len = _ffi.password_arg(password)
        with _ffi.options_or_keywords(PfxOptions, options, keywords) as opts, _ffi.using(self, opts):
            return _ffi.take_bytes(lib.mgw_pfx_convert, self, opts, pw, pw_len)

    def __repr__(self) -> str:
        return "<Pfx closed>" if self.closed else f"<Pfx {self.certificate.subject!r}>"


def load_pfx(data: bytes, password: Union[str, bytes, None]) -> Pfx:
    """Parse and decrypt a PFX; see :meth:`Pfx.parse`."""
    return Pfx.parse(data, password)
