"""The binding judged by Python cryptography: PFX files and keys made here
open there, and both read the same fields from the same certificate."""
import datetime
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import support
import mgwauth

UPN_OID = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")


def utc(dt):
    return dt.replace(tzinfo=datetime.timezone.utc)


class PfxInCryptography(unittest.TestCase):
    def test_both_profiles_open_with_key_chain_and_name(self):
        cert = support.leaf()
        for profile in ("compat", "modern"):
            with self.subTest(profile):
                data = cert.to_pfx(support.PASSWORD, profile=profile, chain=[support.ca()])
                p12 = pkcs12.load_pkcs12(data, support.PASSWORD.encode("utf-8"))
                self.assertEqual(p12.cert.certificate.fingerprint(hashes.SHA1()).hex().upper(),
                                 cert.thumbprint_sha1)
                self.assertEqual(p12.cert.friendly_name, b"phone-001")
                self.assertEqual([c.certificate.subject.rfc4514_string()
                                  for c in p12.additional_certs], [support.ca().subject])
                ours = serialization.load_pem_public_key(cert.private_key.export_public())
                self.assertEqual(p12.key.public_key().public_numbers(), ours.public_numbers())

    def test_rsa_pfx_without_password(self):
        cert = mgwauth.create_certificate("CN=rsa", key="rsa2048")
        key, c, _ = pkcs12.load_key_and_certificates(cert.to_pfx(None), None)
        self.assertEqual(key.key_size, 2048)
        self.assertEqual(c.serial_number, int(cert.serial, 16))


class SameFields(unittest.TestCase):
    def check_agrees(self, ours, theirs):
        self.assertEqual(ours.subject, theirs.subject.rfc4514_string())
        self.assertEqual(ours.issuer, theirs.issuer.rfc4514_string())
        self.assertEqual(int(ours.serial, 16), theirs.serial_number)
        self.assertEqual(ours.not_before, utc(theirs.not_valid_before))
        self.assertEqual(ours.not_after, utc(theirs.not_valid_after))
        self.assertEqual(ours.thumbprint_sha1, theirs.fingerprint(hashes.SHA1()).hex().upper())
        self.assertEqual(ours.thumbprint_sha256,
                         theirs.fingerprint(hashes.SHA256()).hex().upper())
        self.assertEqual(ours.key_info[1], theirs.public_key().key_size)
        bc = theirs.extensions.get_extension_for_class(x509.BasicConstraints).value
        self.assertEqual(ours.is_ca, bc.ca)
        try:
            eku = theirs.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            self.assertEqual(ours.ekus, [o.dotted_string for o in eku])
        except x509.ExtensionNotFound:
            self.assertEqual(ours.ekus, [])

    def test_certificate_made_here(self):
        ours = support.leaf()
        theirs = x509.load_der_x509_certificate(ours.to_der())
        self.check_agrees(ours, theirs)
        san = theirs.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        self.assertEqual(san.get_values_for_type(x509.RFC822Name), ours.emails)
        self.assertEqual(san.get_values_for_type(x509.DNSName), ours.dns_names)
        self.assertEqual(san.get_values_for_type(x509.UniformResourceIdentifier), ours.uris)
        upn = [o for o in san.get_values_for_type(x509.OtherName) if o.type_id == UPN_OID]
        self.assertEqual(len(upn), 1)
        # [0] EXPLICIT UTF8String: a0 len 0c len value
        self.assertTrue(upn[0].value.endswith(b"\x0c\x18phone-001@imagoverum.com"))
        self.check_agrees(support.ca(), x509.load_pem_x509_certificate(support.ca().to_pem()))

    def test_certificate_made_by_cryptography(self):
        key = ec.generate_private_key(ec.SECP384R1())
        name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Imago Verum"),
                          x509.NameAttribute(NameOID.COMMON_NAME, "made elsewhere")])
        now = datetime.datetime(2030, 5, 6, 7, 8, 9)
        theirs = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                  .public_key(key.public_key()).serial_number(0x1234567890ABCDEF)
                  .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3))
                  .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                  .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                 critical=False)
                  .add_extension(x509.SubjectAlternativeName([x509.DNSName("a.example"),
                                                              x509.RFC822Name("b@example.org")]),
                                 critical=False)
                  .sign(key, hashes.SHA384()))
        ours = mgwauth.load_certificate(theirs.public_bytes(serialization.Encoding.PEM))
        self.check_agrees(ours, theirs)
        self.assertEqual(ours.serial, "1234567890ABCDEF")
        self.assertEqual(ours.dns_names, ["a.example"])
        self.assertEqual(ours.emails, ["b@example.org"])
        self.assertEqual(ours.key_info, (mgwauth.KeyType.P384, 384))


class KeysAndPfxBothWays(unittest.TestCase):
    def test_encrypted_key_opens_in_cryptography(self):
        key = mgwauth.Key.generate("p256")
        theirs = serialization.load_pem_private_key(key.export_encrypted(support.PASSWORD),
                                                    support.PASSWORD.encode("utf-8"))
        ours = serialization.load_der_public_key(key.export_public("der"))
        self.assertEqual(theirs.public_key().public_numbers(), ours.public_numbers())

    def test_cryptography_pfx_and_key_open_here(self):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = x509.load_der_x509_certificate(
            mgwauth.sign_csr((x509.CertificateSigningRequestBuilder()
                              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                                          "their key")]))
                              .sign(key, hashes.SHA256())).public_bytes(serialization.Encoding.DER),
                             support.ca()).to_der())
        data = pkcs12.serialize_key_and_certificates(
            b"theirs", key, cert, [x509.load_der_x509_certificate(support.ca().to_der())],
            serialization.BestAvailableEncryption(b"pw"))
        pfx = mgwauth.load_pfx(data, "pw")
        self.assertEqual(pfx.certificate.subject, "CN=their key")
        self.assertEqual(pfx.friendly_name, "theirs")
        self.assertEqual(len(pfx.extra_certificates), 1)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(b"pw"))
        self.assertTrue(pfx.certificate.matches_key(mgwauth.load_key(pem, "pw")))


if __name__ == "__main__":
    unittest.main()
