#!/usr/bin/env python3
"""Interop: certificates, keys and requests made by mgwauth, judged by OpenSSL
and Python cryptography (software nobody here wrote), and the reverse."""
import datetime
import json
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from workdir import WorkDir, mgw, ossl  # noqa: E402

from cryptography import x509  # noqa: E402  (a missing module fails the run: no silent skip)
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

UPN_OID = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")


def validity(c):
    """notBefore/notAfter as naive UTC datetimes, on old and new cryptography."""
    if hasattr(c, "not_valid_before_utc"):
        return (c.not_valid_before_utc.replace(tzinfo=None),
                c.not_valid_after_utc.replace(tzinfo=None))
    return c.not_valid_before, c.not_valid_after


def lifetime(c):
    nb, na = validity(c)
    return na - nb


class Work(WorkDir):
    def __init__(self):
        super().__init__("mgw-interop-")
        self.pw = self.path("pw.txt")
        with open(self.pw, "w") as f:
            f.write("Imago-Verum 2026 \u00e4\u00df\n")

    def pem(self, der_path):
        out = der_path + ".pem"
        ossl("x509", "-inform", "der", "-in", der_path, "-out", out)
        return out

    def load(self, der_path):
        with open(der_path, "rb") as f:
            return x509.load_der_x509_certificate(f.read())


def procedure_cert(w, *extra):
    mgw("cert", "create", "--subject", "CN=imagoverum.com", "--upn", "eas@imagoverum.com",
        "--email", "eas@imagoverum.com", "--password-file", w.pw, "--out", w.path("out"),
        "--key-pem", *extra)
    return w.path("out", "Certificate.cer"), w.path("out", "Certificate.key")


def test_procedure_certificate_as_openssl_prints_it():
    with Work() as w:
        cer, _ = procedure_cert(w)
        text = ossl("x509", "-inform", "der", "-in", cer, "-noout", "-text").stdout
        for want in ("othername: UPN::eas@imagoverum.com", "email:eas@imagoverum.com",
                     "TLS Web Client Authentication", "X509v3 Key Usage: critical",
                     "Digital Signature, Key Encipherment", "CA:FALSE",
                     "Public-Key: (2048 bit)", "Exponent: 65537", "sha256WithRSAEncryption",
                     "Subject: CN = imagoverum.com", "Issuer: CN = imagoverum.com"):
            assert want in text, f"openssl -text lacks {want!r}"


def test_self_signed_certificate_verifies_for_client_auth():
    with Work() as w:
        cer, _ = procedure_cert(w)
        pem = w.pem(cer)
        out = ossl("verify", "-purpose", "sslclient", "-CAfile", pem, pem).stdout
        assert out.strip().endswith(": OK"), out
        bad = ossl("verify", "-purpose", "sslserver", "-CAfile", pem, pem, check=False)
        assert bad.returncode != 0, "a clientAuth-only certificate must not pass as sslserver"


def test_cryptography_reads_every_field():
    with Work() as w:
        before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        cer, _ = procedure_cert(w)
        c = w.load(cer)
        assert c.subject.rfc4514_string() == "CN=imagoverum.com"
        assert c.issuer == c.subject
        assert c.version == x509.Version.v3
        san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert not san.critical
        others = san.value.get_values_for_type(x509.OtherName)
        assert len(others) == 1 and others[0].type_id == UPN_OID
        assert others[0].value == b"\x0c\x12eas@imagoverum.com", others[0].value
        assert san.value.get_values_for_type(x509.RFC822Name) == ["eas@imagoverum.com"]
        eku = c.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        assert list(eku.value) == [ExtendedKeyUsageOID.CLIENT_AUTH] and not eku.critical
        ku = c.extensions.get_extension_for_class(x509.KeyUsage)
        assert ku.critical and ku.value.digital_signature and ku.value.key_encipherment
        assert not ku.value.key_cert_sign and not ku.value.data_encipherment
        bc = c.extensions.get_extension_for_class(x509.BasicConstraints)
        assert bc.value.ca is False
        ski = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        assert ski.value.digest == x509.SubjectKeyIdentifier.from_public_key(c.public_key()).digest
        nb, na = validity(c)
        assert na - nb == datetime.timedelta(days=730), na - nb
        skew = before - nb
        assert datetime.timedelta(minutes=9) <= skew <= datetime.timedelta(minutes=11), skew
        assert 0 < c.serial_number < 2 ** 127
        assert c.serial_number >= 2 ** 120, "serial should use its 16 bytes"
        assert isinstance(c.signature_hash_algorithm, hashes.SHA256)
        pub = c.public_key()
        assert isinstance(pub, rsa.RSAPublicKey) and pub.key_size == 2048
        assert pub.public_numbers().e == 65537


def test_encrypted_key_opens_in_openssl_and_cryptography():
    with Work() as w:
        cer, key = procedure_cert(w)
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(cer).st_mode) == 0o644
        pub_from_key = ossl("pkey", "-in", key, "-passin", f"file:{w.pw}", "-pubout").stdout
        pub_from_cert = ossl("x509", "-inform", "der", "-in", cer, "-noout", "-pubkey").stdout
        assert pub_from_key == pub_from_cert
        asn1 = ossl("asn1parse", "-in", key).stdout
        for want in ("PBES2", "PBKDF2", "hmacWithSHA256", "aes-256-cbc"):
            assert want in asn1, f"key is not {want}: {asn1}"
        with open(w.pw, "rb") as f:
            password = f.read().rstrip(b"\n")
        with open(key, "rb") as f:
            data = f.read()
        k = serialization.load_pem_private_key(data, password=password)
        c = w.load(cer)
        assert k.public_key().public_numbers() == c.public_key().public_numbers()
        try:
            serialization.load_pem_private_key(data, password=b"wrong")
        except (ValueError, TypeError):
            pass
        else:
            raise AssertionError("wrong password accepted")


def test_company_ca_chain_verifies_for_each_key_type():
    for ca_key, leaf_key in (("p384", "p256"), ("rsa3072", "rsa2048"), ("p256", "rsa4096")):
        with Work() as w:
            mgw("ca", "create", "--subject", "CN=Imago Verum Device CA,O=Imago Verum,C=DE",
                "--key", ca_key, "--password-file", w.pw, "--out", w.path("ca"))
            mgw("cert", "create", "--subject", "CN=phone-7", "--upn", "phone7@imagoverum.com",
                "--key", leaf_key, "--ca-cert", w.path("ca", "ca.cer"),
                "--ca-key", w.path("ca", "ca.key"), "--ca-password-file", w.pw,
                "--password-file", w.pw, "--out", w.path("leaf"))
            ca_pem, leaf_pem = w.pem(w.path("ca", "ca.cer")), w.pem(w.path("leaf", "Certificate.cer"))
            out = ossl("verify", "-purpose", "sslclient", "-CAfile", ca_pem, leaf_pem).stdout
            assert out.strip().endswith(": OK"), out
            ca, leaf = w.load(w.path("ca", "ca.cer")), w.load(w.path("leaf", "Certificate.cer"))
            bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
            assert bc.critical and bc.value.ca and bc.value.path_length == 0
            ku = ca.extensions.get_extension_for_class(x509.KeyUsage)
            assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
            assert lifetime(ca) == datetime.timedelta(days=3650)
            aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
            ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            assert aki.value.key_identifier == ski.value.digest
            assert leaf.issuer == ca.subject
            want = hashes.SHA384 if ca_key == "p384" else hashes.SHA256
            assert isinstance(leaf.signature_hash_algorithm, want)
            ku = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
            assert ku.key_encipherment == leaf_key.startswith("rsa")


def make_csr(w, name="csr.pem"):
    path = w.path(name)
    ossl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", w.path("dev.key"), "-subj", "/C=DE/O=Imago Verum/CN=phone-42",
         "-addext", "subjectAltName=DNS:evil.example", "-addext", "basicConstraints=CA:TRUE",
         "-out", path)
    return path


def make_ca(w):
    mgw("ca", "create", "--subject", "CN=Corp CA", "--key", "p256", "--password-file", w.pw,
        "--out", w.path("ca"))
    return w.path("ca", "ca.cer"), w.path("ca", "ca.key")


def test_csr_from_openssl_is_signed_with_our_policy():
    with Work() as w:
        csr = make_csr(w)
        assert "verify OK" in ossl("req", "-verify", "-in", csr, "-noout").stderr + \
            ossl("req", "-verify", "-in", csr, "-noout").stdout
        ca_cer, ca_key = make_ca(w)
        mgw("cert", "sign", "--csr", csr, "--ca-cert", ca_cer, "--ca-key", ca_key,
            "--ca-password-file", w.pw, "--upn", "phone42@imagoverum.com", "--days", "365",
            "--out", w.path("out"), "--name", "phone-42")
        leaf_path = w.path("out", "phone-42.cer")
        assert not os.path.exists(w.path("out", "phone-42.key")), "sign must not write a key"
        out = ossl("verify", "-purpose", "sslclient", "-CAfile", w.pem(ca_cer), w.pem(leaf_path))
        assert out.stdout.strip().endswith(": OK")
        leaf = w.load(leaf_path)
        with open(csr, "rb") as f:
            req = x509.load_pem_x509_csr(f.read())
        assert leaf.subject == req.subject
        assert leaf.subject.rfc4514_string() == "CN=phone-42,O=Imago Verum,C=DE"
        assert leaf.public_key().public_numbers() == req.public_key().public_numbers()
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == [], "the request's SAN must be ignored"
        assert [o.type_id for o in san.get_values_for_type(x509.OtherName)] == [UPN_OID]
        assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
        assert lifetime(leaf) == datetime.timedelta(days=365)


def test_tampered_csr_is_refused_like_openssl_refuses_it():
    with Work() as w:
        csr = make_csr(w)
        ossl("req", "-in", csr, "-outform", "der", "-out", w.path("csr.der"))
        with open(w.path("csr.der"), "rb") as f:
            data = bytearray(f.read())
        i = data.find(b"phone-42")
        data[i] = ord("P")
        with open(w.path("bad.der"), "wb") as f:
            f.write(data)
        p = ossl("req", "-verify", "-inform", "der", "-in", w.path("bad.der"), "-noout",
                 check=False)
        assert p.returncode != 0 or "verify failure" in (p.stdout + p.stderr)
        ca_cer, ca_key = make_ca(w)
        p = mgw("cert", "sign", "--csr", w.path("bad.der"), "--ca-cert", ca_cer, "--ca-key",
                ca_key, "--ca-password-file", w.pw, "--out", w.path("out"), check=False)
        assert p.returncode == 1, p
        assert "signature" in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert not os.path.exists(w.path("out", "Certificate.cer"))


def test_rfc4514_subject_with_escapes_and_multivalued_rdn():
    with Work() as w:
        subject = 'CN=Doe\\, John+UID=jdoe,OU=Sales,OU=Mobile,O=Imago \\"Verum\\",C=DE'
        mgw("cert", "create", "--subject", subject, "--key", "p256", "--password-file", w.pw,
            "--out", w.path("out"))
        c = w.load(w.path("out", "Certificate.cer"))
        rdns = list(c.subject.rdns)
        assert len(rdns) == 5, rdns
        assert rdns[0].get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "DE"
        assert [a.value for a in c.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)] \
            == ["Mobile", "Sales"]
        last = rdns[-1]
        assert len(last) == 2
        assert last.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Doe, John"
        assert last.get_attributes_for_oid(NameOID.USER_ID)[0].value == "jdoe"
        assert c.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == \
            'Imago "Verum"'
        country = rdns[0].get_attributes_for_oid(NameOID.COUNTRY_NAME)[0]
        assert country._type == x509.name._ASN1Type.PrintableString
        shown = json.loads(mgw("cert", "show", "--json", w.path("out", "Certificate.cer")).stdout)
        # cryptography parses our RFC 4514 text back into the same Name
        assert x509.Name.from_rfc4514_string(shown["subject"]) == c.subject
        p = mgw("cert", "create", "--subject", shown["subject"], "--key", "p256",
                "--password-file", w.pw, "--out", w.path("again"))
        assert w.load(w.path("again", "Certificate.cer")).subject == c.subject, p


def test_show_json_agrees_with_cryptography():
    with Work() as w:
        cer, _ = procedure_cert(w, "--dns", "mail.imagoverum.com", "--eku", "clientAuth,serverAuth")
        c = w.load(cer)
        j = json.loads(mgw("cert", "show", "--json", cer).stdout)
        assert j["thumbprint_sha1"] == c.fingerprint(hashes.SHA1()).hex().upper()
        assert j["thumbprint_sha256"] == c.fingerprint(hashes.SHA256()).hex().upper()
        assert int(j["serial"], 16) == c.serial_number
        assert j["subject"] == c.subject.rfc4514_string()
        assert j["key"] == {"type": "RSA", "bits": 2048}
        assert [s["type"] for s in j["san"]] == ["upn", "email", "dns"]
        assert [e.get("name") for e in j["eku"]] == ["clientAuth", "serverAuth"]
        assert j["not_after_unix"] == int(validity(c)[1].replace(
            tzinfo=datetime.timezone.utc).timestamp())
        text = mgw("cert", "show", cer).stdout
        assert j["thumbprint_sha1"] in text
        # PEM input too
        assert json.loads(mgw("cert", "show", "--json", w.pem(cer)).stdout) == j


def test_show_reads_an_openssl_made_certificate_with_upn():
    with Work() as w:
        cfg = w.path("req.cnf")
        with open(cfg, "w") as f:
            f.write("[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=openssl made\n"
                    "[ext]\nsubjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:u@corp.example,"
                    "email:u@corp.example,IP:192.0.2.7\nextendedKeyUsage=clientAuth\n")
        ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes",
             "-keyout", w.path("k.pem"), "-config", cfg, "-extensions", "ext", "-days", "10",
             "-out", w.path("c.pem"))
        j = json.loads(mgw("cert", "show", "--json", w.path("c.pem")).stdout)
        assert {"type": "upn", "value": "u@corp.example"} in j["san"]
        assert {"type": "ip", "value": "192.0.2.7"} in j["san"]
        assert j["key"] == {"type": "EC P-384", "bits": 384}
        fp = ossl("x509", "-in", w.path("c.pem"), "-noout", "-fingerprint", "-sha1").stdout
        assert fp.strip().split("=")[1].replace(":", "") == j["thumbprint_sha1"]


def test_bad_input_fails_cleanly_with_no_output():
    with Work() as w:
        out = w.path("out")
        cases = [
            (["--subject", "CN=a,XX=b"], "position"),
            (["--subject", "CN=a\\"], "position"),
            (["--subject", "CN=x", "--upn", "no-at-sign"], "UPN"),
            (["--subject", "CN=x", "--email", "a@b@c"], "e-mail"),
            (["--subject", "CN=x", "--dns", "-bad.example"], "DNS"),
            (["--subject", "CN=x", "--eku", "clientAuth,bogus"], "bogus"),
            (["--subject", "CN=x", "--password-file", w.path("missing")], "password file"),
            (["--subject", "", "--key", "p256"], "subject"),
        ]
        for args, needle in cases:
            argv = ["cert", "create", *args, "--out", out]
            if "--password-file" not in args:
                argv += ["--password-file", w.pw]
            p = mgw(*argv, check=False)
            assert p.returncode == 1, (args, p.returncode, p.stderr)
            lines = p.stderr.strip().splitlines()
            assert len(lines) == 1 and needle in lines[0], (args, p.stderr)
            assert not os.path.exists(out) or os.listdir(out) == [], (args, os.listdir(out))
        for args in (["--key", "rsa1024"], ["--days", "0"], ["--days", "36501"], ["--bogus"]):
            p = mgw("cert", "create", "--subject", "CN=x", "--password-file", w.pw, "--out", out,
                    *args, check=False)
            assert p.returncode == 2, (args, p.returncode)
            assert not os.path.exists(out) or os.listdir(out) == []
        p = mgw("cert", "create", "--subject", "CN=x", "--out", out, check=False)
        assert p.returncode == 2 and "password-file" in p.stderr


def test_existing_outputs_need_force():
    with Work() as w:
        cer, key = procedure_cert(w)
        with open(cer, "rb") as f:
            first = f.read()
        p = mgw("cert", "create", "--subject", "CN=other", "--password-file", w.pw,
                "--out", w.path("out"), check=False)
        assert p.returncode == 1 and "--force" in p.stderr, p.stderr
        with open(cer, "rb") as f:
            assert f.read() == first
        os.remove(cer)  # the key and PFX are left: still refused, nothing written
        p = mgw("cert", "create", "--subject", "CN=other", "--password-file", w.pw,
                "--out", w.path("out"), check=False)
        assert p.returncode == 1 and not os.path.exists(cer)
        procedure_cert(w, "--force")
        assert os.path.exists(cer) and stat.S_IMODE(os.stat(key).st_mode) == 0o600
        assert sorted(os.listdir(w.path("out"))) == ["Certificate.cer", "Certificate.key",
                                                     "Certificate.pfx"]


def test_ca_key_problems_are_reported():
    with Work() as w:
        ca_cer, ca_key = make_ca(w)
        wrong = w.path("wrong.txt")
        with open(wrong, "w") as f:
            f.write("nope\n")
        p = mgw("cert", "create", "--subject", "CN=x", "--ca-cert", ca_cer, "--ca-key", ca_key,
                "--ca-password-file", wrong, "--password-file", w.pw, "--out", w.path("o"),
                check=False)
        assert p.returncode == 1 and "wrong password" in p.stderr, p.stderr
        # an RSA-1024 CA made by OpenSSL is refused
        ossl("req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", w.path("weak.key"),
             "-subj", "/CN=weak", "-addext", "basicConstraints=critical,CA:TRUE",
             "-out", w.path("weak.pem"))
        p = mgw("cert", "create", "--subject", "CN=x", "--ca-cert", w.path("weak.pem"),
                "--ca-key", w.path("weak.key"), "--password-file", w.pw, "--out", w.path("o"),
                check=False)
        assert p.returncode == 1 and "1024" in p.stderr, p.stderr
        # an OpenSSL-made CA with an unencrypted key works
        ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", w.path("ossl-ca.key"), "-subj", "/CN=OpenSSL CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", w.path("ossl-ca.pem"))
        mgw("cert", "create", "--subject", "CN=x", "--ca-cert", w.path("ossl-ca.pem"),
            "--ca-key", w.path("ossl-ca.key"), "--password-file", w.pw, "--out", w.path("o2"))
        out = ossl("verify", "-purpose", "sslclient", "-CAfile", w.path("ossl-ca.pem"),
                   w.pem(w.path("o2", "Certificate.cer"))).stdout
        assert out.strip().endswith(": OK")


def test_ec_leaf_from_p384_self_signed():
    with Work() as w:
        mgw("cert", "create", "--subject", "CN=ec", "--key", "p384", "--days", "1",
            "--password-file", w.pw, "--out", w.path("o"))
        c = w.load(w.path("o", "Certificate.cer"))
        assert isinstance(c.public_key(), ec.EllipticCurvePublicKey)
        assert c.public_key().curve.name == "secp384r1"
        assert isinstance(c.signature_hash_algorithm, hashes.SHA384)
        ku = c.extensions.get_extension_for_class(x509.KeyUsage).value
        assert ku.digital_signature and not ku.key_encipherment
        assert lifetime(c) == datetime.timedelta(days=1)


if __name__ == "__main__":
    tap.main(globals())
