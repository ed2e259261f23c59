"""Atomic file writes, whole-file reads, password files, generated
passwords and file sets."""
from __future__ import annotations

import enum
import os
from ctypes import c_int, c_size_t, c_uint
from typing import Union

from . import _ffi
from ._ffi import BUFFER_OUT, BYTES_IN, HANDLE, HANDLE_OUT, SIZE_OUT, STATUS, lib

_ffi.declare({
    "mgw_file_write": (STATUS, [BYTES_IN, BYTES_IN, c_size_t, c_uint]),
    "mgw_file_sync_dir": (STATUS, [BYTES_IN]),
    "mgw_file_read": (STATUS, [BYTES_IN, c_size_t, BUFFER_OUT, SIZE_OUT]),
    "mgw_password_file_read": (STATUS, [BYTES_IN, BUFFER_OUT, SIZE_OUT]),
    "mgw_text_file_read": (STATUS, [BYTES_IN, c_size_t, BUFFER_OUT, SIZE_OUT]),
    "mgw_password_generate": (STATUS, [c_size_t, BUFFER_OUT]),
    "mgw_digest_hex": (STATUS, [c_int, BYTES_IN, c_size_t, BUFFER_OUT]),
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
    NO_DIR_SYNC = 0x4  # FileSet.add only: the caller syncs the directory once (file_sync_dir)


def _flags(force: bool, private: bool, dir_sync: bool = True) -> int:
    return ((FileFlag.FORCE if force else 0) | (FileFlag.PRIVATE if private else 0)
            | (0 if dir_sync else FileFlag.NO_DIR_SYNC))


def write_file(path: PathLike, data: bytes, *, force: bool = False, private: bool = False) -> None:
    """Write atomically (temporary file, flush to disk, rename, directory
    sync). Without ``force`` an existing file raises ExistsError; ``private``
    creates it with mode 0600."""
    data = bytes(data)
    lib.mgw_file_write(_ffi.path_arg(path), data, len(data), _flags(force, private))


def file_sync_dir(path: PathLike) -> None:
    """Flush a directory to disk, once after many files were committed with
    ``FileSet.add(..., dir_sync=False)``."""
    lib.mgw_file_sync_dir(_ffi.path_arg(path))


def read_file(path: PathLike, max_len: int = DEFAULT_MAX_LEN) -> bytes:
    """A whole file of at most ``max_len`` bytes (TooLargeError beyond)."""
    return _ffi.take_bytes(lib.mgw_file_read, _ffi.path_arg(path), max_len)


def read_text_file(path: PathLike, max_len: int = DEFAULT_MAX_LEN) -> str:
    """A text file as str: UTF-8 with or without BOM, or UTF-16 with BOM. Any
    other encoding raises Utf8Error naming it and how to save the file."""
    return _ffi.take_bytes(lib.mgw_text_file_read, _ffi.path_arg(path), max_len).decode("utf-8")


def read_password_file(path: PathLike) -> str:
    """The first line of a password file without its line ending (UTF-8, or
    UTF-16 with BOM; at most 1024 bytes; an empty file is the empty password)."""
    return _ffi.take_bytes(lib.mgw_password_file_read, _ffi.path_arg(path)).decode("utf-8")


def password_generate(length: int = 20) -> str:
    """A random password of ``length`` characters (16 to 256) from the OS
    entropy source, drawn without bias from the letters and digits that
    cannot be mistaken for one another (no 0/O, 1/l/I)."""
    return _ffi.take_str(lib.mgw_password_generate, length)


def digest_hex(data: bytes, digest: int = 2) -> str:
    """The SHA-256 (digest 2, Digest.SHA256) or SHA-1 (1) of ``data`` as
    lower-case hex, as sha256sum prints it (since 1.1)."""
    data = bytes(data)
    return _ffi.take_str(lib.mgw_digest_hex, int(digest), data, len(data))


class FileSet(_ffi.Handle):
    """Files written all together or not at all. Each :meth:`add` stages a
    temporary file; :meth:`commit` renames them all into place. Closing an
    uncommitted set (or leaving its with block) removes the staged files."""

    _free_function = "mgw_fileset_free"

    def __init__(self) -> None:
        super().__init__(lib.mgw_fileset_new())

    def add(self, path: PathLike, data: bytes, *, force: bool = False, private: bool = False,
            dir_sync: bool = True) -> None:
        """Stage one file; ExistsError if it exists without ``force`` or was
        staged already. ``dir_sync=False`` leaves syncing the file's
        directory at commit to one :func:`file_sync_dir` call after many
        files (bulk writers); the file's data is synced all the same."""
        data = bytes(data)
        self._call(lib.mgw_fileset_add, _ffi.path_arg(path), data, len(data),
                   _flags(force, private, dir_sync))

    def commit(self) -> None:
        """Rename every staged file into place; on failure the ones already
        renamed are removed again (unless they replaced a file)."""
        self._call(lib.mgw_fileset_commit)
