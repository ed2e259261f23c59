"""Keys through the binding: generate, load, export, caller random sources,
and the life of a handle."""
import os
import unittest

import support
import mgwauth


def counter_rng():
    """A deterministic random source: 0, 1, 2, ... as bytes."""
    state = {"n": 0}

    def rng(length):
        out = bytes((state["n"] + i) % 256 for i in range(length))
        state["n"] += length
        return out
    return rng


class Generate(unittest.TestCase):
    def test_types_and_sizes(self):
        for name, kind, bits in [("p256", mgwauth.KeyType.P256, 256),
                                 ("p384", mgwauth.KeyType.P384, 384),
                                 ("rsa2048", mgwauth.KeyType.RSA2048, 2048)]:
            with self.subTest(name), mgwauth.Key.generate(name) as key:
                self.assertEqual(key.type, kind)
                self.assertEqual(key.bits, bits)

    def test_type_by_enum_or_number(self):
        self.assertEqual(mgwauth.Key.generate(mgwauth.KeyType.P256).type, mgwauth.KeyType.P256)
        self.assertEqual(mgwauth.generate_key("P384").bits, 384)

    def test_unknown_type_name_is_a_value_error(self):
        with self.assertRaisesRegex(ValueError, "rsa2048"):
            mgwauth.Key.generate("rsa1024")

    def test_empty_key_has_no_type(self):
        with mgwauth.Key() as key:
            self.assertIsNone(key.type)
            self.assertEqual(key.bits, 0)

    def test_caller_rng_makes_generation_deterministic(self):
        a = mgwauth.Key.generate("p256", rng=counter_rng())
        b = mgwauth.Key.generate("p256", rng=counter_rng())
        self.assertEqual(a.export_public("der"), b.export_public("der"))
        c = mgwauth.Key.generate("p256")
        self.assertNotEqual(a.export_public("der"), c.export_public("der"))

    def test_failing_rng_raises_random_error(self):
        def broken(n):
            raise RuntimeError("no entropy")
        with self.assertRaises(mgwauth.RandomError):
            mgwauth.Key.generate("p256", rng=broken)
        with self.assertRaises(mgwauth.RandomError):
            mgwauth.Key.generate("p256", rng=lambda n: b"short")

    def test_set_rng_none_restores_the_os_source(self):
        key = mgwauth.Key.generate("p256")
        key.set_rng(lambda n: b"\x07" * n)  # salts and IVs of the export come from it
        fixed = [key.export_encrypted("pw", iterations=1) for _ in range(2)]
        self.assertEqual(fixed[0], fixed[1])
        key.set_rng(None)
        fresh = [key.export_encrypted("pw", iterations=1) for _ in range(2)]
        self.assertNotEqual(fresh[0], fresh[1])


class LoadExport(unittest.TestCase):
    def test_encrypted_round_trip_pem_and_der(self):
        key = mgwauth.Key.generate("p256")
        for fmt in ("pem", "der"):
            with self.subTest(fmt):
                blob = key.export_encrypted(support.PASSWORD, format=fmt, iterations=10)
                if fmt == "pem":
                    self.assertTrue(blob.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"))
                again = mgwauth.Key.load(blob, support.PASSWORD)
                self.assertEqual(again.export_public(), key.export_public())

    def test_password_as_bytes(self):
        key = mgwauth.Key.generate("p256")
        blob = key.export_encrypted(support.PASSWORD.encode("utf-8"), iterations=1)
        self.assertEqual(mgwauth.load_key(blob, support.PASSWORD).bits, 256)

    def test_wrong_password(self):
        blob = mgwauth.Key.generate("p256").export_encrypted("right", iterations=1)
        with self.assertRaises(mgwauth.WrongPasswordError):
            mgwauth.Key.load(blob, "wrong")

    def test_plain_pkcs8_from_test_data(self):
        with open(os.path.join(support.TESTDATA, "pkcs8", "rsa2048.pk8.der"), "rb") as f:
            key = mgwauth.Key.load(f.read())
        self.assertEqual((key.type, key.bits), (mgwauth.KeyType.RSA2048, 2048))

    def test_garbage_is_an_input_error(self):
        with self.assertRaises(mgwauth.InputError):
            mgwauth.Key.load(b"not a key")

    def test_public_export_formats(self):
        key = mgwauth.Key.generate("p384")
        self.assertTrue(key.export_public("pem").startswith(b"-----BEGIN PUBLIC KEY-----"))
        self.assertEqual(key.export_public(mgwauth.Format.DER)[0], 0x30)
        with self.assertRaises(ValueError):
            key.export_public("xml")

    def test_default_iterations(self):
        self.assertEqual(mgwauth.default_iterations(), 2048)


class HandleLife(unittest.TestCase):
    def test_closed_handle_refuses_use(self):
        key = mgwauth.Key.generate("p256")
        key.close()
        key.close()  # twice is harmless
        self.assertTrue(key.closed)
        with self.assertRaisesRegex(ValueError, "closed"):
            key.export_public()
        self.assertEqual(repr(key), "<Key closed>")

    def test_with_block_closes(self):
        with mgwauth.Key.generate("p256") as key:
            self.assertFalse(key.closed)
        self.assertTrue(key.closed)

    def test_repr(self):
        self.assertEqual(repr(mgwauth.Key.generate("p256")), "<Key p256 256 bits>")


if __name__ == "__main__":
    unittest.main()
