#!/usr/bin/env python3
"""Remake the regedit exports in this folder with Wine (see README.md).

Each SOURCE below is imported with `wine regedit /s` into a fresh prefix and
the named key exported with `wine regedit /e`; the exports are what the tests
compare our writer against, byte for byte."""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HKLM = "HKEY_LOCAL_MACHINE"
SCHANNEL = HKLM + r"\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL"
HTTP = HKLM + r"\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
TEST = HKLM + r"\SOFTWARE\MgwauthCodecTest"

BINDING = r'''
[{http}\SslBindingInfo\0.0.0.0:443]
"SslCertHash"=hex:3b,1e,fd,3a,66,ea,28,b1,66,97,39,47,03,a7,2c,a3,40,a0,5b,d5
"AppId"=hex:4d,c3,e1,81,e1,4e,22,42,a2,1d,ad,2b,8c,cf,de,0c
"SslCertStoreName"="MY"
"DefaultSslCertCheckMode"=dword:00000000
"DefaultSslRevocationFreshnessTime"=dword:00000000
"DefaultSslRevocationUrlRetrievalTimeout"=dword:00000000
"DefaultSslCtlIdentifier"=""
"DefaultSslCtlStoreName"=""
"DefaultFlags"=dword:00000000

[{http}\SslSniBindingInfo\mail.example.com:443]
"HostnamePort"="mail.example.com:443"
"SslCertHash"=hex:a4,34,89,15,9a,52,0f,0d,93,d0,32,cc,af,37,e7,fe,20,a8,b4,19
"SslCertStoreName"="My"
"DefaultFlags"=dword:00000000
'''.format(http=HTTP)

SCHANNEL_SOURCE = r'''
[{s}\Protocols\TLS 1.0\Server]
"Enabled"=dword:00000000
"DisabledByDefault"=dword:00000001
'''.format(s=SCHANNEL)

ALL_TYPES = r'''
[{t}]
@="default value"
"sz"="plain"
"escapes"="quote \" backslash \\ path C:\\Windows"
"empty sz"=""
"expand"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,00,25,00,\
  5c,00,78,00,00,00
"multi"=hex(7):6f,00,6e,00,65,00,00,00,74,00,77,00,6f,00,00,00,00,00
"dword"=dword:deadbeef
"qword"=hex(b):88,77,66,55,44,33,22,11
"binary"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,17,\
  18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,26,27,28,29,2a,2b,2c,2d,2e,2f,30,31,32,\
  33,34,35,36,37,38,39,3a,3b,3c,3d,3e,3f,40,41,42,43,44,45,46,47,48,49,4a,4b,4c,4d,\
  4e,4f
"empty binary"=hex:
"none"=hex(0):01,02
"big endian"=hex(5):00,00,00,01
"odd type"=hex(4d2):ca,fe
"A much longer value name that pushes the hex list to wrap early"=hex:01,02,03,04,05,06,\
  07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14
"Grüße €"="ünïcödé 🔑"

[{t}\Sub Key]
"x"=dword:00000001

[{t}\Sub Key\Deeper]

[{t}\Another]
"y"="z"
'''.format(t=TEST)

CASES = [
    ("gateway-http.reg", BINDING, HTTP),
    ("gateway-schannel.reg", SCHANNEL_SOURCE, SCHANNEL),
    ("all-types.reg", ALL_TYPES, TEST),
]


def wine_env(prefix):
    env = dict(os.environ, WINEPREFIX=prefix, WINEDEBUG="-all", DISPLAY="")
    return env


def reg_file(text):
    body = "Windows Registry Editor Version 5.00\r\n" + text.replace("\n", "\r\n")
    return b"\xff\xfe" + body.encode("utf-16-le")


def main():
    tmp = tempfile.mkdtemp(prefix="mgw-fixtures-")
    prefix = os.path.join(tmp, "prefix")
    env = wine_env(prefix)
    try:
        subprocess.run(["wineboot", "-i"], env=env, check=True, capture_output=True)
        for name, source, key in CASES:
            src = os.path.join(prefix, "drive_c", "in.reg")
            with open(src, "wb") as f:
                f.write(reg_file(source))
            subprocess.run(["wine", "regedit", "/s", "C:\\in.reg"], env=env, check=True)
            out = os.path.join(prefix, "drive_c", "out.reg")
            subprocess.run(["wine", "regedit", "/e", "C:\\out.reg", key], env=env, check=True)
            shutil.copyfile(out, os.path.join(HERE, name))
            print("wrote", name)
        subprocess.run(["wineserver", "-k"], env=env, check=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
