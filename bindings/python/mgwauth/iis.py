"""IIS plans: "Require SSL", "Client certificates: Require" and "Disable TLS
1.3 over TCP" in applicationHost.config, as a desired file that differs from
the current one only where a setting changes, with apply and rollback on a
configuration file (or the machine's, on Windows).

>>> config = IisConfig.from_file("applicationHost.config")  # doctest: +SKIP
>>> plan = IisPlan.compute(IisOptions(disable_tls13=True), config)  # doctest: +SKIP
>>> open("desired.config", "wb").write(plan.desired)  # doctest: +SKIP
"""
from __future__ import annotations

import enum
from ctypes import byref, c_int, c_size_t, c_uint
from typing import Any, Iterable, List, Optional, Union

from . import _ffi
from ._ffi import BUFFER_OUT, BYTES_IN, HANDLE, HANDLE_OUT, POINTER, SIZE_OUT, STATUS, lib
from .files import FileFlag, PathLike, read_file

_ffi.declare({
    "mgw_iis_max_file_size": (c_size_t, []),
    "mgw_iis_live_path": (STATUS, [BUFFER_OUT]),
    "mgw_iisconfig_parse": (STATUS, [BYTES_IN, c_size_t, HANDLE_OUT]),
    "mgw_iisconfig_free": (None, [HANDLE_OUT]),
    "mgw_iisconfig_describe": (STATUS, [HANDLE, c_int, BUFFER_OUT]),
    "mgw_iisopts_new": (HANDLE, []),
    "mgw_iisopts_free": (None, [HANDLE_OUT]),
    "mgw_iisopts_set_site": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_iisopts_add_binding": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_iisopts_set_disable_tls13": (STATUS, [HANDLE, c_int]),
    "mgw_iisopts_set_cert_in_handshake": (STATUS, [HANDLE, c_int]),
    "mgw_iisplan_compute": (STATUS, [HANDLE, HANDLE, HANDLE_OUT]),
    "mgw_iisplan_load": (STATUS, [BYTES_IN, c_size_t, BYTES_IN, c_size_t, BYTES_IN, c_size_t,
                                  HANDLE_OUT]),
    "mgw_iisplan_free": (None, [HANDLE_OUT]),
    "mgw_iisplan_change_count": (c_size_t, [HANDLE]),
    "mgw_iisplan_warning_count": (c_size_t, [HANDLE]),
    "mgw_iisplan_warning": (STATUS, [HANDLE, c_size_t, BUFFER_OUT]),
    "mgw_iisplan_fingerprint": (STATUS, [HANDLE, BUFFER_OUT]),
    "mgw_iisplan_describe": (STATUS, [HANDLE, c_int, BUFFER_OUT]),
    "mgw_iisplan_output": (STATUS, [HANDLE, c_int, BUFFER_OUT, SIZE_OUT]),
    "mgw_iisplan_apply_file": (STATUS, [HANDLE, BYTES_IN, BYTES_IN, c_uint, POINTER(c_int)]),
    "mgw_iisplan_rollback_file": (STATUS, [HANDLE, BYTES_IN, BYTES_IN, c_uint, POINTER(c_int)]),
    "mgw_iisplan_apply_live": (STATUS, [HANDLE, BYTES_IN, c_uint, POINTER(c_int)]),
    "mgw_iisplan_rollback_live": (STATUS, [HANDLE, BYTES_IN, c_uint, POINTER(c_int)]),
})


class IisOutput(enum.IntEnum):
    """MGW_IISPLAN_*: what a plan hands out."""
    DESIRED = 1  # the complete desired applicationHost.config
    BACKUP = 2  # the current file, byte for byte
    APPCMD = 3  # the changes as appcmd lines
    APPCMD_ROLLBACK = 4  # appcmd lines that undo them


def max_file_size() -> int:
    """Largest applicationHost.config the library reads (8 MiB)."""
    return int(lib.mgw_iis_max_file_size())


def live_path() -> str:
    """The machine's applicationHost.config (Windows builds;
    NotAvailableError elsewhere)."""
    return _ffi.take_str(lib.mgw_iis_live_path)


class IisConfig(_ffi.Described):
    """A parsed applicationHost.config. ``describe()`` lists the sites, their
    bindings with decoded sslFlags and the access sslFlags of each site and
    child location; ``describe_json()`` the same as a dict. Malformed XML,
    or XML the reader cannot keep byte for byte, raises IisXmlError naming
    the line and column."""

    _free_function = "mgw_iisconfig_free"
    _describe_function = "mgw_iisconfig_describe"

    @classmethod
    def parse(cls, data: bytes) -> "IisConfig":
        data = bytes(data)
        return cls._adopt(lib.mgw_iisconfig_parse, data, len(data))

    @classmethod
    def from_file(cls, path: PathLike) -> "IisConfig":
        return cls.parse(read_file(path, max_file_size()))


class IisOptions(_ffi.Handle):
    """What the plan wants: the site (default "Default Web Site"), which
    https bindings (default all of the site's), whether they get
    DisableTLS13, and whether the client certificate is negotiated in the
    handshake (no HTTP 413 warning then)."""

    _free_function = "mgw_iisopts_free"

    def __init__(self, *, site: Optional[str] = None, bindings: Iterable[str] = (),
                 disable_tls13: bool = False, cert_in_handshake: bool = False) -> None:
        super().__init__(lib.mgw_iisopts_new())
        if site is not None:
            self._call(lib.mgw_iisopts_set_site, _ffi.text_arg(site))
        for binding in bindings:
            self._call(lib.mgw_iisopts_add_binding, _ffi.text_arg(binding))
        self._call(lib.mgw_iisopts_set_disable_tls13, int(bool(disable_tls13)))
        self._call(lib.mgw_iisopts_set_cert_in_handshake, int(bool(cert_in_handshake)))


class IisPlan(_ffi.Described):
    """The settings compared, the desired file and the current one.
    ``describe()`` is the table; :meth:`to_json` the plan.json text that
    :meth:`load` reads back with the two files."""

    _free_function = "mgw_iisplan_free"
    _describe_function = "mgw_iisplan_describe"

    @classmethod
    def compute(cls, options: IisOptions, current: IisConfig) -> "IisPlan":
        """A site or https binding that does not exist raises IisNotFoundError
        naming those that do."""
        with _ffi.using(options, current):
            return cls._adopt(lib.mgw_iisplan_compute, options, current)

    @classmethod
    def load(cls, plan_json: Union[str, bytes], desired: bytes, backup: bytes) -> "IisPlan":
        """Read plan.json with its applicationHost.config and backup.config;
        IisPlanError when anything does not match the fingerprint."""
        data = plan_json.encode("utf-8") if isinstance(plan_json, str) else bytes(plan_json)
        desired, backup = bytes(desired), bytes(backup)
        return cls._adopt(lib.mgw_iisplan_load, data, len(data), desired, len(desired), backup,
                          len(backup))

    @property
    def change_count(self) -> int:
        return int(self._call(lib.mgw_iisplan_change_count))

    @property
    def warnings(self) -> List[str]:
        with _ffi.using(self):
            return [_ffi.take_str(lib.mgw_iisplan_warning, self, i)
                    for i in range(lib.mgw_iisplan_warning_count(self))]

    @property
    def fingerprint(self) -> str:
        return self._str(lib.mgw_iisplan_fingerprint)

    def output(self, which: Union[str, int, IisOutput]) -> bytes:
        with _ffi.using(self):
            return _ffi.take_bytes(lib.mgw_iisplan_output, self, _ffi.enum_arg(IisOutput, which))

    @property
    def desired(self) -> bytes:
        return self.output(IisOutput.DESIRED)

    @property
    def backup(self) -> bytes:
        return self.output(IisOutput.BACKUP)

    @property
    def appcmd(self) -> bytes:
        return self.output(IisOutput.APPCMD)

    @property
    def appcmd_rollback(self) -> bytes:
        return self.output(IisOutput.APPCMD_ROLLBACK)

    def to_json(self) -> str:
        return self._str(lib.mgw_iisplan_describe, _ffi.DescribeStyle.JSON)

    def _run(self, fn: Any, *paths: PathLike, force: bool) -> int:
        changed = c_int()
        self._call(fn, *[_ffi.path_arg(p) for p in paths], FileFlag.FORCE if force else 0,
                   byref(changed))
        return changed.value

    def apply_file(self, config: PathLike, backup_path: PathLike, *, force: bool = False) -> int:
        """Replace ``config`` by the desired file: 0 when it is that already;
        IisDriftError when it is not the file the plan was made from. The
        current file goes to ``backup_path`` first; a failed write or
        read-back restores it. Returns the number of settings changed."""
        return self._run(lib.mgw_iisplan_apply_file, config, backup_path, force=force)

    def rollback_file(self, config: PathLike, backup_path: PathLike, *,
                      force: bool = False) -> int:
        """The reverse of :meth:`apply_file`."""
        return self._run(lib.mgw_iisplan_rollback_file, config, backup_path, force=force)

    def apply_live(self, backup_path: PathLike, *, force: bool = False) -> int:
        return self._run(lib.mgw_iisplan_apply_live, backup_path, force=force)

    def rollback_live(self, backup_path: PathLike, *, force: bool = False) -> int:
        return self._run(lib.mgw_iisplan_rollback_live, backup_path, force=force)

    def __repr__(self) -> str:
        if self.closed:
            return "<IisPlan closed>"
        return f"<IisPlan {self.change_count} changes {self.fingerprint}>"
