#!/usr/bin/env python3
"""Interop: PFX files written by mgwauth opened by OpenSSL and Python
cryptography, and PFX files written by them (and OpenSSL's legacy RC2 form,
which Windows' own export uses) opened by mgwauth."""
import json
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from workdir import WorkDir, mgw, ossl  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.serialization import pkcs12  # noqa: E402

PASSWORD = "P\u00e4ss w\u00f6rd \U0001F511"


class Work(WorkDir):
    def __init__(self):
        super().__init__("mgw-pfx-")
        self.pw = self.path("pw.txt")
        self.write_pw(self.pw, PASSWORD)

    def write_pw(self, path, text):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        return path

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()


def create(w, *extra, out="out", name="Certificate"):
    mgw("cert", "create", "--subject", "CN=imagoverum.com", "--upn", "eas@imagoverum.com",
        "--email", "eas@imagoverum.com", "--password-file", w.pw, "--out", w.path(out),
        "--name", name, *extra)
    return w.path(out, name + ".pfx"), w.path(out, name + ".cer")


def info(w, pfx, password_file=None, legacy=False):
    args = ["pkcs12", "-in", pfx, "-passin", f"file:{password_file or w.pw}", "-info", "-noout"]
    if legacy:
        args.append("-legacy")
    p = ossl(*args)
    return p.stdout + p.stderr


def test_compat_profile_opens_in_openssl_with_the_claimed_algorithms():
    with Work() as w:
        pfx, cer = create(w)
        assert stat.S_IMODE(os.stat(pfx).st_mode) == 0o600
        text = info(w, pfx)
        assert "MAC: sha1, Iteration 2048" in text, text
        assert text.count("pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048") == 2, text
        certs = ossl("pkcs12", "-in", pfx, "-passin", f"file:{w.pw}", "-nokeys").stdout
        assert "friendlyName: imagoverum.com" in certs
        with open(w.path("from-pfx.pem"), "w") as f:
            f.write(certs)
        ossl("x509", "-in", w.path("from-pfx.pem"), "-outform", "der", "-out", w.path("c.der"))
        assert w.read(w.path("c.der")) == w.read(cer), "OpenSSL found another certificate"
        claimed = json.loads(mgw("pfx", "show", pfx, "--password-file", w.pw, "--json").stdout)
        assert claimed["key_bag"]["algorithm"] == "pbeWithSHAAnd3-KeyTripleDES-CBC"
        assert claimed["mac"] == {"algorithm": "HMAC-SHA1", "iterations": 2048, "salt_length": 16}


def test_modern_profile_opens_in_openssl_with_the_claimed_algorithms():
    with Work() as w:
        pfx, _ = create(w, "--profile", "modern", "--iterations", "4096")
        text = info(w, pfx)
        assert "MAC: sha256, Iteration 4096" in text, text
        assert text.count("PBES2, PBKDF2, AES-256-CBC, Iteration 4096, PRF hmacWithSHA256") == 2


def test_cryptography_loads_both_profiles_and_the_key_matches():
    for profile in ("compat", "modern"):
        for key in ("rsa2048", "p256"):
            with Work() as w:
                pfx, cer = create(w, "--profile", profile, "--key", key)
                k, c, extra = pkcs12.load_key_and_certificates(w.read(pfx),
                                                               PASSWORD.encode("utf-8"))
                assert c is not None and k is not None, (profile, key)
                assert c.public_bytes(serialization.Encoding.DER) == w.read(cer)
                assert k.public_key().public_numbers() == c.public_key().public_numbers()
                assert extra == []
                full = pkcs12.load_pkcs12(w.read(pfx), PASSWORD.encode("utf-8"))
                assert full.cert.friendly_name == b"imagoverum.com"
                try:
                    pkcs12.load_key_and_certificates(w.read(pfx), b"wrong")
                except ValueError:
                    pass
                else:
                    raise AssertionError("wrong password accepted")


def test_chain_and_ca_kept_as_pfx():
    with Work() as w:
        mgw("ca", "create", "--subject", "CN=Corp Device CA", "--key", "p384",
            "--password-file", w.pw, "--out", w.path("ca"))
        assert sorted(os.listdir(w.path("ca"))) == ["ca.cer", "ca.key", "ca.pfx"]
        capw = w.write_pw(w.path("capw"), PASSWORD)
        mgw("cert", "create", "--subject", "CN=phone-9", "--upn", "p9@imagoverum.com",
            "--key", "p256", "--ca", w.path("ca", "ca.pfx"), "--ca-password-file", capw,
            "--chain", "--password-file", w.pw, "--out", w.path("dev"), "--name", "phone-9")
        pfx = w.path("dev", "phone-9.pfx")
        k, c, extra = pkcs12.load_key_and_certificates(w.read(pfx), PASSWORD.encode("utf-8"))
        ca = x509.load_der_x509_certificate(w.read(w.path("ca", "ca.cer")))
        assert len(extra) == 1 and extra[0] == ca
        assert c.issuer == ca.subject
        certs = ossl("pkcs12", "-in", pfx, "-passin", f"file:{w.pw}", "-nokeys").stdout
        assert certs.count("BEGIN CERTIFICATE") == 2
        chain = w.path("chain.pem")
        with open(chain, "w") as f:
            f.write(ca.public_bytes(serialization.Encoding.PEM).decode())
        leaf = w.path("leaf.pem")
        with open(leaf, "w") as f:
            f.write(c.public_bytes(serialization.Encoding.PEM).decode())
        assert ossl("verify", "-purpose", "sslclient", "-CAfile", chain, leaf).stdout.strip() \
            .endswith(": OK")
        shown = json.loads(mgw("pfx", "show", pfx, "--password-file", w.pw, "--json").stdout)
        assert len(shown["chain"]) == 1 and shown["chain"][0]["subject"] == "CN=Corp Device CA"


def test_windows_attributes_as_openssl_shows_them():
    with Work() as w:
        pfx, _ = create(w, "--keyspec", "exchange", "--machine-keyset", "--csp",
                        "Microsoft Enhanced RSA and AES Cryptographic Provider",
                        "--friendly-name", "EAS Ger\u00e4t")
        out = ossl("pkcs12", "-in", pfx, "-passin", f"file:{w.pw}", "-nocerts", "-nodes").stdout
        assert "Microsoft CSP Name: Microsoft Enhanced RSA and AES Cryptographic Provider" in out, out
        assert "Microsoft Local Key set" in out, out
        assert "X509v3 Key Usage: 10" in out, out
        assert "friendlyName: EAS Ger" in out, out
        pfx2, _ = create(w, "--keyspec", "signature", out="o2")
        out = ossl("pkcs12", "-in", pfx2, "-passin", f"file:{w.pw}", "-nocerts", "-nodes").stdout
        assert "X509v3 Key Usage: 80" in out, out


def openssl_pfx(w, name, *args, password="pw"):
    key, cert = w.path("k.pem"), w.path("c.pem")
    if not os.path.exists(key):
        ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj",
             "/CN=openssl made", "-days", "2", "-out", cert)
    out = w.path(name)
    ossl("pkcs12", "-export", "-in", cert, "-inkey", key, "-passout", f"pass:{password}",
         "-name", "from openssl", "-out", out, *args)
    return out


def show(w, pfx, password):
    pwf = w.write_pw(w.path("show.pw"), password)
    return json.loads(mgw("pfx", "show", pfx, "--password-file", pwf, "--json").stdout)


def test_reads_openssl_default_3des_and_legacy_rc2_files():
    with Work() as w:
        cases = [
            ("default.p12", [], "PBES2 PBKDF2-HMAC-SHA256 AES-256-CBC",
             "PBES2 PBKDF2-HMAC-SHA256 AES-256-CBC", "HMAC-SHA256"),
            ("3des.p12", ["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg",
                          "sha1"], "pbeWithSHAAnd3-KeyTripleDES-CBC",
             "pbeWithSHAAnd3-KeyTripleDES-CBC", "HMAC-SHA1"),
            ("legacy.p12", ["-legacy"], "pbeWithSHAAnd3-KeyTripleDES-CBC",
             "pbeWithSHAAnd40BitRC2-CBC", "HMAC-SHA1"),
            ("rc2-128.p12", ["-legacy", "-certpbe", "PBE-SHA1-RC2-128"],
             "pbeWithSHAAnd3-KeyTripleDES-CBC", "pbeWithSHAAnd128BitRC2-CBC", "HMAC-SHA1"),
            ("aes128-sha512.p12", ["-keypbe", "AES-128-CBC", "-certpbe", "AES-128-CBC",
                                   "-macalg", "sha512"],
             "PBES2 PBKDF2-HMAC-SHA256 AES-128-CBC", "PBES2 PBKDF2-HMAC-SHA256 AES-128-CBC",
             "HMAC-SHA512"),
        ]
        for name, args, keyalg, certalg, mac in cases:
            pfx = openssl_pfx(w, name, *args)
            j = show(w, pfx, "pw")
            assert j["key_bag"]["algorithm"] == keyalg, (name, j)
            assert j["cert_bags"]["algorithm"] == certalg, (name, j)
            assert j["mac"]["algorithm"] == mac, (name, j)
            assert j["friendly_name"] == "from openssl"
            fp = ossl("x509", "-in", w.path("c.pem"), "-noout", "-fingerprint", "-sha1").stdout
            assert fp.strip().split("=")[1].replace(":", "") == j["certificate"]["thumbprint_sha1"]
            bad = mgw("pfx", "show", pfx, "--password-file", w.write_pw(w.path("b"), "nope"),
                      check=False)
            assert bad.returncode == 1
            assert "wrong password or corrupted file (MAC check failed)" in bad.stderr


def test_reads_cryptography_files_with_both_encryptions():
    with Work() as w:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "py made")])
        import datetime
        now = datetime.datetime.utcnow()
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                .sign(key, hashes.SHA256()))
        variants = {"best": serialization.BestAvailableEncryption(b"pw")}
        if hasattr(serialization.PrivateFormat.PKCS12, "encryption_builder"):
            variants["3des"] = (serialization.PrivateFormat.PKCS12.encryption_builder()
                                .kdf_rounds(3000)
                                .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
                                .hmac_hash(hashes.SHA1()).build(b"pw"))
        else:
            raise AssertionError("this cryptography cannot write the 3DES form")
        for label, enc in variants.items():
            blob = pkcs12.serialize_key_and_certificates(b"py", key, cert, None, enc)
            path = w.path(label + ".p12")
            with open(path, "wb") as f:
                f.write(blob)
            j = show(w, path, "pw")
            assert j["friendly_name"] == "py", j
            assert j["key"] == "EC 256"
            fp = cert.fingerprint(hashes.SHA1()).hex().upper()
            assert j["certificate"]["thumbprint_sha1"] == fp
            if label == "3des":
                assert j["key_bag"] == {"algorithm": "pbeWithSHAAnd3-KeyTripleDES-CBC",
                                        "iterations": 3000}


def test_null_and_empty_password_files_both_open_with_an_empty_password():
    with Work() as w:
        key = ec.generate_private_key(ec.SECP256R1())
        import datetime
        name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "nopass")])
        now = datetime.datetime.utcnow()
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(1).not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
        blob = pkcs12.serialize_key_and_certificates(b"n", key, cert, None,
                                                     serialization.NoEncryption())
        nullpw = w.path("null.p12")
        with open(nullpw, "wb") as f:
            f.write(blob)
        emptypw = openssl_pfx(w, "empty.p12", password="")
        empty = w.path("empty.txt")
        open(empty, "w").close()
        for path in (nullpw, emptypw):
            p = mgw("pfx", "show", path, "--password-file", empty)
            assert "Certificate:" in p.stdout, (path, p.stderr)
        # our own file written with the empty password opens in OpenSSL with pass:
        mgw("cert", "create", "--subject", "CN=e", "--key", "p256", "--password-file", empty,
            "--out", w.path("e"))
        ossl("pkcs12", "-in", w.path("e", "Certificate.pfx"), "-passin", "pass:", "-info",
             "-noout")
        k, c, _ = pkcs12.load_key_and_certificates(w.read(w.path("e", "Certificate.pfx")), b"")
        assert k is not None and c is not None


def test_convert_reencrypts_for_old_devices_and_back():
    with Work() as w:
        src = openssl_pfx(w, "modern.p12")  # OpenSSL 3 default: what old Android rejects
        pw = w.write_pw(w.path("src.pw"), "pw")
        newpw = w.write_pw(w.path("new.pw"), PASSWORD)
        out = w.path("compat.pfx")
        mgw("pfx", "convert", src, out, "--password-file", pw, "--new-password-file", newpw,
            "--profile", "compat")
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        text = info(w, out, newpw)
        assert text.count("pbeWithSHA1And3-KeyTripleDES-CBC") == 2 and "MAC: sha1" in text
        k, c, _ = pkcs12.load_key_and_certificates(w.read(out), PASSWORD.encode())
        assert k.public_key().public_numbers() == c.public_key().public_numbers()
        assert json.loads(mgw("pfx", "show", out, "--password-file", newpw, "--json")
                          .stdout)["friendly_name"] == "from openssl"
        p = mgw("pfx", "convert", src, out, "--password-file", pw, "--profile", "modern",
                check=False)
        assert p.returncode == 1 and "--force" in p.stderr
        mgw("pfx", "convert", out, out, "--password-file", newpw, "--profile", "modern", "--force")
        assert "PBES2" in info(w, out, newpw)


def test_cert_create_writes_pfx_and_cer_and_key_pem_only_on_request():
    with Work() as w:
        create(w)
        assert sorted(os.listdir(w.path("out"))) == ["Certificate.cer", "Certificate.pfx"]
        create(w, "--key-pem", out="o2")
        assert sorted(os.listdir(w.path("o2"))) == ["Certificate.cer", "Certificate.key",
                                                    "Certificate.pfx"]
        p = mgw("cert", "create", "--subject", "CN=x", "--password-file", w.pw, "--out",
                w.path("o3"), "--profile", "weird", check=False)
        assert p.returncode == 2 and not os.path.exists(w.path("o3"))
        p = mgw("cert", "create", "--subject", "CN=x", "--password-file", w.pw, "--out",
                w.path("o3"), "--chain", check=False)
        assert p.returncode == 2


if __name__ == "__main__":
    tap.main(globals())
