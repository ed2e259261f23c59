"""The binding from several Python threads: ctypes releases the GIL during
library calls, error messages stay with their thread, and one CA shared by
all threads issues correctly (the binding serialises each object's use)."""
import concurrent.futures
import os
import subprocess
import sys
import textwrap
import threading
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

import support
import mgwauth
from mgwauth import _ffi

THREADS = 4
PER_THREAD = 5


class Concurrency(unittest.TestCase):
    def test_concurrent_issuance_from_one_ca(self):
        ca = support.ca()

        def issue(t):
            out = []
            for i in range(PER_THREAD):
                cert = mgwauth.create_certificate(f"CN=device-{t}-{i}",
                                                  upn=[f"device-{t}-{i}@imagoverum.com"],
                                                  key="p256", ca=ca)
                out.append((t, i, cert.subject, cert.to_der(), cert.serial))
            return out

        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            results = [r for batch in pool.map(issue, range(THREADS)) for r in batch]
        self.assertEqual(len(results), THREADS * PER_THREAD)
        self.assertEqual(len({serial for *_, serial in results}), len(results), "serials unique")
        ca_key = x509.load_der_x509_certificate(ca.to_der()).public_key()
        for t, i, subject, der, _ in results:
            self.assertEqual(subject, f"CN=device-{t}-{i}")
            cert = x509.load_der_x509_certificate(der)
            ca_key.verify(cert.signature, cert.tbs_certificate_bytes,
                          ec.ECDSA(cert.signature_hash_algorithm))

    def test_error_messages_stay_with_their_thread(self):
        barrier = threading.Barrier(THREADS)

        def fail(t):
            barrier.wait()
            seen = []
            for _ in range(50):
                bad = "CN=x," + "O=y," * t + "=z"  # the fault moves with t
                try:
                    mgwauth.CertOptions(bad)
                except mgwauth.InputError as e:
                    seen.append(str(e))
                mgwauth.load_certificate(support.leaf().to_der())  # a success in between
            return t, seen

        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            for t, seen in pool.map(fail, range(THREADS)):
                position = len("CN=x," + "O=y," * t) + 1
                self.assertEqual(len(seen), 50)
                for message in seen:
                    self.assertIn(f"position {position}", message)

    def test_the_gil_is_released_during_a_call(self):
        key = mgwauth.Key()
        window = {}

        def slow():
            window["start"] = time.perf_counter()
            _ffi.lib.mgw_key_generate(key, mgwauth.KeyType.RSA3072)
            window["end"] = time.perf_counter()

        worker = threading.Thread(target=slow)
        samples = []
        worker.start()
        while worker.is_alive():
            samples.append(time.perf_counter())
            time.sleep(0.0005)
        worker.join()
        # Had the call kept the GIL, this thread could not have taken a
        # sample while it ran; released, it samples all along.
        start, end = window["start"], window["end"]
        margin = (end - start) / 4
        inside = [t for t in samples if start + margin < t < end - margin]
        self.assertGreater(len(inside), 0, f"no sample during a {end - start:.3f} s call")
        self.assertEqual(key.bits, 3072)

    def test_a_thread_outlives_the_unloaded_library(self):
        # The thread keeps its loaded EC group (a thread-exit destructor in the
        # library); after dlclose its exit must not call into unmapped code.
        script = textwrap.dedent("""
            import _ctypes, ctypes, os, threading
            lib = ctypes.CDLL(os.environ["MGWAUTH_LIBRARY"])
            lib.mgw_key_new.restype = ctypes.c_void_p
            lib.mgw_key_generate.argtypes = [ctypes.c_void_p, ctypes.c_int]
            lib.mgw_key_free.argtypes = [ctypes.c_void_p]
            ready, go, result = threading.Event(), threading.Event(), []
            def worker():
                k = ctypes.c_void_p(lib.mgw_key_new())
                result.append(lib.mgw_key_generate(k, 4))  # MGW_KEY_P256
                lib.mgw_key_free(ctypes.byref(k))
                ready.set()
                go.wait()
            t = threading.Thread(target=worker)
            t.start()
            ready.wait()
            handle = lib._handle
            del lib
            _ctypes.dlclose(handle)
            with open("/proc/self/maps") as f:
                print("unloaded" if "libmgwauth" not in f.read() else "mapped")
            go.set()
            t.join()
            print("generate", result[0])
        """)
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env=dict(os.environ), timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.split(), ["unloaded", "generate", "0"])

if __name__ == "__main__":
    unittest.main()
