"""The gateway check through the binding, on loopback only: a real
`openssl s_server -Verify 1 -www` with certificates made by the binding
(with -verify_return_error, so that it refuses a client certificate of
another CA as a gateway does), and a port nobody listens on."""
import os
import shutil
import subprocess
import unittest

import support
import mgwauth
from mgwauth import check, errors
from workdir import free_port, wait_port

OPENSSL = os.environ.get("OPENSSL") or shutil.which("openssl") or "/usr/bin/openssl"
KEY_PASSWORD = "server key"


def setUpModule():
    global TMP, DIR, CA_PEM, CLIENT, SERVER, PROC, PORT
    TMP = support.TempDir()
    DIR = TMP.__enter__()
    ca = support.ca()
    CLIENT = support.leaf()  # issued by ca(), clientAuth
    SERVER = mgwauth.create_certificate("CN=localhost", dns=["localhost"], eku=["serverAuth"],
                                        key="p256", days=30, ca=ca)
    CA_PEM = os.path.join(DIR, "ca.pem")
    mgwauth.write_file(CA_PEM, ca.to_pem())
    mgwauth.write_file(os.path.join(DIR, "srv.pem"), SERVER.to_pem())
    mgwauth.write_file(os.path.join(DIR, "srv.key"),
                       SERVER.private_key.export_encrypted(KEY_PASSWORD, iterations=1000),
                       private=True)
    PORT = free_port()
    PROC = subprocess.Popen(
        [OPENSSL, "s_server", "-accept", f"127.0.0.1:{PORT}", "-cert", "srv.pem", "-key",
         "srv.key", "-pass", f"pass:{KEY_PASSWORD}", "-Verify", "1", "-verify_return_error",
         "-CAfile", "ca.pem", "-www"],
        cwd=DIR, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(PORT, proc=PROC)


def tearDownModule():
    PROC.terminate()
    PROC.wait()
    TMP.__exit__(None, None, None)


def url(port=None):
    return f"https://localhost:{port or PORT}/"


class AgainstOpenSslServer(unittest.TestCase):
    def test_pass_with_the_client_certificate(self):
        result = check.run(url(), client=CLIENT, cafile=CA_PEM, timeout_ms=10000)
        self.assertTrue(result.passed, result.describe())
        self.assertEqual((result.error, result.exception), (errors.OK, None))
        self.assertEqual(result.status(), 200)
        self.assertEqual(result.status("with_cert"), 200)
        self.assertEqual(result.status(mgwauth.CheckRequest.WITHOUT_CERT), 0,
                         "the anonymous request is refused by TLS")
        j = result.describe_json()
        self.assertEqual((j["verdict"], j["error"], j["url"]),
                         ("PASS", 0, url() + "Microsoft-Server-ActiveSync/HealthCheck.htm"))
        self.assertEqual(j["server_certificate"]["thumbprint_sha1"], SERVER.thumbprint_sha1)
        self.assertEqual(j["without_certificate"]["refused_by_tls"], True)
        self.assertEqual(j["reason"], result.reason)
        self.assertTrue(result.describe().startswith("PASS " + j["url"]))
        self.assertRegex(repr(result), r"^<CheckResult PASS: ")

    def test_every_option_set_through_the_object(self):
        pfx = mgwauth.load_pfx(CLIENT.to_pfx("pw", iterations=1), "pw")
        with mgwauth.CheckOptions() as opts:
            opts.set_url(url())
            opts.set_client(pfx)
            opts.add_client_chain(support.ca())
            opts.set_cafile(CA_PEM)
            opts.set_insecure(False)
            opts.set_expected_status(200)
            opts.set_timeout_ms(5000)
            opts.set_connect_to("127.0.0.1")
            opts.set_max_tls(check.max_tls())
            result = check.run(opts)
        self.assertTrue(result.passed, result.describe())

    def test_an_unverified_server_is_accepted_only_when_allowed(self):
        result = check.run(url(), client=CLIENT, insecure=True)
        self.assertTrue(result.passed, result.describe())
        with self.assertRaisesRegex(mgwauth.InvalidArgumentError, "CA file"):
            check.run(url(), client=CLIENT)

    def test_a_server_signed_by_another_ca_is_untrusted(self):
        other = mgwauth.create_ca("CN=Some Other CA", key="p256")
        path = os.path.join(DIR, "other.pem")
        mgwauth.write_file(path, other.to_pem(), force=True)
        result = check.run(url(), client=CLIENT, cafile=path)
        self.assertFalse(result.passed)
        self.assertEqual(result.error, errors.ERR_CHECK_UNTRUSTED, result.reason)
        self.assertIsInstance(result.exception, mgwauth.CheckError)

    def test_a_foreign_client_certificate_fails(self):
        stranger = mgwauth.create_certificate("CN=intruder", key="p256")
        result = check.run(url(), client=stranger, cafile=CA_PEM)
        self.assertFalse(result.passed)
        self.assertEqual(result.error, errors.ERR_CHECK_HANDSHAKE, result.reason)
        self.assertIn("request with the certificate", result.reason)
        self.assertEqual(result.describe_json()["verdict"], "FAIL")

    def test_expected_status_other_than_the_answer(self):
        result = check.run(url(), client=CLIENT, cafile=CA_PEM, expected_status=204)
        self.assertFalse(result.passed)
        self.assertEqual(result.error, errors.ERR_CHECK_STATUS)
        self.assertIn("got HTTP 200, expected 204", result.reason)
        self.assertEqual(result.status(), 200)


class Faults(unittest.TestCase):
    def test_a_refused_port_is_error_702(self):
        port = free_port()
        result = check.run(url(port), client=CLIENT, cafile=CA_PEM, timeout_ms=5000)
        self.assertFalse(result.passed)
        self.assertEqual(result.error, -702)
        self.assertEqual(result.error, errors.ERR_CHECK_CONNECT)
        self.assertEqual((result.status("with_cert"), result.status("without_cert")), (0, 0))
        e = result.exception
        self.assertIsInstance(e, mgwauth.CheckError)
        self.assertEqual((e.code, e.name, e.message), (-702, "MGW_ERR_CHECK_CONNECT",
                                                       result.reason))
        self.assertEqual(result.describe_json()["error"], -702)

    def test_options_refused_at_once(self):
        with mgwauth.CheckOptions() as opts:
            for bad in ("http://localhost/", "https://", "https://user@host/"):
                with self.subTest(bad), self.assertRaises(mgwauth.CheckUrlError) as cm:
                    opts.set_url(bad)
                self.assertIsInstance(cm.exception, ValueError)
            for setter, bad in ((opts.set_expected_status, 99), (opts.set_timeout_ms, 0),
                                (opts.set_timeout_ms, 600001)):
                with self.subTest(bad), self.assertRaises(mgwauth.InvalidArgumentError):
                    setter(bad)
            with self.assertRaises(ValueError):
                opts.set_max_tls("1.1")
            with self.assertRaises(mgwauth.KeyMismatchError):
                opts.set_client(CLIENT, key=mgwauth.generate_key("p256"))
            with self.assertRaises(mgwauth.CheckUrlError):
                check.run(opts)
        with self.assertRaises(TypeError):
            check.run(mgwauth.CheckOptions(), url=url())

    def test_max_tls(self):
        self.assertIn(check.max_tls(), (mgwauth.TlsVersion.TLS_1_2, mgwauth.TlsVersion.TLS_1_3))
        with mgwauth.CheckOptions() as opts:
            opts.set_max_tls("1.2")
            opts.set_max_tls("tls_1_3")
            opts.set_max_tls(0x0303)


if __name__ == "__main__":
    unittest.main()
