"""Certificate options, issuance, inspection and requests through the binding."""
import datetime
import unittest

import support
import mgwauth

UTC = datetime.timezone.utc


class Create(unittest.TestCase):
    def test_issue_9_example(self):
        cert = mgwauth.create_certificate(subject="CN=imagoverum.com", upn=["eas@imagoverum.com"],
                                          email=["eas@imagoverum.com"], dns=["imagoverum.com"],
                                          key="rsa2048", days=730, ca=None)
        self.assertIsInstance(cert, mgwauth.Certificate)
        self.assertEqual(cert.to_der()[0], 0x30)
        self.assertTrue(cert.to_pem().startswith(b"-----BEGIN CERTIFICATE-----"))
        self.assertRegex(cert.thumbprint_sha1, r"^[0-9A-F]{40}$")
        pfx = mgwauth.load_pfx(cert.to_pfx("pw", profile="compat"), "pw")
        self.assertEqual(pfx.certificate.thumbprint_sha1, cert.thumbprint_sha1)
        self.assertEqual(cert.key_info, (mgwauth.KeyType.RSA2048, 2048))
        self.assertEqual((cert.not_after - cert.not_before).days, 730)

    def test_fields(self):
        cert = support.leaf()
        self.assertEqual(cert.subject, "CN=phone-001,OU=Mobile,O=Imago Verum,C=DE")
        self.assertEqual(cert.issuer, support.ca().subject)
        self.assertEqual(cert.sans, [
            mgwauth.SubjectAltName(mgwauth.SanType.UPN, "phone-001@imagoverum.com"),
            mgwauth.SubjectAltName(mgwauth.SanType.EMAIL, "phone-001@imagoverum.com"),
            mgwauth.SubjectAltName(mgwauth.SanType.DNS, "phone-001.imagoverum.com"),
            mgwauth.SubjectAltName(mgwauth.SanType.URI, "urn:device:phone-001")])
        self.assertEqual(cert.upns, ["phone-001@imagoverum.com"])
        self.assertEqual(cert.emails, ["phone-001@imagoverum.com"])
        self.assertEqual(cert.dns_names, ["phone-001.imagoverum.com"])
        self.assertEqual(cert.uris, ["urn:device:phone-001"])
        self.assertEqual(cert.ekus, ["1.3.6.1.5.5.7.3.2"])
        self.assertFalse(cert.is_ca)
        self.assertRegex(cert.serial, r"^[0-9A-F]+$")
        self.assertRegex(cert.thumbprint_sha256, r"^[0-9A-F]{64}$")
        self.assertEqual(cert.thumbprint("sha256"), cert.thumbprint_sha256)
        self.assertEqual(cert.not_before.tzinfo, UTC)
        self.assertLess(cert.not_before, datetime.datetime.now(UTC))

    def test_parse_der_and_pem_agree(self):
        cert = support.leaf()
        for data in (cert.to_der(), cert.to_pem()):
            parsed = mgwauth.load_certificate(data)
            self.assertEqual(parsed.thumbprint_sha1, cert.thumbprint_sha1)
            self.assertIsNone(parsed.private_key)

    def test_not_before_days_and_ekus(self):
        start = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
        cert = mgwauth.create_certificate("CN=x", key="p256", days=10, not_before=start,
                                          eku=["serverAuth", "1.3.6.1.4.1.311.20.2.2"])
        self.assertEqual(cert.validity, (start, start + datetime.timedelta(days=10)))
        self.assertEqual(cert.ekus, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.4.1.311.20.2.2"])
        naive = mgwauth.create_certificate("CN=x", key="p256", not_before=start.replace(tzinfo=None))
        self.assertEqual(naive.not_before, start)
        by_number = mgwauth.create_certificate("CN=x", key="p256", not_before=1893456000)
        self.assertEqual(by_number.not_before, datetime.datetime(2030, 1, 1, tzinfo=UTC))

    def test_existing_key_and_options_object(self):
        key = mgwauth.Key.generate("p384")
        with mgwauth.CertOptions() as opts:
            opts.set_subject("CN=Doe\\, John+UID=jdoe,O=Imago Verum")
            opts.add_upn("jdoe@imagoverum.com")
            opts.add_dns("*.imagoverum.com")
            opts.add_uri("https://imagoverum.com/")
            opts.set_days(5)
            cert = mgwauth.Certificate.create(opts, key)
        self.assertIs(cert.private_key, key)
        self.assertTrue(cert.matches_key(key))
        self.assertEqual(cert.subject, "CN=Doe\\, John+UID=jdoe,O=Imago Verum")
        self.assertEqual(cert.key_info, (mgwauth.KeyType.P384, 384))

    def test_a_lone_string_is_one_name(self):
        cert = mgwauth.create_certificate("CN=x", upn="a@imagoverum.com", key="p256")
        self.assertEqual(cert.upns, ["a@imagoverum.com"])

    def test_certopts_rng_makes_serials_repeatable(self):
        key = mgwauth.Key.generate("p256")
        start = datetime.datetime(2030, 1, 1, tzinfo=UTC)

        def fixed(n):
            return b"\x42" * n
        a = mgwauth.create_certificate("CN=x", key=key, not_before=start, rng=fixed)
        b = mgwauth.create_certificate("CN=x", key=key, not_before=start, rng=fixed)
        self.assertEqual(a.serial, b.serial)
        self.assertEqual(a.serial, "42" * 16)

    def test_input_errors(self):
        cases = [({"subject": "CN=a,,"}, mgwauth.errors.ERR_DN_SYNTAX),
                 ({"subject": "XX=a"}, mgwauth.errors.ERR_DN_ATTRIBUTE),
                 ({"email": ["no-at-sign"]}, mgwauth.errors.ERR_EMAIL),
                 ({"dns": ["bad_label.example"]}, mgwauth.errors.ERR_DNS),
                 ({"upn": ["nodomain"]}, mgwauth.errors.ERR_UPN),
                 ({"uri": ["no scheme"]}, mgwauth.errors.ERR_URI),
                 ({"eku": ["anyPurpose"]}, mgwauth.errors.ERR_EKU),
                 ({"days": 0}, mgwauth.errors.ERR_VALIDITY)]
        for kwargs, code in cases:
            with self.subTest(kwargs):
                with self.assertRaises(mgwauth.InputError) as cm:
                    mgwauth.CertOptions(**kwargs)
                self.assertEqual(cm.exception.code, code, str(cm.exception))
        with self.assertRaises(mgwauth.InputError):
            mgwauth.load_certificate(b"junk")

    def test_describe(self):
        cert = support.leaf()
        self.assertIn(cert.subject, cert.describe())
        info = cert.describe_json()
        self.assertEqual(info["subject"], cert.subject)
        self.assertEqual(info["thumbprint_sha1"], cert.thumbprint_sha1)
        self.assertEqual(info["not_before_unix"], int(cert.not_before.timestamp()))


class Authority(unittest.TestCase):
    def test_ca_flags(self):
        ca = support.ca()
        self.assertTrue(ca.is_ca)
        self.assertEqual(ca.ekus, [])
        self.assertEqual(ca.subject, ca.issuer)
        open_ca = mgwauth.create_ca("CN=Open CA", key="p256", pathlen=None)
        self.assertTrue(open_ca.is_ca)

    def test_issue_with_certificate_or_pfx(self):
        ca = support.ca()
        pfx = mgwauth.load_pfx(ca.to_pfx("pw", iterations=1), "pw")
        for issuer in (ca, pfx):
            with self.subTest(type(issuer).__name__):
                cert = mgwauth.create_certificate("CN=dev", key="p256", ca=issuer)
                self.assertEqual(cert.issuer, ca.subject)

    def test_issuer_must_be_a_ca_with_its_key(self):
        with self.assertRaises(mgwauth.NotCaError):
            mgwauth.create_certificate("CN=x", key="p256", ca=support.leaf())
        keyless = mgwauth.load_certificate(support.ca().to_der())
        with self.assertRaisesRegex(ValueError, "private key"):
            mgwauth.create_certificate("CN=x", key="p256", ca=keyless)

    def test_matches_key(self):
        self.assertTrue(support.leaf().matches_key(support.leaf().private_key))
        self.assertFalse(support.leaf().matches_key(support.ca().private_key))

    def test_issued_by_checks_signatures_made_by_cryptography(self):
        """A chain built by the cryptography package: ours must agree with it."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.x509.oid import NameOID
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.exceptions import InvalidSignature
        now = datetime.datetime.now(UTC)

        def peer_says_issued(cert, issuer):
            """cryptography's own signature check (Debian's has no verify_directly_issued_by)."""
            pub = issuer.public_key()
            try:
                if isinstance(pub, rsa.RSAPublicKey):
                    pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                               cert.signature_hash_algorithm)
                else:
                    pub.verify(cert.signature, cert.tbs_certificate_bytes,
                               ec.ECDSA(cert.signature_hash_algorithm))
            except InvalidSignature:
                return False
            return cert.issuer == issuer.subject

        def build(subject, issuer, pub, signer, algo):
            return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                    .public_key(pub).serial_number(x509.random_serial_number())
                    .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
                    .sign(signer, algo))

        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Peer CA")])
        for ca_key, algo in ((rsa.generate_private_key(65537, 2048), hashes.SHA256()),
                             (rsa.generate_private_key(65537, 2048), hashes.SHA384()),
                             (ec.generate_private_key(ec.SECP384R1()), hashes.SHA384())):
            with self.subTest(type(ca_key).__name__, algo=algo.name):
                ca = build(name, name, ca_key.public_key(), ca_key, algo)
                leaf_key = ec.generate_private_key(ec.SECP256R1())
                leaf = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dev")]), name,
                             leaf_key.public_key(), ca_key, algo)
                impostor_key = ec.generate_private_key(ec.SECP256R1())
                impostor = build(name, name, impostor_key.public_key(), impostor_key, hashes.SHA256())
                der = lambda c: c.public_bytes(serialization.Encoding.DER)  # noqa: E731
                ours_ca, ours_leaf = mgwauth.load_certificate(der(ca)), mgwauth.load_certificate(der(leaf))
                ours_impostor = mgwauth.load_certificate(der(impostor))
                self.assertTrue(ours_leaf.issued_by(ours_ca))
                self.assertTrue(ours_ca.issued_by(ours_ca))
                self.assertFalse(ours_leaf.issued_by(ours_impostor))  # same name, other key
                self.assertTrue(peer_says_issued(leaf, ca))  # the peer agrees
                self.assertFalse(peer_says_issued(leaf, impostor))
        # and a certificate made by us is one cryptography accepts as issued by our CA
        ca = support.ca()
        leaf = mgwauth.create_certificate("CN=dev", key="p256", ca=ca)
        self.assertTrue(leaf.issued_by(ca))
        self.assertFalse(leaf.issued_by(support.leaf()))
        self.assertTrue(peer_says_issued(x509.load_der_x509_certificate(leaf.to_der()),
                                         x509.load_der_x509_certificate(ca.to_der())))


def make_csr(subject="phone-002", tamper=False):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName("from-request.example")]),
                          critical=False)
           .sign(key, hashes.SHA256()))
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    if tamper:
        der[-1] ^= 1
    return bytes(der), key


class Requests(unittest.TestCase):
    def test_parse_and_sign(self):
        der, _ = make_csr()
        csr = mgwauth.load_csr(der)
        self.assertEqual(csr.subject, "CN=phone-002")
        cert = mgwauth.sign_csr(csr, support.ca(), upn=["phone-002@imagoverum.com"], days=30)
        self.assertEqual(cert.subject, "CN=phone-002")
        self.assertEqual(cert.issuer, support.ca().subject)
        self.assertEqual(cert.upns, ["phone-002@imagoverum.com"])
        self.assertEqual(cert.dns_names, [], "SANs never come from the request")
        self.assertEqual((cert.not_after - cert.not_before).days, 30)
        self.assertIsNone(cert.private_key)

    def test_sign_with_options_overriding_the_subject(self):
        der, _ = make_csr()
        with mgwauth.CertOptions("CN=renamed", eku="serverAuth") as opts:
            cert = support.ca().sign_csr(mgwauth.CertificateRequest.parse(der), opts)
        self.assertEqual(cert.subject, "CN=renamed")
        self.assertEqual(cert.ekus, ["1.3.6.1.5.5.7.3.1"])
        plain = support.ca().sign_csr(mgwauth.load_csr(der))
        self.assertEqual(plain.ekus, ["1.3.6.1.5.5.7.3.2"])

    def test_bytes_accepted_and_bad_signature_refused(self):
        der, _ = make_csr()
        self.assertEqual(mgwauth.sign_csr(der, support.ca()).subject, "CN=phone-002")
        bad, _ = make_csr(tamper=True)
        with self.assertRaises(mgwauth.MgwError) as cm:
            mgwauth.load_csr(bad)
        self.assertIn(cm.exception.code, (mgwauth.errors.ERR_CSR_SIGNATURE,
                                          mgwauth.errors.ERR_CSR_PARSE))


if __name__ == "__main__":
    unittest.main()
