#!/usr/bin/env python3
"""The mgwauth registry commands as a user runs them: outputs, exit codes,
one-line errors, all-or-nothing writes, apply, re-apply and rollback."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402

MGW = os.environ.get("MGWAUTH", "mgwauth")
TESTDATA = os.environ.get("TESTDATA", os.path.join(os.path.dirname(__file__), "..", "data"))
REGDATA = os.path.join(TESTDATA, "registry")
CURRENT = ["--current", os.path.join(REGDATA, "gateway-schannel.reg"),
           "--current", os.path.join(REGDATA, "gateway-http.reg")]
OUTPUTS = ["security.reg", "rollback.reg", "backup.reg", "plan.json"]
HEADER = b"\xff\xfe" + "Windows Registry Editor Version 5.00\r\n".encode("utf-16-le")
CRLF = "\r\n".encode("utf-16-le")


def mgw(*args, code=0):
    p = subprocess.run([MGW, *args], capture_output=True, text=True)
    assert p.returncode == code, f"exit {p.returncode}, wanted {code}: {p.stderr}"
    if code != 0:
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mgwauth: "), p.stderr
    return p


class Work(tempfile.TemporaryDirectory):
    def __init__(self):
        super().__init__(prefix="mgw-registry-cli-")

    def __enter__(self):
        return self

    def path(self, *p):
        return os.path.join(self.name, *p)

    def state(self):
        """One .reg file holding both fixtures, as the registry file."""
        parts = []
        for name in ("gateway-schannel.reg", "gateway-http.reg"):
            with open(os.path.join(REGDATA, name), "rb") as f:
                parts.append(f.read()[len(HEADER):-len(CRLF)])
        path = self.path("state.reg")
        with open(path, "wb") as f:
            f.write(HEADER + b"".join(parts) + CRLF)
        return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def test_plan_writes_four_files_and_prints_the_table():
    with Work() as w:
        out = mgw("registry", "plan", *CURRENT, "--out", w.path("p")).stdout
        for col in ("VALUE", "CURRENT", "DESIRED", "ACTION", "MEANING"):
            assert col in out
        assert "SCHANNEL\\ClientAuthTrustMode" in out and "2 values to change." in out, out
        assert sorted(os.listdir(w.path("p"))) == sorted(OUTPUTS)
        for name in OUTPUTS[:3]:
            assert read(w.path("p", name)).startswith(HEADER), name
        plan = json.loads(read(w.path("p", "plan.json")))
        assert plan["format"] == "mgwauth-registry-plan" and plan["changes"] == 2
        assert plan["fingerprint"].startswith("sha256:") and len(plan["fingerprint"]) == 71


def test_outputs_are_all_or_nothing():
    with Work() as w:
        os.makedirs(w.path("p"))
        with open(w.path("p", "plan.json"), "w") as f:
            f.write("mine")
        p = mgw("registry", "plan", *CURRENT, "--out", w.path("p"), code=1)
        assert "exists" in p.stderr
        assert os.listdir(w.path("p")) == ["plan.json"] and read(w.path("p", "plan.json")) == b"mine"
        mgw("registry", "plan", *CURRENT, "--out", w.path("p"), "--force")
        assert json.loads(read(w.path("p", "plan.json")))["version"] == 1


def test_usage_errors_exit_2():
    with Work() as w:
        out = ["--out", w.path("p")]
        mgw("registry", "plan", *CURRENT, code=2)
        mgw("registry", "plan", *CURRENT, *out, "--trust-mode", "3", code=2)
        mgw("registry", "plan", *CURRENT, *out, "--keep-disallowed-updates", code=2)
        mgw("registry", "plan", *CURRENT, *out, "--binding", "0.0.0.0", code=2)
        mgw("registry", "plan", *CURRENT, *out, "--binding", "0.0.0.0:443", "--sni-binding",
            "a:443", code=2)
        mgw("registry", "apply", "--plan", w.path("plan.json"), code=2)
        mgw("registry", "frobnicate", code=2)
        assert not os.path.exists(w.path("p"))


def test_runtime_errors_exit_1_with_one_line():
    with Work() as w:
        p = mgw("registry", "plan", "--current", os.path.join(REGDATA, "gateway-schannel.reg"),
                "--out", w.path("p"), code=1)
        assert "binding 0.0.0.0:443 is not in the current registry state" in p.stderr
        p = mgw("registry", "plan", *CURRENT, "--binding", "10.0.0.1:443", "--out", w.path("p"),
                code=1)
        assert "SNI bindings present: mail.example.com:443" in p.stderr, p.stderr
        bad = w.path("bad.reg")
        with open(bad, "w") as f:
            f.write("Windows Registry Editor Version 5.00\n\n[HKEY_USERS\\X]\n\"a\"=dword:123456789\n")
        p = mgw("registry", "plan", "--current", bad, "--out", w.path("p"), code=1)
        assert "line 4: dword: has more than 8 hex digits" in p.stderr, p.stderr
        assert not os.path.exists(w.path("p"))


def test_sni_binding_and_client_certificate_warnings():
    with Work() as w:
        pw = w.path("pw")
        with open(pw, "w") as f:
            f.write("pw\n")
        mgw("cert", "create", "--subject", "CN=imagoverum.com", "--key", "p256",
            "--password-file", pw, "--out", w.path("c"))
        out = mgw("registry", "plan", *CURRENT, "--sni-binding", "mail.example.com:443",
                  "--client-cert", w.path("c", "Certificate.cer"), "--out", w.path("p")).stdout
        assert "mail.example.com:443\\DefaultSslCertCheckMode" in out, out
        # a self-signed certificate names no CRL distribution point: nothing that can fail
        assert "CRL distribution point:" not in out and "self-signed" not in out, out
        # one that names a CRL distribution point (made by openssl) is warned about
        openssl = os.environ.get("OPENSSL", "openssl")
        subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", w.path("k.pem"), "-out",
                        w.path("cdp.pem"), "-subj", "/CN=phone", "-days", "30", "-addext",
                        "crlDistributionPoints=URI:http://crl.example.com/ca.crl"],
                       check=True, capture_output=True)
        out = mgw("registry", "plan", *CURRENT, "--client-cert", w.path("cdp.pem"), "--out",
                  w.path("p2")).stdout
        assert "names a CRL distribution point: Windows refuses" in out, out
        out = mgw("registry", "plan", *CURRENT, "--client-cert", w.path("cdp.pem"),
                  "--no-revocation-check", "--out", w.path("p3")).stdout
        assert "CRL distribution point:" not in out, out


def test_apply_reapply_drift_and_rollback():
    with Work() as w:
        state = w.state()
        original = read(state)
        mgw("registry", "plan", *CURRENT, "--negotiate-client-cert", "--out", w.path("p"))
        plan = w.path("p", "plan.json")
        out = mgw("registry", "apply", "--plan", plan, "--registry-file", state,
                  "--backup", w.path("b1.reg")).stdout
        assert out.startswith("Applied 3 values in"), out
        assert read(w.path("b1.reg")) == read(w.path("p", "backup.reg"))
        out = mgw("registry", "apply", "--plan", plan, "--registry-file", state).stdout
        assert out.startswith("Nothing changed"), out
        assert not [f for f in os.listdir(w.path("p")) if f.startswith("backup-before-apply")]
        out = mgw("registry", "rollback", "--plan", plan, "--registry-file", state).stdout
        assert out.startswith("Rolled back 3 values"), out
        assert read(state) == original
        backups = [f for f in os.listdir(w.path("p")) if f.startswith("backup-before-rollback-")]
        assert len(backups) == 1, os.listdir(w.path("p"))
        # drift: someone set the trust mode in between
        with open(state, "ab") as f:
            f.write("[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders"
                    "\\SCHANNEL]\r\n\"ClientAuthTrustMode\"=dword:00000000\r\n\r\n"
                    .encode("utf-16-le"))
        drifted = read(state)
        p = mgw("registry", "apply", "--plan", plan, "--registry-file", state, code=1)
        assert "plan again" in p.stderr, p.stderr
        assert read(state) == drifted
        # a plan file edited after planning is refused
        text = read(plan).decode().replace('"key_existed": true', '"key_existed": false', 1)
        with open(plan, "w") as f:
            f.write(text)
        p = mgw("registry", "apply", "--plan", plan, "--registry-file", state, code=1)
        assert "fingerprint does not match" in p.stderr, p.stderr


def test_rollback_refuses_to_delete_a_created_key_that_gained_data():
    machine = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "machine.reg")
    authroot = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\AuthRoot"
    with Work() as w:
        state = w.path("state.reg")
        with open(machine, "rb") as f, open(state, "wb") as g:
            g.write(f.read())
        mgw("registry", "plan", "--current", state, "--disable-root-autoupdate", "--out", w.path("p"))
        plan = w.path("p", "plan.json")
        mgw("registry", "apply", "--plan", plan, "--registry-file", state, "--backup", w.path("b.reg"))
        applied = read(state)
        for extra, word in ((f"[{authroot}]\r\n\"Foreign\"=dword:00000005\r\n\r\n", "Foreign"),
                            (f"[{authroot}\\Sub]\r\n\"X\"=dword:00000001\r\n\r\n", "subkeys")):
            with open(state, "wb") as f:
                f.write(applied + extra.encode("utf-16-le"))
            before = read(state)
            p = mgw("registry", "rollback", "--plan", plan, "--registry-file", state, code=1)
            assert word in p.stderr and "plan again" in p.stderr, p.stderr
            assert read(state) == before  # nothing deleted
        with open(state, "wb") as f:
            f.write(applied)
        out = mgw("registry", "rollback", "--plan", plan, "--registry-file", state).stdout
        assert out.startswith("Rolled back 3 values"), out
        assert read(state) == read(machine)


def test_edited_or_hostile_plans_are_refused_and_change_nothing():
    import json
    with Work() as w:
        state = w.state()
        original = read(state)
        mgw("registry", "plan", *CURRENT, "--negotiate-client-cert", "--issuer-store",
            "ClientAuthIssuer", "--out", w.path("p"))
        text = open(w.path("p", "plan.json"), encoding="utf-8").read()
        plan = json.loads(text)
        sets = [i for i, it in enumerate(plan["items"]) if it["action"] == "set"]
        checks = [i for i, it in enumerate(plan["items"]) if it["action"] == "check"]
        assert sets and checks, plan["items"]

        def refused(doc, why, raw=None):
            path = w.path("edited.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write(raw if raw is not None else json.dumps(doc))
            p = mgw("registry", "apply", "--plan", path, "--registry-file", state, code=1)
            assert why in p.stderr, (why, p.stderr)
            assert read(state) == original
            assert not [n for d in (w.name, w.path("p")) for n in os.listdir(d)
                        if n.startswith("backup-before")]

        # what a value is set to
        doc = json.loads(text)
        doc["items"][sets[0]]["after"]["data"] = "ffffffff"
        refused(doc, "fingerprint")
        # a value the plan only reads, turned into a write
        doc = json.loads(text)
        it = doc["items"][checks[0]]
        it["action"] = "set"
        it["after"] = {"type": "REG_BINARY", "type_code": 3, "data": "00" * 20}
        refused(doc, "fingerprint")
        # the binding
        doc = json.loads(text)
        doc["binding"] = "10.0.0.1:443"
        refused(doc, "fingerprint")
        # a member twice: other JSON readers take the last, so refuse
        dup = text.replace('"fingerprint":', '"fingerprint": "sha256:00", "fingerprint":', 1)
        assert dup != text
        refused(None, "appears twice", raw=dup)
        # an item twice
        doc = json.loads(text)
        doc["items"].append(doc["items"][sets[0]])
        refused(doc, "listed twice")
        # non-hex data, too many warnings, too many values
        doc = json.loads(text)
        doc["items"][sets[0]]["after"]["data"] = "zz000000"
        refused(doc, "hex digits")
        doc = json.loads(text)
        doc["warnings"] = [""] * 5000
        refused(doc, "warnings list")
        refused(None, "too many values",
                raw='{"format":"mgwauth-registry-plan","x":[' + ",".join(["0"] * 300000) + "]}")
        # the untouched plan still applies
        out = mgw("registry", "apply", "--plan", w.path("p", "plan.json"), "--registry-file",
                  state).stdout
        assert out.startswith("Applied"), out


if __name__ == "__main__":
    tap.main(globals())
