#!/usr/bin/env python3
"""Interop: trusted-root pruning on a real store (Debian's CA bundle plus our
own certificate, copied to a temporary directory), judged by OpenSSL, zcat and
Python cryptography; a removal failure made real by an unlink() shim."""
import glob
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from workdir import WorkDir, ossl  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

MGW = os.environ.get("MGWAUTH", "mgwauth")
OPENSSL = os.environ.get("OPENSSL", "openssl")
SHIM = os.environ.get("MGW_UNLINK_FAULT", "")
MOZILLA = "/usr/share/ca-certificates/mozilla"
LRM = "\u200e"
# One Mozilla root has a serial number that is not positive: fine for us, and
# cryptography says so on stderr.
warnings.filterwarnings("ignore", message="Parsed a serial number which wasn't positive")
NAMES = {NameOID.SERIAL_NUMBER: "serialNumber", NameOID.EMAIL_ADDRESS: "emailAddress"}


def run(cmd, check=True, env=None, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def mgw(*args, check=True, env=None):
    return run([MGW, *args], check=check, env=env)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def sha1(cert):
    return cert.fingerprint(hashes.SHA1()).hex().upper()


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def one_error_line(p, needle):
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mgwauth: error: "), p.stderr
    assert needle in lines[0], (needle, lines[0])


class Store(WorkDir):
    """Debian's CA bundle plus our own certificate in a fresh directory."""

    def __init__(self):
        super().__init__("mgw-roots-")
        self.store = os.path.join(self.dir, "store")
        os.mkdir(self.store)
        crts = sorted(glob.glob(os.path.join(MOZILLA, "*.crt")))
        assert len(crts) > 100, f"{MOZILLA} holds {len(crts)} certificates (package ca-certificates)"
        for c in crts:
            shutil.copy(c, self.store)
        pw = self.path("pw.txt")
        with open(pw, "w") as f:
            f.write("pw\n")
        mgw("cert", "create", "--subject", "CN=imagoverum.com", "--key", "p256",
            "--password-file", pw, "--out", self.path("me"))
        shutil.copy(self.path("me", "Certificate.cer"), self.store)
        self.ours = sha1(load(self.path("me", "Certificate.cer")))

    def certs(self):
        """{SHA-1: DER} of every certificate file in the store."""
        out = {}
        for name in os.listdir(self.store):
            if name.lower().endswith((".crt", ".cer", ".pem", ".der")):
                c = load(os.path.join(self.store, name))
                out[sha1(c)] = der(c)
        return out

    def pasted(self):
        """Our thumbprint as copied from the Windows dialog: LRM, lower case, colons."""
        t = self.ours.lower()
        return LRM + ":".join(t[i:i + 2] for i in range(0, 40, 2))

    def plan(self, *extra):
        return json.loads(mgw("roots", "plan", "--store", self.store, "--json", *extra).stdout)


def openssl_sha1(path):
    fmt = "PEM" if open(path, "rb").read(5) == b"-----" else "DER"
    out = run([OPENSSL, "x509", "-inform", fmt, "-in", path, "-noout", "-fingerprint",
               "-sha1"]).stdout
    return out.strip().split("=", 1)[1].replace(":", "")


def test_plan_agrees_with_openssl_on_every_certificate():
    with Store() as s:
        plan = s.plan("--keep", s.pasted())
        assert plan["counts"] == {"keep": 1, "protected": 0, "remove": len(plan["entries"]) - 1,
                                  "other": 0, "missing": 0, "policy": 0}, plan["counts"]
        assert plan["kind"] == "directory" and plan["other"] == [] and plan["missing"] == []
        for e in plan["entries"]:
            path = os.path.join(s.store, e["origin"])
            assert e["sha1"] == openssl_sha1(path), e
            assert e["subject"] == load(path).subject.rfc4514_string(NAMES), e
            assert (e["action"] == "keep") == (e["sha1"] == s.ours), e
        # every Mozilla root parses: none is left over as "other"
        assert len(plan["entries"]) == len(os.listdir(s.store))


def test_pasted_thumbprints_and_their_errors():
    with Store() as s:
        t = s.ours
        for form in (t, t.lower(), LRM + t, " ".join(t[i:i + 2] for i in range(0, 40, 2)),
                     "-".join(t[i:i + 4] for i in range(0, 40, 4)), "\ufeff" + t + "\u200f"):
            assert s.plan("--keep", form)["counts"]["keep"] == 1, form
        cases = [(LRM + "G" + t[1:], "'G' at position 2 is not a hex digit"),
                 (t[:-1], "39 hex digits"),
                 (t + "0", "41 hex digits"),
                 ("?" + t, "U+200E saved as '?'")]
        for bad, needle in cases:
            p = mgw("roots", "plan", "--store", s.store, "--keep", bad, check=False)
            assert p.returncode == 1, (bad, p.returncode)
            one_error_line(p, needle)
            one_error_line(p, "--keep: thumbprint \"")


def test_keep_file_from_powershell_in_utf16():
    with Store() as s:
        mozilla = s.plan("--keep", s.ours)["entries"][0]
        table = ("\r\n   PSParentPath: Microsoft.PowerShell.Security\\Certificate::LocalMachine"
                 "\\Root\r\n\r\nThumbprint                                Subject\r\n"
                 "----------                                -------\r\n"
                 f"{s.ours}  CN=imagoverum.com\r\n"
                 f"{mozilla['sha1']}  {mozilla['subject'][:40]}...\r\n"
                 "CDD4EEAE6000AC7F40C3802C171E30148030C072  CN=Microsoft Root Certificate "
                 "Authority, DC=microsoft, DC=com\r\n\r\n")
        keep = s.path("keep.txt")
        with open(keep, "wb") as f:
            f.write(b"\xff\xfe" + table.encode("utf-16-le"))
        # the Windows root is not in this store: named, and refused unless allowed
        p = mgw("roots", "plan", "--store", s.store, "--keep-file", keep, check=False)
        assert p.returncode == 1
        one_error_line(p, "1 keep-list thumbprint is not in the store: "
                          "CDD4EEAE6000AC7F40C3802C171E30148030C072")
        plan = s.plan("--keep-file", keep, "--allow-missing")
        assert plan["counts"]["keep"] == 2 and plan["missing"] == [
            "CDD4EEAE6000AC7F40C3802C171E30148030C072"]
        with open(keep, "w") as f:
            f.write(f"# keep\n{s.ours}\nnot a thumbprint\n")
        p = mgw("roots", "plan", "--store", s.store, "--keep-file", keep, check=False)
        assert p.returncode == 1
        one_error_line(p, f"{keep} line 3: thumbprint \"not a thumbprint\": 'n' at position 1")


def test_refusals_and_usage_errors():
    with Store() as s:
        empty = s.path("empty.txt")
        with open(empty, "w") as f:
            f.write("# nothing yet\n")
        typo = s.ours[:-1] + ("0" if s.ours[-1] != "0" else "1")
        runtime = [
            (["plan", "--store", s.store, "--keep-file", empty], "keep-list is empty"),
            (["plan", "--store", s.store, "--keep", typo], "not in the store: " + typo),
            (["plan", "--store", s.store, "--keep", typo, "--allow-missing"],
             "keeps no certificate"),
            (["plan", "--store", s.path("nope"), "--keep", s.ours], "does not exist"),
            (["plan", "--store", s.store, "--keep", s.ours, "--allow-protected", s.ours],
             "not one of the protected roots"),
            (["restore", "--store", s.store, "--backup", s.path("none.pem.gz")], "no such file"),
        ]
        for args, needle in runtime:
            p = mgw("roots", *args, check=False)
            assert p.returncode == 1, (args, p.returncode, p.stderr)
            one_error_line(p, needle)
        usage = [["plan", "--store", s.store], ["plan", "--keep", s.ours],
                 ["prune", "--store", s.store, "--keep", s.ours],
                 ["prune", "--store", s.store, "--keep", s.ours, "--backup", "a", "--backup-dir",
                  "b"], ["frobnicate"], [], ["restore", "--store", s.store]]
        for args in usage:
            p = mgw("roots", *args, check=False)
            assert p.returncode == 2, (args, p.returncode)
            assert "usage error" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_prune_without_yes_is_a_dry_run():
    with Store() as s:
        before = s.certs()
        backup = s.path("b.pem.gz")
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.pasted(), "--backup", backup)
        assert "dry run: nothing changed" in p.stdout
        assert f"{len(before) - 1} certificates would be backed up" in p.stdout
        assert s.certs() == before and not os.path.exists(backup)


def removed_by(stdout):
    return re.findall(r"^removed +([0-9A-F]{40}) ", stdout, flags=re.M)


def pem_blocks(text):
    """(header sha1, PEM) pairs of a backup."""
    return re.findall(r"# sha1: ([0-9A-F]{40})\n# from: [^\n]*\n# format: PEM\n"
                      r"(-----BEGIN CERTIFICATE-----\n"
                      r".*?-----END CERTIFICATE-----\n)", text, flags=re.S)


def test_prune_backup_opens_with_zcat_and_openssl():
    with Store() as s:
        before = s.certs()
        backup = s.path("b.pem.gz")
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.pasted(), "--backup", backup,
                "--yes")
        removed = removed_by(p.stdout)
        assert len(removed) == len(before) - 1 and s.ours not in removed
        assert f"backup: {backup} ({len(removed)} certificates, written and verified)" in p.stdout
        assert list(s.certs()) == [s.ours]
        # zcat | openssl x509: the first certificate
        first = run(["sh", "-c", f"zcat '{backup}' | '{OPENSSL}' x509 -noout -fingerprint -sha1"])
        assert first.stdout.strip().split("=")[1].replace(":", "") == removed[0]
        # openssl storeutl: all of them
        plain = s.path("b.pem")
        run(["sh", "-c", f"zcat '{backup}' > '{plain}'"])
        out = run([OPENSSL, "storeutl", "-noout", "-certs", plain]).stdout
        assert f"Total found: {len(removed)}" in out, out
        # and one by one: each header names its certificate, each is the original
        with gzip.open(backup, "rt") as f:
            blocks = pem_blocks(f.read())
        assert [h for h, _ in blocks] == removed
        for header, pem in blocks:
            got = run([OPENSSL, "x509", "-noout", "-fingerprint", "-sha1"], input=pem).stdout
            assert got.strip().split("=")[1].replace(":", "") == header
            assert der(x509.load_pem_x509_certificate(pem.encode())) == before[header]


def test_backup_is_not_overwritten_and_restore_returns_the_identical_set():
    with Store() as s:
        before = s.certs()
        backup = s.path("b.pem.gz")
        mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--backup", backup, "--yes")
        saved = open(backup, "rb").read()
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup)
        assert p.stdout.strip().endswith(f"restored {len(before) - 1} certificates, 0 already "
                                         "present")
        after = s.certs()
        assert sorted(after) == sorted(before)
        assert all(after[t] == before[t] for t in before)
        # restored under their own names, in their own format: Debian's .crt files come back
        # byte for byte (PEM), none as <SHA1>.cer
        for c in glob.glob(os.path.join(MOZILLA, "*.crt")):
            with open(c, "rb") as f, open(os.path.join(s.store, os.path.basename(c)), "rb") as g:
                assert f.read() == g.read(), c
        restored = [n for n in os.listdir(s.store) if re.fullmatch(r"[0-9A-F]{40}\.cer", n)]
        assert restored == [], restored
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup)
        assert "restored 0 certificates, %d already present" % (len(before) - 1) in p.stdout
        # the same backup name again: refused, the old backup intact
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--backup", backup,
                "--yes", check=False)
        assert p.returncode == 1
        one_error_line(p, "exists (use --force to overwrite)")
        assert open(backup, "rb").read() == saved and s.certs() == after
        mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--backup", backup, "--yes",
            "--force")
        assert list(s.certs()) == [s.ours]
        # --only brings back exactly the one named
        one = sorted(before)[0] if sorted(before)[0] != s.ours else sorted(before)[1]
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup, "--only",
                LRM + one.lower())
        assert sorted(s.certs()) == sorted([s.ours, one]), p.stdout


def test_restore_keeps_names_formats_and_never_overwrites_other_content():
    with WorkDir("mgw-restore-") as w:
        store = w.path("store")
        os.mkdir(store)
        pw = w.path("pw")
        with open(pw, "w") as f:
            f.write("pw\n")
        for name in ("keep", "der", "pem", "taken"):
            mgw("cert", "create", "--subject", f"CN={name}", "--key", "p256", "--password-file",
                pw, "--out", w.path(name))
        shutil.copy(w.path("keep", "Certificate.cer"), os.path.join(store, "keep.cer"))
        shutil.copy(w.path("der", "Certificate.cer"), os.path.join(store, "gateway ca.der"))
        ossl("x509", "-inform", "DER", "-in", w.path("pem", "Certificate.cer"), "-out",
             os.path.join(store, "Root.PEM"))
        shutil.copy(w.path("taken", "Certificate.cer"), os.path.join(store, "taken.cer"))
        originals = {n: open(os.path.join(store, n), "rb").read() for n in os.listdir(store)}
        keep = sha1(load(os.path.join(store, "keep.cer")))
        backup = w.path("b.pem.gz")
        mgw("roots", "prune", "--store", store, "--keep", keep, "--backup", backup, "--yes")
        assert os.listdir(store) == ["keep.cer"]
        # someone puts another certificate under one of the names
        shutil.copy(w.path("keep", "Certificate.cer"), os.path.join(store, "taken.cer"))
        p = mgw("roots", "restore", "--store", store, "--backup", backup)
        taken = sha1(load(w.path("taken", "Certificate.cer")))
        assert f"taken.cer holds another certificate now; written as {taken}.cer" in p.stdout, \
            p.stdout
        assert p.stdout.strip().endswith("restored 3 certificates, 0 already present"), p.stdout
        assert sorted(os.listdir(store)) == sorted(["keep.cer", "gateway ca.der", "Root.PEM",
                                                    "taken.cer", f"{taken}.cer"])
        for n in ("gateway ca.der", "Root.PEM"):
            assert open(os.path.join(store, n), "rb").read() == originals[n], n
        assert open(os.path.join(store, "taken.cer"), "rb").read() == originals["keep.cer"]
        assert open(os.path.join(store, f"{taken}.cer"), "rb").read() == originals["taken.cer"]
        assert openssl_sha1(os.path.join(store, "Root.PEM")) == sha1(load(w.path("pem", "Certificate.cer")))


def test_removal_failure_stops_with_an_exact_account():
    assert SHIM and os.path.exists(SHIM), "MGW_UNLINK_FAULT must name the unlink shim"
    with Store() as s:
        before = s.certs()
        plan = s.plan("--keep", s.ours)
        order = [e for e in plan["entries"] if e["action"] == "remove"]
        victim = order[59]
        env = dict(os.environ, LD_PRELOAD=SHIM, MGW_FAIL_UNLINK="/" + victim["origin"])
        backup = s.path("b.pem.gz")
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--backup", backup,
                "--yes", check=False, env=env)
        assert p.returncode == 1, p
        one_error_line(p, f"prune stopped: removed 59 of {len(order)} certificates, "
                          f"{len(order) - 59} not removed (all {len(order)} are in the backup")
        lines = p.stdout.splitlines()
        removed = removed_by(p.stdout)
        failed = [ln.split()[1] for ln in lines if ln.startswith("FAILED ")]
        not_removed = [ln.split()[1] for ln in lines if ln.startswith("not-removed ")]
        assert removed == [e["sha1"] for e in order[:59]]
        assert failed == [victim["sha1"]]
        assert not_removed == [e["sha1"] for e in order[60:]]
        assert "Input/output error" in [ln for ln in lines if ln.startswith("FAILED ")][0]
        # the store is exactly what the account says, the backup holds everything
        assert sorted(s.certs()) == sorted([s.ours] + failed + not_removed)
        with gzip.open(backup, "rt") as f:
            assert [h for h, _ in pem_blocks(f.read())] == [e["sha1"] for e in order]
        mgw("roots", "restore", "--store", s.store, "--backup", backup)
        assert s.certs() == before


def test_backup_dir_names_each_backup_by_date_and_leaves_other_files_alone():
    with Store() as s:
        with open(os.path.join(s.store, "README"), "w") as f:
            f.write("not a certificate\n")
        key_and_cert = os.path.join(s.store, "gateway.pem")
        with open(key_and_cert, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n")
            f.write(open(os.path.join(MOZILLA, "ISRG_Root_X1.crt")).read())
        plan = s.plan("--keep", s.ours)
        assert {o["name"] for o in plan["other"]} == {"README", "gateway.pem"}
        backups = s.path("backups")
        for _ in range(2):
            p = mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--backup-dir",
                    backups, "--yes")
            assert "removed " in p.stdout
            newest = max(os.listdir(backups),
                         key=lambda n: os.path.getmtime(os.path.join(backups, n)))
            mgw("roots", "restore", "--store", s.store, "--backup", os.path.join(backups, newest))
        names = sorted(os.listdir(backups))
        assert len(names) == 2, names
        assert all(re.fullmatch(r"roots-\d{8}T\d{6}Z(-\d+)?\.pem\.gz", n) for n in names), names
        assert os.path.exists(os.path.join(s.store, "README")) and os.path.exists(key_and_cert)
        # a plan that removes nothing writes nothing
        for e in s.plan("--keep", s.ours)["entries"]:
            if e["action"] == "remove":
                os.remove(os.path.join(s.store, e["origin"]))
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--backup-dir", backups,
                "--yes")
        assert "nothing to remove; no backup written" in p.stdout
        assert sorted(os.listdir(backups)) == names


def test_store_remove_takes_every_copy_of_a_certificate():
    with Store() as s:
        # the same certificate as DER (.cer, already there) and as PEM
        pem = run([OPENSSL, "x509", "-inform", "DER", "-in", s.path("me", "Certificate.cer"),
                   "-outform", "PEM"]).stdout
        with open(os.path.join(s.store, "copy-of-ours.pem"), "w") as f:
            f.write(pem)
        listed = mgw("store", "list", "--store", s.store).stdout
        assert listed.count(s.ours) == 2, listed
        mgw("store", "remove", "--store", s.store, s.pasted())
        assert s.ours not in mgw("store", "list", "--store", s.store).stdout
        assert s.ours not in s.certs()
        p = mgw("store", "remove", "--store", s.store, s.ours, check=False)
        assert p.returncode == 1
        one_error_line(p, "no certificate with thumbprint")


def issued_pair(s):
    """Two certificates issued by a CA of ours (not self-signed) put into the
    store; their SHA-1 as cryptography computes it."""
    pw = s.path("pw.txt")
    mgw("ca", "create", "--subject", "CN=Move CA", "--key", "p256", "--password-file", pw,
        "--out", s.path("ca"))
    out = []
    for i in (1, 2):
        mgw("cert", "create", "--subject", f"CN=issued {i}", "--key", "p256", "--ca",
            s.path("ca", "ca.pfx"), "--ca-password-file", pw, "--password-file", pw,
            "--out", s.path(f"leaf{i}"))
        shutil.copy(s.path(f"leaf{i}", "Certificate.cer"), os.path.join(s.store, f"leaf{i}.cer"))
        c = load(s.path(f"leaf{i}", "Certificate.cer"))
        assert c.issuer != c.subject
        out.append(sha1(c))
    return out


def test_move_intermediates_moves_what_is_not_self_signed_and_restore_takes_it_back():
    with Store() as s:
        issued = issued_pair(s)
        interm = s.path("interm")
        os.mkdir(interm)
        before = s.certs()
        not_self = sorted(t for t, d in before.items()
                          if x509.load_der_x509_certificate(d).issuer !=
                          x509.load_der_x509_certificate(d).subject and t != s.ours)
        assert not_self == sorted(issued), not_self
        p = mgw("roots", "plan", "--store", s.store, "--keep", s.ours, "--move-intermediates",
                "--intermediate-store", interm)
        moves = [ln.split()[1] for ln in p.stdout.splitlines() if ln.startswith("move ")]
        assert sorted(moves) == not_self, p.stdout
        assert f"move: 2 of the removed certificates go to {interm}, not deleted" in p.stdout
        plan = s.plan("--keep", s.ours, "--move-intermediates", "--intermediate-store", interm)
        assert plan["moves"]["to"] == {"kind": "directory", "name": interm}, plan["moves"]
        assert [c["sha1"] for c in plan["moves"]["certificates"]] == moves
        assert [c["subject"] for c in plan["moves"]["certificates"]] == [
            re.match(r"move +[0-9A-F]{40}  (.*)  \(not self-signed", ln).group(1)
            for ln in p.stdout.splitlines() if ln.startswith("move ")]
        assert plan["counts"]["remove"] == len(before) - 1
        p = mgw("roots", "plan", "--store", s.store, "--keep", s.ours, "--move-intermediates",
                check=False)
        assert p.returncode == 2 and "--intermediate-store" in p.stderr, p.stderr
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--move-intermediates",
                "--intermediate-store", interm, "--backup", s.path("b.pem.gz"))
        assert "dry run" in p.stdout and os.listdir(interm) == [], p.stdout
        backup = s.path("b.pem.gz")
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--move-intermediates",
                "--intermediate-store", interm, "--backup", backup, "--yes")
        assert sorted(ln.split()[1] for ln in p.stdout.splitlines()
                      if ln.startswith("copied ")) == not_self, p.stdout
        assert list(s.certs()) == [s.ours]
        in_ca = {sha1(load(os.path.join(interm, n))) for n in os.listdir(interm)}
        assert in_ca == set(not_self), in_ca
        with gzip.open(backup, "rt") as f:
            assert set(not_self) <= set(re.findall(r"# sha1: ([0-9A-F]{40})\n", f.read()))
        record = open(backup + ".moved.txt").read().splitlines()
        assert record[1] == f"store {interm}" and sorted(record[3:]) == not_self, record
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup)
        assert f"verified: {interm} holds none of the 2 moved certificates" in p.stdout, p.stdout
        after = s.certs()
        assert sorted(after) == sorted(before) and all(after[t] == before[t] for t in before)
        assert os.listdir(interm) == []
        record = open(backup + ".moved.txt").read().splitlines()
        assert sorted(record[3:]) == sorted("taken-back " + t for t in not_self), record
        # again: nothing to add, nothing to take out
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup)
        assert "was taken back before" in p.stdout and s.certs() == before, p.stdout
        assert os.listdir(interm) == []


def moved(s, interm, backup, *extra):
    """prune --move-intermediates of the issued pair into interm."""
    return mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--move-intermediates",
               "--intermediate-store", interm, "--backup", backup, "--yes", *extra)


def in_store(d):
    return sorted(sha1(load(os.path.join(d, n))) for n in os.listdir(d))


def test_a_move_record_belongs_to_its_backup_and_is_never_orphaned():
    with Store() as s:
        issued = issued_pair(s)
        interm, backup = s.path("interm"), s.path("b.pem.gz")
        os.mkdir(interm)
        moved(s, interm, backup)
        assert in_store(interm) == sorted(issued)
        record = open(backup + ".moved.txt").read().splitlines()
        with open(backup, "rb") as f:
            assert record[2] == "backup-sha256 " + hashlib.sha256(f.read()).hexdigest()
        other = sorted(glob.glob(os.path.join(MOZILLA, "*.crt")))[0]
        shutil.copy(other, s.store)
        # a plain prune replacing the backup would leave the record to the new one
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--backup", backup,
                "--force", "--yes", check=False)
        assert p.returncode == 1, p.stdout
        one_error_line(p, f"{backup}.moved.txt records 2 certificates moved to {interm} and not "
                          "taken back")
        assert len(s.certs()) == 2 and in_store(interm) == sorted(issued)
        # the backup replaced behind its back: restore takes nothing out of interm
        first = open(backup, "rb").read()
        mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--backup", s.path("c.pem.gz"),
            "--yes")
        shutil.copy(s.path("c.pem.gz"), backup)
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup)
        assert "does not belong to this backup" in p.stdout, p.stdout
        assert "taken-back" not in p.stdout and in_store(interm) == sorted(issued)
        # its own backup back: the move is taken back
        with open(backup, "wb") as f:
            f.write(first)
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup)
        assert f"verified: {interm} holds none of the 2 moved certificates" in p.stdout, p.stdout
        assert os.listdir(interm) == [] and set(issued) <= set(s.certs())
        # a record edited into something else is refused, nothing taken out
        shutil.copy(s.path("leaf1", "Certificate.cer"), interm)
        with open(backup + ".moved.txt", "a") as f:
            f.write("%s\rnot a thumbprint\n" % issued[0])
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup, check=False)
        assert p.returncode == 1 and in_store(interm) == [issued[0]], p.stdout
        one_error_line(p, "'not a thumbprint' is no SHA-1 thumbprint")


def test_restore_takes_a_move_back_once_and_never_what_was_there_before():
    with Store() as s:
        issued = issued_pair(s)
        interm, backup = s.path("interm"), s.path("b.pem.gz")
        os.mkdir(interm)
        # issued[1] was in the intermediate store before the move
        shutil.copy(s.path("leaf2", "Certificate.cer"), os.path.join(interm, "had.cer"))
        p = moved(s, interm, backup)
        assert "present " in p.stdout and in_store(interm) == sorted(issued), p.stdout
        assert open(backup + ".moved.txt").read().splitlines()[3:] == [issued[0]]
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup)
        assert "verified: " in p.stdout and in_store(interm) == [issued[1]], p.stdout
        # the admin puts issued[0] into the intermediate store: the next
        # restore leaves it there
        shutil.copy(s.path("leaf1", "Certificate.cer"), os.path.join(interm, "back.cer"))
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup)
        assert "was taken back before" in p.stdout and "taken-back" not in p.stdout, p.stdout
        assert in_store(interm) == sorted(issued)


def test_restore_never_takes_out_the_last_copy_of_a_certificate():
    """A record of a prune that did not finish ("pending") is taken back
    for what the trust store holds again; a copy of a certificate the trust
    store does not hold stays in the intermediate store."""
    with Store() as s:
        issued = issued_pair(s)
        interm, backup = s.path("interm"), s.path("b.pem.gz")
        os.mkdir(interm)
        moved(s, interm, backup)
        mgw("ca", "create", "--subject", "CN=Elsewhere", "--key", "p256", "--password-file",
            s.path("pw.txt"), "--out", s.path("other"))
        other = sha1(load(s.path("other", "ca.cer")))
        shutil.copy(s.path("other", "ca.cer"), interm)
        lines = open(backup + ".moved.txt").read().splitlines()
        lines[2] = "backup-sha256 pending"
        with open(backup + ".moved.txt", "w") as f:
            f.write("\n".join(lines + [other]) + "\n")
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup)
        assert re.search(rf"^kept +{other}  stays in {re.escape(interm)}", p.stdout, re.M), p.stdout
        assert f"verified: {interm} holds none of the 2 moved certificates" in p.stdout, p.stdout
        assert in_store(interm) == [other] and set(issued) <= set(s.certs())
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--backup", backup,
                "--force", "--yes", check=False)
        one_error_line(p, "records 1 certificate moved to")


def test_a_prune_stopped_before_its_backup_is_taken_back_by_the_next_one():
    """The record is written and the copies made before the prune writes
    the backup: after a stop in between (no backup, nothing removed), the
    next prune with that backup takes the copies out again first."""
    with Store() as s:
        issued = issued_pair(s)
        interm, backup = s.path("interm"), s.path("b.pem.gz")
        os.mkdir(interm)
        moved(s, interm, backup)
        # as it was after the copies, before the backup
        os.remove(backup)
        for i in (1, 2):
            shutil.copy(s.path(f"leaf{i}", "Certificate.cer"),
                        os.path.join(s.store, f"leaf{i}.cer"))
        assert sorted(s.certs()) == sorted([s.ours] + issued)
        lines = open(backup + ".moved.txt").read().splitlines()
        lines[2] = "backup-sha256 pending"
        with open(backup + ".moved.txt", "w") as f:
            f.write("\n".join(lines) + "\n")
        record = open(backup + ".moved.txt").read()
        args = ["roots", "prune", "--store", s.store, "--keep", s.ours, "--move-intermediates",
                "--intermediate-store", interm, "--backup", backup]
        p = mgw(*args)
        assert "stopped before writing its backup: with --yes" in p.stdout, p.stdout
        assert open(backup + ".moved.txt").read() == record and in_store(interm) == sorted(issued)
        p = mgw(*args, "--yes")
        assert p.stdout.count("taken-back ") == 2 and "replacing " in p.stdout, p.stdout
        assert p.stdout.count("copied ") == 2 and in_store(interm) == sorted(issued), p.stdout
        with open(backup, "rb") as f:
            assert ("backup-sha256 " + hashlib.sha256(f.read()).hexdigest() in
                    open(backup + ".moved.txt").read().splitlines())


def test_a_half_taken_back_move_is_not_dropped_by_a_forced_prune():
    with Store() as s:
        issued = issued_pair(s)
        interm, backup = s.path("interm"), s.path("b.pem.gz")
        os.mkdir(interm)
        moved(s, interm, backup)
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup, "--only", issued[0])
        assert in_store(interm) == [issued[1]] and issued[0] in s.certs(), p.stdout
        record = open(backup + ".moved.txt").read()
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--move-intermediates",
            "--intermediate-store", interm, "--backup", backup, "--yes", "--force", check=False)
        assert p.returncode == 1, p.stdout
        one_error_line(p, "records 1 certificate moved to")
        assert open(backup + ".moved.txt").read() == record and issued[0] in s.certs()
        assert in_store(interm) == [issued[1]]
        # nothing to move this time (a root goes): still refused
        shutil.copy(sorted(glob.glob(os.path.join(MOZILLA, "*.crt")))[0], s.store)
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--keep", issued[0],
                "--move-intermediates", "--intermediate-store", interm, "--backup", backup,
                "--yes", "--force", check=False)
        assert p.returncode == 1 and "move: 0 of" in p.stdout, p.stdout
        one_error_line(p, "records 1 certificate moved to")
        assert open(backup + ".moved.txt").read() == record and len(s.certs()) == 3
        p = mgw("roots", "restore", "--store", s.store, "--backup", backup)
        assert "verified: " in p.stdout and os.listdir(interm) == [], p.stdout
        # fully taken back: a forced prune may now replace backup and record
        p = moved(s, interm, backup, "--force")
        assert "replacing " in p.stdout and in_store(interm) == sorted(issued), p.stdout


def test_the_intermediate_store_is_never_the_trust_store():
    with Store() as s:
        before = s.certs()
        os.symlink(s.store, s.path("link"))
        for same in (s.store + "/", s.path("link"), s.path("link", "..", "store")):
            for cmd in ("plan", "prune"):
                extra = ["--backup", s.path("b.pem.gz"), "--yes"] if cmd == "prune" else []
                p = mgw("roots", cmd, "--store", s.store, "--keep", s.ours, "--move-intermediates",
                        "--intermediate-store", same, *extra, check=False)
                assert p.returncode == 2 and "is the trust store itself" in p.stderr, p.stderr
        p = mgw("roots", "plan", "--system-store", "LocalMachine\\Root", "--keep", s.ours,
                "--move-intermediates", "--intermediate-system-store", "localmachine/ROOT",
                check=False)
        assert p.returncode == 2 and "is the trust store itself" in p.stderr, p.stderr
        assert s.certs() == before and not os.path.exists(s.path("b.pem.gz"))


def test_move_intermediates_takes_the_copies_back_when_the_prune_fails():
    assert SHIM and os.path.exists(SHIM), "MGW_UNLINK_FAULT must name the unlink shim"
    with Store() as s:
        issued_pair(s)
        interm = s.path("interm")
        os.mkdir(interm)
        before = s.certs()
        order = [e for e in s.plan("--keep", s.ours)["entries"] if e["action"] == "remove"]
        env = dict(os.environ, LD_PRELOAD=SHIM, MGW_FAIL_UNLINK="/" + order[0]["origin"])
        p = mgw("roots", "prune", "--store", s.store, "--keep", s.ours, "--move-intermediates",
                "--intermediate-store", interm, "--backup", s.path("b.pem.gz"), "--yes",
                check=False, env=env)
        assert p.returncode == 1, p.stdout
        assert p.stdout.count("taken-back ") == 2, p.stdout
        assert s.certs() == before and os.listdir(interm) == []


def test_keep_cert_keeps_the_certificate_and_its_issuers_up_to_the_root():
    """--keep-cert FILE: the client certificate's CA (the leaf itself is not
    in the store), or a server certificate's chain: intermediate and root,
    judged by cryptography's view of who issued whom."""
    with Store() as s:
        pw = s.path("pw.txt")
        mgw("ca", "create", "--subject", "CN=Keep Root", "--key", "p256", "--password-file", pw,
            "--out", s.path("kroot"))
        mgw("cert", "create", "--subject", "CN=client", "--key", "p256", "--ca",
            s.path("kroot", "ca.pfx"), "--ca-password-file", pw, "--password-file", pw,
            "--out", s.path("client"))
        shutil.copy(s.path("kroot", "ca.cer"), os.path.join(s.store, "kroot.cer"))
        root = sha1(load(s.path("kroot", "ca.cer")))
        client = load(s.path("client", "Certificate.cer"))
        assert client.issuer == load(s.path("kroot", "ca.cer")).subject
        plan = s.plan("--keep", s.ours, "--keep-cert", s.path("client", "Certificate.cer"))
        kept = sorted(e["sha1"] for e in plan["entries"] if e["action"] == "keep")
        assert kept == sorted([s.ours, root]), kept
        assert plan["missing"] == []
        # the leaf in the store too: both kept
        shutil.copy(s.path("client", "Certificate.cer"), os.path.join(s.store, "client.cer"))
        plan = s.plan("--keep-cert", s.path("client", "Certificate.cer"))
        kept = sorted(e["sha1"] for e in plan["entries"] if e["action"] == "keep")
        assert kept == sorted([sha1(client), root]), kept
        # a certificate neither in the store nor issued by one in it
        p = mgw("roots", "plan", "--store", s.store, "--keep-cert", s.path("me", "Certificate.cer"),
                check=False)
        assert p.returncode == 0, p.stderr  # ours is in the store
        os.remove(os.path.join(s.store, "kroot.cer"))
        os.remove(os.path.join(s.store, "client.cer"))
        p = mgw("roots", "plan", "--store", s.store, "--keep", s.ours, "--keep-cert",
                s.path("client", "Certificate.cer"), check=False)
        assert p.returncode == 1, p.stdout
        one_error_line(p, "neither it nor an issuer of it is in the store")



def make_cert(subject, key, issuer=None, issuer_key=None, ca=True):
    """A certificate made by cryptography (P-256): self-signed without issuer."""
    import datetime
    from cryptography.hazmat.primitives.asymmetric import ec
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(issuer.subject if issuer is not None else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return b.sign(issuer_key if issuer_key is not None else key, hashes.SHA256())


def pem(*certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def put(path, *certs):
    with open(path, "wb") as f:
        f.write(pem(*certs))


def test_keep_cert_follows_the_chain_through_the_intermediate_store_and_every_issuer():
    """leaf -> intermediate (not in the trust store) -> root, and a
    cross-signed root: every issuer that verifies is kept, only from the
    trust store; a chain longer than the depth limit is said to be."""
    from cryptography.hazmat.primitives.asymmetric import ec
    with Store() as s:
        k0, k1, ki, kl = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
        r0 = make_cert("Keep R0", k0)
        r1 = make_cert("Keep R1", k1)
        r1x = make_cert("Keep R1", k1, r0, k0)  # R1 cross-signed by R0
        inter = make_cert("Keep I", ki, r1, k1)
        leaf = make_cert("keep leaf", kl, inter, ki, ca=False)
        for name, c in (("r0.pem", r0), ("r1.pem", r1), ("r1x.pem", r1x)):
            put(os.path.join(s.store, name), c)
        interm = s.path("interm")
        os.mkdir(interm)
        put(os.path.join(interm, "inter.pem"), inter)
        put(s.path("leaf.pem"), leaf)
        put(s.path("leaf-chain.pem"), leaf, inter)
        roots = sorted(map(sha1, (r0, r1, r1x)))
        for extra in (["--keep-cert", s.path("leaf.pem"), "--intermediate-store", interm],
                      ["--keep-cert", s.path("leaf-chain.pem")]):
            plan = s.plan("--keep", s.ours, *extra)
            kept = sorted(e["sha1"] for e in plan["entries"] if e["action"] == "keep")
            assert kept == sorted([s.ours] + roots), (extra, kept)
        # the intermediate store alone is no trust: without the root, nothing
        for name in ("r0.pem", "r1.pem", "r1x.pem"):
            os.remove(os.path.join(s.store, name))
        p = mgw("roots", "plan", "--store", s.store, "--keep", s.ours, "--keep-cert",
                s.path("leaf.pem"), "--intermediate-store", interm, check=False)
        assert p.returncode == 1, p.stdout
        one_error_line(p, "neither it nor an issuer of it is in the store")
        # nine intermediates between the leaf and the root: past the limit
        keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(11)]
        chain = [make_cert("Deep root", keys[0])]
        for i in range(1, 11):
            chain.append(make_cert(f"Deep {i}", keys[i], chain[-1], keys[i - 1], ca=i < 10))
        put(os.path.join(s.store, "deep-root.pem"), chain[0])
        put(s.path("deep.pem"), *reversed(chain[1:]))
        p = mgw("roots", "plan", "--store", s.store, "--keep", s.ours, "--keep-cert",
                s.path("deep.pem"), check=False)
        assert p.returncode == 1 and "longer than 8 issuers" in p.stderr, p.stderr
        put(s.path("deep.pem"), *reversed(chain[1:9]))  # eight issuers up: reached
        plan = s.plan("--keep", s.ours, "--keep-cert", s.path("deep.pem"))
        assert sha1(chain[0]) in [e["sha1"] for e in plan["entries"] if e["action"] == "keep"]


if __name__ == "__main__":
    tap.main(globals())
