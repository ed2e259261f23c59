#!/usr/bin/env python3
"""IIS plans with mgwauth.exe under Wine (TAP): plan, apply, re-apply and
rollback with --config on a file in the prefix's
C:\\Windows\\System32\\inetsrv\\config\\, the same commands with --live (the
file under the system directory, which is where --live looks), and every
output compared byte for byte with what the Linux build writes for the same
input. MGWAUTH_EXE is mgwauth.exe, MGWAUTH_LINUX the Linux mgwauth."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402
from wineprefix import WorkPrefix, run  # noqa: E402

EXE = os.path.abspath(os.environ.get("MGWAUTH_EXE", "mgwauth.exe"))
LINUX = os.path.abspath(os.environ.get("MGWAUTH_LINUX", "build/tools/mgwauth"))
IISDATA = os.path.join(os.path.dirname(__file__), "..", "data", "iis")
WIN_CONFIG = r"C:\Windows\System32\inetsrv\config\applicationHost.config"
OUTPUTS = ["applicationHost.config", "backup.config", "appcmd.cmd", "appcmd-rollback.cmd",
           "plan.json"]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def text(p):
    return (p.stdout.decode(errors="replace").replace("\r\n", "\n"),
            p.stderr.decode(errors="replace").replace("\r\n", "\n"))


class Wine(WorkPrefix):
    def __init__(self):
        super().__init__("mgw-iis-wine-", EXE, LINUX)
        # Wine's system directory is C:\windows\system32 (any case works)
        self.config = self.drive_c(os.path.join("windows", "system32", "inetsrv", "config",
                                                "applicationHost.config"))
        os.makedirs(os.path.dirname(self.config), exist_ok=True)

    def mgw(self, *args, code=0):
        p = self.wine(EXE, *args, check=False, cwd=self.work)
        out, err = text(p)
        assert p.returncode == code, f"exit {p.returncode}, wanted {code}: {err}{out}"
        return out, err

    def put(self, fixture):
        shutil.copyfile(os.path.join(IISDATA, fixture), self.config)
        return read(self.config)


_wine = None


def wine():
    global _wine
    if _wine is None:
        _wine = Wine()
    return _wine


def linux_plan(fixture, out_dir, *extra):
    run([LINUX, "iis", "plan", "--config", os.path.join(IISDATA, fixture), "--out", out_dir,
         *extra])


def test_plan_apply_rollback_with_config_match_the_linux_build():
    w = wine()
    for fixture in ("bom-crlf.config", "weakening-child.config", "sni.config"):
        original = w.put(fixture)
        name = fixture.replace(".config", "")
        out, _ = w.mgw("iis", "plan", "--config", WIN_CONFIG, "--disable-tls13", "--out", name)
        assert "settings to change." in out, out
        with tempfile.TemporaryDirectory() as d:
            linux_plan(fixture, d, "--disable-tls13")
            for f in OUTPUTS:
                assert read(os.path.join(w.work, name, f)) == read(os.path.join(d, f)), \
                    f"{fixture}: {f} differs between mgwauth.exe and the Linux build"
        plan = name + "\\plan.json"
        out, _ = w.mgw("iis", "apply", "--plan", plan, "--config", WIN_CONFIG, "--backup",
                       name + "-b1.config")
        assert "Applied" in out, out
        assert read(w.config) == read(os.path.join(w.work, name, "applicationHost.config"))
        assert read(os.path.join(w.work, name + "-b1.config")) == original
        out, _ = w.mgw("iis", "apply", "--plan", plan, "--config", WIN_CONFIG, "--backup",
                       name + "-b2.config")
        assert "Nothing changed" in out, out
        out, _ = w.mgw("iis", "rollback", "--plan", plan, "--config", WIN_CONFIG, "--backup",
                       name + "-b3.config")
        assert "Rolled back" in out, out
        assert read(w.config) == original


def test_live_is_the_file_under_the_system_directory():
    w = wine()
    original = w.put("applicationHost.config")
    out, _ = w.mgw("iis", "show", "--live")
    assert 'site "Default Web Site"' in out, out
    out, _ = w.mgw("iis", "plan", "--live", "--out", "live")
    assert "1 setting to change." in out, out
    out, _ = w.mgw("iis", "apply", "--live", "--plan", "live\\plan.json", "--backup", "lb1")
    assert "Applied 1 setting in C:\\windows\\system32\\inetsrv\\config\\applicationHost.config" \
        in out.replace("/", "\\"), out
    assert b'<access sslFlags="Ssl, SslNegotiateCert, SslRequireCert" />' in read(w.config)
    w.mgw("iis", "rollback", "--live", "--plan", "live\\plan.json", "--backup", "lb2")
    assert read(w.config) == original


def test_drift_and_hostile_files_change_nothing():
    w = wine()
    w.put("applicationHost.config")
    w.mgw("iis", "plan", "--config", WIN_CONFIG, "--out", "drift")
    with open(w.config, "ab") as f:
        f.write(b"<!-- edited -->\r\n")
    drifted = read(w.config)
    _, err = w.mgw("iis", "apply", "--plan", "drift\\plan.json", "--config", WIN_CONFIG,
                   "--backup", "db", code=1)
    assert "changed since the plan was made" in err, err
    assert read(w.config) == drifted and not os.path.exists(os.path.join(w.work, "db"))
    with open(w.config, "wb") as f:
        f.write(b"\xff\xfe" + "<configuration/>".encode("utf-16-le"))
    _, err = w.mgw("iis", "plan", "--config", WIN_CONFIG, "--out", "hostile", code=1)
    assert "line 1, column 1" in err and "UTF-16" in err, err
    assert not os.path.exists(os.path.join(w.work, "hostile"))


if __name__ == "__main__":
    tap.main(globals())
