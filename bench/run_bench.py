#!/usr/bin/env python3
"""./run bench: every benchmark of libmgwauth in one run, with OpenSSL and
Python cryptography measured in the same run. Prints a table of times and
ratios and writes all numbers to build/bench-results.json."""
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
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


MGW = os.path.join(BUILD, "tools", "mgwauth")
UPN_OID = "1.3.6.1.4.1.311.20.2.3"


def py_issue(kind, ca=None, write_dir=None, name="c"):
    """What mgwauth does per certificate, with Python cryptography."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "p256" else \
        rsa.generate_private_key(65537, 2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imagoverum.com")])
    issuer_name, signer = (subject, key) if ca is None else (ca[0].subject, ca[1])
    now = datetime.datetime.utcnow()
    upn = x509.OtherName(x509.ObjectIdentifier(UPN_OID), b"\x0c\x12eas@imagoverum.com")
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=10))
            .not_valid_after(now + datetime.timedelta(days=730))
            .add_extension(x509.SubjectAlternativeName([upn, x509.RFC822Name("eas@imagoverum.com")]),
                           False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), False)
            .sign(signer, hashes.SHA256()))
    enc = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(2048)
           .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
           .hmac_hash(hashes.SHA1()).build(b"Secret123"))
    pfx = pkcs12.serialize_key_and_certificates(b"imagoverum.com", key, cert, None, enc)
    cer = cert.public_bytes(serialization.Encoding.DER)
    if write_dir is not None:
        for ext, data in ((".pfx", pfx), (".cer", cer)):
            path = os.path.join(write_dir, name + ext)
            fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, data)
            os.fsync(fd)
            os.close(fd)
            os.rename(path + ".tmp", path)
    return key, cert


def openssl_pipeline(kind, d):
    key, crt, pfx = (os.path.join(d, n) for n in ("k.pem", "c.pem", "c.pfx"))
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "p256" else \
        ["-newkey", "rsa:2048"]
    subprocess.run([OPENSSL, "req", "-x509", *newkey, "-nodes", "-keyout", key, "-out", crt,
                    "-subj", "/CN=imagoverum.com", "-days", "730", "-addext",
                    f"subjectAltName=otherName:{UPN_OID};UTF8:eas@imagoverum.com,"
                    "email:eas@imagoverum.com", "-addext", "extendedKeyUsage=clientAuth"],
                   check=True, capture_output=True)
    subprocess.run([OPENSSL, "pkcs12", "-export", "-in", crt, "-inkey", key, "-out", pfx,
                    "-passout", "pass:Secret123", "-keypbe", "PBE-SHA1-3DES", "-certpbe",
                    "PBE-SHA1-3DES", "-macalg", "sha1"], check=True, capture_output=True)
    subprocess.run([OPENSSL, "x509", "-in", crt, "-outform", "der", "-out",
                    os.path.join(d, "c.cer")], check=True, capture_output=True)


def per_cert_section(rows, results):
    counts = {"p256": (300, 100, 20), "rsa2048": (40, 15, 8)}
    res = {}
    d = tempfile.mkdtemp(prefix="mgw-bench-")
    try:
        for kind, (n_ours, n_py, n_ossl) in counts.items():
            ours = c_bench("bench_issue", kind, n_ours)["per_cert_s"]
            t0 = time.perf_counter()
            for _ in range(n_py):
                py_issue(kind)
            py = (time.perf_counter() - t0) / n_py
            t0 = time.perf_counter()
            for _ in range(n_ossl):
                openssl_pipeline(kind, d)
            ossl = (time.perf_counter() - t0) / n_ossl
            res[kind] = {"mgwauth_s": ours, "cryptography_s": py, "openssl_cli_s": ossl}
            rows.append((f"one self-signed {kind} certificate + PFX + CER", ours,
                         f"Python cryptography {py / ours:.2f}x our time, "
                         f"OpenSSL CLI pipeline (req + pkcs12 + x509) {ossl / ours:.1f}x"))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    results["per_certificate"] = res


def run_batch(csv_path, out, jobs, kind, ca_dir):
    args = [MGW, "cert", "issue", "--ca", os.path.join(ca_dir, "ca.pfx"), "--ca-password-file",
            os.path.join(ca_dir, "pw"), "--batch", csv_path, "--out", out, "--jobs", str(jobs),
            "--key", kind]
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"batch issuance failed: {args}")
    return elapsed, usage.ru_maxrss * 1024


def batch_section(rows, results):
    from cryptography.hazmat.primitives.serialization import pkcs12
    cores = os.cpu_count() or 1
    d = tempfile.mkdtemp(prefix="mgw-batch-")
    res = {}
    try:
        ca_dir = os.path.join(d, "ca")
        os.makedirs(ca_dir)
        with open(os.path.join(ca_dir, "pw"), "w") as f:
            f.write("ca password\n")
        subprocess.run([MGW, "ca", "create", "--subject", "CN=Bench CA", "--key", "p256",
                        "--password-file", os.path.join(ca_dir, "pw"), "--out", ca_dir],
                       check=True, capture_output=True)
        ca_key, ca_cert, _ = pkcs12.load_key_and_certificates(
            open(os.path.join(ca_dir, "ca.pfx"), "rb").read(), b"ca password")
        for kind, n, n_py in (("p256", 1000, 200), ("rsa2048", 200, 30)):
            csv_path = os.path.join(d, f"{kind}.csv")
            with open(csv_path, "w") as f:
                f.write("upn\n" + "".join(f"user{i}@imagoverum.com\n" for i in range(n)))
            entry = {"certificates": n}
            for jobs in (1, cores):
                out = os.path.join(d, f"{kind}-{jobs}")
                t, rss = run_batch(csv_path, out, jobs, kind, ca_dir)
                entry[f"jobs_{jobs}"] = {"seconds": t, "per_second": n / t, "peak_rss": rss}
                shutil.rmtree(out)
            py_dir = os.path.join(d, "py")
            os.makedirs(py_dir)
            t0 = time.perf_counter()
            for i in range(n_py):
                py_issue(kind, (ca_cert, ca_key), py_dir, f"u{i}")
            py_rate = n_py / (time.perf_counter() - t0)
            shutil.rmtree(py_dir)
            entry["cryptography_per_second"] = py_rate
            res[kind] = entry
            best = entry[f"jobs_{cores}"]
            rows.append((f"batch {n} {kind}, --jobs {cores}", best["seconds"],
                         f"{best['per_second']:.0f}/s ({entry['jobs_1']['per_second']:.0f}/s "
                         f"with --jobs 1); cryptography in one process {py_rate:.0f}/s: "
                         f"{best['per_second'] / py_rate:.2f}x; peak RSS "
                         f"{best['peak_rss'] / 2**20:.1f} MiB"))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    results["batch"] = res
    results["cores"] = cores


SECTIONS = [kdf_section, roots_section, per_cert_section, batch_section]


def main():
    rows, results = [], {}
    for section in SECTIONS:
        section(rows, results)
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'time':>10}  comparison")
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {seconds * 1000:>8.1f}ms  {note}")
    cert = results["per_certificate"]
    batch = results["batch"]
    cores = results["cores"]
    print("targets:")
    for kind in ("p256", "rsa2048"):
        ratio = batch[kind][f"jobs_{cores}"]["per_second"] / batch[kind]["cryptography_per_second"]
        print(f"  batch {kind} with all cores >= cryptography in one process: "
              f"{ratio:.2f}x -> {'met' if ratio >= 1 else 'NOT met'}")
        speed = cert[kind]["openssl_cli_s"] / cert[kind]["mgwauth_s"]
        print(f"  {kind} per certificate >= 5x faster than the OpenSSL CLI pipeline: "
              f"{speed:.1f}x -> {'met' if speed >= 5 else 'NOT met'}")
    path = os.path.join(BUILD, "bench-results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"(all numbers in {path}; ratios above 1 mean the other side takes longer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
