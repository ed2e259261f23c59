"""Registry plans: the gateway's SCHANNEL, HTTP.sys and root auto-update
settings as desired state, compared with a registry state read from .reg
files, and applied to (or rolled back from) a .reg file standing for the
machine's registry.

>>> state = RegistryState.from_files("schannel.reg", "http.reg")  # doctest: +SKIP
>>> options = RegistryOptions(negotiate_client_cert=True)
>>> plan = RegistryPlan.compute(options, state)  # doctest: +SKIP
>>> open("security.reg", "wb").write(plan.security_reg)  # doctest: +SKIP
"""
from __future__ import annotations

import enum
from ctypes import byref, c_int, c_size_t, c_uint
from typing import Any, List, Optional, Union

from . import _ffi
from ._ffi import BUFFER_OUT, BYTES_IN, HANDLE, HANDLE_OUT, POINTER, SIZE_OUT, STATUS, lib
from .certs import Certificate
from .files import FileFlag, PathLike, read_file

_ffi.declare({
    "mgw_reg_max_file_size": (c_size_t, []),
    "mgw_regstate_new": (HANDLE, []),
    "mgw_regstate_free": (None, [HANDLE_OUT]),
    "mgw_regstate_import": (STATUS, [HANDLE, BYTES_IN, c_size_t]),
    "mgw_regstate_export": (STATUS, [HANDLE, BUFFER_OUT, SIZE_OUT]),
    "mgw_regopts_new": (HANDLE, []),
    "mgw_regopts_free": (None, [HANDLE_OUT]),
    "mgw_regopts_set_trust_mode": (STATUS, [HANDLE, c_int]),
    "mgw_regopts_set_binding": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_regopts_set_sni_binding": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_regopts_set_ccs_binding": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_regopts_set_revocation_check": (STATUS, [HANDLE, c_int]),
    "mgw_regopts_set_disable_tls13": (STATUS, [HANDLE, c_int]),
    "mgw_regopts_set_negotiate_client_cert": (STATUS, [HANDLE, c_int]),
    "mgw_regopts_set_issuer_store": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_regopts_set_root_autoupdate": (STATUS, [HANDLE, c_int, c_int]),
    "mgw_regopts_set_client_cert": (STATUS, [HANDLE, HANDLE]),
    "mgw_regplan_compute": (STATUS, [HANDLE, HANDLE, HANDLE_OUT]),
    "mgw_regplan_load": (STATUS, [BYTES_IN, c_size_t, HANDLE_OUT]),
    "mgw_regplan_free": (None, [HANDLE_OUT]),
    "mgw_regplan_change_count": (c_size_t, [HANDLE]),
    "mgw_regplan_warning_count": (c_size_t, [HANDLE]),
    "mgw_regplan_warning": (STATUS, [HANDLE, c_size_t, BUFFER_OUT]),
    "mgw_regplan_fingerprint": (STATUS, [HANDLE, BUFFER_OUT]),
    "mgw_regplan_reg_file": (STATUS, [HANDLE, c_int, BUFFER_OUT, SIZE_OUT]),
    "mgw_regplan_describe": (STATUS, [HANDLE, c_int, BUFFER_OUT]),
    "mgw_regplan_apply_file": (STATUS, [HANDLE, BYTES_IN, BYTES_IN, c_uint, POINTER(c_int)]),
    "mgw_regplan_rollback_file": (STATUS, [HANDLE, BYTES_IN, BYTES_IN, c_uint, POINTER(c_int)]),
    "mgw_regstate_read_live": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_regplan_apply_live": (STATUS, [HANDLE, BYTES_IN, c_uint, POINTER(c_int)]),
    "mgw_regplan_rollback_live": (STATUS, [HANDLE, BYTES_IN, c_uint, POINTER(c_int)]),
})


class RegFile(enum.IntEnum):
    """MGW_REGPLAN_*: the .reg files of a plan."""
    SECURITY = 1  # the changes only
    ROLLBACK = 2  # restores changed values, deletes created ones and keys
    BACKUP = 3  # export of every key the plan touches, with subkeys


class TrustMode(enum.IntEnum):
    """SCHANNEL ClientAuthTrustMode."""
    MACHINE = 0
    EXCLUSIVE_ROOT = 1
    EXCLUSIVE_CA = 2


def max_file_size() -> int:
    """Largest .reg file the library reads (16 MiB)."""
    return int(lib.mgw_reg_max_file_size())


class RegistryState(_ffi.Handle):
    """A registry state: keys and values imported from .reg files (what
    regedit and ``reg export`` write). ``RegistryState()`` is empty."""

    _free_function = "mgw_regstate_free"

    def __init__(self) -> None:
        super().__init__(lib.mgw_regstate_new())

    @classmethod
    def from_files(cls, *paths: PathLike) -> "RegistryState":
        """A state made by importing each .reg file in turn."""
        state = cls()
        for path in paths:
            state.import_reg(read_file(path, max_file_size()))
        return state

    def import_reg(self, reg: bytes) -> None:
        """Import a .reg file's bytes as ``regedit /s`` would: keys created,
        values set, ``[-KEY]`` and ``"name"=-`` delete. UTF-16LE with BOM,
        UTF-8 or REGEDIT4; CRLF or LF. A line it cannot read raises
        (RegistrySyntaxError, InputError or TooLargeError naming the line)
        and leaves the state as it was."""
        reg = bytes(reg)
        self._call(lib.mgw_regstate_import, reg, len(reg))

    def read_live(self, key: Optional[str] = None) -> None:
        """Import a key of the machine's registry with its subkeys (Windows
        builds; NotAvailableError elsewhere). None reads the keys the
        gateway planner looks at."""
        self._call(lib.mgw_regstate_read_live, _ffi.text_arg(key))

    def export(self) -> bytes:
        """The whole state as regedit exports it (UTF-16LE with BOM, CRLF)."""
        with _ffi.using(self):
            return _ffi.take_bytes(lib.mgw_regstate_export, self)


class RegistryOptions(_ffi.Handle):
    """The desired state. Library defaults are the procedure's:
    ClientAuthTrustMode 2, SendTrustedIssuerList 0, DefaultSslCertCheckMode 0
    on the IP binding 0.0.0.0:443; DefaultFlags and the root auto-update
    policy untouched. Keywords left at None keep the library's default."""

    _free_function = "mgw_regopts_free"

    def __init__(self, *, trust_mode: Union[int, TrustMode, None] = None,
                 binding: Optional[str] = None, sni_binding: Optional[str] = None,
                 ccs_binding: Optional[str] = None, revocation_check: Optional[bool] = None, disable_tls13: Optional[bool] = None,
                 negotiate_client_cert: Optional[bool] = None,
                 issuer_store: Optional[str] = None,
                 disable_root_autoupdate: bool = False, keep_disallowed_updates: bool = False,
                 client_cert: Optional[Certificate] = None) -> None:
        super().__init__(lib.mgw_regopts_new())
        if trust_mode is not None:
            self.set_trust_mode(trust_mode)
        if binding is not None:
            self.set_binding(binding)
        if sni_binding is not None:
            self.set_sni_binding(sni_binding)
        if ccs_binding is not None:
            self.set_ccs_binding(ccs_binding)
        if revocation_check is not None:
            self.set_revocation_check(revocation_check)
        if disable_tls13 is not None:
            self.set_disable_tls13(disable_tls13)
        if negotiate_client_cert is not None:
            self.set_negotiate_client_cert(negotiate_client_cert)
        if issuer_store is not None:
            self.set_issuer_store(issuer_store)
        if disable_root_autoupdate or keep_disallowed_updates:
            self.set_root_autoupdate(disable_root_autoupdate, keep_disallowed_updates)
        if client_cert is not None:
            self.set_client_cert(client_cert)

    def set_trust_mode(self, mode: Union[int, TrustMode]) -> None:
        """ClientAuthTrustMode: 0 machine trust, 1 exclusive root trust, 2
        exclusive CA trust."""
        self._call(lib.mgw_regopts_set_trust_mode, int(mode))

    def set_binding(self, ip_port: str) -> None:
        """The IP binding "IP:PORT" ("0.0.0.0:443", "[::]:443") under
        HTTP\\Parameters\\SslBindingInfo."""
        self._call(lib.mgw_regopts_set_binding, _ffi.text_arg(ip_port))

    def set_sni_binding(self, host_port: str) -> None:
        """An SNI binding "HOST:PORT" instead, found under SslSniBindingInfo
        by its HostnamePort value (or, without one, its key name)."""
        self._call(lib.mgw_regopts_set_sni_binding, _ffi.text_arg(host_port))

    def set_ccs_binding(self, port: str) -> None:
        """A Central Certificate Store binding for a port ("443") instead,
        found under SslCcsBindingInfo by the port of its key name."""
        self._call(lib.mgw_regopts_set_ccs_binding, _ffi.text_arg(str(port)))

    def set_revocation_check(self, on: bool = True) -> None:
        """True (default): clear DefaultSslCertCheckMode bit 0x1, client
        certificate revocation is checked; False: set it, no revocation
        check. The other bits of the value are kept."""
        self._call(lib.mgw_regopts_set_revocation_check, int(bool(on)))

    def set_disable_tls13(self, on: bool = True) -> None:
        """Set DefaultFlags bit 0x40 (DISABLE_TLS13); other bits are kept."""
        self._call(lib.mgw_regopts_set_disable_tls13, int(bool(on)))

    def set_negotiate_client_cert(self, on: bool = True) -> None:
        """Set DefaultFlags bit 0x2 (NEGOTIATE_CLIENT_CERT); other bits are
        kept."""
        self._call(lib.mgw_regopts_set_negotiate_client_cert, int(bool(on)))

    def set_issuer_store(self, store: Optional[str]) -> None:
        """The binding's trusted issuer store DefaultSslCtlStoreName (e.g.
        "ClientAuthIssuer"); None leaves it untouched."""
        self._call(lib.mgw_regopts_set_issuer_store, _ffi.text_arg(store))

    def set_root_autoupdate(self, disable: bool, keep_disallowed_updates: bool = False) -> None:
        """``disable``: policy DisableRootAutoUpdate = 1;
        ``keep_disallowed_updates`` (needs ``disable``):
        EnableDisallowedCertAutoUpdate = 1 as well."""
        self._call(lib.mgw_regopts_set_root_autoupdate, int(bool(disable)),
                   int(bool(keep_disallowed_updates)))

    def set_client_cert(self, cert: Certificate) -> None:
        """The client certificate the gateway will see, for the warnings
        that depend on it (a self-signed one has no revocation source)."""
        with _ffi.using(self, cert):
            lib.mgw_regopts_set_client_cert(self, cert)


class RegistryPlan(_ffi.Described):
    """The changes from a registry state to the desired state, with their
    .reg files. ``describe()`` is the table (value, current, desired,
    action, meaning, then warnings); ``describe_json()`` the plan file as a
    dict and :meth:`to_json` its text, which :meth:`load` reads back."""

    _free_function = "mgw_regplan_free"
    _describe_function = "mgw_regplan_describe"

    @classmethod
    def compute(cls, options: RegistryOptions, current: RegistryState) -> "RegistryPlan":
        """Compare ``current`` with the desired state. A binding missing from
        ``current`` raises NoBindingError (the planner never creates one)."""
        with _ffi.using(options, current):
            return cls._adopt(lib.mgw_regplan_compute, options, current)

    @classmethod
    def load(cls, plan_json: Union[str, bytes]) -> "RegistryPlan":
        """Read a plan file written from :meth:`to_json`. RegistryPlanError
        when it is malformed or its fingerprint does not match what it reads
        and writes. A loaded plan has no backup .reg."""
        data = plan_json.encode("utf-8") if isinstance(plan_json, str) else bytes(plan_json)
        return cls._adopt(lib.mgw_regplan_load, data, len(data))

    @property
    def change_count(self) -> int:
        """Number of values the plan writes (0: the state is compliant)."""
        return int(self._call(lib.mgw_regplan_change_count))

    @property
    def warnings(self) -> List[str]:
        """The plan's warnings, one line each."""
        with _ffi.using(self):
            return [_ffi.take_str(lib.mgw_regplan_warning, self, i)
                    for i in range(lib.mgw_regplan_warning_count(self))]

    @property
    def fingerprint(self) -> str:
        """"sha256:" and 64 hex digits over everything that drives apply and
        rollback (before and after of each value, actions, binding)."""
        return self._str(lib.mgw_regplan_fingerprint)

    def reg_file(self, which: Union[str, int, RegFile]) -> bytes:
        """One of the plan's .reg files ("security", "rollback", "backup"),
        byte for byte as regedit writes it. NotAvailableError for the backup
        of a loaded plan."""
        with _ffi.using(self):
            return _ffi.take_bytes(lib.mgw_regplan_reg_file, self, _ffi.enum_arg(RegFile, which))

    @property
    def security_reg(self) -> bytes:
        """security.reg: the changes only."""
        return self.reg_file(RegFile.SECURITY)

    @property
    def rollback_reg(self) -> bytes:
        """rollback.reg: undoes exactly the changes."""
        return self.reg_file(RegFile.ROLLBACK)

    @property
    def backup_reg(self) -> bytes:
        """backup.reg: every key the plan touches, exported before."""
        return self.reg_file(RegFile.BACKUP)

    def to_json(self) -> str:
        """The plan file (plan.json) as text, for :meth:`load`."""
        return self._str(lib.mgw_regplan_describe, _ffi.DescribeStyle.JSON)

    def _run(self, fn: Any, registry_file: PathLike, backup_path: PathLike, force: bool) -> int:
        changed = c_int()
        self._call(fn, _ffi.path_arg(registry_file), _ffi.path_arg(backup_path),
                   FileFlag.FORCE if force else 0, byref(changed))
        return changed.value

    def apply_file(self, registry_file: PathLike, backup_path: PathLike, *,
                   force: bool = False) -> int:
        """Apply the plan to a .reg file standing for the machine's registry
        and return the number of values written (0 when everything is as
        the plan wants already). A registry that differs from the plan's
        before-state raises DriftError and is left alone. Before writing,
        an export of the touched keys goes to ``backup_path`` (``force``
        replaces an existing one, else ExistsError); a failed write or
        read-back restores the before-state."""
        return self._run(lib.mgw_regplan_apply_file, registry_file, backup_path, force)

    def rollback_file(self, registry_file: PathLike, backup_path: PathLike, *,
                      force: bool = False) -> int:
        """The reverse of :meth:`apply_file`: bring a registry file the plan
        was applied to back to the plan's before-state, with the same
        checks, backup and restore. Returns the number of values written."""
        return self._run(lib.mgw_regplan_rollback_file, registry_file, backup_path, force)

    def _run_live(self, fn: Any, backup_path: PathLike, force: bool) -> int:
        changed = c_int()
        self._call(fn, _ffi.path_arg(backup_path), FileFlag.FORCE if force else 0,
                   byref(changed))
        return changed.value

    def apply_live(self, backup_path: PathLike, *, force: bool = False) -> int:
        """:meth:`apply_file` on the machine's registry (Windows builds;
        NotAvailableError elsewhere)."""
        return self._run_live(lib.mgw_regplan_apply_live, backup_path, force)

    def rollback_live(self, backup_path: PathLike, *, force: bool = False) -> int:
        """:meth:`rollback_file` on the machine's registry (Windows builds)."""
        return self._run_live(lib.mgw_regplan_rollback_live, backup_path, force)

    def __repr__(self) -> str:
        if self.closed:
            return "<RegistryPlan closed>"
        return f"<RegistryPlan {self.change_count} changes {self.fingerprint}>"
