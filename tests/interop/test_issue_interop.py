#!/usr/bin/env python3
"""Batch issuance: every PFX opens in Python cryptography with its password,
the manifest matches the files, re-running resumes, an interrupt leaves no
partial file, and bad rows are reported by CSV line while the rest goes on."""
import csv
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.serialization import pkcs12  # noqa: E402

MGW = os.environ.get("MGWAUTH", "mgwauth")
OPENSSL = os.environ.get("OPENSSL", "openssl")


def run(args, check=True):
    p = subprocess.run([MGW, *args], capture_output=True, text=True, errors="replace")
    if check and p.returncode != 0:
        raise AssertionError(f"{args}: {p.returncode} {p.stderr}")
    return p


class Fleet:
    def __init__(self):
        self.d = tempfile.mkdtemp(prefix="mgw-fleet-")
        self.pw = self.p("ca.pw")
        with open(self.pw, "w") as f:
            f.write("ca password\n")
        run(["ca", "create", "--subject", "CN=Fleet CA,O=Imago Verum", "--key", "p256",
             "--password-file", self.pw, "--out", self.p("ca")])
        self.ca = x509.load_der_x509_certificate(open(self.p("ca", "ca.cer"), "rb").read())

    def p(self, *parts):
        return os.path.join(self.d, *parts)

    def csv(self, text, name="users.csv"):
        with open(self.p(name), "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return self.p(name)

    def issue(self, csv_path, *extra, check=True):
        return run(["cert", "issue", "--ca", self.p("ca", "ca.pfx"), "--ca-password-file", self.pw,
                    "--batch", csv_path, "--out", self.p("out"), *extra], check=check)

    def rows(self, name):
        with open(self.p("out", name), newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.d, ignore_errors=True)


def users(n, start=0):
    lines = ["upn,email,password"]
    for i in range(start, start + n):
        pw = "given-pw-%d" % i if i % 3 == 0 else ""
        lines.append(f"user{i}@imagoverum.com,user{i}@imagoverum.com,{pw}")
    return "\r\n".join(lines) + "\r\n"


def test_every_pfx_opens_with_its_password_and_matches_the_manifest():
    with Fleet() as f:
        path = f.csv(users(24))
        p = f.issue(path, "--jobs", "2")
        assert "issued 24, already done 0, failed 0" in p.stdout, p.stdout
        manifest = {r["upn"]: r for r in f.rows("manifest.csv")}
        passwords = {r["upn"]: r["password"] for r in f.rows("passwords.csv")}
        assert len(manifest) == 24 and len(passwords) == 16  # every third has its own
        assert stat.S_IMODE(os.stat(f.p("out", "passwords.csv")).st_mode) == 0o600
        serials = set()
        for i in range(24):
            upn = f"user{i}@imagoverum.com"
            pw = ("given-pw-%d" % i) if i % 3 == 0 else passwords[upn]
            assert len(pw) >= 20 or i % 3 == 0
            pfx = f.p("out", manifest[upn]["pfx"])
            assert stat.S_IMODE(os.stat(pfx).st_mode) == 0o600
            key, cert, chain = pkcs12.load_key_and_certificates(open(pfx, "rb").read(),
                                                                pw.encode())
            assert key.public_key().public_numbers() == cert.public_key().public_numbers()
            assert chain == [f.ca] and cert.issuer == f.ca.subject
            assert cert.subject.rfc4514_string() == f"CN={upn}"
            cer = x509.load_der_x509_certificate(open(f.p("out", manifest[upn]["cer"]), "rb")
                                                 .read())
            assert cer == cert
            assert manifest[upn]["sha1_thumbprint"] == cert.fingerprint(hashes.SHA1()).hex().upper()
            assert int(manifest[upn]["serial"], 16) == cert.serial_number
            serials.add(cert.serial_number)
        assert len(serials) == 24
        # no temporary files anywhere
        assert not [n for n in os.listdir(f.p("out")) if n.startswith(".")]


def test_rerun_resumes_and_force_reissues():
    with Fleet() as f:
        path = f.csv(users(6))
        f.issue(path, "--jobs", "1")
        before = {n: open(f.p("out", n), "rb").read() for n in os.listdir(f.p("out"))}
        p = f.issue(path)
        assert "issued 0, already done 6, failed 0" in p.stdout, p.stdout
        assert {n: open(f.p("out", n), "rb").read() for n in os.listdir(f.p("out"))
                if n.endswith((".pfx", ".cer"))} == {k: v for k, v in before.items()
                                                     if k.endswith((".pfx", ".cer"))}
        # the password file still knows the generated passwords
        assert len(f.rows("passwords.csv")) == 4
        # more rows: only the new ones are issued
        p = f.issue(f.csv(users(9), "more.csv"))
        assert "issued 3, already done 6" in p.stdout, p.stdout
        # a damaged output is not silently accepted
        with open(f.p("out", "user1@imagoverum.com.pfx"), "r+b") as fh:
            fh.seek(100)
            fh.write(b"\x00\x01\x02")
        p = f.issue(path, check=False)
        assert p.returncode == 1 and "line 3:" in p.stderr and "--force" in p.stderr, p.stderr
        p = f.issue(path, "--force")
        assert "issued 6" in p.stdout


def test_bad_rows_are_reported_by_line_and_the_rest_is_issued():
    with Fleet() as f:
        text = ("\ufeffupn,subject,friendly_name\n"
                "good1@imagoverum.com,,Phone of Good One\n"
                "not-a-upn,,\n"
                "good2@imagoverum.com,\"CN=Two,O=Imago Verum,C=DE\",\n"
                "GOOD1@imagoverum.com,,\n"
                "too@many.com,,,,\n"
                "bad3@imagoverum.com,CN=x\\,,\n"
                "\"multi\nline@imagoverum.com\",,\n")
        p = f.issue(f.csv(text), check=False)
        assert p.returncode == 1
        err = p.stderr
        for line, what in ((3, "UPN"), (5, "collides with line 2"), (6, "fields"),
                           (7, "subject"), (8, "UPN")):
            assert f"line {line}:" in err and what in err, (line, what, err)
        assert "issued 2," in p.stdout
        names = sorted(r["upn"] for r in f.rows("manifest.csv"))
        assert names == ["good1@imagoverum.com", "good2@imagoverum.com"]
        two = x509.load_der_x509_certificate(open(f.p("out", "good2@imagoverum.com.cer"), "rb")
                                             .read())
        assert two.subject.rfc4514_string() == "CN=Two,O=Imago Verum,C=DE"
        info = subprocess.run([OPENSSL, "pkcs12", "-in", f.p("out", "good1@imagoverum.com.pfx"),
                               "-passin", "pass:" + {r["upn"]: r["password"] for r in
                                                     f.rows("passwords.csv")}["good1@imagoverum.com"],
                               "-nokeys"], capture_output=True, text=True)
        assert "friendlyName: Phone of Good One" in info.stdout, info.stderr


def test_header_problems_stop_before_any_work():
    with Fleet() as f:
        for text, what in (("upn,colour\na@b.com,red\n", "unknown column 'colour'"),
                           ("email\na@b.com\n", "no 'upn' column"),
                           ("upn,UPN\na@b.com,a@b.com\n", "appears twice"),
                           ("upn\n\"broken\n", "unterminated quoted field"),
                           ("upn\n\xff\n".encode("latin-1").decode("latin-1"), "UTF-8")):
            path = f.p("h.csv")
            with open(path, "wb") as fh:
                fh.write(text.encode("latin-1") if "\xff" in text else text.encode())
            p = f.issue(path, check=False)
            assert p.returncode == 1 and what in p.stderr, (text, p.stderr)
            assert not os.path.exists(f.p("out", "manifest.csv"))


def test_file_names_are_safe_everywhere():
    with Fleet() as f:
        text = "upn\ncon@imagoverum.com\na/b@imagoverum.com\nj\u00fcrgen@imagoverum.com\n"
        p = f.issue(f.csv(text), check=False)
        files = sorted(os.listdir(f.p("out")))
        assert "con@imagoverum.com.pfx" in files  # "con" is only reserved as a whole stem
        assert p.returncode == 0, p.stderr
        assert "a_b@imagoverum.com.pfx" in files  # '/' replaced, the UPN inside is kept
        assert "j\u00fcrgen@imagoverum.com.pfx" in files
        ab = x509.load_der_x509_certificate(open(f.p("out", "a_b@imagoverum.com.cer"), "rb").read())
        san = ab.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.OtherName)[0].value == b"\x0c\x12a/b@imagoverum.com"


def test_interrupt_leaves_no_partial_file_and_resume_finishes():
    with Fleet() as f:
        path = f.csv(users(40))
        proc = subprocess.Popen([MGW, "cert", "issue", "--ca", f.p("ca", "ca.pfx"),
                                 "--ca-password-file", f.pw, "--batch", path, "--out",
                                 f.p("out"), "--jobs", "2", "--key", "rsa2048"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode in (0, 130), (proc.returncode, err)
        files = os.listdir(f.p("out"))
        assert not [n for n in files if n.startswith(".")], files  # no temporaries
        pfx = {n[:-4] for n in files if n.endswith(".pfx")}
        cer = {n[:-4] for n in files if n.endswith(".cer")}
        assert pfx == cer, "a row has one file without the other"
        done = len(f.rows("manifest.csv"))
        assert done == len(pfx)
        p = f.issue(path, "--key", "rsa2048")
        assert f"issued {40 - done}, already done {done}, failed 0" in p.stdout, p.stdout


def opens_with_known_password(f, upn):
    """The PFX of a generated-password row opens with the line in passwords.csv."""
    passwords = {r["upn"]: r["password"] for r in f.rows("passwords.csv")}
    pfx = open(f.p("out", upn + ".pfx"), "rb").read()
    key, cert, _ = pkcs12.load_key_and_certificates(pfx, passwords[upn].encode())
    return key is not None and cert is not None


def test_passwords_survive_reruns_subsets_and_a_crash():
    with Fleet() as f:
        f.issue(f.csv("upn\na@imagoverum.com\nb@imagoverum.com\n", "ab.csv"))
        # a larger CSV: a and b are already done, their passwords must stay
        p = f.issue(f.csv("upn\na@imagoverum.com\nb@imagoverum.com\nc@imagoverum.com\n", "abc.csv"))
        assert "issued 1, already done 2" in p.stdout, p.stdout
        assert {r["upn"] for r in f.rows("passwords.csv")} == {"a@imagoverum.com", "b@imagoverum.com",
                                                               "c@imagoverum.com"}
        # another CSV into the same directory keeps the lines of UPNs it does not list
        f.issue(f.csv("upn\nz@imagoverum.com\n", "z.csv"))
        assert len(f.rows("passwords.csv")) == 4
        p = f.issue(f.p("abc.csv"))
        assert "issued 0, already done 3, failed 0" in p.stdout, p.stdout
        for u in "abcz":
            assert opens_with_known_password(f, u + "@imagoverum.com")
        # after a hard kill the appended file may have no header: lines still count
        path = f.p("out", "passwords.csv")
        lines = open(path).read().splitlines()
        assert lines[0] == "upn,password"
        with open(path, "w") as fh:
            fh.write("\n".join(lines[1:]) + "\n")
        p = f.issue(f.p("abc.csv"))
        assert "issued 0, already done 3, failed 0" in p.stdout, (p.stdout, p.stderr)
        assert len(f.rows("passwords.csv")) == 4
        # a line cut short by a crash does not swallow the next one
        with open(path, "a") as fh:
            fh.write("d@imagoverum.com,cut-sho")
        f.issue(f.csv("upn\nd@imagoverum.com\ne@imagoverum.com\n", "de.csv"))
        for u in "abcdez":
            assert opens_with_known_password(f, u + "@imagoverum.com")
        # a row with its own password never has it written to passwords.csv
        f.issue(f.csv("upn,password\nown@imagoverum.com,my-own-secret\n", "own.csv"))
        assert "my-own-secret" not in open(path).read()


def test_hard_kill_then_resume_keeps_every_password():
    with Fleet() as f:
        path = f.csv("upn\n" + "".join(f"k{i}@imagoverum.com\n" for i in range(60)))
        proc = subprocess.Popen([MGW, "cert", "issue", "--ca", f.p("ca", "ca.pfx"),
                                 "--ca-password-file", f.pw, "--batch", path, "--out",
                                 f.p("out"), "--jobs", "1", "--key", "rsa2048"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        proc.kill()
        proc.wait()
        done_before = len([n for n in os.listdir(f.p("out")) if n.endswith(".pfx")])
        p = f.issue(path)
        assert f"already done {done_before}, failed 0" in p.stdout, (p.stdout, p.stderr)
        for i in range(60):
            assert opens_with_known_password(f, f"k{i}@imagoverum.com")


def test_resume_refuses_outputs_of_another_ca_with_the_same_name():
    with Fleet() as f:
        run(["ca", "create", "--subject", "CN=Fleet CA,O=Imago Verum", "--key", "p256",
             "--password-file", f.pw, "--out", f.p("twin")])
        path = f.csv("upn\na@imagoverum.com\n")
        run(["cert", "issue", "--ca", f.p("twin", "ca.pfx"), "--ca-password-file", f.pw,
             "--batch", path, "--out", f.p("out")])
        p = f.issue(path, check=False)
        assert p.returncode == 1 and "not issued by this CA" in p.stderr, (p.stdout, p.stderr)
        p = f.issue(path, "--force")
        assert "issued 1" in p.stdout, p.stdout
        cert = x509.load_der_x509_certificate(open(f.p("out", "a@imagoverum.com.cer"), "rb").read())
        assert cert.issuer == f.ca.subject
        f.ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                 ec.ECDSA(cert.signature_hash_algorithm))


def test_every_file_is_on_disk_before_its_name_and_the_directory_is_synced_before_the_lists():
    """The crash-safety order, from a log of every fsync and rename (LD_PRELOAD):
    each file of a row is fsynced before it is renamed into place (the rows'
    renames are not followed by a directory sync each), the output directory
    is synced after the last row's rename and before manifest.csv and
    passwords.csv replace their files, and each of those is followed by a
    directory sync of its own."""
    lib = os.environ.get("MGW_SYNC_TRACE_LIB")
    assert lib, "MGW_SYNC_TRACE_LIB (the sync_trace shim) is not set"
    with Fleet() as f:
        path = f.csv("upn\n" + "".join(f"s{i}@imagoverum.com\n" for i in range(40)))
        log = f.p("trace.log")
        env = dict(os.environ, LD_PRELOAD=lib, MGW_SYNC_TRACE=log)
        p = subprocess.run([MGW, "cert", "issue", "--ca", f.p("ca", "ca.pfx"),
                            "--ca-password-file", f.pw, "--batch", path, "--out", f.p("out"),
                            "--jobs", "3", "--key", "p256"], env=env, capture_output=True,
                           text=True)
        assert p.returncode == 0, p.stderr
        out = os.path.realpath(f.p("out"))
        events = [line.rstrip("\n").split("\t") for line in open(log)]
        synced, renamed, last_row, dir_syncs = set(), {}, -1, []
        for i, (kind, a, b) in enumerate(events):
            if kind == "fsync":
                synced.add(a)
                if a == out:
                    dir_syncs.append(i)
            elif kind == "rename":
                assert a in synced, f"{b} was renamed into place before {a} was synced"
                renamed[b] = i
                if b.endswith((".pfx", ".cer")):
                    last_row = i
        rows = [n for n in renamed if n.endswith((".pfx", ".cer"))]
        assert len(rows) == 80, len(rows)
        manifest, passwords = renamed[out + "/manifest.csv"], renamed[out + "/passwords.csv"]
        assert any(last_row < d < manifest for d in dir_syncs), "no directory sync after the rows"
        for done in (manifest, passwords):
            assert any(d > done for d in dir_syncs), "a list was not followed by a directory sync"
        # no directory sync per row: the bulk writer syncs it once
        assert len([d for d in dir_syncs if d < last_row]) <= 1, len(dir_syncs)


if __name__ == "__main__":
    tap.main(globals())
