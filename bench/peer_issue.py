#!/usr/bin/env python3
"""What mgwauth does per certificate, done with Python cryptography: the peer
of ./run bench. Run by every Python interpreter the benchmark compares with.

  peer_issue.py info
      prints {"python", "cryptography", "openssl"} as JSON
  peer_issue.py run KIND COUNT [CA_PFX CA_PASSWORD_FILE OUT_DIR PREFIX]
      imports, loads the CA, prints "ready", waits for a line on stdin, then
      makes COUNT certificates, self-signed, or with a CA the work of
      `mgwauth cert issue --batch` for COUNT rows (see batch()), and prints
      {"seconds": ..., "cpu_seconds": ...} measured from the line on stdin
      (wall time, and the CPU time of this process)."""
import datetime
import json
import hashlib
import os
import secrets
import sys
import time

UPN_OID = "1.3.6.1.4.1.311.20.2.3"
# mgwauth's generated passwords: 24 characters of this alphabet
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"


def info():
    import cryptography
    from cryptography.hazmat.backends.openssl import backend
    return {"python": sys.executable, "cryptography": cryptography.__version__,
            "openssl": backend.openssl_version_text()}


def write_atomic(path, data, mode):
    """As mgwauth writes every file: a new temporary file, fsync, rename."""
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.write(fd, data)
    os.fsync(fd)
    os.close(fd)
    os.rename(path + ".tmp", path)


def sync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(fd)
    os.close(fd)


def issue(kind, ca=None, upn="eas@imagoverum.com", email="eas@imagoverum.com",
          password=b"Secret123"):
    """Key, clientAuth certificate with the extensions mgwauth puts in (basic
    constraints, key usage, subject and authority key identifiers, UPN and
    e-mail SANs), compat PFX (with the CA's certificate when there is one),
    CER."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "p256" else \
        rsa.generate_private_key(65537, 2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                            "imagoverum.com" if ca is None else upn)])
    issuer_name, signer = (subject, key) if ca is None else (ca[0].subject, ca[1])
    now = datetime.datetime.now(datetime.timezone.utc)
    u = upn.encode()
    sans = [x509.OtherName(x509.ObjectIdentifier(UPN_OID), b"\x0c" + bytes([len(u)]) + u)]
    if email is not None:
        sans.append(x509.RFC822Name(email))
    rsa_key = kind != "p256"
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=10))
               .not_valid_after(now + datetime.timedelta(days=730))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), False)
               .add_extension(x509.KeyUsage(True, False, rsa_key, False, False, False, False,
                                            False, False), True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              False)
               .add_extension(x509.SubjectAlternativeName(sans), False))
    if ca is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca[1].public_key()), False)
    cert = builder.sign(signer, hashes.SHA256())
    enc = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(2048)
           .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
           .hmac_hash(hashes.SHA1()).build(password))
    pfx = pkcs12.serialize_key_and_certificates(b"imagoverum.com", key, cert,
                                                None if ca is None else [ca[0]], enc)
    cer = cert.public_bytes(serialization.Encoding.DER)
    return cert, pfx, cer


def batch(kind, ca, count, out_dir, prefix):
    """What `mgwauth cert issue --batch` does for COUNT rows with a UPN column
    only: per row a generated 24-character password appended to a password
    journal (one write, no fsync) before the PFX is written, the PFX (0600)
    and the CER each written to a new temporary file, fsynced and renamed; at
    the end one sync of the directory, then a manifest and the consolidated
    password file (0600), each written the same way and followed by a sync of
    the directory. Each process writes its own PREFIX-named files."""
    from cryptography.hazmat.primitives import serialization
    journal = os.open(os.path.join(out_dir, prefix + "passwords.csv"),
                      os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.write(journal, b"upn,password\n")
    manifest, passwords = ["upn,serial,sha1_thumbprint,not_after,pfx,cer\n"], ["upn,password\n"]
    for i in range(count):
        upn = f"{prefix}user{i}@imagoverum.com"
        pw = "".join(secrets.choice(ALPHABET) for _ in range(24))
        cert, pfx, cer = issue(kind, ca, upn, None, pw.encode())
        line = f"{upn},{pw}\n"
        os.write(journal, line.encode())
        passwords.append(line)
        base = os.path.join(out_dir, upn)
        write_atomic(base + ".pfx", pfx, 0o600)
        write_atomic(base + ".cer", cer, 0o644)
        sha1 = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
        manifest.append(f"{upn},{cert.serial_number:x},{sha1},"
                        f"{getattr(cert, 'not_valid_after_utc', None) or cert.not_valid_after:%Y-%m-%dT%H:%M:%SZ},"
                        f"{upn}.pfx,{upn}.cer\n")
    os.close(journal)
    sync_dir(out_dir)
    write_atomic(os.path.join(out_dir, prefix + "manifest.csv"), "".join(manifest).encode(),
                 0o644)
    sync_dir(out_dir)
    write_atomic(os.path.join(out_dir, prefix + "passwords.csv"), "".join(passwords).encode(),
                 0o600)
    sync_dir(out_dir)


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
    if out_dir is None:
        for _ in range(count):
            issue(kind, ca)
    else:
        batch(kind, ca, count, out_dir, prefix)
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
