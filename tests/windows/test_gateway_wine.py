#!/usr/bin/env python3
"""The whole gateway under Wine with mgwauth.exe, from a fresh prefix (TAP):
gateway status (FAILs) -> plan --live -> apply -> status -> rollback ->
status, and the machine as before: `regedit /e` exports of the touched keys
byte for byte, LocalMachine\\Root's set of certificates as crypt32 itself lists
it (CRYPT32_READER --list), the IIS file byte for byte, and the task gone
from C:\\windows\\system32\\tasks. A fault injected into the middle step (the
IIS file edited after planning) leaves all of it as it was.

What Wine cannot show: its crypt32 puts the host's trusted roots back into
LocalMachine\\Root whenever the store is opened (as root auto-update would),
so after a prune the roots step FAILs again; and Wine 8's Task Scheduler
gives a task's XML back without its action, so the root-autoupdate step
cannot see the keep-list of the task it holds. Both are asserted as such."""
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402
from wineprefix import WorkPrefix  # noqa: E402

EXE = os.path.abspath(os.environ.get("MGWAUTH_EXE", "mgwauth.exe"))
READER = os.path.abspath(os.environ.get("CRYPT32_READER", "crypt32_reader.exe"))
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
KEYS = ["HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL",
        "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters"]
TASK = "mgwauth roots prune"


class Wine(WorkPrefix):
    def __init__(self):
        super().__init__("mgw-gw-", EXE, READER)
        shutil.copyfile(os.path.join(ROOT, "tests", "data", "registry", "gateway-http.reg"),
                        self.drive_c("import.reg"))
        self.wine("regedit", "/s", "C:\\import.reg")
        self.iis = self.drive_c(os.path.join("windows", "system32", "inetsrv", "config",
                                             "applicationHost.config"))
        os.makedirs(os.path.dirname(self.iis))
        shutil.copyfile(os.path.join(ROOT, "tests", "data", "iis", "applicationHost.config"),
                        self.iis)
        os.makedirs(self.drive_c("mgw"))
        with open(os.path.join(self.work, "pw.txt"), "w") as f:
            f.write("pw\n")

    def roots(self):
        p = self.wine(READER, "LocalMachine", "Root", "--list")
        return set(p.stdout.decode().split())

    def state(self):
        exports = [self.export(k) for k in KEYS]
        with open(self.iis, "rb") as f:
            iis = f.read()
        tasks = sorted(os.listdir(self.drive_c(os.path.join("windows", "system32", "tasks"))))
        return exports, iis, self.roots(), tasks


_wine = None


def wine():
    global _wine
    if _wine is None:
        _wine = Wine()
    return _wine


STATUS = ["gateway", "status", "--live", "--client-cert", "gw\\Certificate.cer", "--keep-file",
          "C:\\mgw\\keep.txt"]
PLAN = ["gateway", "plan", "--live", "--client-cert", "gw\\Certificate.cer", "--keep-file",
        "C:\\mgw\\keep.txt", "--task-interval", "15m", "--task-xml", "scheduler",
        "--backup-dir", "C:\\mgw\\backups"]


def status(w):
    p = w.mgw(*STATUS, check=False)
    lines = [l for l in p.stdout.splitlines() if not l.startswith(" ")]
    return p.returncode, {l.split()[1]: l.split()[0] for l in lines[:-1]}


def test_status_of_a_fresh_prefix_fails():
    w = wine()
    w.mgw("cert", "create", "--subject", "CN=imagoverum.com", "--key", "p256",
          "--password-file", "pw.txt", "--out", "gw")
    keep = sorted(w.roots())[:3]
    with open(w.drive_c(os.path.join("mgw", "keep.txt")), "w") as f:
        f.write("\r\n".join(keep) + "\r\n")
    # the scheduler service starts with the prefix: wait until it answers
    for _ in range(30):
        p = w.mgw("task", "show", "--name", TASK, check=False)
        if "0x80041315" not in p.stderr:
            break
        time.sleep(1)
    # a root that a Group Policy put there: in .Default (as Windows shows it
    # in Root) and in .GroupPolicy; the plan must keep it
    w.mgw("ca", "create", "--subject", "CN=Policy Root", "--key", "p256", "--password-file",
          "pw.txt", "--out", "policy")
    w.mgw("store", "add", "--system-store", "LocalMachine\\Root", "policy\\ca.cer")
    w.wine(READER, "LocalMachine", "Root", "--add-group-policy", "policy\\ca.cer", cwd=w.work)
    p = w.mgw("store", "list", "--system-store", "LocalMachine\\Root")
    line = next(l for l in p.stdout.splitlines() if "CN=Policy Root" in l)
    assert line.endswith("[.Default,.GroupPolicy]"), line
    global POLICY
    POLICY = line.split()[0]
    rc, steps = status(w)
    assert rc == 1, steps
    for name in ("client-cert", "registry", "iis", "roots", "root-autoupdate"):
        assert steps[name] == "FAIL", steps
    assert steps["client-cert-expiry"] == "PASS", steps


def test_roots_plan_and_prune_leave_policy_roots_and_move_intermediates():
    """Standalone roots plan/prune on LocalMachine\\Root: the root in
    .GroupPolicy is "policy" (where it sits, why it stays) and never removed;
    a certificate in Root that is not self-signed is moved to
    LocalMachine\\CA with --move-intermediates and roots restore takes it back
    once (judged by the crypt32 reader); --keep-cert finds an intermediate in
    LocalMachine\\CA on the way to its root."""
    w = wine()
    roots_before = w.roots()
    w.mgw("ca", "create", "--subject", "CN=Move CA", "--key", "p256", "--password-file",
          "pw.txt", "--out", "mvca")
    w.mgw("cert", "create", "--subject", "CN=issued into Root", "--key", "p256", "--ca",
          "mvca\\ca.pfx", "--ca-password-file", "pw.txt", "--password-file", "pw.txt",
          "--out", "mvleaf")
    w.mgw("store", "add", "--system-store", "LocalMachine\\Root", "mvleaf\\Certificate.cer")
    issued = (w.roots() - roots_before).pop()
    keep = sorted(roots_before - {POLICY})
    with open(w.drive_c(os.path.join("mgw", "keep-move.txt")), "w") as f:
        f.write("\r\n".join(keep) + "\r\n")
    p = w.mgw("roots", "plan", "--system-store", "LocalMachine\\Root", "--keep-file",
              "C:\\mgw\\keep-move.txt", "--json")
    doc = json.loads(p.stdout)
    entry = next(e for e in doc["entries"] if e["sha1"] == POLICY)
    assert entry["action"] == "policy" and entry["physical"] == ".Default,.GroupPolicy", entry
    assert "policy puts it back" in entry["reason"], entry
    assert doc["counts"]["policy"] == 1 and doc["counts"]["remove"] == 1, doc["counts"]
    # the trust store itself is no intermediate store, in any spelling
    p = w.mgw("roots", "plan", "--system-store", "LocalMachine\\Root", "--keep-file",
              "C:\\mgw\\keep-move.txt", "--move-intermediates", "--intermediate-system-store",
              "localmachine/ROOT", check=False)
    assert p.returncode == 2 and "is the trust store itself" in p.stderr, p.stderr
    p = w.mgw("roots", "prune", "--system-store", "LocalMachine\\Root", "--keep-file",
              "C:\\mgw\\keep-move.txt", "--move-intermediates", "--backup",
              "C:\\mgw\\move.pem.gz", "--yes")
    assert f"copied     {issued}" in p.stdout and "-> LocalMachine\\CA" in p.stdout, p.stdout
    assert f"removed     {issued}" in p.stdout, p.stdout
    assert POLICY not in [l.split()[1] for l in p.stdout.splitlines()
                          if l.startswith("removed ")], p.stdout
    ca = w.wine(READER, "LocalMachine", "CA", "--list").stdout.decode().split()
    assert issued in ca and issued not in w.roots() and POLICY in w.roots()
    p = w.mgw("roots", "restore", "--system-store", "LocalMachine\\Root", "--backup",
              "C:\\mgw\\move.pem.gz")
    assert "verified: LocalMachine\\CA holds none of the 1 moved certificate" in p.stdout, \
        p.stdout
    ca = w.wine(READER, "LocalMachine", "CA", "--list").stdout.decode().split()
    assert issued not in ca and issued in w.roots()
    # the record is used up: put back into CA by hand, a second restore leaves it there
    w.mgw("store", "add", "--system-store", "LocalMachine\\CA", "mvleaf\\Certificate.cer")
    p = w.mgw("roots", "restore", "--system-store", "LocalMachine\\Root", "--backup",
              "C:\\mgw\\move.pem.gz")
    assert "was taken back before" in p.stdout, p.stdout
    ca = w.wine(READER, "LocalMachine", "CA", "--list").stdout.decode().split()
    assert issued in ca
    w.mgw("store", "remove", "--system-store", "LocalMachine\\CA", issued)
    w.mgw("store", "remove", "--system-store", "LocalMachine\\Root", issued)
    assert w.roots() == roots_before
    # --keep-cert follows the chain through LocalMachine\\CA: leaf -> intermediate
    # (in CA only) -> root (in Root); the root is kept, the intermediate is no root
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    now = datetime.datetime.now(datetime.timezone.utc)
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
    chain = []
    for i, cn in enumerate(("KC Root", "KC Intermediate", "kc leaf")):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        chain.append(x509.CertificateBuilder().subject_name(name)
                     .issuer_name(chain[-1].subject if chain else name)
                     .public_key(keys[i].public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=i < 2, path_length=None), True)
                     .sign(keys[max(i - 1, 0)], hashes.SHA256()))
    for c, n in zip(chain, ("kc-root", "kc-inter", "kc-leaf")):
        with open(w.drive_c(os.path.join("mgw", n + ".cer")), "wb") as f:
            f.write(c.public_bytes(serialization.Encoding.DER))
    kc_root = chain[0].fingerprint(hashes.SHA1()).hex().upper()
    kc_inter = chain[1].fingerprint(hashes.SHA1()).hex().upper()
    w.mgw("store", "add", "--system-store", "LocalMachine\\Root", "C:\\mgw\\kc-root.cer")
    w.mgw("store", "add", "--system-store", "LocalMachine\\CA", "C:\\mgw\\kc-inter.cer")
    doc = json.loads(w.mgw("roots", "plan", "--system-store", "LocalMachine\\Root", "--keep-file",
                           "C:\\mgw\\keep-move.txt", "--keep-cert", "C:\\mgw\\kc-leaf.cer",
                           "--json").stdout)
    entry = next(e for e in doc["entries"] if e["sha1"] == kc_root)
    assert entry["action"] == "keep", entry
    assert kc_inter not in [e["sha1"] for e in doc["entries"]]
    w.mgw("store", "remove", "--system-store", "LocalMachine\\CA", kc_inter)
    w.mgw("store", "remove", "--system-store", "LocalMachine\\Root", kc_root)
    assert w.roots() == roots_before


def test_a_fault_in_the_middle_step_leaves_the_prefix_as_it_was():
    w = wine()
    p = w.mgw(*PLAN, "--out", "plan")
    assert "kept: 1 certificate that Group Policy or the enterprise store put there" in p.stdout
    with open(os.path.join(w.work, "plan", "roots", "remove.txt")) as f:
        removes = f.read().split()
    assert removes and POLICY not in removes, POLICY
    with open(w.iis, "ab") as f:
        f.write(b"<!-- edited after planning -->\r\n")
    before = w.state()
    p = w.mgw("gateway", "apply", "--plan", "plan\\plan.json", check=False)
    assert p.returncode == 1, p.stdout
    out = p.stdout.splitlines()
    assert out[0].startswith("done     client-cert: added"), out
    assert out[1].startswith("done     registry:"), out
    assert out[2].startswith("FAILED   iis"), out
    assert out[3:5] == ["not run  roots", "not run  task"], out
    assert out[5].startswith("undone   registry:") and out[6].startswith("undone   client-cert"), out
    assert out[7] == "stopped: everything is as it was before apply", out
    assert out[8] == ("account: applied and undone: client-cert, registry; failed: iis (nothing "
                      "of it changed); not run: roots, task; left applied: none"), out
    assert "; nothing of it changed (the step undid what it had begun)" in out[2], out
    assert w.state() == before
    shutil.copyfile(os.path.join(ROOT, "tests", "data", "iis", "applicationHost.config"), w.iis)


def test_apply_then_status_passes_but_what_wine_cannot_show():
    global BEFORE
    w = wine()
    BEFORE = w.state()
    p = w.mgw("gateway", "apply", "--plan", "plan\\plan.json")
    assert "applied: 5 steps" in p.stdout, p.stdout
    assert "done     task: installed mgwauth roots prune" in p.stdout, p.stdout
    assert os.path.exists(w.drive_c(os.path.join("windows", "system32", "tasks", TASK)))
    rc, steps = status(w)
    for name in ("client-cert", "registry", "iis", "client-cert-expiry"):
        assert steps[name] == "PASS", steps
    # Wine: the host's roots come back, and the task's action is not given back
    assert steps["roots"] == "FAIL" and steps["root-autoupdate"] == "FAIL", steps
    # the policy's root is still there, in both physical stores
    assert w.wine(READER, "LocalMachine", "Root", POLICY, check=False).returncode == 0


def test_rollback_leaves_the_prefix_as_before():
    w = wine()
    p = w.mgw("gateway", "rollback", "--plan", "plan\\plan.json")
    assert p.stdout.splitlines()[0] == f"undone   task: removed {TASK}", p.stdout
    assert "rolled back" in p.stdout
    after = w.state()
    assert after[0] == BEFORE[0], "regedit exports differ"
    assert after[1] == BEFORE[1], "IIS file differs"
    assert after[2] == BEFORE[2], (after[2] ^ BEFORE[2])
    assert after[3] == BEFORE[3] and TASK not in after[3], after[3]
    rc, steps = status(w)
    assert rc == 1 and steps["client-cert"] == "FAIL" and steps["registry"] == "FAIL", steps



def test_the_intermediates_step_adds_only_the_planned_certificates():
    """A certificate in Root that is not self-signed, planned with
    --move-intermediates live (LocalMachine\\CA): its .cer replaced after
    planning is refused by its SHA-256 before anything runs; with the hashes
    list and plan.json edited to match, the step refuses it by its SHA-1 and
    the prefix is as before; the planned one is added to LocalMachine\\CA (as
    crypt32 lists it) and rollback takes it out."""
    import hashlib
    w = wine()
    w.mgw("store", "add", "--system-store", "LocalMachine\\Root", "mvleaf\\Certificate.cer")
    with open(os.path.join(w.work, "mvleaf", "Certificate.cer"), "rb") as f:
        planned = f.read()
    issued = hashlib.sha1(planned).hexdigest().upper()
    try:
        w.mgw(*PLAN[:7], "--disable-root-autoupdate", "--backup-dir", "C:\\mgw\\backups-mv",
              "--move-intermediates", "live", "--out", "plan-mv")
        cer = os.path.join(w.work, "plan-mv", "intermediates", issued + ".cer")
        with open(cer, "rb") as f:
            assert f.read() == planned
        other = open(os.path.join(w.work, "mvca", "ca.cer"), "rb").read()
        with open(cer, "wb") as f:
            f.write(other)
        def ca():
            return set(w.wine(READER, "LocalMachine", "CA", "--list").stdout.decode().split())
        before = w.state(), ca()
        p = w.mgw("gateway", "apply", "--plan", "plan-mv\\plan.json", check=False)
        assert p.returncode == 1 and p.stdout == "", p.stdout
        assert "was changed after planning" in p.stderr and issued in p.stderr, p.stderr
        assert (w.state(), ca()) == before
        sums = os.path.join(w.work, "plan-mv", "intermediates", "sha256.txt")
        old = open(sums, "rb").read()
        new = old.replace(hashlib.sha256(planned).hexdigest().encode(),
                          hashlib.sha256(other).hexdigest().encode())
        assert new != old
        with open(sums, "wb") as f:
            f.write(new)
        plan_path = os.path.join(w.work, "plan-mv", "plan.json")
        plan = open(plan_path).read()
        with open(plan_path, "w") as f:
            f.write(plan.replace(hashlib.sha256(old).hexdigest(), hashlib.sha256(new).hexdigest()))
        p = w.mgw("gateway", "apply", "--plan", "plan-mv\\plan.json", check=False)
        assert p.returncode == 1 and f"not the planned {issued}" in p.stderr, p.stderr
        assert "FAILED   intermediates: " in p.stdout, p.stdout
        assert "stopped: everything is as it was before apply" in p.stdout, p.stdout
        assert (w.state(), ca()) == before
        # as planned: added to LocalMachine\\CA, and taken out by rollback
        with open(cer, "wb") as f:
            f.write(planned)
        with open(sums, "wb") as f:
            f.write(old)
        with open(plan_path, "w") as f:
            f.write(plan)
        p = w.mgw("gateway", "apply", "--plan", "plan-mv\\plan.json", check=False)
        assert "done     intermediates: 1 certificate added to LocalMachine\\CA" in p.stdout, \
            (p.stdout, p.stderr)
        assert issued in ca()
        p = w.mgw("gateway", "rollback", "--plan", "plan-mv\\plan.json")
        assert "undone   intermediates: 1 certificate taken out of LocalMachine\\CA" in p.stdout, \
            p.stdout
        assert ca() == before[1]
    finally:
        w.mgw("store", "remove", "--system-store", "LocalMachine\\Root", issued, check=False)


if __name__ == "__main__":
    try:
        wine()
    except Exception as e:  # noqa: BLE001 - reported as a failure, not a crash
        print("1..1\nnot ok 1 - wine set-up\n# " + str(e).replace("\n", "\n# "), flush=True)
        sys.exit(1)
    tap.main(globals())
