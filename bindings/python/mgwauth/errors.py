"""Error codes of libmgwauth and the exceptions they become.

The ``ERR_*`` constants mirror the ``MGW_ERR_*`` macros of ``mgwauth.h`` (a
test compares them). Every failing call raises a subclass of
:class:`MgwError`: one class per family of codes, with narrower classes for
codes a caller is likely to handle on its own.
"""
from __future__ import annotations

from typing import Dict, Optional, Type

OK = 0
# General: -1 .. -99
ERR_INVALID_ARGUMENT = -1
ERR_NO_MEMORY = -2
ERR_INTERNAL = -3
ERR_NOT_AVAILABLE = -4
ERR_TOO_LARGE = -5
ERR_IO = -6
ERR_EXISTS = -7
ERR_NOT_FOUND = -8
ERR_RANDOM = -9
# Input syntax: -100 .. -199
ERR_DN_SYNTAX = -100
ERR_DN_ATTRIBUTE = -101
ERR_UTF8 = -102
ERR_UPN = -103
ERR_EMAIL = -104
ERR_DNS = -105
ERR_URI = -106
ERR_DER = -107
ERR_PEM = -108
ERR_CERT_PARSE = -109
ERR_CSR_PARSE = -110
ERR_KEY_PARSE = -111
ERR_EKU = -112
ERR_VALIDITY = -113
ERR_PASSWORD = -114
# Cryptography and policy: -200 .. -299
ERR_KEY_TYPE = -200
ERR_KEYGEN = -201
ERR_SIGN = -202
ERR_CSR_SIGNATURE = -203
ERR_KEY_MISMATCH = -204
ERR_NOT_CA = -205
ERR_WRONG_PASSWORD = -206
ERR_UNSUPPORTED_ALG = -207
ERR_CRYPTO = -208
ERR_CERT_SIGNATURE = -209
# PFX (PKCS#12): -300 .. -399
ERR_PFX_FORMAT = -300
ERR_PFX_MAC = -301
ERR_PFX_NO_KEY = -302
ERR_PFX_NO_CERT = -303
ERR_PFX_LIMIT = -304
# Registry: -400 .. -499
ERR_REG_SYNTAX = -400
ERR_REG_NO_BINDING = -401
ERR_REG_DRIFT = -402
ERR_REG_VERIFY = -403
ERR_REG_RESTORE = -404
ERR_REG_PLAN = -405
ERR_REG_TYPE = -406
# Trusted roots and stores: -500 .. -599
ERR_THUMBPRINT = -500
ERR_ROOTS_KEEP_EMPTY = -501
ERR_ROOTS_KEEP_MISSING = -502
ERR_ROOTS_KEEPS_NOTHING = -503
ERR_ROOTS_BACKUP = -504
ERR_ROOTS_INCOMPLETE = -505
ERR_STORE_CHANGED = -506
# Platform back-ends: -600 .. -699
ERR_STORE_NAME = -600
ERR_PLATFORM = -601
ERR_ACCESS_DENIED = -602
ERR_KEY_NOT_ATTACHED = -603
# Gateway check: -700 .. -799
ERR_CHECK_URL = -700
ERR_CHECK_RESOLVE = -701
ERR_CHECK_CONNECT = -702
ERR_CHECK_TIMEOUT = -703
ERR_CHECK_UNTRUSTED = -704
ERR_CHECK_HOSTNAME = -705
ERR_CHECK_EXPIRED = -706
ERR_CHECK_HANDSHAKE = -707
ERR_CHECK_HTTP = -708
ERR_CHECK_TOO_LARGE = -709
ERR_CHECK_STATUS = -710
ERR_CHECK_NOT_ENFORCED = -711

CODE_NAMES: Dict[int, str] = {
    value: "MGW_" + name for name, value in globals().items() if name.startswith("ERR_")
}

# IIS configuration: -800 .. -899
ERR_IIS_XML = -800
ERR_IIS_CONFIG = -801
ERR_IIS_NOT_FOUND = -802
ERR_IIS_DRIFT = -803
ERR_IIS_VERIFY = -804
ERR_IIS_RESTORE = -805
ERR_IIS_PLAN = -806

class MgwError(Exception):
    """A libmgwauth call failed.

    ``code`` is the negative MGW_ERR_* value, ``name`` its macro name and
    ``message`` the library's description of this failure (from
    ``mgw_last_error()``, or ``mgw_strerror()`` when it has none)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def name(self) -> str:
        return CODE_NAMES.get(self.code, f"MGW_ERR_{-self.code}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}, {self.message!r})"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return type(self), (self.code, self.message)


# Families, by range of codes.
class GeneralError(MgwError):
    """Codes -1 .. -99: arguments, memory, files, randomness."""


class InputError(MgwError, ValueError):
    """Codes -100 .. -199: malformed names, SANs, encodings, files."""


class CryptoError(MgwError):
    """Codes -200 .. -299: keys, signatures, passwords, algorithms."""


class PfxError(MgwError):
    """Codes -300 .. -399: PKCS#12 structure and limits."""


class RegistryError(MgwError):
    """Codes -400 .. -499: registry plans."""


class RootsError(MgwError):
    """Codes -500 .. -599: trusted roots and certificate stores."""


class PlatformError(MgwError):
    """Codes -600 .. -699: platform back-ends."""


class CheckError(MgwError):
    """Codes -700 .. -799: the gateway check."""


# Codes a caller may want to tell apart.
class InvalidArgumentError(GeneralError, ValueError):
    """MGW_ERR_INVALID_ARGUMENT."""


class OutOfMemoryError(GeneralError, MemoryError):
    """MGW_ERR_NO_MEMORY."""


class NotAvailableError(GeneralError):
    """MGW_ERR_NOT_AVAILABLE: not in this build of the library."""


class TooLargeError(GeneralError):
    """MGW_ERR_TOO_LARGE."""


class FileError(GeneralError):
    """MGW_ERR_IO: the file system or the operating system failed."""


class ExistsError(GeneralError):
    """MGW_ERR_EXISTS: the output exists and force was not given."""


class NotFoundError(GeneralError):
    """MGW_ERR_NOT_FOUND."""


class RandomError(GeneralError):
    """MGW_ERR_RANDOM: the random source (or a Python rng callable) failed."""


class KeyMismatchError(CryptoError):
    """MGW_ERR_KEY_MISMATCH: key and certificate do not belong together."""


class CertSignatureError(CryptoError):
    """MGW_ERR_CERT_SIGNATURE: the certificate was not signed by that issuer."""


class NotCaError(CryptoError):
    """MGW_ERR_NOT_CA: the issuer certificate is not a CA."""


class WrongPasswordError(CryptoError):
    """MGW_ERR_WRONG_PASSWORD, and (as PfxMacError) MGW_ERR_PFX_MAC."""


class PfxMacError(PfxError, WrongPasswordError):
    """MGW_ERR_PFX_MAC: wrong password or corrupted file."""


# registry
class RegistrySyntaxError(RegistryError, ValueError):
    """MGW_ERR_REG_SYNTAX: a .reg file line that cannot be read (the message
    names the line)."""


class NoBindingError(RegistryError):
    """MGW_ERR_REG_NO_BINDING: the HTTPS binding to configure is not in the
    registry state (the message names the SNI bindings present)."""


class DriftError(RegistryError):
    """MGW_ERR_REG_DRIFT: the registry changed since the plan was made; plan
    again."""


class RegistryPlanError(RegistryError, ValueError):
    """MGW_ERR_REG_PLAN: a plan file that is malformed or whose fingerprint
    does not match what it reads and writes."""


class RegistryTypeError(RegistryError, ValueError):
    """MGW_ERR_REG_TYPE: a value the plan manages has another type than the
    REG_DWORD it must be; fix or delete it, then plan again."""


# trusted roots
class ThumbprintError(RootsError, ValueError):
    """MGW_ERR_THUMBPRINT: not 40 or 64 hex digits (the message names the
    position)."""


class KeepListEmptyError(RootsError):
    """MGW_ERR_ROOTS_KEEP_EMPTY: a plan needs at least one thumbprint to keep."""


class KeepListMissingError(RootsError):
    """MGW_ERR_ROOTS_KEEP_MISSING: keep-list thumbprints that are not in the
    store (named in the message)."""


class KeepsNothingError(RootsError):
    """MGW_ERR_ROOTS_KEEPS_NOTHING: the plan would keep no certificate."""


class BackupError(RootsError):
    """MGW_ERR_ROOTS_BACKUP: a backup that is unreadable or does not verify."""


class IncompleteError(RootsError):
    """MGW_ERR_ROOTS_INCOMPLETE: prune or restore stopped part-way (the events
    tell what was done)."""


class StoreChangedError(RootsError):
    """MGW_ERR_STORE_CHANGED: the plan is not for the store as it is now."""


# platform back-ends
class StoreNameError(PlatformError, ValueError):
    """MGW_ERR_STORE_NAME: not LocalMachine or CurrentUser with Root, CA, My,
    ClientAuthIssuer or TrustedPeople."""


class AccessDeniedError(PlatformError, PermissionError):
    """MGW_ERR_ACCESS_DENIED: Windows refused access; run as an administrator."""


class KeyNotAttachedError(PlatformError):
    """MGW_ERR_KEY_NOT_ATTACHED: the imported certificate has no usable
    private key (it was taken out of the store again)."""


# gateway check
class CheckUrlError(CheckError, ValueError):
    """MGW_ERR_CHECK_URL: not https://host[:port][/path], or none set."""


class IisError(MgwError):
    """Codes -800 .. -899: IIS configuration plans."""


class IisXmlError(IisError, ValueError):
    """MGW_ERR_IIS_XML: malformed XML, or XML the reader cannot keep byte for
    byte (the message names the line and column)."""


class IisConfigError(IisError, ValueError):
    """MGW_ERR_IIS_CONFIG: not a usable applicationHost.config."""


class IisNotFoundError(IisError):
    """MGW_ERR_IIS_NOT_FOUND: the site or https binding does not exist (the
    message names those that do)."""


class IisDriftError(IisError):
    """MGW_ERR_IIS_DRIFT: the file changed since the plan was made."""


class IisPlanError(IisError, ValueError):
    """MGW_ERR_IIS_PLAN: a plan file, or its files, not matching its
    fingerprint."""


_BY_CODE: Dict[int, Type[MgwError]] = {
    ERR_INVALID_ARGUMENT: InvalidArgumentError,
    ERR_NO_MEMORY: OutOfMemoryError,
    ERR_NOT_AVAILABLE: NotAvailableError,
    ERR_TOO_LARGE: TooLargeError,
    ERR_IO: FileError,
    ERR_EXISTS: ExistsError,
    ERR_NOT_FOUND: NotFoundError,
    ERR_RANDOM: RandomError,
    ERR_KEY_MISMATCH: KeyMismatchError,
    ERR_NOT_CA: NotCaError,
    ERR_CERT_SIGNATURE: CertSignatureError,
    ERR_WRONG_PASSWORD: WrongPasswordError,
    ERR_PFX_MAC: PfxMacError,
    # registry
    ERR_REG_SYNTAX: RegistrySyntaxError,
    ERR_REG_NO_BINDING: NoBindingError,
    ERR_REG_DRIFT: DriftError,
    ERR_REG_PLAN: RegistryPlanError,
    ERR_REG_TYPE: RegistryTypeError,
    # trusted roots
    ERR_THUMBPRINT: ThumbprintError,
    ERR_ROOTS_KEEP_EMPTY: KeepListEmptyError,
    ERR_ROOTS_KEEP_MISSING: KeepListMissingError,
    ERR_ROOTS_KEEPS_NOTHING: KeepsNothingError,
    ERR_ROOTS_BACKUP: BackupError,
    ERR_ROOTS_INCOMPLETE: IncompleteError,
    ERR_STORE_CHANGED: StoreChangedError,
    # platform back-ends
    ERR_STORE_NAME: StoreNameError,
    ERR_ACCESS_DENIED: AccessDeniedError,
    ERR_KEY_NOT_ATTACHED: KeyNotAttachedError,
    # gateway check
    ERR_CHECK_URL: CheckUrlError,
    # IIS configuration
    ERR_IIS_XML: IisXmlError,
    ERR_IIS_CONFIG: IisConfigError,
    ERR_IIS_NOT_FOUND: IisNotFoundError,
    ERR_IIS_DRIFT: IisDriftError,
    ERR_IIS_PLAN: IisPlanError,
}

_FAMILIES = [(-99, GeneralError), (-199, InputError), (-299, CryptoError), (-399, PfxError),
             (-499, RegistryError), (-599, RootsError), (-699, PlatformError),
             (-799, CheckError), (-899, IisError)]


def error_class(code: int) -> Type[MgwError]:
    """The exception class for a code: its own, else its family's."""
    specific = _BY_CODE.get(code)
    if specific is not None:
        return specific
    for lowest, family in _FAMILIES:
        if lowest <= code < 0:
            return family
    return MgwError


def error_for(code: int, message: Optional[str] = None) -> MgwError:
    """The exception to raise for a failed call."""
    return error_class(code)(code, message if message else CODE_NAMES.get(code, str(code)))
