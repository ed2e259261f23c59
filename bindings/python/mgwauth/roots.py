"""Trusted roots: thumbprints, certificate stores, keep-lists, prune plans,
verified backups and restore, and the Task Scheduler XML of the periodic
re-prune.

>>> store = Store.open_dir("/etc/mgw/roots")  # doctest: +SKIP
>>> plan = RootPlan.compute(store, RootOptions(keep=["\u200e3b 1e fc ..."]))  # doctest: +SKIP
>>> store.prune(plan, "roots-backup.pem.gz", on_event=print)  # doctest: +SKIP
"""
from __future__ import annotations

import datetime
import enum
import ctypes
from ctypes import byref, c_char_p, c_int, c_size_t, c_uint, c_uint32, c_void_p
from typing import Any, Callable, Iterable, List, NamedTuple, Optional, Union

from . import _ffi
from ._ffi import BUFFER_OUT, BYTES_IN, HANDLE, HANDLE_OUT, POINTER, SIZE_OUT, STATUS, lib
from .files import FileFlag, PathLike

ROOTS_EVENT_CB = _ffi.callback_type("mgw_roots_event_cb", None, c_void_p, c_int, c_char_p,
                                    c_char_p, c_char_p, c_char_p)

_ffi.declare({
    "mgw_thumbprint_normalize": (STATUS, [BYTES_IN, BUFFER_OUT]),
    "mgw_roots_protected_count": (c_size_t, []),
    "mgw_roots_protected": (STATUS, [c_size_t, BUFFER_OUT, BUFFER_OUT]),
    "mgw_store_open_dir": (STATUS, [BYTES_IN, HANDLE_OUT]),
    "mgw_store_open_system": (STATUS, [BYTES_IN, HANDLE_OUT]),
    "mgw_store_cert_der": (STATUS, [HANDLE, c_size_t, BUFFER_OUT, SIZE_OUT]),
    "mgw_store_cert_has_key": (c_int, [HANDLE, c_size_t]),
    "mgw_store_add_cert": (STATUS, [HANDLE, BYTES_IN, c_size_t, POINTER(c_int), BUFFER_OUT]),
    "mgw_store_remove_cert": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_store_import_pfx": (STATUS, [HANDLE, BYTES_IN, c_size_t, BYTES_IN, c_size_t, c_uint,
                                      BUFFER_OUT]),
    "mgw_store_free": (None, [HANDLE_OUT]),
    "mgw_store_cert_count": (c_size_t, [HANDLE]),
    "mgw_store_cert": (STATUS, [HANDLE, c_size_t, BUFFER_OUT, BUFFER_OUT, BUFFER_OUT]),
    "mgw_store_cert_physical": (STATUS, [HANDLE, c_size_t, BUFFER_OUT]),
    "mgw_store_other_count": (c_size_t, [HANDLE]),
    "mgw_store_other": (STATUS, [HANDLE, c_size_t, BUFFER_OUT, BUFFER_OUT]),
    "mgw_rootopts_new": (HANDLE, []),
    "mgw_rootopts_free": (None, [HANDLE_OUT]),
    "mgw_rootopts_add_keep": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_rootopts_add_keep_file": (STATUS, [HANDLE, BYTES_IN, c_size_t, BYTES_IN]),
    "mgw_rootopts_keep_count": (c_size_t, [HANDLE]),
    "mgw_rootopts_allow_protected": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_rootopts_set_remove_protected": (STATUS, [HANDLE, c_int]),
    "mgw_rootopts_set_allow_missing": (STATUS, [HANDLE, c_int]),
    "mgw_rootplan_compute": (STATUS, [HANDLE, HANDLE, HANDLE_OUT]),
    "mgw_rootplan_free": (None, [HANDLE_OUT]),
    "mgw_rootplan_count": (c_size_t, [HANDLE, c_int]),
    "mgw_rootplan_entry": (STATUS, [HANDLE, c_size_t, POINTER(c_int), BUFFER_OUT, BUFFER_OUT]),
    "mgw_rootplan_entry_physical": (STATUS, [HANDLE, c_size_t, BUFFER_OUT]),
    "mgw_rootplan_missing_count": (c_size_t, [HANDLE]),
    "mgw_rootplan_missing": (STATUS, [HANDLE, c_size_t, BUFFER_OUT]),
    "mgw_rootplan_describe": (STATUS, [HANDLE, c_int, BUFFER_OUT]),
    "mgw_roots_prune": (STATUS, [HANDLE, HANDLE, BYTES_IN, c_uint, ROOTS_EVENT_CB, c_void_p]),
    "mgw_roots_restore": (STATUS, [HANDLE, BYTES_IN, _ffi.STRINGS_IN, c_size_t, ROOTS_EVENT_CB,
                                   c_void_p]),
    "mgw_taskopts_new": (HANDLE, []),
    "mgw_taskopts_free": (None, [HANDLE_OUT]),
    "mgw_taskopts_set_interval": (STATUS, [HANDLE, c_uint32]),
    "mgw_taskopts_set_time_limit": (STATUS, [HANDLE, c_uint32]),
    "mgw_taskopts_set_start": (STATUS, [HANDLE, BYTES_IN]),
    "mgw_taskopts_set_command": (STATUS, [HANDLE, BYTES_IN, BYTES_IN]),
    "mgw_taskopts_set_prune_command": (STATUS, [HANDLE, BYTES_IN, BYTES_IN, BYTES_IN, BYTES_IN]),
    "mgw_task_xml": (STATUS, [HANDLE, BUFFER_OUT, SIZE_OUT]),
    "mgw_task_install": (STATUS, [BYTES_IN, BYTES_IN, c_size_t, c_uint]),
    "mgw_task_remove": (STATUS, [BYTES_IN]),
    "mgw_task_show": (STATUS, [BYTES_IN, BUFFER_OUT]),
})


class RootAction(enum.IntEnum):
    """MGW_ROOT_*: what a plan does with a certificate."""
    KEEP = 1  # on the keep-list
    PROTECTED = 2  # a protected root, kept
    REMOVE = 3  # to be removed
    POLICY = 4  # put there by Group Policy or the enterprise store: kept (since 1.1)


class RootsEventType(enum.IntEnum):
    """MGW_ROOTS_*: what prune and restore report per certificate."""
    REMOVED = 1
    NOT_REMOVED = 2  # prune stopped before removing it
    ADDED = 3
    NOT_ADDED = 4  # restore stopped before adding it
    PRESENT = 5  # restore found it in the store already
    FAILED = 6  # the operation on it failed; the run stops


class StoreImportFlag(enum.IntFlag):
    PFX_EXPORTABLE = 0x1  # the imported private key may be exported again


class ProtectedRoot(NamedTuple):
    thumbprint: str  # SHA-1, upper-case hex
    name: str


class StoreCertificate(NamedTuple):
    thumbprint: str  # SHA-1, upper-case hex
    subject: str  # RFC 4514
    origin: str  # the file name in a directory store


class StoreOther(NamedTuple):
    name: str
    reason: str  # why the store leaves it alone


class RootPlanEntry(NamedTuple):
    action: RootAction
    thumbprint: str
    subject: str


class RootsEvent(NamedTuple):
    type: RootsEventType
    thumbprint: str
    subject: str
    origin: str
    detail: Optional[str]  # why, for FAILED only


OnEvent = Optional[Callable[[RootsEvent], Any]]
Span = Union[int, datetime.timedelta]


def normalize_thumbprint(text: str) -> str:
    """A thumbprint as people paste it (separators, whitespace, the
    invisible U+200E of the Windows dialog, either case) as 40 or 64
    upper-case hex digits. ThumbprintError names the position of a fault."""
    return _ffi.take_str(lib.mgw_thumbprint_normalize, _ffi.text_arg(text))


def protected_roots() -> List[ProtectedRoot]:
    """The roots Windows itself needs (KB 293781), which plans keep unless
    told otherwise."""
    return [ProtectedRoot(*_ffi.take_strs(2, lib.mgw_roots_protected, i))
            for i in range(lib.mgw_roots_protected_count())]


class _EventRelay:
    """An mgw_roots_event_cb calling ``on_event(RootsEvent)``. The C side
    cannot be stopped from the callback: an exception it raises is kept and
    raised once the library call has returned."""

    def __init__(self, on_event: OnEvent) -> None:
        self.on_event = on_event
        self.error: Optional[BaseException] = None
        self.cb = ROOTS_EVENT_CB(self._relay) if on_event is not None else ROOTS_EVENT_CB()

    def _relay(self, _ctx: Any, event: int, thumbprint: Optional[bytes],
               subject: Optional[bytes], origin: Optional[bytes], detail: Optional[bytes]) -> None:
        if self.error is not None:
            return
        try:
            self.on_event(RootsEvent(RootsEventType(event), _text(thumbprint), _text(subject),
                                     _text(origin), None if detail is None else _text(detail)))
        except BaseException as e:  # noqa: BLE001 - it cannot cross the C boundary
            self.error = e

    def raise_pending(self) -> None:
        if self.error is not None:
            raise self.error


def _text(value: Optional[bytes]) -> str:
    return "" if value is None else value.decode("utf-8", "replace")


class Store(_ffi.Handle):
    """A certificate store, listed when opened. Prune and restore change the
    store and its listing."""

    _free_function = "mgw_store_free"

    @classmethod
    def open_dir(cls, path: PathLike) -> "Store":
        """A directory store: one certificate per *.cer, *.crt, *.pem or
        *.der file, DER or PEM; anything else is listed in :attr:`others`
        and never touched. Added certificates are written as <SHA1>.cer.
        NotFoundError when the directory does not exist."""
        return cls._adopt(lib.mgw_store_open_dir, _ffi.path_arg(path))

    @property
    def certificates(self) -> List[StoreCertificate]:
        """The certificates, ordered by origin."""
        with _ffi.using(self):
            return [StoreCertificate(*_ffi.take_strs(3, lib.mgw_store_cert, self, i))
                    for i in range(lib.mgw_store_cert_count(self))]

    @classmethod
    def open_system(cls, location_name: str) -> "Store":
        """A Windows system store, "LocalMachine\\Root" and the like
        (LocalMachine or CurrentUser; Root, CA, My, ClientAuthIssuer,
        TrustedPeople). StoreNameError for other names; NotAvailableError
        where the library was not built for Windows."""
        return cls._adopt(lib.mgw_store_open_system, _ffi.text_arg(location_name))

    def certificate_der(self, index: int) -> bytes:
        """The DER of the ``index``-th certificate of :attr:`certificates`."""
        with _ffi.using(self):
            return _ffi.take_bytes(lib.mgw_store_cert_der, self, index)

    def has_key(self, index: int) -> bool:
        """Whether a usable private key belongs to the ``index``-th
        certificate (Windows stores)."""
        with _ffi.using(self):
            return bool(lib.mgw_store_cert_has_key(self, index))

    def physical_stores(self, index: int) -> List[str]:
        """The physical stores of a Windows system store that hold the
        ``index``-th certificate (".Default", ".AuthRoot", ".GroupPolicy",
        ".Enterprise", ".SmartCard"); in a directory store, the subdirectory
        of that name that holds a copy of it ([] for none)."""
        with _ffi.using(self):
            text = _ffi.take_str(lib.mgw_store_cert_physical, self, index)
        return text.split(",") if text else []

    def add_certificate(self, data: bytes) -> "tuple[bool, str]":
        """Add one certificate (DER or PEM) unless the store has it: (added,
        SHA-1 thumbprint)."""
        added = c_int()
        out = c_void_p()
        data = bytes(data)
        with _ffi.using(self):
            try:
                lib.mgw_store_add_cert(self, data, len(data), byref(added), byref(out))
                return bool(added.value), _text(ctypes.string_at(out.value))
            finally:
                lib.mgw_free(out)

    def remove_certificate(self, thumbprint: str) -> None:
        """Remove the certificate with this SHA-1 or SHA-256 thumbprint
        (NotFoundError when the store does not hold it)."""
        self._call(lib.mgw_store_remove_cert, _ffi.text_arg(thumbprint))

    def import_pfx(self, pfx: bytes, password: Any, *, exportable: bool = False) -> str:
        """Import a PFX with its private key into a Windows system store and
        check that the key is usable through the certificate; returns the
        certificate's SHA-1 thumbprint. KeyNotAttachedError when the key
        cannot be used; NotAvailableError for directory stores."""
        pw, pw_len = _ffi.password_arg(password)
        pfx = bytes(pfx)
        flags = StoreImportFlag.PFX_EXPORTABLE if exportable else 0
        return self._str(lib.mgw_store_import_pfx, pfx, len(pfx), pw, pw_len, flags)

    @property
    def others(self) -> List[StoreOther]:
        """Entries that are not exactly one readable certificate, with why."""
        with _ffi.using(self):
            return [StoreOther(*_ffi.take_strs(2, lib.mgw_store_other, self, i))
                    for i in range(lib.mgw_store_other_count(self))]

    def prune(self, plan: "RootPlan", backup_path: PathLike, *, force: bool = False,
              on_event: OnEvent = None) -> None:
        """Carry out ``plan``: write the backup of every certificate to be
        removed to ``backup_path`` (gzip PEM, never replaced without
        ``force``), verify it, then remove them one by one, calling
        ``on_event(RootsEvent)`` for each. A plan that removes nothing writes
        nothing. A removal failure stops at once with IncompleteError; the
        events say what was removed. StoreChangedError when the plan was not
        computed from this store as it is now."""
        relay = _EventRelay(on_event)
        with _ffi.using(self, plan):
            lib.mgw_roots_prune(self, plan, _ffi.path_arg(backup_path),
                                FileFlag.FORCE if force else 0, relay.cb, None)
        relay.raise_pending()

    def restore(self, backup_path: PathLike, only: Optional[Iterable[str]] = None, *,
                on_event: OnEvent = None) -> None:
        """Re-add the certificates of a backup that the store lacks, or only
        those named in ``only`` (SHA-1 or SHA-256 thumbprints; one not in the
        backup raises NotFoundError before anything changes). Certificates
        present already are reported as PRESENT."""
        names = [_ffi.text_arg(t) for t in (only or [])]
        array = (c_char_p * max(len(names), 1))(*names)
        relay = _EventRelay(on_event)
        with _ffi.using(self):
            lib.mgw_roots_restore(self, _ffi.path_arg(backup_path), array, len(names), relay.cb,
                                  None)
        relay.raise_pending()

    def __repr__(self) -> str:
        if self.closed:
            return "<Store closed>"
        return f"<Store {len(self.certificates)} certificates>"


class RootOptions(_ffi.Handle):
    """What a plan keeps: a keep-list of thumbprints, and overrides for the
    protected roots and for keep-list entries missing from the store."""

    _free_function = "mgw_rootopts_free"

    def __init__(self, keep: Iterable[str] = (), *, allow_protected: Iterable[str] = (),
                 remove_protected: bool = False, allow_missing: bool = False) -> None:
        super().__init__(lib.mgw_rootopts_new())
        for thumbprint in keep:
            self.add_keep(thumbprint)
        for thumbprint in allow_protected:
            self.allow_protected(thumbprint)
        if remove_protected:
            self.set_remove_protected(True)
        if allow_missing:
            self.set_allow_missing(True)

    def add_keep(self, thumbprint: str) -> None:
        """Keep one certificate (SHA-1 or SHA-256, as normalize_thumbprint
        takes it)."""
        self._call(lib.mgw_rootopts_add_keep, _ffi.text_arg(thumbprint))

    def add_keep_file(self, data: bytes, name: str = "keep-list") -> None:
        """Add the thumbprints of a keep-file's bytes: UTF-8 or UTF-16 with
        BOM, one per line, "#" comments, or the table PowerShell prints for
        Get-ChildItem Cert:\\LocalMachine\\Root. A bad line raises an error
        naming ``name`` and the line; nothing is added then."""
        data = bytes(data)
        self._call(lib.mgw_rootopts_add_keep_file, data, len(data), _ffi.text_arg(name))

    @property
    def keep_count(self) -> int:
        """Number of distinct thumbprints on the keep-list."""
        return int(self._call(lib.mgw_rootopts_keep_count))

    def allow_protected(self, thumbprint: str) -> None:
        """Let the plan remove this protected root (its SHA-1 thumbprint)."""
        self._call(lib.mgw_rootopts_allow_protected, _ffi.text_arg(thumbprint))

    def set_remove_protected(self, on: bool = True) -> None:
        """Let the plan remove every protected root not on the keep-list."""
        self._call(lib.mgw_rootopts_set_remove_protected, int(bool(on)))

    def set_allow_missing(self, on: bool = True) -> None:
        """Accept keep-list entries that are not in the store (listed in
        :attr:`RootPlan.missing`)."""
        self._call(lib.mgw_rootopts_set_allow_missing, int(bool(on)))


class RootPlan(_ffi.Described):
    """Every certificate of a store classified as keep, protected, remove or
    policy (put there by Group Policy or the enterprise store, never removed).
    ``describe()`` / ``describe_json()``: counts, entries, protected roots by
    name, other entries of the store and missing keep-list entries."""

    _free_function = "mgw_rootplan_free"
    _describe_function = "mgw_rootplan_describe"

    @classmethod
    def compute(cls, store: Store, options: RootOptions) -> "RootPlan":
        """Plan ``store`` against ``options``. Refused: an empty keep-list
        (KeepListEmptyError), keep-list entries missing from the store unless
        allowed (KeepListMissingError), a plan keeping nothing
        (KeepsNothingError)."""
        with _ffi.using(store, options):
            return cls._adopt(lib.mgw_rootplan_compute, store, options)

    def count(self, action: Union[str, int, RootAction, None] = None) -> int:
        """Number of entries with ``action``, or of all entries."""
        code = 0 if action is None else _ffi.enum_arg(RootAction, action)
        return int(self._call(lib.mgw_rootplan_count, code))

    @property
    def entries(self) -> List[RootPlanEntry]:
        """Every certificate of the store, in store order, with its action."""
        result = []
        with _ffi.using(self):
            for i in range(lib.mgw_rootplan_count(self, 0)):
                action = c_int()
                thumbprint, subject = _ffi.take_strs(2, lib.mgw_rootplan_entry, self, i,
                                                     byref(action))
                result.append(RootPlanEntry(RootAction(action.value), thumbprint, subject))
        return result

    def physical_stores(self, index: int) -> List[str]:
        """Where the ``index``-th entry sits (".Default", ".GroupPolicy", ...);
        entries in ".GroupPolicy" or ".Enterprise" are RootAction.POLICY."""
        with _ffi.using(self):
            text = _ffi.take_str(lib.mgw_rootplan_entry_physical, self, index)
        return text.split(",") if text else []

    @property
    def missing(self) -> List[str]:
        """Keep-list entries not in the store (with allow_missing)."""
        with _ffi.using(self):
            return [_ffi.take_str(lib.mgw_rootplan_missing, self, i)
                    for i in range(lib.mgw_rootplan_missing_count(self))]

    def __repr__(self) -> str:
        if self.closed:
            return "<RootPlan closed>"
        return (f"<RootPlan keep {self.count(RootAction.KEEP)}, protected "
                f"{self.count(RootAction.PROTECTED)}, remove {self.count(RootAction.REMOVE)}>")


def _seconds(span: Span) -> int:
    if isinstance(span, datetime.timedelta):
        return int(span.total_seconds())
    return int(span)


class TaskOptions(_ffi.Handle):
    """The scheduled re-prune task. Defaults: every 15 minutes, a 10-minute
    time limit, starting today at 00:00, no command (set one with
    :meth:`set_command` or :meth:`set_prune_command`)."""

    _free_function = "mgw_taskopts_free"

    def __init__(self, *, interval: Optional[Span] = None, time_limit: Optional[Span] = None,
                 start: Union[str, datetime.datetime, None] = None) -> None:
        super().__init__(lib.mgw_taskopts_new())
        if interval is not None:
            self.set_interval(interval)
        if time_limit is not None:
            self.set_time_limit(time_limit)
        if start is not None:
            self.set_start(start)

    def set_interval(self, span: Span) -> None:
        """Repetition interval: seconds or a timedelta, whole minutes from 1
        minute to 31 days."""
        self._call(lib.mgw_taskopts_set_interval, _seconds(span))

    def set_time_limit(self, span: Span) -> None:
        """Execution time limit: whole minutes from 1 minute to 31 days."""
        self._call(lib.mgw_taskopts_set_time_limit, _seconds(span))

    def set_start(self, local_time: Union[str, datetime.datetime]) -> None:
        """Start boundary of the daily trigger, local time
        "YYYY-MM-DDThh:mm:ss" (or a naive datetime)."""
        if isinstance(local_time, datetime.datetime):
            local_time = local_time.strftime("%Y-%m-%dT%H:%M:%S")
        self._call(lib.mgw_taskopts_set_start, _ffi.text_arg(local_time))

    def set_command(self, program: str, arguments: Optional[str] = None) -> None:
        """The program to run (at most 260 characters) and its arguments,
        taken as they are."""
        self._call(lib.mgw_taskopts_set_command, _ffi.text_arg(program), _ffi.text_arg(arguments))

    def set_prune_command(self, store: str, keep_file: str, backup_dir: str,
                          program: Optional[str] = None) -> None:
        """``program`` (None: C:\\Program Files\\mgwauth\\mgwauth.exe) with
        "roots prune --store S --keep-file F --backup-dir D --yes", quoted for
        CommandLineToArgvW. The paths must be absolute Windows paths."""
        self._call(lib.mgw_taskopts_set_prune_command, _ffi.text_arg(program),
                   _ffi.text_arg(store), _ffi.text_arg(keep_file), _ffi.text_arg(backup_dir))

    def to_xml(self) -> bytes:
        """The task as Task Scheduler 1.2 XML for ``schtasks /create /xml``:
        UTF-16LE with BOM, run as SYSTEM."""
        with _ffi.using(self):
            return _ffi.take_bytes(lib.mgw_task_xml, self)


def task_xml(store: str, keep_file: str, backup_dir: str, *, program: Optional[str] = None,
             interval: Optional[Span] = None, time_limit: Optional[Span] = None,
             start: Union[str, datetime.datetime, None] = None) -> bytes:
    """The re-prune task as ``mgwauth task xml`` writes it: Task Scheduler
    XML (UTF-16LE with BOM) running ``program`` (None:
    C:\\Program Files\\mgwauth\\mgwauth.exe) roots prune on ``store`` with ``keep_file``, backups under ``backup_dir``.
    For another command use :class:`TaskOptions` and its ``to_xml()``."""
    with TaskOptions(interval=interval, time_limit=time_limit, start=start) as options:
        options.set_prune_command(store, keep_file, backup_dir, program)
        return options.to_xml()


def task_install(name: str, xml: bytes, *, force: bool = False) -> None:
    """Register a task (its XML, e.g. from :func:`task_xml`) with the Windows
    Task Scheduler under ``name`` in the root folder, to run as SYSTEM.
    ExistsError unless ``force``; NotAvailableError in builds not for
    Windows."""
    xml = bytes(xml)
    lib.mgw_task_install(_ffi.text_arg(name), xml, len(xml),
                         FileFlag.FORCE if force else 0)


def task_remove(name: str) -> None:
    """Delete the task ``name`` (NotFoundError when there is none)."""
    lib.mgw_task_remove(_ffi.text_arg(name))


def task_show(name: str) -> str:
    """The registered task's XML as the Task Scheduler gives it back."""
    return _ffi.take_str(lib.mgw_task_show, _ffi.text_arg(name))
