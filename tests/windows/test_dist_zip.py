#!/usr/bin/env python3
"""The Windows release zip (TAP), as ./run dist makes it (cross/winzip.py):
its listing, then unpacked under "C:\\Program Files" of a fresh Wine prefix,
the exe runs there (version, cert create judged by OpenSSL), and a program
built against the zip alone (its header, import library and .pc file, with
mingw-w64) runs with the zip's DLL. Arguments: winzip.py, the Windows build
directory, the source root, the mingw-w64 compiler."""
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402
from wineprefix import WinePrefix, run  # noqa: E402

WINZIP, BUILD, ROOT, CC = sys.argv[1:5]
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
EXPECTED = {"bin/mgwauth.exe", "bin/libmgwauth-1.dll", "lib/libmgwauth.dll.a",
            "lib/pkgconfig/mgwauth.pc", "include/mgwauth.h", "LICENSE", "README.txt",
            "licenses/mbedtls-LICENSE"}

_state = {}


def made():
    """(zip path, top directory name, prefix, unpacked directory) made once."""
    if not _state:
        out = tempfile.mkdtemp(prefix="mgw-dist-")
        path = run([sys.executable, WINZIP, BUILD, ROOT, out]).stdout.decode().strip()
        top = os.path.basename(path)[:-len(".zip")]
        w = WinePrefix("mgw-dist-wine-")
        dest = w.drive_c("Program Files")
        with zipfile.ZipFile(path) as z:
            z.extractall(dest)
        _state.update(zip=path, top=top, wine=w, dir=os.path.join(dest, top))
    return _state


def test_zip_holds_the_release_files_under_one_directory():
    s = made()
    with zipfile.ZipFile(s["zip"]) as z:
        names = z.namelist()
    assert all(n.startswith(s["top"] + "/") for n in names), names
    assert {n[len(s["top"]) + 1:] for n in names} == EXPECTED, names
    assert s["top"].startswith("mgwauth-") and s["top"].endswith("-win64")
    with open(os.path.join(s["dir"], "lib", "pkgconfig", "mgwauth.pc")) as f:
        pc = f.read()
    assert "prefix=${pcfiledir}/../.." in pc and ".private" not in pc, pc
    with open(os.path.join(s["dir"], "README.txt"), "rb") as f:
        readme = f.read()
    assert b"\r\n" in readme and b"--import-cer" in readme and b"UTF-8" in readme


def test_the_exe_runs_from_program_files_in_a_fresh_prefix():
    s = made()
    w = s["wine"]
    exe = f"C:\\Program Files\\{s['top']}\\bin\\mgwauth.exe"
    p = w.wine(exe, "version")
    assert b"on mbedTLS 3.6" in p.stdout and b"TLS 1.2 and 1.3" in p.stdout, p.stdout
    with open(w.drive_c("pw.txt"), "w") as f:
        f.write("Dist-Test-1\n")
    w.wine(exe, "cert", "create", "--subject", "CN=from the zip", "--upn", "zip@imagoverum.com",
           "--password-file", "C:\\pw.txt", "--out", "C:\\out")
    p = run([OPENSSL, "pkcs12", "-in", w.drive_c("out/Certificate.pfx"), "-passin",
             "pass:Dist-Test-1", "-nokeys"])
    assert b"subject=CN = from the zip" in p.stdout, p.stdout


def test_a_program_built_against_the_zip_runs_with_its_dll():
    s = made()
    w = s["wine"]
    env = dict(os.environ, PKG_CONFIG_LIBDIR=os.path.join(s["dir"], "lib", "pkgconfig"),
               PKG_CONFIG_PATH="")
    flags = shlex.split(run(["pkg-config", "--cflags", "--libs", "mgwauth"], env=env).stdout.decode())
    assert any(f.startswith("-I") and f.endswith("include") for f in flags), flags
    work = w.drive_c("consumer")
    os.makedirs(work)
    exe = os.path.join(work, "consumer.exe")
    run([CC, "-std=c11", "-o", exe, os.path.join(ROOT, "tests", "consumer", "consumer.c"),
         *flags])
    shutil.copy(os.path.join(s["dir"], "bin", "libmgwauth-1.dll"), work)
    p = w.wine("C:\\consumer\\consumer.exe", check=False)
    assert p.returncode == 0 and b"CN=consumer" in p.stdout, (p.stdout, p.stderr)
    imports = run(["x86_64-w64-mingw32-objdump", "-p", exe]).stdout.decode()
    assert "libmgwauth-1.dll" in imports, "the program does not use the DLL"


if __name__ == "__main__":
    tap.main(globals())
