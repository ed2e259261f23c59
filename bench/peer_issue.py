#!/usr/bin/env python3
"""What mgwauth does per certificate, done with Python cryptography: the peer
of ./run bench. Run by every Python interpreter the benchmark compares with.

  peer_issue.py info
      prints {"python", "cryptography", "openssl"} as JSON
  peer_issue.py run KIND COUNT [CA_PFX CA_PASSWORD_FILE OUT_DIR PREFIX]
      imports, loads the CA, prints "ready", waits for a line on stdin, then
      makes COUNT certificates (self-signed, or issued by the CA and written
      to OUT_DIR as PREFIX<i>.pfx/.cer with fsync, as mgwauth's batch does)
      and prints {"seconds": ..., "cpu_seconds": ...} measured from the line on
      stdin (wall time, and the CPU time of this process)."""
import datetime
import json
import os
import sys
import time

UPN_OID = "1.3.6.1.4.1.311.20.2.3"


def info():
    import cryptography
    from cryptography.hazmat.backends.openssl import backend
    return {"python": sys.executable, "cryptography": cryptography.__version__,
            "openssl": backend.openssl_version_text()}


def issue(kind, ca=None, write_dir=None, name="c"):
    """Key, clientAuth certificate with UPN and e-mail SANs, compat PFX, CER."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "p256" else \
        rsa.generate_private_key(65537, 2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imagoverum.com")])
    issuer_name, signer = (subject, key) if ca is None else (ca[0].subject, ca[1])
    now = datetime.datetime.now(datetime.timezone.utc)
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


def run(kind, count, ca_pfx=None, ca_pw_file=None, out_dir=None, prefix="c"):
    ca = None
    if ca_pfx is not None:
        from cryptography.hazmat.primitives.serialization import pkcs12
        with open(ca_pw_file, "rb") as f:
            pw = f.read().rstrip(b"\r\n")
        with open(ca_pfx, "rb") as f:
            ca_key, ca_cert, _ = pkcs12.load_key_and_certificates(f.read(), pw)
        ca = (ca_cert, ca_key)
    issue(kind, ca)  # imports and first-use set-up happen before the clock starts
    print("ready", flush=True)
    sys.stdin.readline()
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(count):
        issue(kind, ca, out_dir, f"{prefix}{i}")
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}


def main(argv):
    if argv[1:2] == ["info"]:
        print(json.dumps(info()))
        return 0
    if argv[1:2] == ["run"] and len(argv) in (4, 8):
        print(json.dumps(run(argv[2], int(argv[3]), *argv[4:])), flush=True)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
