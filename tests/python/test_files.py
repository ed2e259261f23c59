"""Atomic writes, reads, password files and file sets through the binding."""
import os
import stat
import string
import unittest

import support
import mgwauth


class Files(unittest.TestCase):
    def test_write_read_force_private(self):
        with support.TempDir() as d:
            path = os.path.join(d, "a.bin")
            mgwauth.write_file(path, b"one\0two")
            self.assertEqual(mgwauth.read_file(path), b"one\0two")
            with self.assertRaises(mgwauth.ExistsError):
                mgwauth.write_file(path, b"x")
            mgwauth.write_file(path, b"x", force=True, private=True)
            self.assertEqual(mgwauth.read_file(path), b"x")
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            self.assertEqual(sorted(os.listdir(d)), ["a.bin"], "no temporary file left")

    def test_read_limits_and_missing(self):
        with support.TempDir() as d:
            path = os.path.join(d, "big")
            mgwauth.write_file(path, b"0123456789")
            self.assertEqual(mgwauth.read_file(path, max_len=10), b"0123456789")
            with self.assertRaises(mgwauth.TooLargeError):
                mgwauth.read_file(path, max_len=9)
            with self.assertRaises(mgwauth.NotFoundError):
                mgwauth.read_file(os.path.join(d, "missing"))
            self.assertEqual(mgwauth.read_file(os.fsencode(path)), b"0123456789")

    def test_password_file(self):
        with support.TempDir() as d:
            path = os.path.join(d, "pw.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write(support.PASSWORD + "\r\nsecond line\n")
            self.assertEqual(mgwauth.read_password_file(path), support.PASSWORD)
            open(path, "w").close()
            self.assertEqual(mgwauth.read_password_file(path), "")
            with open(path, "wb") as f:
                f.write(b"\xff\xfe\n")
            with self.assertRaises(mgwauth.InputError):
                mgwauth.read_password_file(path)

    def test_password_files_as_windows_writes_them(self):
        pw = "Pässwort-€"
        with support.TempDir() as d:
            path = os.path.join(d, "pw.txt")
            # Set-Content -Encoding UTF8 (PowerShell 5), then Out-File / ">" (UTF-16LE, BOM)
            for data in (b"\xef\xbb\xbf" + (pw + "\r\n").encode(),
                         b"\xff\xfe" + (pw + "\r\n").encode("utf-16-le"),
                         b"\xfe\xff" + (pw + "\r\n").encode("utf-16-be")):
                with open(path, "wb") as f:
                    f.write(data)
                self.assertEqual(mgwauth.read_password_file(path), pw, data)

    def test_other_encodings_are_named_with_how_to_save(self):
        text = "Pässwort\r\n"
        cases = [(text.encode("utf-16-be"), "UTF-16BE without BOM"),
                 (text.encode("utf-16-le"), "UTF-16LE without BOM"),
                 (text.encode("utf-32"), "UTF-32LE"),
                 (text.encode("utf-32-be"), "UTF-32BE"),
                 (text.encode("cp1252"), "Windows-1252")]
        with support.TempDir() as d:
            path = os.path.join(d, "in.txt")
            for data, name in cases:
                with open(path, "wb") as f:
                    f.write(data)
                for read in (mgwauth.read_password_file, mgwauth.read_text_file):
                    with self.assertRaises(mgwauth.InputError) as e:
                        read(path)
                    self.assertEqual(e.exception.code, mgwauth.errors.ERR_UTF8)
                    self.assertIn(name, str(e.exception))
                    self.assertIn("Set-Content -Encoding UTF8", str(e.exception))

    def test_text_files(self):
        with support.TempDir() as d:
            path = os.path.join(d, "t.csv")
            body = "upn,email\nä@x,ö@x\n"
            for data in (body.encode(), b"\xef\xbb\xbf" + body.encode(),
                         b"\xff\xfe" + body.encode("utf-16-le")):
                with open(path, "wb") as f:
                    f.write(data)
                self.assertEqual(mgwauth.read_text_file(path), body)
            with self.assertRaises(mgwauth.TooLargeError):
                mgwauth.read_text_file(path, max_len=4)


class Passwords(unittest.TestCase):
    # letters and digits without those mistaken for one another (0/O, 1/l/I)
    ALPHABET = set(string.ascii_letters + string.digits) - set("0O1lI")

    def test_generated_passwords(self):
        for length in (16, 20, 256):
            pw = mgwauth.password_generate(length)
            self.assertEqual(len(pw), length)
            self.assertLessEqual(set(pw), self.ALPHABET, pw)
        self.assertEqual(len(mgwauth.password_generate()), 20)
        self.assertNotEqual(mgwauth.password_generate(), mgwauth.password_generate())

    def test_length_out_of_range(self):
        for length in (0, 15, 257):
            with self.subTest(length), self.assertRaises(mgwauth.InvalidArgumentError):
                mgwauth.password_generate(length)


class Digests(unittest.TestCase):
    def test_digests_agree_with_hashlib(self):
        import hashlib
        for data in (b"", b"abc", bytes(range(256)) * 300, b"x" * 55, b"y" * 64):
            with self.subTest(len(data)):
                self.assertEqual(mgwauth.digest_hex(data), hashlib.sha256(data).hexdigest())
                self.assertEqual(mgwauth.digest_hex(data, mgwauth.Digest.SHA1),
                                 hashlib.sha1(data).hexdigest())
        with self.assertRaises(mgwauth.InvalidArgumentError):
            mgwauth.digest_hex(b"x", 3)


class FileSets(unittest.TestCase):
    def test_commit_writes_all(self):
        with support.TempDir() as d, mgwauth.FileSet() as fs:
            fs.add(os.path.join(d, "a.pfx"), b"A", private=True)
            fs.add(os.path.join(d, "a.cer"), b"C")
            fs.commit()
            self.assertEqual(mgwauth.read_file(os.path.join(d, "a.pfx")), b"A")
            self.assertEqual(sorted(os.listdir(d)), ["a.cer", "a.pfx"])

    def test_uncommitted_set_leaves_nothing(self):
        with support.TempDir() as d:
            with mgwauth.FileSet() as fs:
                fs.add(os.path.join(d, "a"), b"A")
            self.assertEqual(os.listdir(d), [])

    def test_bulk_commit_then_one_directory_sync(self):
        with support.TempDir() as d, mgwauth.FileSet() as fs:
            for i in range(3):
                fs.add(os.path.join(d, f"{i}.cer"), b"C%d" % i, dir_sync=False)
            fs.commit()
            mgwauth.file_sync_dir(d)
            self.assertEqual(sorted(os.listdir(d)), ["0.cer", "1.cer", "2.cer"])
            self.assertEqual(mgwauth.read_file(os.path.join(d, "2.cer")), b"C2")
            with self.assertRaisesRegex(mgwauth.FileError, "cannot sync directory"):
                mgwauth.file_sync_dir(os.path.join(d, "missing"))

    def test_conflicts(self):
        with support.TempDir() as d, mgwauth.FileSet() as fs:
            path = os.path.join(d, "a")
            fs.add(path, b"A")
            with self.assertRaises(mgwauth.ExistsError):
                fs.add(path, b"B")
            mgwauth.write_file(os.path.join(d, "b"), b"old")
            with self.assertRaises(mgwauth.ExistsError):
                fs.add(os.path.join(d, "b"), b"new")
            fs.add(os.path.join(d, "b"), b"new", force=True)
            fs.commit()
            self.assertEqual(mgwauth.read_file(os.path.join(d, "b")), b"new")


if __name__ == "__main__":
    unittest.main()
