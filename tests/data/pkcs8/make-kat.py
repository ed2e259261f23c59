#!/usr/bin/env python3
"""Write p256-kat-ours.der: the exact EncryptedPrivateKeyInfo that
mgw_pkcs8_encrypt() must produce for p256.pk8.der with password
"mgw-test-pass", 2048 iterations, and a random source returning the bytes
00 01 02 ... (salt 00..0f, then IV 10..1f). Independent of libmgwauth:
hashlib for PBKDF2, the `cryptography` package for AES-256-CBC."""
import hashlib
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        hdr = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        hdr = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + hdr + body


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for v in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [v & 0x7F]
        v >>= 7
        while v:
            chunk.append(0x80 | (v & 0x7F))
            v >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def integer(v):
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")
    return tlv(0x02, b)


seq = lambda *parts: tlv(0x30, b"".join(parts))
pki = open("p256.pk8.der", "rb").read()
pw, salt, iv, iters = b"mgw-test-pass", bytes(range(16)), bytes(range(16, 32)), 2048
key = hashlib.pbkdf2_hmac("sha256", pw, salt, iters, 32)
padder = padding.PKCS7(128).padder()
plain = padder.update(pki) + padder.finalize()
enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
ct = enc.update(plain) + enc.finalize()
der = seq(
    seq(oid("1.2.840.113549.1.5.13"),
        seq(seq(oid("1.2.840.113549.1.5.12"),
                seq(tlv(0x04, salt), integer(iters),
                    seq(oid("1.2.840.113549.2.9"), tlv(0x05, b"")))),
            seq(oid("2.16.840.1.101.3.4.1.42"), tlv(0x04, iv)))),
    tlv(0x04, ct))
open("p256-kat-ours.der", "wb").write(der)
