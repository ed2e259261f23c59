"""Private keys: generate, load, export."""
from __future__ import annotations

import enum
from ctypes import c_int, c_size_t, c_uint32, c_void_p
from typing import Callable, Optional, Union

from . import _ffi
from ._ffi import BUFFER_OUT, BYTES_IN, HANDLE, HANDLE_OUT, RNG_CB, SIZE_OUT, STATUS, lib

_ffi.declare({
    "mgw_key_new": (HANDLE, []),
    "mgw_key_free": (None, [HANDLE_OUT]),
    "mgw_key_set_rng": (STATUS, [HANDLE, RNG_CB, c_void_p]),
    "mgw_key_generate": (STATUS, [HANDLE, c_int]),
    "mgw_key_load": (STATUS, [HANDLE, BYTES_IN, c_size_t, BYTES_IN, c_size_t]),
    "mgw_key_type": (c_int, [HANDLE]),
    "mgw_key_bits": (c_int, [HANDLE]),
    "mgw_key_export_encrypted": (STATUS, [HANDLE, c_int, BYTES_IN, c_size_t, c_uint32,
                                          BUFFER_OUT, SIZE_OUT]),
    "mgw_key_export_public": (STATUS, [HANDLE, c_int, BUFFER_OUT, SIZE_OUT]),
    "mgw_default_iterations": (c_uint32, []),
})


class KeyType(enum.IntEnum):
    """MGW_KEY_*."""
    RSA2048 = 1
    RSA3072 = 2
    RSA4096 = 3
    P256 = 4
    P384 = 5
    RSA_OTHER = 6  # RSA of another size >= 2048 (loaded keys only)


class Format(enum.IntEnum):
    """MGW_FORMAT_*."""
    DER = 1
    PEM = 2


KeyTypeLike = Union[str, int, KeyType]
FormatLike = Union[str, int, Format]
Rng = Optional[Callable[[int], bytes]]


def key_type(value: KeyTypeLike) -> KeyType:
    """KeyType from a name ("rsa2048", "p256", ...) or a number."""
    return _ffi.enum_arg(KeyType, value)


def file_format(value: FormatLike) -> Format:
    """Format from "der" / "pem" or a number."""
    return _ffi.enum_arg(Format, value)


def default_iterations() -> int:
    """Default PBKDF2 / PKCS#12 iteration count of the library."""
    return int(lib.mgw_default_iterations())


class Key(_ffi.Handle):
    """A private key (RSA 2048-4096 or ECDSA P-256/P-384).

    ``Key()`` is empty; use :meth:`generate` or :meth:`load`."""

    _free_function = "mgw_key_free"

    def __init__(self) -> None:
        super().__init__(lib.mgw_key_new())

    @classmethod
    def generate(cls, type: KeyTypeLike = "rsa2048", *, rng: Rng = None) -> "Key":
        """A new key of the given type; RSA uses e = 65537. ``rng``, a
        callable ``rng(n) -> n bytes``, replaces the OS random source (for
        deterministic tests only)."""
        key = cls()
        if rng is not None:
            key.set_rng(rng)
        lib.mgw_key_generate(key, key_type(type))
        return key

    @classmethod
    def load(cls, data: bytes, password: Union[str, bytes, None] = None) -> "Key":
        """Parse a private key, PEM or DER: encrypted or plain PKCS#8, PKCS#1
        or SEC1. ``password`` is needed for encrypted keys."""
        key = cls()
        data = bytes(data)
        pw, pw_len = _ffi.password_arg(password)
        lib.mgw_key_load(key, data, len(data), pw, pw_len)
        return key

    def set_rng(self, rng: Rng) -> None:
        """Use ``rng(n) -> n bytes`` for this key's operations; None restores
        the OS source."""
        cb = _ffi.rng_callback(rng)
        with _ffi.using(self):
            lib.mgw_key_set_rng(self, cb, None)
            self._keep(cb)

    @property
    def type(self) -> Optional[KeyType]:
        """The key's KeyType, or None when it holds no key."""
        with _ffi.using(self):
            t = lib.mgw_key_type(self)
        return KeyType(t) if t else None

    @property
    def bits(self) -> int:
        """RSA modulus or curve size in bits (0 when empty)."""
        with _ffi.using(self):
            return int(lib.mgw_key_bits(self))

    def export_encrypted(self, password: Union[str, bytes], *, format: FormatLike = "pem",
                         iterations: int = 0) -> bytes:
        """Encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC); PEM is
        an "ENCRYPTED PRIVATE KEY" block. ``iterations`` 0 means the
        library's default."""
        pw, pw_len = _ffi.password_arg(password)
        with _ffi.using(self):
            return _ffi.take_bytes(lib.mgw_key_export_encrypted, self, file_format(format), pw,
                                   pw_len, iterations)

    def export_public(self, format: FormatLike = "pem") -> bytes:
        """The public key as SubjectPublicKeyInfo."""
        with _ffi.using(self):
            return _ffi.take_bytes(lib.mgw_key_export_public, self, file_format(format))

    def __repr__(self) -> str:
        if self.closed:
            return "<Key closed>"
        t = self.type
        return f"<Key {t.name.lower() if t else 'empty'} {self.bits} bits>"
