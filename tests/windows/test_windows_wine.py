#!/usr/bin/env python3
"""The Windows back-ends under Wine (TAP): mgwauth.exe of the mingw-w64 build
against Wine's crypt32 and registry, with certificates and PFX files made by
the Linux build. One fresh WINEPREFIX for the run (wineboot once), WINEDEBUG=-all,
no display. MGWAUTH_EXE is mgwauth.exe, MGWAUTH_LINUX the Linux mgwauth.

What Wine does differently from Windows, and how the tests meet it:
- Wine's crypt32 copies the host's trusted roots (/etc/ssl/certs) into
  LocalMachine\\Root each time a process first opens that store. A prune takes
  them out of the registry (checked with `reg query`, which does not load
  crypt32), but the next process has them again; restore then finds them
  present and adds back the certificates that are not the host's.
- Wine's PFXImportCertStore puts every key into one default container, so a
  second import replaces the key of the first; the listing reports which
  certificate still has its key."""
import base64
import gzip
import hashlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402
from wineprefix import WorkPrefix, join_exports, run  # noqa: E402

EXE = os.path.abspath(os.environ.get("MGWAUTH_EXE", "mgwauth.exe"))
LINUX = os.path.abspath(os.environ.get("MGWAUTH_LINUX", "build/tools/mgwauth"))
HKLM = "HKEY_LOCAL_MACHINE"
CCS = HKLM + r"\SYSTEM\CurrentControlSet"
SECPROV = CCS + r"\Control\SecurityProviders"
SCHANNEL = SECPROV + r"\SCHANNEL"
HTTP = CCS + r"\Services\HTTP"
BINDING = HTTP + r"\Parameters\SslBindingInfo\0.0.0.0:443"
POLICIES = HKLM + r"\SOFTWARE\Policies"
ROOT_REG = HKLM + r"\Software\Microsoft\SystemCertificates\Root\Certificates"
PEM = re.compile(r"-----BEGIN CERTIFICATE-----\n(.*?)-----END CERTIFICATE-----", re.S)


def text(p):
    """A finished command's output as text: Windows programs write CRLF."""
    p.stdout = p.stdout.decode(errors="replace").replace("\r\n", "\n")
    p.stderr = p.stderr.decode(errors="replace").replace("\r\n", "\n")
    return p


class Wine(WorkPrefix):
    """The prefix, mgwauth.exe run in a work directory, the Linux mgwauth."""

    def __init__(self):
        super().__init__("mgw-win-", EXE, LINUX)

    def linux(self, *args):
        return text(run([LINUX, *args], cwd=self.work))

    def reg(self, *args, check=True):
        return text(self.wine("reg", *args, check=check))



_wine = None


def wine():
    global _wine
    if _wine is None:
        _wine = Wine()
    return _wine


def sha1(der):
    return hashlib.sha1(der).hexdigest().upper()


def der_of(path):
    with open(path, "rb") as f:
        return f.read()


def pem_certs(text):
    """{SHA-1: DER} of the PEM blocks in text."""
    certs = {}
    for body in PEM.findall(text):
        der = base64.b64decode("".join(body.split()))
        certs[sha1(der)] = der
    return certs


def listing(w, store, pem=False):
    """{SHA-1: (has key, subject)} of `store list`, and {SHA-1: DER} with pem."""
    out = w.mgw("store", "list", "--system-store", store, *(["--pem"] if pem else [])).stdout
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^([0-9A-F]{40})  (key|- ) +(.*)$", line)
        if m:
            rows[m.group(1)] = (m.group(2) == "key", m.group(3))
    return rows, pem_certs(out)


def make_cert(w, name):
    w.linux("cert", "create", "--subject", f"CN={name},O=mgwauth wine test", "--key", "p256",
            "--password-file", "pw.txt", "--out", ".", "--name", name)
    return sha1(der_of(w.path(name + ".cer")))


def setup_module():
    w = wine()
    with open(w.path("pw.txt"), "w", encoding="utf-8") as f:
        f.write("Wine-Test-Pass-1\n")


# ---- 1. a CER into LocalMachine\Root -------------------------------------------------------

def test_cer_made_on_linux_is_added_to_localmachine_root_and_listed_by_thumbprint():
    w = wine()
    tp = make_cert(w, "gateway")
    before, _ = listing(w, "LocalMachine\\Root")
    assert tp not in before
    out = w.mgw("store", "add", "--system-store", "LocalMachine\\Root", "gateway.cer").stdout
    assert out.startswith("added   " + tp), out
    after, _ = listing(w, "LocalMachine\\Root")
    assert tp in after and "CN=gateway" in after[tp][1], sorted(after)[:3]
    assert len(after) == len(before) + 1
    # added again: present, no duplicate
    out = w.mgw("store", "add", "--system-store", "localmachine/root", "gateway.cer").stdout
    assert out.startswith("present " + tp), out
    assert len(listing(w, "LocalMachine\\Root")[0]) == len(after)


# ---- 2. PFX files with their keys into LocalMachine\My -----------------------------------

def test_pfx_files_of_both_profiles_are_imported_with_their_private_keys():
    w = wine()
    thumbs = {}
    for profile in ("compat", "modern"):
        w.linux("cert", "create", "--subject", f"CN=device-{profile}", "--key", "rsa2048",
                "--profile", profile, "--password-file", "pw.txt", "--out", ".",
                "--name", profile)
        tp = sha1(der_of(w.path(profile + ".cer")))
        p = w.mgw("store", "import-pfx", "--system-store", "LocalMachine\\My", profile + ".pfx",
                  "--password-file", "pw.txt", check=False)
        assert p.returncode == 0, f"Wine could not import the {profile} PFX: {p.stderr.strip()}"
        assert f"imported {tp} with its private key" in p.stdout, p.stdout
        rows, _ = listing(w, "LocalMachine\\My")
        assert rows.get(tp, (False,))[0], f"{profile}: no usable key listed: {rows}"
        thumbs[profile] = tp
    rows, _ = listing(w, "LocalMachine\\My")
    for profile, tp in thumbs.items():
        print(f"# after both imports, {profile} {tp}: "
              f"{'key attached' if rows[tp][0] else 'key gone (Wine keeps one default container)'}")


# ---- 3. prune and restore LocalMachine\Root ------------------------------------------------

def test_prune_of_wines_root_store_backs_up_every_removed_root_and_restore_returns_the_set():
    w = wine()
    extra = [make_cert(w, f"company-ca-{i}") for i in range(2)]
    for i in range(2):
        w.mgw("store", "add", "--system-store", "LocalMachine\\Root", f"company-ca-{i}.cer")
    gateway = sha1(der_of(w.path("gateway.cer")))
    rows, before = listing(w, "LocalMachine\\Root", pem=True)
    assert len(before) >= 100, f"Wine's root store has only {len(before)} certificates"
    assert set(before) == set(rows)
    host_root = next(t for t in sorted(before) if t not in extra and t != gateway)
    keep = {gateway, host_root}
    plan = json.loads(w.mgw("roots", "plan", "--system-store", "LocalMachine\\Root", "--keep",
                            gateway, "--keep", host_root, "--json").stdout)
    # Wine adds Microsoft's roots of KB 293781: the plan protects them
    protected = {e["sha1"] for e in plan["entries"] if e["action"] == "protected"}
    assert {e["sha1"] for e in plan["entries"] if e["action"] == "keep"} == keep
    keep |= protected
    p = w.mgw("roots", "prune", "--system-store", "LocalMachine\\Root", "--keep", gateway,
              "--keep", host_root.lower(), "--backup", "roots-backup.pem.gz", "--yes")
    removed = set(re.findall(r"^removed +([0-9A-F]{40})", p.stdout, re.M))
    assert removed == set(before) - keep, p.stdout[-2000:]
    assert f"removed {len(removed)} certificates" in p.stdout
    # the backup holds every removed certificate, byte for byte
    with gzip.open(w.path("roots-backup.pem.gz"), "rt", encoding="utf-8") as f:
        backup = pem_certs(f.read())
    assert set(backup) == removed
    assert all(backup[t] == before[t] for t in backup)
    # the removals reached the registry (reg.exe does not load crypt32)
    keys = w.reg("query", ROOT_REG).stdout
    left = set(re.findall(r"\\Certificates\\([0-9A-F]{40})\s*$", keys, re.M))
    assert left == keep, f"left in the registry: {sorted(left)}"
    # restore: Wine has re-imported the host's roots (present); ours come back from the backup
    p = w.mgw("roots", "restore", "--system-store", "LocalMachine\\Root", "--backup",
              "roots-backup.pem.gz")
    added = set(re.findall(r"^added +([0-9A-F]{40})", p.stdout, re.M))
    present = set(re.findall(r"^present +([0-9A-F]{40})", p.stdout, re.M))
    assert set(extra) <= added and added | present == removed, p.stdout[-2000:]
    print(f"# {len(before)} roots, {len(protected)} protected, {len(removed)} pruned; restore added {len(added)}, found "
          f"{len(present)} present (re-imported by Wine from the host)")
    _, after = listing(w, "LocalMachine\\Root", pem=True)
    assert set(after) == set(before), (sorted(set(after) ^ set(before)))
    assert all(after[t] == before[t] for t in before)
    # the scheduled re-prune of this store, as mgwauth.exe writes it
    w.mgw("task", "xml", "--system-store", "LocalMachine\\Root", "--keep-file", "C:\\keep.txt",
          "--backup-dir", "C:\\root backups", "--out", "task.xml")
    with open(w.path("task.xml"), "rb") as f:
        xml = f.read()
    assert xml.startswith(b"\xff\xfe"), "task XML is not UTF-16LE with BOM"
    assert ('roots prune --system-store LocalMachine\\Root --keep-file C:\\keep.txt '
            '--backup-dir &quot;C:\\root backups&quot; --yes') in xml.decode("utf-16"), xml.decode("utf-16")


# ---- 4. registry plan and apply on the live registry --------------------------------------

def plan_live(w, out, *extra):
    return w.mgw("registry", "plan", "--live", "--out", out, "--negotiate-client-cert",
                 "--issuer-store", "ClientAuthIssuer", "--disable-root-autoupdate", *extra,
                 check=False)


def exports(w):
    return {k: w.export(k) for k in (HTTP, SECPROV, POLICIES)}


def test_registry_plan_and_apply_live_then_rollback_restores_regedit_exports_exactly():
    w = wine()
    w.reg("add", BINDING, "/v", "SslCertHash", "/t", "REG_BINARY", "/d", "AB" * 20, "/f")
    w.reg("add", BINDING, "/v", "AppId", "/t", "REG_BINARY", "/d", "01" * 16, "/f")
    w.reg("add", POLICIES + r"\Microsoft\SystemCertificates\Root\Certificates", "/f")
    original = exports(w)
    schannel, binding = w.export(SCHANNEL), w.export(BINDING)
    p = plan_live(w, "plan")
    assert p.returncode == 0, p.stderr
    assert "6 values to change." in p.stdout, p.stdout
    p = w.mgw("registry", "apply", "--live", "--plan", "plan\\plan.json", "--backup",
              "backup-apply.reg")
    assert "Applied 6 values" in p.stdout, p.stdout
    # the backup is what regedit exports for the touched keys
    with open(w.path("backup-apply.reg"), "rb") as f:
        backup = f.read()
    assert backup == join_exports([schannel, binding]), "the live backup differs from regedit's export of the keys"
    want = {(BINDING, "DefaultSslCertCheckMode"): ("REG_DWORD", "0x0"),
            (BINDING, "DefaultFlags"): ("REG_DWORD", "0x2"),
            (BINDING, "DefaultSslCtlStoreName"): ("REG_SZ", "ClientAuthIssuer"),
            (SCHANNEL, "ClientAuthTrustMode"): ("REG_DWORD", "0x2"),
            (SCHANNEL, "SendTrustedIssuerList"): ("REG_DWORD", "0x0"),
            (POLICIES + r"\Microsoft\SystemCertificates\AuthRoot",
             "DisableRootAutoUpdate"): ("REG_DWORD", "0x1")}
    for (key, name), value in want.items():
        assert w.query(key, name) == value, (name, w.query(key, name))
    assert exports(w) != original
    p = w.mgw("registry", "apply", "--live", "--plan", "plan\\plan.json", "--backup", "again.reg")
    assert "Nothing changed" in p.stdout and not os.path.exists(w.path("again.reg"))
    p = w.mgw("registry", "rollback", "--live", "--plan", "plan\\plan.json", "--backup",
              "backup-rollback.reg")
    assert "Rolled back 6 values" in p.stdout, p.stdout
    after = exports(w)
    for key in original:
        assert after[key] == original[key], f"regedit /e {key} differs after the rollback"


# ---- 5. error paths --------------------------------------------------------------------------

def test_errors_are_clear_and_change_nothing():
    w = wine()
    original = exports(w)
    roots = w.reg("query", ROOT_REG).stdout
    for name in ("LocalMachine\\NoSuchStore", "LocalMachine", "Elsewhere\\Root"):
        p = w.mgw("store", "add", "--system-store", name, "gateway.cer", check=False)
        assert p.returncode == 1 and "unknown system store" in p.stderr, (name, p.stderr)
    p = w.reg("query", HKLM + r"\Software\Microsoft\SystemCertificates\NoSuchStore", check=False)
    assert p.returncode != 0, "a store was created for an unknown name"
    assert w.reg("query", ROOT_REG).stdout == roots
    # a binding that does not exist
    p = plan_live(w, "plan-missing", "--binding", "10.0.0.7:8443")
    assert p.returncode == 1 and "never creates a binding key" in p.stderr, p.stderr
    assert "IP bindings present: 0.0.0.0:443" in p.stderr, p.stderr
    assert not os.path.exists(w.path("plan-missing"))
    # a string where a DWORD belongs: planning refuses; applying the old plan sees drift
    w.reg("add", SCHANNEL, "/v", "ClientAuthTrustMode", "/t", "REG_SZ", "/d", "2", "/f")
    typed = exports(w)
    p = plan_live(w, "plan-typed")
    assert p.returncode == 1, p.stdout
    assert "ClientAuthTrustMode is a REG_SZ" in p.stderr and "REG_DWORD is expected" in p.stderr
    assert not os.path.exists(w.path("plan-typed"))
    p = w.mgw("registry", "apply", "--live", "--plan", "plan\\plan.json", "--backup", "x.reg",
              check=False)
    assert p.returncode == 1 and "changed since the plan was made" in p.stderr, p.stderr
    assert not os.path.exists(w.path("x.reg"))
    assert exports(w) == typed
    w.reg("delete", SCHANNEL, "/v", "ClientAuthTrustMode", "/f")
    assert exports(w) == original


if __name__ == "__main__":
    try:
        setup_module()
    except Exception as e:  # noqa: BLE001 - reported as a failure, not a crash
        print("1..1\nnot ok 1 - wine set-up\n# " + str(e).replace("\n", "\n# "), flush=True)
        sys.exit(1)
    tap.main(globals())
