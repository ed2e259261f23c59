"""Loading libmgwauth and declaring its C functions for ctypes.

Every module of the package declares the functions it wraps with
:func:`declare`; :data:`DECLARED` records them so that a test can compare the
declarations with ``include/mgwauth.h``. Nothing here is public API.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import enum
import json
import os
import sys
import threading
import weakref
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_uint32, c_void_p
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from . import errors

REQUIRED_MAJOR = 1

# ctypes types for the C types of the header.
HANDLE = c_void_p  # mgw_X_t * (opaque)
HANDLE_OUT = POINTER(c_void_p)  # mgw_X_t ** (created objects, and mgw_X_free(&p))
BUFFER_OUT = POINTER(c_void_p)  # uint8_t ** and char ** the library allocates
BYTES_IN = c_char_p  # const uint8_t * and const char * the caller owns
SIZE_OUT = POINTER(c_size_t)  # size_t *
STRINGS_IN = POINTER(c_char_p)  # const char *const * the caller owns (NULL-terminated or counted)

CALLBACK_TYPES: Dict[str, Any] = {}


def callback_type(c_name: str, restype: Any, *argtypes: Any) -> Any:
    """The CFUNCTYPE for the header's callback typedef `c_name` (recorded so
    that a test compares it with the typedef)."""
    CALLBACK_TYPES[c_name] = ctypes.CFUNCTYPE(restype, *argtypes)
    return CALLBACK_TYPES[c_name]


RNG_CB = callback_type("mgw_rng_cb", c_int, c_void_p, POINTER(ctypes.c_ubyte), c_size_t)


class _Status:
    """Marker for functions returning MGW_OK or a negative MGW_ERR_* code."""


STATUS = _Status()

DECLARED: Dict[str, Any] = {}

_LOCAL_NAMES = {
    "linux": ["libmgwauth.so.1"],
    "darwin": ["libmgwauth.1.dylib"],
    "win32": ["mgwauth-1.dll", "libmgwauth-1.dll", "mgwauth.dll"],
}


def _library_candidates() -> List[str]:
    """Where to look: MGWAUTH_LIBRARY alone when set, else next to the
    package, then the system's search (ctypes.util.find_library)."""
    override = os.environ.get("MGWAUTH_LIBRARY")
    if override:
        return [override]
    here = os.path.dirname(os.path.abspath(__file__))
    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    found = [os.path.join(here, n) for n in _LOCAL_NAMES.get(platform, [])]
    found = [p for p in found if os.path.exists(p)]
    system = ctypes.util.find_library("mgwauth")
    if system:
        found.append(system)
    return found


def _load() -> Tuple[ctypes.CDLL, str]:
    candidates = _library_candidates()
    if not candidates:
        raise ImportError("libmgwauth not found: install it, put it next to the mgwauth "
                          "package, or set MGWAUTH_LIBRARY to its path")
    problems = []
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            problems.append(f"{path}: {e}")
            continue
        lib.mgw_version_number.restype = c_uint32
        lib.mgw_version_number.argtypes = []
        lib.mgw_version.restype = c_char_p
        lib.mgw_version.argtypes = []
        major = lib.mgw_version_number() >> 16
        if major != REQUIRED_MAJOR:
            raise ImportError(f"{path} is libmgwauth {lib.mgw_version().decode()}; this binding "
                              f"needs major version {REQUIRED_MAJOR}")
        return lib, path
    raise ImportError("cannot load libmgwauth: " + "; ".join(problems))


lib, LIBRARY_PATH = _load()


def last_error_message(code: int) -> str:
    """The calling thread's detail message, or the code's constant text."""
    text = lib.mgw_last_error()
    if text:
        return text.decode("utf-8", "replace")
    return lib.mgw_strerror(code).decode("utf-8", "replace")


def _check_status(result: int, func: Any, args: Any) -> int:
    if result < 0:
        raise errors.error_for(result, last_error_message(result))
    return result


def declare(table: Dict[str, Tuple[Any, Sequence[Any]]]) -> None:
    """Give each named function its restype and argtypes. A restype of
    STATUS means int, with negative values raised as MgwError."""
    for name, (restype, argtypes) in table.items():
        fn = getattr(lib, name)
        if restype is STATUS:
            fn.restype = c_int
            fn.errcheck = _check_status
        else:
            fn.restype = restype
        fn.argtypes = list(argtypes)
        DECLARED[name] = fn


declare({
    "mgw_version": (c_char_p, []),  # constant strings: not allocated per call
    "mgw_version_number": (c_uint32, []),
    "mgw_crypto_version": (c_char_p, []),
    "mgw_strerror": (c_char_p, [c_int]),
    "mgw_last_error": (c_char_p, []),
    "mgw_free": (None, [c_void_p]),
})


# --- buffers the library allocates -------------------------------------------------------------

def take_bytes(fn: Callable[..., Any], *args: Any) -> bytes:
    """Call fn(*args, &out, &out_len), copy the buffer and mgw_free() it."""
    out = c_void_p()
    out_len = c_size_t()
    fn(*args, byref(out), byref(out_len))
    try:
        return ctypes.string_at(out.value, out_len.value) if out.value else b""
    finally:
        lib.mgw_free(out)


def take_strs(count: int, fn: Callable[..., Any], *args: Any) -> List[str]:
    """Call fn(*args, &out1, ..., &outN) for `count` NUL-terminated UTF-8
    strings, copy them and mgw_free() each (also when the call fails)."""
    outs = [c_void_p() for _ in range(count)]
    try:
        fn(*args, *(byref(o) for o in outs))
        return [ctypes.string_at(o.value).decode("utf-8") if o.value else "" for o in outs]
    finally:
        for o in outs:
            lib.mgw_free(o)


def take_str(fn: Callable[..., Any], *args: Any) -> str:
    """Call fn(*args, &out) for a NUL-terminated UTF-8 string, copy it and
    mgw_free() it."""
    return take_strs(1, fn, *args)[0]


def text_arg(value: Optional[str]) -> Optional[bytes]:
    """A str argument as UTF-8 bytes (None stays NULL)."""
    return None if value is None else value.encode("utf-8")


def password_arg(password: Any) -> Tuple[Optional[bytes], int]:
    """A password (str, UTF-8 bytes, or None for "no password") as pointer
    and length."""
    if password is None:
        return None, 0
    if isinstance(password, str):
        password = password.encode("utf-8")
    password = bytes(password)
    return password, len(password)


def path_arg(path: Any) -> bytes:
    return os.fsencode(path)


def enum_arg(cls: Any, value: Any) -> Any:
    """A member of an IntEnum from its name in any case ("pem") or its value."""
    if isinstance(value, str):
        try:
            return cls[value.upper()]
        except KeyError:
            names = ", ".join(m.name.lower() for m in cls)
            raise ValueError(f"unknown {cls.__name__} {value!r} (one of {names})") from None
    return cls(value)


# --- random generator callbacks ----------------------------------------------------------------

def rng_callback(rng: Optional[Callable[[int], bytes]]) -> Any:
    """Wrap a Python callable ``rng(n) -> n bytes`` as an mgw_rng_cb. The
    caller must keep the result alive while the library may call it. An
    exception or a wrong length makes the library's operation fail with
    MGW_ERR_RANDOM."""
    if rng is None:
        return RNG_CB()  # NULL: the library's own source again
    if not callable(rng):
        raise TypeError("rng must be a callable taking a length and returning that many bytes")

    def thunk(_ctx: Any, out: Any, length: int) -> int:
        try:
            data = bytes(rng(length))
        except BaseException:  # noqa: BLE001 - it cannot cross the C boundary
            return -1
        if len(data) != length:
            return -1
        ctypes.memmove(out, data, length)
        return 0

    return RNG_CB(thunk)


# --- handles -----------------------------------------------------------------------------------

def _release(free: Any, address: int, _keepalive: List[Any]) -> None:
    p = c_void_p(address)
    free(byref(p))


class Handle:
    """An owned library object. It is freed by close(), at the end of a with
    block, or when garbage-collected (weakref.finalize), whichever comes
    first. Calls that use one handle are serialised by a per-handle lock,
    because the library forbids using one object from two threads at once."""

    _free_function: str = ""

    def __init__(self, address: Optional[int]) -> None:
        if not address:
            raise MemoryError(f"{type(self).__name__}: the library could not allocate it")
        self._address = address
        self._lock = threading.RLock()
        self._keepalive: List[Any] = []
        self._finalizer = weakref.finalize(self, _release, getattr(lib, self._free_function),
                                           address, self._keepalive)

    @classmethod
    def _adopt(cls, create: Callable[..., Any], *args: Any) -> Any:
        """Call create(*args, &out) and wrap the new object."""
        out = c_void_p()
        create(*args, byref(out))
        obj = cls.__new__(cls)
        Handle.__init__(obj, out.value)
        return obj

    @property
    def _as_parameter_(self) -> c_void_p:
        if not self._finalizer.alive:
            raise ValueError(f"{type(self).__name__} is closed")
        return c_void_p(self._address)

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(self, *args) while holding this handle."""
        with using(self):
            return fn(self, *args)

    def _str(self, fn: Callable[..., Any], *args: Any) -> str:
        """The string fn(self, *args, &out) returns, copied and freed."""
        with using(self):
            return take_str(fn, self, *args)

    def _keep(self, obj: Any) -> None:
        """Keep obj (a callback) alive as long as the C object."""
        self._keepalive.append(obj)

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Free the C object now. Closing twice is harmless."""
        with self._lock:
            self._finalizer()

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@contextlib.contextmanager
def options_or_keywords(cls: Any, options: Optional[Handle],
                        keywords: Dict[str, Any]) -> Iterator[Any]:
    """The options object given, or a temporary ``cls(**keywords)`` freed
    afterwards (not both)."""
    if options is not None:
        if keywords:
            raise TypeError(f"give {cls.__name__} or option keywords, not both")
        yield options
        return
    with cls(**keywords) as made:
        yield made


@contextlib.contextmanager
def using(*handles: Optional[Handle]) -> Iterator[None]:
    """Hold the locks of the handles a call uses, in a fixed order so that
    two threads never wait on each other, and refuse closed handles."""
    present = {id(h): h for h in handles if h is not None}
    with contextlib.ExitStack() as stack:
        for _, handle in sorted(present.items()):
            stack.enter_context(handle._lock)
        for handle in present.values():
            if handle.closed:
                raise ValueError(f"{type(handle).__name__} is closed")
        yield


class DescribeStyle(enum.IntEnum):
    """MGW_DESCRIBE_*."""
    TEXT = 1
    JSON = 2


class Described(Handle):
    """A handle whose ``_describe_function`` (mgw_X_describe) tells what it
    holds as text or JSON."""

    _describe_function: str = ""

    def describe(self) -> str:
        """The library's description as text (what the mgwauth tool prints)."""
        return self._str(getattr(lib, self._describe_function), DescribeStyle.TEXT)

    def describe_json(self) -> Dict[str, Any]:
        """The library's description as JSON, parsed into a dict."""
        return json.loads(self._str(getattr(lib, self._describe_function), DescribeStyle.JSON))
