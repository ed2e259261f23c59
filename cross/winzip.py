#!/usr/bin/env python3
"""The Windows release: mgwauth-VERSION-win64.zip from a Windows build tree.

    winzip.py BUILD_WIN SOURCE_ROOT OUT_DIR  -> prints the zip's path

Layout (one top directory, mgwauth-VERSION-win64/):
  bin/mgwauth.exe            the tool (static: needs no DLL of ours)
  bin/libmgwauth-1.dll       the library (mbedTLS, zlib, winpthreads linked in)
  lib/libmgwauth.dll.a       its import library (mingw-w64; MSVC links the DLL
                             through a .lib made with `lib /def`, see README)
  lib/pkgconfig/mgwauth.pc   prefix relative to the .pc file itself
  include/mgwauth.h, LICENSE, README.txt (for Windows administrators),
  licenses/mbedtls-LICENSE (Apache-2.0: mbedTLS is linked in)
The executables are stripped of their debugging information.
The .pc file describes the DLL only: the private requirements of the static
library (which the zip does not hold) are left out. Entries have a fixed
timestamp, so the same build gives the same zip."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def pc_text(build):
    with open(os.path.join(build, "meson-private", "mgwauth.pc"), encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"^prefix=.*$", "prefix=${pcfiledir}/../..", text, count=1, flags=re.M)
    text = re.sub(r"^(Requires|Libs)\.private:.*\n", "", text, flags=re.M)
    return text


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    build, root, out_dir = argv[1:4]
    with open(os.path.join(build, "meson-info", "intro-projectinfo.json"), encoding="utf-8") as f:
        version = json.load(f)["version"]
    top = f"mgwauth-{version}-win64"
    files = [
        ("bin/mgwauth.exe", os.path.join(build, "tools", "mgwauth.exe")),
        ("bin/libmgwauth-1.dll", os.path.join(build, "src", "libmgwauth-1.dll")),
        ("lib/libmgwauth.dll.a", os.path.join(build, "src", "libmgwauth.dll.a")),
        ("include/mgwauth.h", os.path.join(root, "include", "mgwauth.h")),
        ("LICENSE", os.path.join(root, "LICENSE")),
        ("README.txt", os.path.join(root, "cross", "README-windows.txt")),
    ]
    mbedtls_license = sorted(glob.glob(os.path.join(root, "build-deps", "src", "mbedtls-*",
                                                    "LICENSE")))
    if mbedtls_license:
        files.append(("licenses/mbedtls-LICENSE", mbedtls_license[-1]))
    strip = shutil.which("x86_64-w64-mingw32-strip")
    stripped = tempfile.mkdtemp(prefix="mgw-winzip-")
    for i, (name, src) in enumerate(files):
        if strip and name.startswith("bin/"):
            dst = os.path.join(stripped, os.path.basename(src))
            subprocess.run([strip, "--strip-debug", "-o", dst, src], check=True)
            files[i] = (name, dst)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, top + ".zip")
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, src in files:
            with open(src, "rb") as f:
                data = f.read()
            if name.endswith(".txt") or "LICENSE" in name:
                data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # Notepad
            info = zipfile.ZipInfo(f"{top}/{name}", FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
        info = zipfile.ZipInfo(f"{top}/lib/pkgconfig/mgwauth.pc", FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, pc_text(build))
    os.replace(tmp, path)
    shutil.rmtree(stripped, ignore_errors=True)
    print(path)


if __name__ == "__main__":
    main(sys.argv)
