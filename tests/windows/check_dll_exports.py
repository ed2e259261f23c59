#!/usr/bin/env python3
"""ABI check of the Windows build (TAP): the DLL exports exactly the names of
the symbol map, which are exactly the MGW_API declarations of the header; and
neither the DLL nor mgwauth.exe needs a DLL beyond Windows' own (no zlib1.dll,
no mingw run time, no winpthreads). Arguments: objdump,
the DLL, mgwauth.exe, the header, the map."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402

OBJDUMP, DLL, EXE, HEADER, MAP = sys.argv[1:6]
# Windows' own DLLs only: mbedTLS, zlib, winpthreads and libgcc are linked in.
# bcrypt for the entropy source, ws2_32 for the gateway check's sockets,
# ole32 and oleaut32 for the Task Scheduler's COM API (task install).
SYSTEM_DLLS = {"advapi32.dll", "bcrypt.dll", "crypt32.dll", "kernel32.dll", "msvcrt.dll",
               "ncrypt.dll", "ole32.dll", "oleaut32.dll", "shell32.dll", "ws2_32.dll"}


def header_names():
    text = open(HEADER, encoding="utf-8").read()
    return set(re.findall(r"MGW_API\s[^;(]*?\b(mgw_\w+)\s*\(", text))


def map_names():
    text = re.sub(r"/\*.*?\*/", "", open(MAP, encoding="utf-8").read(), flags=re.S)
    return set(re.findall(r"\b(mgw_\w+)\s*;", text))


def private_exports(path):
    out = subprocess.run([OBJDUMP, "-p", path], capture_output=True, text=True, check=True).stdout
    table = out.split("[Ordinal/Name Pointer] Table", 1)
    assert len(table) == 2, f"{path} exports nothing"
    return {m.group(1) for m in re.finditer(r"^\s*\[\s*\d+\]\s+(\S+)\s*$", table[1], re.M)}


def imported_dlls(path):
    out = subprocess.run([OBJDUMP, "-p", path], capture_output=True, text=True, check=True).stdout
    return {m.group(1).lower() for m in re.finditer(r"DLL Name:\s*(\S+)", out)}


def test_dll_exports_exactly_the_symbol_map():
    exported, wanted = private_exports(DLL), map_names()
    assert exported == wanted, (f"in the map, not exported: {sorted(wanted - exported)}; "
                                f"exported, not in the map: {sorted(exported - wanted)}")


def test_symbol_map_lists_exactly_the_header():
    assert map_names() == header_names(), sorted(map_names() ^ header_names())


def test_dll_and_tool_need_only_windows_dlls():
    for path in (DLL, EXE):
        extra = imported_dlls(path) - SYSTEM_DLLS
        assert not extra, f"{os.path.basename(path)} needs {sorted(extra)}"


if __name__ == "__main__":
    tap.main(globals())
