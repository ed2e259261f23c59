#!/usr/bin/env python3
"""./run bench: every benchmark of libmgwauth in one run, with OpenSSL and
Python cryptography measured in the same run. Prints a table of times and
ratios and writes all numbers to build/bench-results.json."""
import hashlib
import json
import os
import subprocess
import sys
import time

BUILD = os.environ.get("MGW_BUILD", "build")
OPENSSL = os.environ.get("OPENSSL", "openssl")


def best(runs, fn):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def c_bench(name, *args):
    out = subprocess.run([os.path.join(BUILD, "bench", name), *map(str, args)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def kdf_section(rows, results):
    iterations = 200000
    ours = c_bench("bench_kdf", iterations)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
    salt = b"\x07" * 16
    t_hashlib = best(5, lambda: hashlib.pbkdf2_hmac("sha256", b"Secret123", salt, iterations, 32))
    t_crypto = best(5, lambda: PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations)
                    .derive(b"Secret123"))

    def openssl_p12(it):
        return subprocess.run([OPENSSL, "kdf", "-keylen", "20", "-kdfopt", "digest:SHA1",
                               "-kdfopt", "hexpass:0073006d006500670000", "-kdfopt",
                               "hexsalt:0A58CF64530D823F", "-kdfopt", f"iter:{it}", "-kdfopt",
                               "id:1", "PKCS12KDF"], capture_output=True, check=True)
    startup = best(3, lambda: openssl_p12(1))
    t_ossl_p12 = max(best(3, lambda: openssl_p12(iterations)) - startup, 1e-9)
    results["kdf"] = dict(ours, hashlib_pbkdf2_s=t_hashlib, cryptography_pbkdf2_s=t_crypto,
                          openssl_pkcs12kdf_s=t_ossl_p12)
    p = ours["pbkdf2_sha256_s"]
    q = ours["pkcs12_kdf_sha1_s"]
    hw = "SHA instructions" if ours["sha_hardware"] else "portable C"
    rows.append((f"PBKDF2-HMAC-SHA256, {iterations} iterations", p,
                 f"{p / ours['pbkdf2_floor_s']:.2f}x the floor of 2 compressions/iteration ({hw}); "
                 f"a plain mbedtls_md_hmac loop {ours['pbkdf2_naive_hmac_s'] / p:.2f}x ours; "
                 f"OpenSSL (hashlib) {t_hashlib / p:.2f}x, cryptography {t_crypto / p:.2f}x"))
    rows.append((f"PKCS#12 KDF SHA-1, {iterations} iterations", q,
                 f"{q / ours['pkcs12_floor_s']:.2f}x the floor of 1 compression/iteration ({hw}); "
                 f"mbedTLS's compression alone {ours['pkcs12_mbedtls_floor_s'] / q:.2f}x ours; "
                 f"OpenSSL PKCS12KDF {t_ossl_p12 / q:.2f}x"))


def roots_section(rows, results):
    r = c_bench("bench_roots", 100000)
    results["roots"] = r
    rows.append((f"root planning, {r['certificates']} certificates",
                 r["list_s"] + r["plan_s"],
                 f"{r['ratio_to_sha1']:.2f}x merely SHA-1 hashing the same bytes "
                 f"({r['sha1_s'] * 1000:.0f} ms); planning alone {r['plan_s'] * 1000:.0f} ms"))


SECTIONS = [kdf_section, roots_section]


def main():
    rows, results = [], {}
    for section in SECTIONS:
        section(rows, results)
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'time':>10}  comparison")
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {seconds * 1000:>8.1f}ms  {note}")
    path = os.path.join(BUILD, "bench-results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"(all numbers in {path}; ratios above 1 mean the other side takes longer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
