"""Python binding of libmgwauth: client certificates, PFX files, registry
plans, trusted roots and the gateway check of the mail-gateway procedure,
through ctypes.

The shared library is found through the MGWAUTH_LIBRARY environment
variable, then next to this package, then the system's library search. Every
failing call raises a :class:`MgwError` subclass; library objects are freed
by ``close()``, a ``with`` block or garbage collection.

>>> import mgwauth
>>> cert = mgwauth.create_certificate(subject="CN=imagoverum.com",
...     upn=["eas@imagoverum.com"], key="p256")
>>> pfx = cert.to_pfx("secret")
>>> mgwauth.load_pfx(pfx, "secret").certificate.thumbprint_sha1 == cert.thumbprint_sha1
True
"""
from __future__ import annotations

from . import errors
from ._ffi import LIBRARY_PATH, DescribeStyle, lib as _lib
from .certs import (Certificate, CertificateRequest, CertOptions, Digest, SanType, SubjectAltName,
                    create_ca, create_certificate, load_certificate, load_csr, sign_csr)
from .errors import (BackupError, CheckError, CheckUrlError, CryptoError, DriftError, ExistsError,
                     FileError, GeneralError, IncompleteError, InputError, InvalidArgumentError,
                     KeepListEmptyError, KeepListMissingError, KeepsNothingError,
                     KeyMismatchError, MgwError, NoBindingError, NotAvailableError, NotCaError,
                     NotFoundError, OutOfMemoryError, PfxError, PfxMacError, PlatformError,
                     RandomError, RegistryError, RegistryPlanError, RegistrySyntaxError,
                     RootsError, StoreChangedError, ThumbprintError, TooLargeError,
                     WrongPasswordError, RegistryTypeError, StoreNameError, AccessDeniedError,
                     KeyNotAttachedError)
from .files import (FileFlag, FileSet, digest_hex, file_sync_dir, password_generate, read_file,
                    read_password_file, read_text_file, write_file)
from .keys import Format, Key, KeyType, default_iterations
from .pfx import (KeySpec, Pfx, PfxAlgorithm, PfxOptions, PfxPart, PfxProfile, load_pfx,
                  max_iterations, write_pfx)

# registry
from . import registry
from .registry import RegFile, RegistryOptions, RegistryPlan, RegistryState, TrustMode
# IIS configuration
from . import iis
from .errors import (IisConfigError, IisDriftError, IisError, IisNotFoundError, IisPlanError,
                     IisXmlError)
from .iis import IisConfig, IisOptions, IisOutput, IisPlan
# trusted roots
from . import roots
from .roots import (ProtectedRoot, RootAction, RootOptions, RootPlan, RootPlanEntry, RootsEvent,
                    RootsEventType, Store, StoreCertificate, StoreOther, TaskOptions,
                    normalize_thumbprint, protected_roots, task_xml, task_install,
                    task_remove, task_show, StoreImportFlag)
# gateway check
from . import check
from .check import CheckOptions, CheckRequest, CheckResult, TlsVersion


def version() -> str:
    """Version string of the loaded library, e.g. "1.0.0"."""
    return _lib.mgw_version().decode("ascii")


def crypto_version() -> str:
    """The crypto library the loaded library runs on, e.g. "mbedTLS 3.6.6"."""
    return _lib.mgw_crypto_version().decode("ascii")


def version_number() -> int:
    """Version of the loaded library as 0xMMmmpp."""
    return int(_lib.mgw_version_number())


def strerror(code: int) -> str:
    """The library's constant description of an error code."""
    return _lib.mgw_strerror(code).decode("utf-8", "replace")


def generate_key(type: str = "rsa2048") -> Key:
    """A new private key: "rsa2048", "rsa3072", "rsa4096", "p256" or "p384"."""
    return Key.generate(type)


def load_key(data: bytes, password: "str | bytes | None" = None) -> Key:
    """Parse a private key (PEM or DER, encrypted or not)."""
    return Key.load(data, password)


__all__ = [
    "LIBRARY_PATH", "version", "version_number", "crypto_version", "strerror", "errors",
    "MgwError", "GeneralError", "InputError", "CryptoError", "PfxError", "RegistryError",
    "RootsError", "PlatformError", "CheckError", "InvalidArgumentError", "OutOfMemoryError",
    "NotAvailableError", "TooLargeError", "FileError", "ExistsError", "NotFoundError",
    "RandomError", "KeyMismatchError", "NotCaError", "WrongPasswordError", "PfxMacError",
    "Key", "KeyType", "Format", "default_iterations", "generate_key", "load_key",
    "CertOptions", "Certificate", "CertificateRequest", "SanType", "SubjectAltName", "Digest",
    "DescribeStyle", "create_certificate", "create_ca", "sign_csr", "load_certificate",
    "load_csr",
    "Pfx", "PfxOptions", "PfxProfile", "PfxPart", "PfxAlgorithm", "KeySpec", "load_pfx",
    "write_pfx", "max_iterations",
    "FileSet", "FileFlag", "write_file", "read_file", "read_password_file", "password_generate",
    "file_sync_dir", "read_text_file", "digest_hex",
    "registry", "RegistryState", "RegistryOptions", "RegistryPlan", "RegFile", "TrustMode",
    "RegistrySyntaxError", "NoBindingError", "DriftError", "RegistryPlanError",
    "RegistryTypeError",
    "roots", "normalize_thumbprint", "protected_roots", "ProtectedRoot", "Store",
    "StoreCertificate", "StoreOther", "RootOptions", "RootPlan", "RootPlanEntry", "RootAction",
    "RootsEvent", "RootsEventType", "TaskOptions", "task_xml", "task_install", "task_remove",
    "task_show", "ThumbprintError",
    "KeepListEmptyError", "KeepListMissingError", "KeepsNothingError", "BackupError",
    "IncompleteError", "StoreChangedError", "StoreImportFlag", "StoreNameError",
    "AccessDeniedError", "KeyNotAttachedError",
    "iis", "IisConfig", "IisOptions", "IisOutput", "IisPlan", "IisError", "IisXmlError",
    "IisConfigError", "IisNotFoundError", "IisDriftError", "IisPlanError",
    "check", "CheckOptions", "CheckResult", "CheckRequest", "TlsVersion", "CheckUrlError",
]
