#!/usr/bin/env python3
"""Every command of mgwauth.exe (mingw-w64, mbedTLS 3.6) under Wine, from a
fresh prefix (TAP). Nothing here comes from the Linux build: mgwauth.exe makes
every certificate and PFX, and software nobody here wrote judges them: OpenSSL
(pkcs12, verify -purpose sslclient), Python cryptography, nginx with
ssl_verify_client, and crypt32 itself for the system store (CRYPT32_READER, a
small crypt32-only program)."""
import csv
import hashlib
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402
from wineprefix import WorkPrefix, run  # noqa: E402
from workdir import free_port, wait_port  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.serialization import pkcs12  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

EXE = os.path.abspath(os.environ.get("MGWAUTH_EXE", "mgwauth.exe"))
READER = os.path.abspath(os.environ.get("CRYPT32_READER", "crypt32_reader.exe"))
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
UPN_OID = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
PASSWORD = "Wine-Test-Pass-1"
# a subject beyond ASCII: the command line, the certificate and the output
SUBJECT = "CN=Jürgen Müller-Łukasz,O=Imago Verum"
FLEET = "Flotte-Geräte"


class Wine(WorkPrefix):
    def __init__(self):
        super().__init__("mgw-cmd-", EXE, READER)
        with open(self.path("pw.txt"), "w", encoding="utf-8") as f:
            f.write(PASSWORD + "\n")


_wine = None


def wine():
    global _wine
    if _wine is None:
        _wine = Wine()
    return _wine


def read(path):
    with open(path, "rb") as f:
        return f.read()


def sha1(der):
    return hashlib.sha1(der).hexdigest().upper()


def openssl(*args):
    p = run([OPENSSL, *args], check=False)
    assert p.returncode == 0, (args, p.stderr.decode(errors="replace"))
    return p.stdout.decode(errors="replace")


def pem_of(der_path):
    out = der_path + ".pem"
    openssl("x509", "-inform", "der", "-in", der_path, "-out", out)
    return out


def check_pfx(pfx_path, password, cer_path):
    """OpenSSL and cryptography open the PFX; its certificate is the CER."""
    w = wine()
    pw_file = os.path.join(w.tmp, "pw-check.txt")
    with open(pw_file, "w", encoding="utf-8") as f:
        f.write(password + "\n")
    certs = openssl("pkcs12", "-in", pfx_path, "-passin", f"file:{pw_file}", "-nokeys")
    keys = openssl("pkcs12", "-in", pfx_path, "-passin", f"file:{pw_file}", "-nocerts",
                   "-nodes")
    assert "BEGIN CERTIFICATE" in certs and "PRIVATE KEY" in keys
    key, cert, _ = pkcs12.load_key_and_certificates(read(pfx_path), password.encode())
    assert key is not None and cert is not None
    from cryptography.hazmat.primitives.serialization import Encoding
    assert cert.public_bytes(Encoding.DER) == read(cer_path)
    return key, cert


def test_version_names_mbedtls_36_and_tls13():
    out = wine().mgw("version").stdout
    want = os.environ.get("MGW_MBEDTLS_VERSION", "3.6")
    assert f"on mbedTLS {want}" in out and "TLS 1.2 and 1.3" in out, out


def test_cert_create_rsa2048_and_p256_with_upn_and_email():
    w = wine()
    for key in ("rsa2048", "p256"):
        p = w.mgw("cert", "create", "--subject", SUBJECT, "--upn", f"eas-{key}@imagoverum.com",
                  "--email", f"eas-{key}@imagoverum.com", "--key", key, "--password-file",
                  "pw.txt", "--out", "created", "--name", key)
        assert f"subject:    {SUBJECT}" in p.stdout, p.stdout
        cer = w.path("created", key + ".cer")
        _, cert = check_pfx(w.path("created", key + ".pfx"), PASSWORD, cer)
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == \
            "Jürgen Müller-Łukasz"
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.RFC822Name) == [f"eas-{key}@imagoverum.com"]
        upn = [o for o in san.get_values_for_type(x509.OtherName) if o.type_id == UPN_OID]
        assert len(upn) == 1 and f"eas-{key}@imagoverum.com".encode() in upn[0].value
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
        pem = pem_of(cer)
        out = openssl("verify", "-purpose", "sslclient", "-CAfile", pem, pem)
        assert out.strip().endswith(": OK"), out


def test_import_cer_into_system_stores_is_seen_by_crypt32():
    w = wine()
    # a wrong store name: refused before anything is made or written
    p = w.mgw("cert", "create", "--subject", "CN=gateway", "--password-file", "pw.txt",
              "--out", "gw-bad", "--import-cer", "LocalMachine\\NoSuchStore", check=False)
    assert p.returncode == 1 and "unknown system store" in p.stderr, p.stderr
    assert not os.path.exists(w.path("gw-bad"))
    p = w.mgw("cert", "create", "--subject", "CN=imagoverum.com", "--upn",
              "eas@imagoverum.com", "--email", "eas@imagoverum.com", "--password-file",
              "pw.txt", "--out", "gw", "--import-cer", "LocalMachine\\Root")
    tp = sha1(read(w.path("gw", "Certificate.cer")))
    assert f"imported:   {tp} into LocalMachine\\Root" in p.stdout, p.stdout
    check_pfx(w.path("gw", "Certificate.pfx"), PASSWORD, w.path("gw", "Certificate.cer"))
    found = w.wine(READER, "LocalMachine", "Root", tp, check=False)
    assert found.returncode == 0, (found.returncode, found.stderr)
    assert b"CN=imagoverum.com" in found.stdout, found.stdout
    # not in another store
    assert w.wine(READER, "CurrentUser", "My", tp, check=False).returncode == 1
    # adding it again changes nothing
    p = w.mgw("store", "add", "--system-store", "LocalMachine\\Root", "gw\\Certificate.cer")
    assert p.stdout.startswith("present " + tp), p.stdout
    # any Location\\Name: a CA certificate into CurrentUser\\TrustedPeople
    p = w.mgw("ca", "create", "--subject", "CN=People CA", "--key", "p256", "--password-file",
              "pw.txt", "--out", "people", "--import-cer", "currentuser/trustedpeople")
    tp2 = sha1(read(w.path("people", "ca.cer")))
    assert f"imported:   {tp2} into currentuser/trustedpeople" in p.stdout, p.stdout
    found = w.wine(READER, "CurrentUser", "TrustedPeople", tp2, check=False)
    assert found.returncode == 0 and b"CN=People CA" in found.stdout, found.stdout
    assert w.wine(READER, "LocalMachine", "Root", tp2, check=False).returncode == 1


def test_pfx_convert_to_modern_keeps_key_and_certificate():
    w = wine()
    w.mgw("cert", "create", "--subject", "CN=convert me", "--key", "p256", "--password-file",
          "pw.txt", "--out", "conv", "--name", "old")
    with open(w.path("new-pw.txt"), "w", encoding="utf-8") as f:
        f.write("Another-Pass-2\n")
    w.mgw("pfx", "convert", "conv\\old.pfx", "conv\\new.pfx", "--password-file", "pw.txt",
          "--new-password-file", "new-pw.txt", "--profile", "modern")
    key, _ = check_pfx(w.path("conv", "new.pfx"), "Another-Pass-2", w.path("conv", "old.cer"))
    old_key, _ = check_pfx(w.path("conv", "old.pfx"), PASSWORD, w.path("conv", "old.cer"))
    assert key.private_numbers() == old_key.private_numbers()
    p = run([OPENSSL, "pkcs12", "-in", w.path("conv", "new.pfx"), "-passin",
             "pass:Another-Pass-2", "-info", "-noout"])
    info = (p.stdout + p.stderr).decode(errors="replace")  # -info writes to stderr
    assert "AES-256-CBC" in info and "sha256" in info.lower(), info
    out = w.mgw("pfx", "show", "conv\\new.pfx", "--password-file", "new-pw.txt").stdout
    assert "AES-256" in out, out


def test_cert_issue_batch_with_two_jobs():
    """Into a directory with a non-ASCII name: the re-run lists it (wide API)."""
    w = wine()
    w.mgw("ca", "create", "--subject", "CN=Wine Device CA,O=Imago Verum", "--key", "p256",
          "--password-file", "pw.txt", "--out", "ca")
    rows = [("phone-1@imagoverum.com", "", "CN=Phone 1"),
            ("jürgen@imagoverum.com", "jurgen@imagoverum.com", "CN=Jürgen's phone"),
            ("phone-3@imagoverum.com", "", ""),
            ("phone-4@imagoverum.com", "", "")]
    with open(w.path("users.csv"), "w", encoding="utf-8", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["upn", "email", "subject"])
        wr.writerows(rows)
    p = w.mgw("cert", "issue", "--ca", "ca\\ca.pfx", "--ca-password-file", "pw.txt",
              "--batch", "users.csv", "--out", FLEET, "--jobs", "2")
    assert "issued 4, already done 0, failed 0" in p.stdout and "2 jobs" in p.stdout, p.stdout
    with open(w.path(FLEET, "passwords.csv"), encoding="utf-8") as f:
        passwords = {r["upn"]: r["password"] for r in csv.DictReader(f)}
    with open(w.path(FLEET, "manifest.csv"), encoding="utf-8") as f:
        manifest = list(csv.DictReader(f))
    assert sorted(passwords) == sorted(r[0] for r in rows), passwords
    assert len(manifest) == 4
    ca_pem = pem_of(w.path("ca", "ca.cer"))
    for m in manifest:
        cer = w.path(FLEET, os.path.basename(m["cer"].replace("\\", "/")))
        pfx = w.path(FLEET, os.path.basename(m["pfx"].replace("\\", "/")))
        _, cert = check_pfx(pfx, passwords[m["upn"]], cer)
        assert sha1(read(cer)) == m["sha1_thumbprint"].replace(":", "").upper(), m
        out = openssl("verify", "-purpose", "sslclient", "-CAfile", ca_pem, pem_of(cer))
        assert out.strip().endswith(": OK"), out
    # a re-run resumes: nothing to do
    p = w.mgw("cert", "issue", "--ca", "ca\\ca.pfx", "--ca-password-file", "pw.txt",
              "--batch", "users.csv", "--out", FLEET, "--jobs", "2")
    assert "issued 0, already done 4" in p.stdout, p.stdout


def start_nginx(server_pem, server_key, client_ca):
    d = tempfile.mkdtemp(prefix="nginx-", dir=wine().tmp)
    port = free_port()
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_certificate {server_pem};
        ssl_certificate_key {server_key};
        ssl_client_certificate {client_ca};
        ssl_verify_client on;
        location = /Microsoft-Server-ActiveSync/HealthCheck.htm {{ return 200 "200 OK\\n"; }}
        location / {{ return 404; }}
    }}
}}
""")
    proc = subprocess.Popen([NGINX, "-p", d, "-c", conf, "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc, port


def test_check_against_nginx_passes_with_the_right_pfx_and_fails_with_a_foreign_one():
    w = wine()
    w.mgw("ca", "create", "--subject", "CN=Gateway CA", "--key", "p256", "--password-file",
          "pw.txt", "--out", "gwca")
    w.mgw("ca", "create", "--subject", "CN=Foreign CA", "--key", "p256", "--password-file",
          "pw.txt", "--out", "foreign")
    # an RSA server certificate, as most IIS servers have
    w.mgw("cert", "create", "--subject", "CN=localhost", "--dns", "localhost", "--eku",
          "serverAuth", "--key", "rsa2048", "--ca", "gwca\\ca.pfx", "--ca-password-file",
          "pw.txt", "--password-file", "pw.txt", "--key-pem", "--out", "srv")
    srv_key = w.path("srv", "plain.key")
    openssl("pkey", "-in", w.path("srv", "Certificate.key"), "-passin",
            f"pass:{PASSWORD}", "-out", srv_key)
    for ca, name in (("gwca", "good"), ("foreign", "bad")):
        w.mgw("cert", "create", "--subject", f"CN={name}", "--upn", f"{name}@imagoverum.com",
              "--key", "p256", "--ca", f"{ca}\\ca.pfx", "--ca-password-file", "pw.txt",
              "--password-file", "pw.txt", "--out", "clients", "--name", name)
    ca_pem = pem_of(w.path("gwca", "ca.cer"))
    shutil.copy(ca_pem, w.path("gwca.pem"))
    proc, port = start_nginx(pem_of(w.path("srv", "Certificate.cer")), srv_key, ca_pem)
    try:
        url = f"https://localhost:{port}"
        p = w.mgw("check", url, "--pfx", "clients\\good.pfx", "--password-file", "pw.txt",
                  "--cafile", "gwca.pem", "--timeout", "10", check=False)
        assert p.returncode == 0 and "PASS" in p.stdout, (p.stdout, p.stderr)
        assert "TLSv1.3" in p.stdout, p.stdout
        p = w.mgw("check", url, "--pfx", "clients\\good.pfx", "--password-file", "pw.txt",
                  "--cafile", "gwca.pem", "--tls12", "--timeout", "10", check=False)
        assert p.returncode == 0 and "TLSv1.2" in p.stdout, (p.stdout, p.stderr)
        p = w.mgw("check", url, "--pfx", "clients\\bad.pfx", "--password-file", "pw.txt",
                  "--cafile", "gwca.pem", "--timeout", "10", check=False)
        assert p.returncode == 1 and "FAIL" in p.stdout, (p.stdout, p.stderr)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_non_ascii_subject_redirected_to_a_file_is_utf8():
    w = wine()
    cer = "created\\p256.cer"
    if not os.path.exists(w.path("created", "p256.cer")):
        w.mgw("cert", "create", "--subject", SUBJECT, "--key", "p256", "--password-file",
              "pw.txt", "--out", "created", "--name", "p256")
    # the runner sends stdout to a file: UTF-8 bytes, no BOM
    raw = w.wine(EXE, "cert", "show", cer, cwd=w.work).stdout
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert SUBJECT.encode("utf-8") in raw, raw[:300]


def in_a_console(w, *args):
    """mgwauth.exe on a pseudo-terminal: Wine gives it a console (conhost),
    which draws on the terminal in UTF-8; the drawing's escape sequences are
    taken out."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(w.work)
        env = dict(w.env, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        os.execvpe("wine", ["wine", EXE, *args], env)
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", out)


def test_non_ascii_subject_in_a_console_is_shown_right():
    w = wine()
    if not os.path.exists(w.path("created", "p256.cer")):
        w.mgw("cert", "create", "--subject", SUBJECT, "--key", "p256", "--password-file",
              "pw.txt", "--out", "created", "--name", "p256")
    rc, out = in_a_console(w, "cert", "show", "created\\p256.cer")
    assert rc == 0, out
    # one of the console's lines is the subject, character for character
    lines = [l.strip() for l in out.decode("utf-8", errors="replace").splitlines()]
    assert any(l.endswith(SUBJECT) for l in lines), lines[:12]


if __name__ == "__main__":
    try:
        wine()
    except Exception as e:  # noqa: BLE001 - reported as a failure, not a crash
        print("1..1\nnot ok 1 - wine set-up\n# " + str(e).replace("\n", "\n# "), flush=True)
        sys.exit(1)
    tap.main(globals())
