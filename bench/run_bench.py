#!/usr/bin/env python3
"""./run bench: every benchmark of libmgwauth in one run, with OpenSSL and
Python cryptography measured in the same run. Prints a table of times and
ratios and writes all numbers to build/bench-results.json."""
import datetime
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("MGW_BUILD", "build")
OPENSSL = os.environ.get("OPENSSL", "openssl")
# MGW_BENCH_SMOKE=1: tiny counts, one repetition (the test suite's check that
# the benchmark still runs; its numbers mean nothing).
SMOKE = os.environ.get("MGW_BENCH_SMOKE") == "1"
REPEATS = 1 if SMOKE else int(os.environ.get("MGW_BENCH_REPEATS", "3"))


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
    iterations = 2000 if SMOKE else 200000
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
    r = c_bench("bench_roots", 4000 if SMOKE else 100000)
    results["roots"] = r
    rows.append((f"root planning, {r['certificates']} certificates",
                 r["list_s"] + r["plan_s"],
                 f"{r['ratio_to_sha1']:.2f}x merely SHA-1 hashing the same bytes "
                 f"({r['sha1_s'] * 1000:.0f} ms); planning alone {r['plan_s'] * 1000:.0f} ms"))


def keygen_section(rows, results):
    """The key operations against mbedTLS's own calls (bench_keygen)."""
    r = c_bench("bench_keygen", *((1, 5) if SMOKE else (30, 1000)))
    results["keygen"] = r
    rows.append(("RSA-2048 key generation", r["rsa2048_ours_s"],
                 f"mbedtls_rsa_gen_key {r['rsa2048_mbedtls_s'] * 1000:.1f} ms = "
                 f"{r['rsa2048_mbedtls_s'] / r['rsa2048_ours_s']:.2f}x ours; a 1024-bit prime "
                 f"{r['prime1024_s'] * 1000:.1f} ms after {r['prime1024_tested']:.1f} candidates "
                 f"tested; one 1024-bit exponentiation {r['exp1024_s'] * 1000:.2f} ms; "
                 f"one RSA-2048 signature {r['rsa2048_sign_s'] * 1000:.2f} ms"))
    rows.append(("P-256 key generation, signature", r["p256_keygen_s"] + r["p256_sign_s"],
                 f"{r['p256_keygen_s'] * 1000:.2f} + {r['p256_sign_s'] * 1000:.2f} ms on this "
                 f"thread's group; with a freshly loaded group (mbedtls_ecp_gen_key, "
                 f"mbedtls_pk_sign) {r['p256_keygen_fresh_s'] * 1000:.2f} + "
                 f"{r['p256_sign_fresh_s'] * 1000:.2f} ms"))


MGW = os.path.join(BUILD, "tools", "mgwauth")
HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "peer_issue.py")
UPN_OID = "1.3.6.1.4.1.311.20.2.3"
KINDS = ("p256", "rsa2048")


def find_peers():
    """Every Python cryptography on the machine: Debian's /usr/bin/python3 and
    the default python3 when it has another version."""
    peers, seen = [], set()
    for exe in ("/usr/bin/python3", shutil.which("python3")):
        if exe is None or not os.path.exists(exe):
            continue
        proc = subprocess.run([exe, PEER, "info"], capture_output=True, text=True)
        if proc.returncode != 0:
            continue
        d = json.loads(proc.stdout)
        if (d["cryptography"], d["openssl"]) in seen:
            continue
        seen.add((d["cryptography"], d["openssl"]))
        openssl = " ".join(d["openssl"].split()[:2])
        peers.append(dict(d, exe=exe, name=f"cryptography {d['cryptography']} ({openssl})"))
    return peers


def peer_processes(peer, kind, counts, ca=None, out_dir=None):
    """len(counts) processes of the peer, started together once all are ready;
    returns the wall time from the start to the last one's end, the longest
    time a process reports for its certificates (without its exit) and the
    CPU time the processes report."""
    procs = []
    for i, n in enumerate(counts):
        extra = [] if ca is None else [os.path.join(ca, "ca.pfx"), os.path.join(ca, "pw"),
                                       out_dir, f"w{i}-"]
        procs.append(subprocess.Popen([peer["exe"], PEER, "run", kind, str(n), *extra],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
    for p in procs:
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{peer['name']} did not start")
    t0 = time.perf_counter()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    own, cpu = 0.0, 0.0
    for p in procs:
        r = json.loads(p.stdout.read().strip().splitlines()[-1])
        own, cpu = max(own, r["seconds"]), cpu + r["cpu_seconds"]
        if p.wait() != 0:
            raise RuntimeError(f"{peer['name']} failed")
    return time.perf_counter() - t0, own, cpu


def median(xs):
    return statistics.median(xs)


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
    """Per core: one self-signed certificate + PFX + CER in one process, ours
    (bench_issue) and each peer's, interleaved, REPEATS times; medians of the
    wall time and of the CPU time per certificate. The targets use CPU time:
    on a shared machine a process also waits for a core, and the waits hit
    whichever side runs while other work does."""
    counts = {"p256": (300, 150, 20), "rsa2048": (40, 40, 8)}
    if SMOKE:
        counts = {"p256": (3, 2, 1), "rsa2048": (2, 1, 1)}
    peers = results["peers"]
    res = {}
    d = tempfile.mkdtemp(prefix="mgw-bench-")
    try:
        for kind, (n_ours, n_py, n_ossl) in counts.items():
            ours, py, ossl = [], {p["name"]: [] for p in peers}, []
            ours_cpu, py_cpu = [], {p["name"]: [] for p in peers}
            steps = {k: [] for k in ("keygen_s", "cert_s", "pfx_s", "cer_s")}
            for _ in range(REPEATS):
                r = c_bench("bench_issue", kind, n_ours)
                ours.append(r["per_cert_s"])
                ours_cpu.append(r["per_cert_cpu_s"])
                for k in steps:
                    steps[k].append(r[k])
                for p in peers:
                    _, wall, cpu = peer_processes(p, kind, [n_py])
                    py[p["name"]].append(wall / n_py)
                    py_cpu[p["name"]].append(cpu / n_py)
            t0 = time.perf_counter()
            for _ in range(n_ossl):
                openssl_pipeline(kind, d)
            ossl = (time.perf_counter() - t0) / n_ossl
            entry = {"mgwauth_s": median(ours), "mgwauth_runs_s": ours, "openssl_cli_s": ossl,
                     "mgwauth_cpu_s": median(ours_cpu), "mgwauth_runs_cpu_s": ours_cpu,
                     "mgwauth_steps_s": {k: median(v) for k, v in steps.items()},
                     "peers": {name: {"s": median(t), "runs_s": t, "cpu_s": median(py_cpu[name]),
                                      "runs_cpu_s": py_cpu[name]} for name, t in py.items()}}
            res[kind] = entry
            note = "; ".join(f"{name} {v['s'] * 1000:.1f} ms = "
                             f"{v['s'] / entry['mgwauth_s']:.2f}x our time (CPU "
                             f"{v['cpu_s'] * 1000:.1f} ms = "
                             f"{v['cpu_s'] / entry['mgwauth_cpu_s']:.2f}x our CPU time)"
                             for name, v in entry["peers"].items())
            rows.append((f"per core: one self-signed {kind} certificate + PFX + CER",
                         entry["mgwauth_s"],
                         f"median of {REPEATS}; our CPU time {entry['mgwauth_cpu_s'] * 1000:.1f} ms; "
                         f"{note}; OpenSSL CLI pipeline (req + pkcs12 + x509) "
                         f"{ossl / entry['mgwauth_s']:.1f}x"))
            st = entry["mgwauth_steps_s"]
            # The compat PFX derives 2 x (3DES key: 2 blocks, IV: 1 block) + MAC key: 7
            # PKCS#12 KDF blocks of mgw_default_iterations() = 2048 iterations, one
            # SHA-1 compression each.
            kdf = results["kdf"]
            pfx_floor = 7 * 2048 * kdf["pkcs12_floor_s"] / kdf["iterations"]
            rows.append((f"  where the {kind} time goes (medians)", entry["mgwauth_s"],
                         f"key generation {st['keygen_s'] * 1000:.2f} ms, certificate with its "
                         f"signature {st['cert_s'] * 1000:.2f} ms, PFX {st['pfx_s'] * 1000:.2f} ms "
                         f"(floor: 14,336 SHA-1 compressions = {pfx_floor * 1000:.2f} ms), "
                         f"CER {st['cer_s'] * 1000:.3f} ms"))
            entry["pfx_kdf_floor_s"] = pfx_floor
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
    """CA-issued certificates written to files: our --jobs 1 against one peer
    process, our --jobs N against N peer processes (N = cores), interleaved,
    REPEATS times; medians of the throughput. The peer does the batch's work
    (peer_issue.batch()). Every run writes into a new directory and nothing
    is deleted until the section ends: ext4 steps over recently deleted
    inodes when it allocates new ones, so a run that follows a deletion of
    thousands of files spends a quarter of its CPU time in the kernel's
    recently_deleted() (perf), a cost of the benchmark's own clean-up that
    fell on whichever side ran next."""
    cores = os.cpu_count() or 1
    peers = results["peers"]
    sizes = {"p256": (600, 300), "rsa2048": (80, 60)}
    if SMOKE:
        sizes = {"p256": (4, 2), "rsa2048": (2, 2)}
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
        for kind, (n, n_py) in sizes.items():
            csv_path = os.path.join(d, f"{kind}.csv")
            with open(csv_path, "w") as f:
                f.write("upn\n" + "".join(f"user{i}@imagoverum.com\n" for i in range(n)))
            entry = {"certificates": n, "peer_certificates": n_py}
            for jobs in (1, cores):
                ours, rss, py = [], 0, {p["name"]: [] for p in peers}
                for rep in range(REPEATS):
                    out = os.path.join(d, f"{kind}-{jobs}-{rep}")
                    t, rss = run_batch(csv_path, out, jobs, kind, ca_dir)
                    ours.append(n / t)
                    for k, p in enumerate(peers):
                        py_dir = os.path.join(d, f"py-{kind}-{jobs}-{rep}-{k}")
                        os.makedirs(py_dir)
                        split = [n_py // jobs + (i < n_py % jobs) for i in range(jobs)]
                        py[p["name"]].append(n_py / peer_processes(p, kind, split, ca_dir,
                                                                   py_dir)[0])
                entry[f"jobs_{jobs}"] = {
                    "per_second": median(ours), "runs_per_second": ours, "peak_rss": rss,
                    "peers": {name: {"per_second": median(r), "runs_per_second": r}
                              for name, r in py.items()}}
            res[kind] = entry
            for jobs in (1, cores):
                e = entry[f"jobs_{jobs}"]
                note = "; ".join(f"{name} {v['per_second']:.1f}/s in {jobs} process"
                                 f"{'es' if jobs > 1 else ''}: {e['per_second'] / v['per_second']:.2f}x"
                                 for name, v in e["peers"].items())
                rows.append((f"{'per core' if jobs == 1 else 'all cores'}: batch {n} {kind}, "
                             f"--jobs {jobs}", n / e["per_second"],
                             f"{e['per_second']:.1f}/s (median of {REPEATS}); {note}; "
                             f"peak RSS {e['peak_rss'] / 2**20:.1f} MiB"))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    results["batch"] = res
    results["cores"] = cores


SECTIONS = [kdf_section, roots_section, keygen_section, per_cert_section, batch_section]


def targets(results):
    """Lines of the targets summary, each against the best peer."""
    cert, batch, cores = results["per_certificate"], results["batch"], results["cores"]
    lines = []
    for kind, need in (("p256", 1.0), ("rsa2048", 0.8)):
        peers = cert[kind]["peers"]
        if not peers:
            continue
        name = min(peers, key=lambda k: peers[k]["cpu_s"])
        ratio = peers[name]["cpu_s"] / cert[kind]["mgwauth_cpu_s"]
        wall = peers[name]["s"] / cert[kind]["mgwauth_s"]
        lines.append(f"  {kind} per core (CPU time per certificate, one process) >= {need:.1f}x "
                     f"the best peer, {name}: {ratio:.2f}x (wall time {wall:.2f}x) -> "
                     f"{'met' if ratio >= need else 'NOT met'}")
    for kind in KINDS:
        e = batch[kind][f"jobs_{cores}"]
        if not e["peers"]:
            continue
        name = max(e["peers"], key=lambda k: e["peers"][k]["per_second"])
        ratio = e["per_second"] / e["peers"][name]["per_second"]
        lines.append(f"  {kind} all cores (--jobs {cores} against {cores} processes) >= 1.0x the "
                     f"best peer, {name}: {ratio:.2f}x -> {'met' if ratio >= 1 else 'NOT met'}")
    for kind in KINDS:
        speed = cert[kind]["openssl_cli_s"] / cert[kind]["mgwauth_s"]
        lines.append(f"  {kind} per certificate >= 5x faster than the OpenSSL CLI pipeline: "
                     f"{speed:.1f}x -> {'met' if speed >= 5 else 'NOT met'}")
    return lines


def main():
    rows, results = [], {"peers": find_peers()}
    print("peers: " + ", ".join(f"{p['name']} ({p['exe']})" for p in results["peers"]))
    for section in SECTIONS:
        section(rows, results)
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'time':>10}  comparison")
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {seconds * 1000:>8.1f}ms  {note}")
    print("targets:")
    for line in targets(results):
        print(line)
    path = os.path.join(BUILD, "bench-smoke-results.json" if SMOKE else "bench-results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"(all numbers in {path}; ratios above 1 mean the other side takes longer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
