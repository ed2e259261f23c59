"""PFX writing, reading, conversion and description through the binding."""
import unittest

import support
import mgwauth

COMPAT_ALG = "pbeWithSHAAnd3-KeyTripleDES-CBC"


class Write(unittest.TestCase):
    def test_profiles_and_iterations(self):
        cert = support.leaf()
        compat = mgwauth.load_pfx(cert.to_pfx("pw"), "pw")
        self.assertEqual(compat.algorithm("key"), mgwauth.PfxAlgorithm(COMPAT_ALG, 2048))
        self.assertEqual(compat.algorithm(mgwauth.PfxPart.MAC).name, "HMAC-SHA1")
        modern = mgwauth.load_pfx(cert.to_pfx("pw", profile="modern", iterations=7), "pw")
        algs = modern.algorithms
        self.assertEqual(algs[mgwauth.PfxPart.MAC], mgwauth.PfxAlgorithm("HMAC-SHA256", 7))
        self.assertIn("AES-256", algs[mgwauth.PfxPart.KEY].name)
        self.assertEqual(algs[mgwauth.PfxPart.KEY].iterations, 7)

    def test_contents_come_back(self):
        cert = support.leaf()
        pfx = mgwauth.load_pfx(cert.to_pfx(support.PASSWORD, chain=[support.ca()]),
                               support.PASSWORD)
        self.assertEqual(pfx.certificate.thumbprint_sha1, cert.thumbprint_sha1)
        self.assertTrue(pfx.certificate.matches_key(pfx.key))
        self.assertIs(pfx.certificate.private_key, pfx.key)
        self.assertEqual([c.thumbprint_sha1 for c in pfx.extra_certificates],
                         [support.ca().thumbprint_sha1])
        self.assertEqual(pfx.friendly_name, "phone-001")

    def test_windows_attributes(self):
        pfx = mgwauth.load_pfx(support.leaf().to_pfx(
            "pw", friendly_name="Gateway", key_spec="exchange",
            csp_name="Microsoft Enhanced RSA and AES Cryptographic Provider",
            machine_keyset=True, local_key_id=b"\x01\x00\x00\x00", iterations=1), "pw")
        info = pfx.describe_json()
        self.assertEqual(info["friendly_name"], "Gateway")
        self.assertEqual(info["key_spec"], "exchange")
        self.assertEqual(info["csp"], "Microsoft Enhanced RSA and AES Cryptographic Provider")
        self.assertTrue(info["machine_keyset"])
        self.assertEqual(info["local_key_id"], "01000000")
        self.assertIn("Gateway", pfx.describe())

    def test_empty_friendly_name_writes_none(self):
        pfx = mgwauth.load_pfx(support.leaf().to_pfx("pw", friendly_name="", iterations=1), "pw")
        self.assertIsNone(pfx.friendly_name)

    def test_options_object_and_write_pfx(self):
        cert = support.leaf()
        with mgwauth.PfxOptions() as opts:
            opts.set_profile(mgwauth.PfxProfile.MODERN)
            opts.set_iterations(3)
            opts.set_friendly_name("x")
            opts.set_csp_name("CSP")
            opts.set_csp_name(None)
            opts.set_key_spec(mgwauth.KeySpec.SIGNATURE)
            opts.set_machine_keyset(False)
            opts.set_local_key_id(b"\x02")
            opts.add_chain(support.ca())
            opts.set_rng(lambda n: b"\x11" * n)
            a = mgwauth.write_pfx(cert, cert.private_key, "pw", options=opts)
            b = mgwauth.write_pfx(cert, None, "pw", options=opts)
        self.assertEqual(a, b, "a fixed rng gives fixed salts and IVs")
        info = mgwauth.load_pfx(a, "pw").describe_json()
        self.assertEqual((info["key_spec"], info["csp"], info["local_key_id"]), ("signature", None, "02"))
        with self.assertRaises(TypeError):
            mgwauth.write_pfx(cert, None, "pw", options=mgwauth.PfxOptions(), iterations=1)

    def test_key_must_be_known_and_match(self):
        keyless = mgwauth.load_certificate(support.leaf().to_der())
        with self.assertRaisesRegex(ValueError, "private key"):
            keyless.to_pfx("pw")
        with self.assertRaises(mgwauth.KeyMismatchError):
            keyless.to_pfx("pw", key=support.ca().private_key)
        self.assertEqual(len(keyless.to_pfx("pw", key=support.leaf().private_key, iterations=1)) > 0, True)

    def test_iteration_limits(self):
        self.assertEqual(mgwauth.max_iterations(), 1000000)
        with self.assertRaises(mgwauth.MgwError):
            mgwauth.PfxOptions(iterations=mgwauth.max_iterations() + 1)
        with self.assertRaises(mgwauth.MgwError):
            mgwauth.PfxOptions(iterations=0)
        with self.assertRaises(ValueError):
            mgwauth.PfxOptions(profile="legacy")


class Read(unittest.TestCase):
    def test_wrong_password(self):
        data = support.leaf().to_pfx("right", iterations=1)
        with self.assertRaises(mgwauth.PfxMacError) as cm:
            mgwauth.load_pfx(data, "wrong")
        self.assertIsInstance(cm.exception, mgwauth.WrongPasswordError)
        self.assertIn("MAC check failed", str(cm.exception))

    def test_no_password_and_empty_password(self):
        data = support.leaf().to_pfx(None, iterations=1)
        self.assertEqual(mgwauth.load_pfx(data, None).certificate.subject, support.leaf().subject)
        self.assertEqual(mgwauth.load_pfx(data, "").certificate.subject, support.leaf().subject)
        empty = support.leaf().to_pfx("", iterations=1)
        self.assertEqual(mgwauth.load_pfx(empty, "").key.bits, 256)

    def test_garbage(self):
        with self.assertRaises(mgwauth.MgwError):
            mgwauth.load_pfx(b"\x30\x03\x02\x01\x03", "pw")

    def test_convert(self):
        src = mgwauth.load_pfx(support.leaf().to_pfx("old", iterations=1), "old")
        out = src.convert("new", profile="modern", iterations=2, friendly_name="converted")
        with self.assertRaises(mgwauth.WrongPasswordError):
            mgwauth.load_pfx(out, "old")
        again = mgwauth.load_pfx(out, "new")
        self.assertEqual(again.algorithm("mac"), mgwauth.PfxAlgorithm("HMAC-SHA256", 2))
        self.assertEqual(again.friendly_name, "converted")
        self.assertEqual(again.certificate.thumbprint_sha1, support.leaf().thumbprint_sha1)
        with mgwauth.PfxOptions(iterations=1, chain=[support.ca()]) as opts:
            chained = mgwauth.load_pfx(src.convert(None, options=opts), None)
        self.assertEqual(len(chained.extra_certificates), 1)
        self.assertEqual(chained.friendly_name, "phone-001", "kept from the source")

    def test_with_block(self):
        with mgwauth.load_pfx(support.leaf().to_pfx("pw", iterations=1), "pw") as pfx:
            key = pfx.key
        self.assertTrue(pfx.closed)
        self.assertEqual(key.bits, 256, "the key is a copy that outlives the PFX")


if __name__ == "__main__":
    unittest.main()
