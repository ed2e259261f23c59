#!/usr/bin/env python3
"""Interop: the registry plan against a real regedit (Wine's). regedit /s imports
our security.reg, `reg query` and regedit /e confirm the values, our rollback.reg
brings the exported state back byte for byte, our backup.reg is what regedit
exports, and the .reg-file back-end ends where Wine ends. Wine is required: a
missing wine fails these tests (.ci/run installs it)."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from wineprefix import WinePrefix, join_exports, run  # noqa: E402

MGW = os.environ.get("MGWAUTH", "mgwauth")
TESTDATA = os.environ.get("TESTDATA", os.path.join(os.path.dirname(__file__), "..", "data"))
HKLM = "HKEY_LOCAL_MACHINE"
SCHANNEL = HKLM + r"\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL"
HTTP = HKLM + r"\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
BINDING = HTTP + r"\SslBindingInfo\0.0.0.0:443"
SYSCERTS = HKLM + r"\SOFTWARE\Policies\Microsoft\SystemCertificates"
AUTHROOT = SYSCERTS + r"\AuthRoot"
CURRENT = [("schannel", SCHANNEL), ("http", HTTP), ("policies", SYSCERTS)]
PLAN_OPTIONS = ["--negotiate-client-cert", "--issuer-store", "ClientAuthIssuer",
                "--disable-root-autoupdate", "--keep-disallowed-updates"]


class Wine(WinePrefix):
    """The prefix, with regedit imports."""

    def import_reg(self, path):
        shutil.copyfile(path, self.drive_c("import.reg"))
        self.wine("regedit", "/s", "C:\\import.reg")


_wine = None


def wine():
    global _wine
    if _wine is None:
        _wine = Wine()
    return _wine


def seed(w, work):
    """The gateway as it was before: bindings (a Wine export of ours), a SCHANNEL
    protocol setting, and the policy certificate stores key as Windows has it."""
    w.import_reg(os.path.join(TESTDATA, "registry", "gateway-http.reg"))
    text = ("Windows Registry Editor Version 5.00\r\n\r\n"
            f"[{SCHANNEL}\\Protocols\\TLS 1.0\\Server]\r\n\"Enabled\"=dword:00000000\r\n\r\n"
            f"[{SYSCERTS}\\Root\\Certificates]\r\n\r\n")
    path = os.path.join(work, "seed.reg")
    with open(path, "wb") as f:
        f.write(b"\xff\xfe" + text.encode("utf-16-le"))
    w.import_reg(path)


def parse_reg(data):
    """{key: {value name: data text}}, names folded to lower case (a test-side reader)."""
    text = data.decode("utf-16")
    keys, cur, pending = {}, None, ""
    for line in text.split("\r\n")[1:]:
        if pending:
            line, pending = pending + line.strip(), ""
        if line.endswith("\\") and cur is not None and not line.startswith("["):
            pending = line[:-1]
            continue
        if line.startswith("["):
            cur = keys.setdefault(line[1:-1].lower(), {})
        elif line and cur is not None:
            name, _, value = line.partition("=")
            cur[name.lower()] = value
    return keys


def plan(work, current_files, out, *extra):
    args = [MGW, "registry", "plan", "--out", out, *PLAN_OPTIONS, *extra]
    for f in current_files:
        args += ["--current", f]
    return run(args).stdout.decode()


def test_wine_boots_headless():
    w = wine()
    assert os.path.isdir(w.drive_c("windows")), "wineboot did not create the prefix"


def test_regedit_imports_security_reg_and_rollback_restores_it():
    w = wine()
    work = tempfile.mkdtemp(prefix="mgw-wine-work-")
    try:
        seed(w, work)
        before = {}
        files = []
        for name, key in CURRENT:
            before[key] = w.export(key)
            files.append(os.path.join(work, name + ".reg"))
            with open(files[-1], "wb") as f:
                f.write(before[key])
        out = os.path.join(work, "plan")
        table = plan(work, files, out)
        assert "6 values to change." in table, table
        with open(os.path.join(out, "plan.json"), encoding="utf-8") as f:
            items = [i for i in json.load(f)["items"] if i["action"] == "set"]

        # our backup.reg is what regedit exports for the touched keys
        with open(os.path.join(out, "backup.reg"), "rb") as f:
            backup = f.read()
        assert backup == join_exports([before[SCHANNEL], w.export(BINDING)]), \
            "backup.reg differs from regedit's export of SCHANNEL and the binding"

        # regedit /s imports security.reg; reg query sees every value
        w.import_reg(os.path.join(out, "security.reg"))
        for it in items:
            got = w.query(it["key"], it["value"])
            assert got is not None, f"{it['label']} missing after import"
            want = it["after"]
            assert got[0] == want["type"], (it["label"], got)
            if want["type"] == "REG_DWORD":
                assert int(got[1], 16) == int.from_bytes(bytes.fromhex(want["data"]), "little")
            else:
                assert got[1] == "ClientAuthIssuer", got

        # regedit /e of the changed keys: planning against them changes nothing
        after = [os.path.join(work, f"after-{name}.reg") for name, _ in CURRENT]
        for path, (_, key) in zip(after, CURRENT):
            with open(path, "wb") as f:
                f.write(w.export(key))
        table = plan(work, after, os.path.join(work, "again"))
        assert "Nothing to change" in table, table

        # rollback.reg: the exports are the original ones, byte for byte
        w.import_reg(os.path.join(out, "rollback.reg"))
        for _, key in CURRENT:
            assert w.export(key) == before[key], f"{key} differs after rollback.reg"
        assert w.query(AUTHROOT, "DisableRootAutoUpdate") is None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_file_backend_ends_where_regedit_ends():
    w = wine()
    work = tempfile.mkdtemp(prefix="mgw-wine-work-")
    try:
        exports = {key: w.export(key) for _, key in CURRENT}
        state = os.path.join(work, "state.reg")
        with open(state, "wb") as f:
            f.write(join_exports([exports[key] for _, key in CURRENT]))
        out = os.path.join(work, "plan")
        files = []
        for name, key in CURRENT:
            files.append(os.path.join(work, name + ".reg"))
            with open(files[-1], "wb") as f:
                f.write(exports[key])
        plan(work, files, out, "--disable-tls13", "--trust-mode", "1")
        run([MGW, "registry", "apply", "--plan", os.path.join(out, "plan.json"),
             "--registry-file", state])
        w.import_reg(os.path.join(out, "security.reg"))
        wine_after = {}
        for _, key in CURRENT:
            wine_after.update(parse_reg(w.export(key)))
        with open(state, "rb") as f:
            ours = parse_reg(f.read())
        assert ours == wine_after, "the .reg-file back-end and Wine's registry differ"
        w.import_reg(os.path.join(out, "rollback.reg"))
        run([MGW, "registry", "rollback", "--plan", os.path.join(out, "plan.json"),
             "--registry-file", state])
        for _, key in CURRENT:
            assert w.export(key) == exports[key], f"{key} differs after rollback.reg"
        with open(state, "rb") as f:
            assert f.read() == join_exports([exports[key] for _, key in CURRENT])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    tap.main(globals())
