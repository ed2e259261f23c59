"""10,000 create/free cycles of cheap objects keep the process's resident
memory flat: every handle and every library-allocated buffer is freed."""
import gc
import os
import unittest

import support
import mgwauth

CYCLES = 10000
WARM_UP = 1000
SLACK = 2 * 1024 * 1024  # allocator noise; a leak of 200 bytes a cycle exceeds it


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Leaks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cert_der = support.leaf().to_der()
        cls.pfx = support.leaf().to_pfx("pw", iterations=1)

    def cycle(self, n):
        with mgwauth.CertOptions("CN=leak,O=Imago Verum", upn=["a@imagoverum.com"],
                                 days=30) as opts:
            opts.add_eku("serverAuth")
        cert = mgwauth.load_certificate(self.cert_der)
        cert.thumbprint_sha1, cert.subject, cert.sans  # buffers freed with mgw_free
        if n % 2:
            cert.close()  # else the finalizer frees it
        with mgwauth.load_pfx(self.pfx, "pw") as pfx:
            pfx.certificate
            pfx.algorithm("key")
        try:
            mgwauth.load_pfx(self.pfx, "wrong")
        except mgwauth.WrongPasswordError:
            pass

    def test_rss_stays_flat(self):
        for n in range(WARM_UP):
            self.cycle(n)
        gc.collect()
        before = resident_bytes()
        for n in range(CYCLES):
            self.cycle(n)
        gc.collect()
        growth = resident_bytes() - before
        self.assertLess(growth, SLACK, f"RSS grew by {growth} bytes over {CYCLES} cycles")


if __name__ == "__main__":
    unittest.main()
