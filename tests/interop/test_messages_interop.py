#!/usr/bin/env python3
"""What the tool says (TAP): no error names its subject twice, a PFX given to
cert show points to pfx show, counts agree with their nouns, and pfx show
lines its values up."""
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from workdir import WorkDir, mgw  # noqa: E402

DOUBLED = re.compile(r"(?:^|\s)(-*)([^\s:]+): (?:\1)?\2:")


def one_line_error(p):
    assert p.returncode == 1, p
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mgwauth: error: "), p.stderr
    assert not DOUBLED.search(lines[0]), lines[0]
    return lines[0]


def test_errors_name_their_subject_once():
    with WorkDir("mgw-msg-") as w:
        pw = w.path("pw")
        with open(pw, "w") as f:
            f.write("pw\n")
        line = one_line_error(mgw("registry", "plan", "--current", "nonexist.reg", "--out",
                                  w.path("p"), check=False))
        assert line == "mgwauth: error: nonexist.reg: no such file", line
        line = one_line_error(mgw("cert", "create", "--subject", "garbage", "--password-file", pw,
                                  "--out", w.path("o"), check=False))
        assert line.count("subject") == 1 and "garbage" in line, line
        for args in (["cert", "show", w.path("missing.cer")],
                     ["pfx", "show", w.path("missing.pfx"), "--password-file", pw],
                     ["cert", "create", "--subject", "CN=x", "--password-file", w.path("nopw"),
                      "--out", w.path("o")],
                     ["roots", "plan", "--store", w.path("nostore"), "--keep", "00" * 20],
                     ["registry", "apply", "--plan", w.path("none.json"), "--registry-file",
                      w.path("m.reg")]):
            one_line_error(mgw(*args, check=False))


def test_cert_show_of_a_pfx_says_to_use_pfx_show():
    with WorkDir("mgw-msg-") as w:
        pw = w.path("pw")
        with open(pw, "w") as f:
            f.write("secret\n")
        mgw("cert", "create", "--subject", "CN=x", "--key", "p256", "--password-file", pw,
            "--out", w.path("o"))
        pfx = w.path("o", "Certificate.pfx")
        line = one_line_error(mgw("cert", "show", pfx, check=False))
        assert "is a PFX" in line and f"mgwauth pfx show {pfx} --password-file" in line, line
        # something that is neither stays a certificate parse error
        with open(w.path("junk.cer"), "wb") as f:
            f.write(b"\x30\x03\x02\x01\x01")
        assert "pfx show" not in one_line_error(mgw("cert", "show", w.path("junk.cer"),
                                                    check=False))


def test_counts_agree_with_their_nouns():
    with WorkDir("mgw-msg-") as w:
        store = w.path("store")
        os.mkdir(store)
        pw = w.path("pw")
        with open(pw, "w") as f:
            f.write("pw\n")
        for n in ("a", "b"):
            mgw("cert", "create", "--subject", f"CN={n}", "--key", "p256", "--password-file", pw,
                "--out", w.path(n))
        shutil.copy(w.path("a", "Certificate.cer"), os.path.join(store, "a.cer"))
        assert mgw("store", "list", "--store", store).stdout.endswith(
            "\n1 certificate, 0 other entries\n")
        with open(os.path.join(store, "notes.txt"), "w") as f:
            f.write("x")
        shutil.copy(w.path("b", "Certificate.cer"), os.path.join(store, "b.cer"))
        assert mgw("store", "list", "--store", store).stdout.endswith(
            "\n2 certificates, 1 other entry\n")
        keep = json.loads(mgw("cert", "show", os.path.join(store, "a.cer"), "--json").stdout)
        keep = keep["thumbprint_sha1"]
        backup = w.path("b.pem.gz")
        out = mgw("roots", "prune", "--store", store, "--keep", keep, "--backup", backup).stdout
        assert "with --yes, 1 certificate would be backed up" in out, out
        out = mgw("roots", "prune", "--store", store, "--keep", keep, "--backup", backup,
                  "--yes").stdout
        assert "(1 certificate, written and verified)" in out and "removed 1 certificate;" in out
        out = mgw("roots", "restore", "--store", store, "--backup", backup).stdout
        assert out.endswith("restored 1 certificate, 0 already present\n"), out


def test_pfx_show_values_line_up():
    with WorkDir("mgw-msg-") as w:
        pw = w.path("pw")
        with open(pw, "w") as f:
            f.write("pw\n")
        mgw("cert", "create", "--subject", "CN=x", "--key", "p256", "--password-file", pw,
            "--out", w.path("o"), "--friendly-name", "phone")
        out = mgw("pfx", "show", w.path("o", "Certificate.pfx"), "--password-file", pw).stdout
        labelled = [line for line in out.splitlines() if re.match(r"[A-Z][A-Za-z -]*: +\S", line)]
        columns = {re.match(r"[A-Z][A-Za-z -]*: +", line).end() for line in labelled}
        assert len(labelled) >= 6, out
        assert len(columns) == 1, out
        assert "Certificate bags: " in out and "Friendly name:    phone" in out, out


if __name__ == "__main__":
    tap.main(globals())
