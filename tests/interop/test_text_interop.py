#!/usr/bin/env python3
"""Text inputs as Windows writes them (TAP): password files, keep-lists and
CSV files in UTF-8 with BOM (Windows PowerShell 5's Set-Content -Encoding
UTF8) and UTF-16LE with BOM (Out-File, ">", Notepad's "Unicode") are read;
any other encoding is refused with its name and how to save the file, and
nothing is written."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from workdir import WorkDir, mgw  # noqa: E402

PASSWORD = "Grüße aus Köln €"
ENCODINGS = {
    "utf-8": lambda t: t.encode(),
    "utf-8 BOM": lambda t: b"\xef\xbb\xbf" + t.encode(),
    "utf-16le BOM": lambda t: b"\xff\xfe" + t.encode("utf-16-le"),
}
REFUSED = {
    "UTF-16BE without BOM": lambda t: t.encode("utf-16-be"),
    "UTF-16LE without BOM": lambda t: t.encode("utf-16-le"),
    "UTF-32LE": lambda t: t.encode("utf-32"),
    "Windows-1252": lambda t: t.encode("cp1252"),
}


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def test_password_files_in_every_windows_encoding():
    with WorkDir("mgw-text-") as w:
        pw = write(w.path("pw-utf8.txt"), PASSWORD.encode() + b"\n")
        mgw("cert", "create", "--subject", "CN=t", "--key", "p256", "--password-file", pw,
            "--out", w.path("out"))
        pfx = w.path("out", "Certificate.pfx")
        for name, enc in ENCODINGS.items():
            f = write(w.path("pw.txt"), enc(PASSWORD + "\r\n"))
            info = json.loads(mgw("pfx", "show", pfx, "--password-file", f, "--json").stdout)
            assert info, name


def test_other_encodings_are_refused_by_name_and_nothing_is_written():
    with WorkDir("mgw-text-") as w:
        for name, enc in REFUSED.items():
            f = write(w.path("pw.txt"), enc(PASSWORD + "\r\n"))
            p = mgw("cert", "create", "--subject", "CN=t", "--key", "p256", "--password-file", f,
                    "--out", w.path("out"), check=False)
            assert p.returncode == 1, (name, p)
            assert name in p.stderr and "Set-Content -Encoding UTF8" in p.stderr, (name, p.stderr)
            assert len(p.stderr.strip().splitlines()) == 1, p.stderr
            assert not os.path.exists(w.path("out")), name


def make_store(w):
    os.makedirs(w.path("store"))
    mgw("cert", "create", "--subject", "CN=root one", "--key", "p256", "--password-file",
        write(w.path("pw"), b"x\n"), "--out", w.path("c"))
    os.rename(w.path("c", "Certificate.cer"), w.path("store", "one.cer"))
    info = json.loads(mgw("cert", "show", w.path("store", "one.cer"), "--json").stdout)
    return info["thumbprint_sha1"]


def test_keep_lists_in_every_windows_encoding():
    with WorkDir("mgw-text-") as w:
        thumb = make_store(w)
        text = f"# the gateway certificate\r\n{thumb}\r\n"
        for name, enc in ENCODINGS.items():
            keep = write(w.path("keep.txt"), enc(text))
            plan = json.loads(mgw("roots", "plan", "--store", w.path("store"), "--keep-file", keep,
                                  "--json").stdout)
            assert thumb in json.dumps(plan), (name, plan)
        for name, enc in REFUSED.items():
            keep = write(w.path("keep.txt"), enc(text + "# Zürich\r\n"))
            p = mgw("roots", "plan", "--store", w.path("store"), "--keep-file", keep, check=False)
            assert p.returncode == 1 and name in p.stderr, (name, p.stderr)
            assert "keep.txt" in p.stderr, p.stderr


def test_user_csv_in_utf16_from_excel_or_powershell():
    with WorkDir("mgw-text-") as w:
        pw = write(w.path("pw"), b"ca password\n")
        mgw("ca", "create", "--subject", "CN=CA", "--key", "p256", "--password-file", pw,
            "--out", w.path("ca"))
        rows = "upn,email\r\njürgen@example.com,j@example.com\r\n"
        for i, (name, enc) in enumerate(ENCODINGS.items()):
            csv = write(w.path(f"users{i}.csv"), enc(rows))
            mgw("cert", "issue", "--ca", w.path("ca", "ca.pfx"), "--ca-password-file", pw,
                "--batch", csv, "--out", w.path(f"dev{i}"), "--key", "p256")
            with open(w.path(f"dev{i}", "manifest.csv"), encoding="utf-8") as f:
                assert "jürgen@example.com" in f.read(), name
        csv = write(w.path("bad.csv"), rows.encode("utf-16-be"))
        p = mgw("cert", "issue", "--ca", w.path("ca", "ca.pfx"), "--ca-password-file", pw,
                "--batch", csv, "--out", w.path("bad"), "--key", "p256", check=False)
        assert p.returncode == 1 and "UTF-16BE without BOM" in p.stderr, p.stderr
        assert not os.path.exists(w.path("bad"))


if __name__ == "__main__":
    tap.main(globals())
