#!/usr/bin/env python3
"""Make the seed corpora in fuzz/corpus/ from real artefacts: OpenSSL's
certificates, requests, keys and PFX files, the regedit exports Wine made
(tests/data/registry), plans, backups and keep-lists made by mgwauth, and a
few hand-made protocol messages. Run from the source tree after ./run build:
    python3 fuzz/make_corpus.py [path/to/mgwauth]
Files are named by content hash, so rerunning adds only what is new."""
import gzip
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import serialization

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, 'fuzz', 'corpus')
MGW = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'build', 'tools', 'mgwauth')
TMP = tempfile.mkdtemp(prefix='mgwcorpus.')


def put(target, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(CORPUS, target, name), 'wb') as f:
        f.write(data)


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, cwd=TMP, **kw).stdout


def read(name):
    with open(os.path.join(TMP, name), 'rb') as f:
        return f.read()


def openssl_material():
    run('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rsa.key',
        '-out', 'rsa.pem', '-days', '30', '-subj', '/CN=gateway.example/O=Example GmbH/C=DE',
        '-addext', 'subjectAltName=DNS:gateway.example,email:eas@example.com,'
        'otherName:1.3.6.1.4.1.311.20.2.3;UTF8:eas@example.com',
        '-addext', 'extendedKeyUsage=clientAuth')
    run('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
        '-nodes', '-keyout', 'ec.key', '-out', 'ec.pem', '-days', '30',
        '-subj', '/CN=Device CA/OU=IT+O=Example/DC=example/DC=com',
        '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0')
    run('openssl', 'req', '-new', '-key', 'rsa.key', '-out', 'rsa.csr', '-subj',
        '/CN=user@example.com/emailAddress=user@example.com')
    run('openssl', 'req', '-new', '-key', 'ec.key', '-out', 'ec.csr', '-outform', 'DER',
        '-subj', '/CN=J\xc3\xbcrgen/C=DE', '-utf8')
    for name in ('rsa.pem', 'ec.pem'):
        put('cert', read(name))
        der = run('openssl', 'x509', '-in', name, '-outform', 'DER')
        put('cert', der)
        put('ber', der)
        cert = x509.load_der_x509_certificate(der)
        put('dn', b'\x00' + cert.subject.public_bytes())
        put('dn', b'\x01' + cert.subject.rfc4514_string().encode())
    put('csr', read('rsa.csr'))
    put('csr', read('ec.csr'))
    # keys: the first byte picks the password (0 none, 1 "pass", 2 empty)
    put('key', b'\x00' + read('rsa.key'))
    put('key', b'\x00' + read('ec.key'))
    put('key', b'\x00' + run('openssl', 'rsa', '-in', 'rsa.key', '-traditional'))
    put('key', b'\x00' + run('openssl', 'ec', '-in', 'ec.key', '-outform', 'DER'))
    put('key', b'\x01' + run('openssl', 'pkcs8', '-topk8', '-in', 'ec.key', '-v2', 'aes-256-cbc',
                             '-iter', '1000', '-passout', 'pass:pass'))
    put('key', b'\x02' + run('openssl', 'pkcs8', '-topk8', '-in', 'ec.key', '-v1',
                             'PBE-SHA1-3DES', '-iter', '1000', '-passout', 'pass:', '-outform',
                             'DER'))
    # PFX: the first byte picks the password as for keys
    for pw, extra in ((b'\x01', ['-passout', 'pass:pass', '-iter', '1000']),
                      (b'\x01', ['-passout', 'pass:pass', '-legacy', '-iter', '1000']),
                      (b'\x02', ['-passout', 'pass:', '-iter', '1000']),
                      (b'\x00', ['-passout', 'pass:', '-nomac', '-keypbe', 'NONE',
                                 '-certpbe', 'NONE'])):
        for k in ('rsa', 'ec'):
            pfx = run('openssl', 'pkcs12', '-export', '-inkey', k + '.key', '-in', k + '.pem',
                      '-name', 'friendly ' + k, *extra)
            put('pfx', pw + pfx)
            put('ber', pfx)
    return read('rsa.pem'), read('ec.pem')


def registry_material():
    for d in ('tests/data/registry', 'examples'):
        for name in sorted(os.listdir(os.path.join(ROOT, d))):
            if name.endswith('.reg'):
                with open(os.path.join(ROOT, d, name), 'rb') as f:
                    put('reg', f.read())
    put('reg', b'REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\Software\\A]\r\n"x"=hex(2):41,00\r\n'
               b'[-HKEY_CURRENT_USER\\Software\\A\\B]\r\n[HKEY_CURRENT_USER\\Software\\A]\r\n'
               b'"y"=-\r\n@="d\xe9j\xe0"\r\n')
    put('reg', 'Windows Registry Editor Version 5.00\n\n[HKEY_USERS\\S-1\\X]\n'
               '"m"=hex(7):61,00,00,00,00,00\n"q"=hex(b):01,00,00,00,00,00,00,00\n'
               '"e"="a\\\\b\\"c"\n'.encode())
    ex = os.path.join(ROOT, 'examples')
    for extra in ([], ['--negotiate-client-cert', '--trust-mode', '1', '--disable-root-autoupdate']):
        out = os.path.join(TMP, 'plan%d' % len(extra))
        run(MGW, 'registry', 'plan', '--current', os.path.join(ex, 'schannel.reg'),
            '--current', os.path.join(ex, 'http.reg'), '--out', out, '--force', *extra)
        with open(os.path.join(out, 'plan.json'), 'rb') as f:
            put('plan', f.read())


def roots_material(pems):
    store = os.path.join(TMP, 'store')
    os.makedirs(store)
    thumbs = []
    for i, pem in enumerate(pems):
        with open(os.path.join(store, 'c%d.pem' % i), 'wb') as f:
            f.write(pem)
        der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
        thumbs.append(hashlib.sha1(der).hexdigest().upper())
    keep = os.path.join(TMP, 'keep.txt')
    with open(keep, 'w') as f:
        f.write('# keep the gateway certificate\n%s\n' % thumbs[0])
    backup = os.path.join(TMP, 'backup.pem.gz')
    run(MGW, 'roots', 'prune', '--store', store, '--keep-file', keep, '--backup', backup, '--yes')
    put('backup', read('backup.pem.gz'))
    put('backup', gzip.decompress(read('backup.pem.gz')))
    put('keep', b'\x00' + read('keep.txt'))
    put('keep', b'\x00Thumbprint                                Subject\n'
                b'----------                                -------\n'
                + ('%s  CN=gateway.example\n%s  CN=Device CA\n' % tuple(thumbs)).encode())
    t = thumbs[1]
    put('keep', b'\x01' + ' '.join(t[i:i + 2] for i in range(0, 40, 2)).encode())
    put('keep', b'\x01\xe2\x80\x8e' + t.lower().encode())
    put('keep', b'\x01' + ':'.join(t[i:i + 2] for i in range(0, 40, 2)).encode())
    put('keep', b'\x01' + hashlib.sha256(b'x').hexdigest().encode())


def other_material(pems):
    with open(os.path.join(ROOT, 'examples', 'users.csv'), 'rb') as f:
        put('csv', f.read())
    put('csv', b'\xef\xbb\xbfupn,password\r\n"a@b.de","p,""w"""\r\n"c@d.de","multi\r\nline"\r\n')
    # check: first byte 0 status line, 1 CertificateRequest (TLS 1.2), 2 (TLS 1.3)
    put('check', b'\x00HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
    put('check', b'\x00HTTP/1.0 403 Forbidden: client certificate required\r\n\r\n')
    names = b''
    for pem in pems:
        dn = x509.load_pem_x509_certificate(pem).subject.public_bytes()
        names += struct.pack('>H', len(dn)) + dn
    body12 = b'\x02\x01\x40' + b'\x00\x04\x04\x01\x04\x03' + struct.pack('>H', len(names)) + names
    put('check', b'\x01\x0d' + struct.pack('>I', len(body12))[1:] + body12)
    ca_ext = struct.pack('>HH', 0x2f, len(names) + 2) + struct.pack('>H', len(names)) + names
    sig_ext = b'\x00\x0d\x00\x04\x00\x02\x04\x03'
    exts = sig_ext + ca_ext
    body13 = b'\x00' + struct.pack('>H', len(exts)) + exts
    put('check', b'\x02\x0d' + struct.pack('>I', len(body13))[1:] + body13)
    # BER: indefinite lengths, a constructed OCTET STRING, a long-form length
    put('ber', bytes.fromhex('3080040361626330800201010000 0000'.replace(' ', '')))
    put('ber', bytes.fromhex('30802480040161040162000002810101 0000'.replace(' ', '')))
    put('dn', b'\x01CN=a\\,b+OU=c,O=#0C03616263,1.2.3.4=#0500,C=DE')


def main():
    try:
        pems = openssl_material()
        registry_material()
        roots_material(pems)
        other_material(pems)
    finally:
        shutil.rmtree(TMP)


if __name__ == '__main__':
    main()
