"""Atomic file writes, whole-file reads, password files and file sets."""
from __future__ import annotations

import enum
import os
from ctypes import c_size_t, c_uint
from typing import Union

from . import _ffi
from ._ffi import BUFFER_OUT, BYTES_IN, HANDLE, HANDLE_OUT, SIZE_OUT, STATUS, lib

_ffi.declare({
    "mgw_file_write": (STATUS, [BYTES_IN, BYTES_IN, c_size_t, c_uint]),
    "mgw_file_read": (STATUS, [BYTES_IN, c_size_t, BUFFER_OUT, SIZE_OUT]),
    "mgw_password_file_read": (STATUS, [BYTES_IN, BUFFER_OUT, SIZE_OUT]),
    "mgw_fileset_new": (HANDLE, []),
    "mgw_fileset_free": (None, [HANDLE_OUT]),
    "mgw_fileset_add": (STATUS, [HANDLE, BYTES_IN, BYTES_IN, c_size_t, c_uint]),
    "mgw_fileset_commit": (STATUS, [HANDLE]),
})

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
DEFAULT_MAX_LEN = 64 << 20


class FileFlag(enum.IntFlag):
    """MGW_FILE_*."""
    FORCE = 0x1  # replace an existing file
    PRIVATE = 0x2  # create with mode 0600


def _flags(force: bool, private: bool) -> int:
    return (FileFlag.FORCE if force else 0) | (FileFlag.PRIVATE if private else 0)


def write_file(path: PathLike, data: bytes, *, force: bool = False, private: bool = False) -> None:
    """Write atomically (temporary file, flush to disk, rename, directory
    sync). Without ``force`` an existing file raises ExistsError; ``private``
    creates it with mode 0600."""
    data = bytes(data)
    lib.mgw_file_write(_ffi.path_arg(path), data, len(data), _flags(force, private))


def read_file(path: PathLike, max_len: int = DEFAULT_MAX_LEN) -> bytes:
    """A whole file of at most ``max_len`` bytes (TooLargeError beyond)."""
    return _ffi.take_bytes(lib.mgw_file_read, _ffi.path_arg(path), max_len)


def read_password_file(path: PathLike) -> str:
    """The first line of a password file without its line ending (UTF-8, at
    most 1024 bytes; an empty file is the empty password)."""
    return _ffi.take_bytes(lib.mgw_password_file_read, _ffi.path_arg(path)).decode("utf-8")


class FileSet(_ffi.Handle):
    """Files written all together or not at all. Each :meth:`add` stages a
    temporary file; :meth:`commit` renames them all into place. Closing an
    uncommitted set (or leaving its with block) removes the staged files."""

    _free_function = "mgw_fileset_free"

    def __init__(self) -> None:
        super().__init__(lib.mgw_fileset_new())

    def add(self, path: PathLike, data: bytes, *, force: bool = False,
            private: bool = False) -> None:
        """Stage one file; ExistsError if it exists without ``force`` or was
        staged already."""
        data = bytes(data)
        with _ffi.using(self):
            lib.mgw_fileset_add(self, _ffi.path_arg(path), data, len(data), _flags(force, private))

    def commit(self) -> None:
        """Rename every staged file into place; on failure the ones already
        renamed are removed again (unless they replaced a file)."""
        with _ffi.using(self):
            lib.mgw_fileset_commit(self)
