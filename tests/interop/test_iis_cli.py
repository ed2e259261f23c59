#!/usr/bin/env python3
"""mgwauth iis show|plan|apply|rollback as a user runs them, judged by
independent tools: difflib over the raw bytes shows only the intended
changes, xml.etree reads the desired file with the expected values at the
expected XPaths, re-planning the applied file yields nothing, drift is
refused, and hostile XML gets a line and column and writes nothing."""
import difflib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402

MGW = os.environ.get("MGWAUTH", "mgwauth")
TESTDATA = os.environ.get("TESTDATA", os.path.join(os.path.dirname(__file__), "..", "data"))
IISDATA = os.path.join(TESTDATA, "iis")
OUTPUTS = ["applicationHost.config", "backup.config", "appcmd.cmd", "appcmd-rollback.cmd",
           "plan.json"]
WANT = "Ssl, SslNegotiateCert, SslRequireCert"
ACCESS = "system.webServer/security/access"


def mgw(*args, code=0):
    p = subprocess.run([MGW, *args], capture_output=True, text=True)
    assert p.returncode == code, f"exit {p.returncode}, wanted {code}: {p.stderr}{p.stdout}"
    if code != 0:
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mgwauth: "), p.stderr
    return p


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Work(tempfile.TemporaryDirectory):
    def __init__(self):
        super().__init__(prefix="mgw-iis-cli-")

    def __enter__(self):
        return self

    def path(self, *p):
        return os.path.join(self.name, *p)

    def copy(self, fixture, name="applicationHost.config"):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(read(os.path.join(IISDATA, fixture)))
        return path


def byte_diff(a, b):
    """(removed, added) runs of bytes between a and b, by difflib."""
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "equal":
            out.append((a[i1:i2], b[j1:j2]))
    return out


def location(root, path):
    hits = [loc for loc in root.findall("location") if loc.get("path") == path]
    assert len(hits) == 1, (path, len(hits))
    return hits[0]


def test_show_lists_sites_bindings_and_child_locations():
    p = mgw("iis", "show", "--config", os.path.join(IISDATA, "weakening-child.config"), "--json")
    doc = json.loads(p.stdout)
    site = doc["sites"][0]
    assert site["name"] == "Default Web Site"
    assert [b["bindingInformation"] for b in site["bindings"]] == ["*:80:", "*:443:"]
    assert site["bindings"][1]["sslFlags"] == {"value": 0, "names": "None"}
    assert site["access"]["source"] == "server"
    kids = {c["path"]: c["sslFlags"]["value"] for c in site["child_locations"]}
    assert kids == {"Default Web Site/Microsoft-Server-ActiveSync": 264,
                    "Default Web Site/EWS": 96}, kids
    text = mgw("iis", "show", "--config", os.path.join(IISDATA, "sni.config")).stdout
    assert "*:443:mail.example.com  sslFlags 1 = Sni (TLS 1.3 over TCP on)" in text, text


BINDING = '                    <binding protocol="https" bindingInformation="*:443:"{} />'
SNI = ('                    <binding protocol="https" bindingInformation="*:443:mail.example.com"'
       ' sslFlags="{}" />')
SITE_ACCESS = '                <access sslFlags="Ssl, SslNegotiateCert, SslRequireCert" />'
NEW_LOCATION = ['    <location path="Default Web Site">', '        <system.webServer>',
                '            <security>', SITE_ACCESS, '            </security>',
                '        </system.webServer>', '    </location>']
PLAIN = ([BINDING.format(' sslFlags="0"')], [BINDING.format(' sslFlags="32"'), SITE_ACCESS])
EXPECTED = {
    "applicationHost.config": PLAIN, "bom-crlf.config": PLAIN, "bom-lf.config": PLAIN,
    "crlf.config": PLAIN,
    "sni.config": ([BINDING.format(""), SNI.format(1)],
                   [BINDING.format(' sslFlags="32"'), SNI.format(33)] + NEW_LOCATION),
    "weakening-child.config": (
        [BINDING.format(' sslFlags="0"'), '                <access sslFlags="Ssl, Ssl128" />',
         '                <access sslFlags="SslNegotiateCert,SslRequireCert" />'],
        [BINDING.format(' sslFlags="32"'), SITE_ACCESS,
         '                <access sslFlags="Ssl, SslNegotiateCert, SslRequireCert, Ssl128" />',
         SITE_ACCESS]),
}


def changed_lines(before, after):
    """Lines (raw bytes with their endings) removed and added, by difflib."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        removed += a[i1:i2] if tag != "equal" else []
        added += b[j1:j2] if tag != "equal" else []
    return removed, added


def test_plan_changes_only_the_intended_bytes_for_every_fixture():
    for name, (want_removed, want_added) in EXPECTED.items():
        with Work() as w:
            cfg = w.copy(name)
            out = mgw("iis", "plan", "--config", cfg, "--disable-tls13", "--out", w.path("p"))
            assert f"{len(want_added) if name != 'sni.config' else 3} settings to change." \
                in out.stdout, out.stdout
            assert sorted(os.listdir(w.path("p"))) == sorted(OUTPUTS)
            before, desired = read(cfg), read(w.path("p", "applicationHost.config"))
            assert read(w.path("p", "backup.config")) == before
            eol = "\r\n" if b"\r\n" in before else "\n"
            removed, added = changed_lines(before, desired)
            assert sorted(removed) == sorted((x + eol).encode() for x in want_removed), \
                (name, removed)
            assert sorted(added) == sorted((x + eol).encode() for x in want_added), (name, added)
            assert desired.startswith(b"\xef\xbb\xbf") == before.startswith(b"\xef\xbb\xbf")
            # and at byte level: only the flag values and whole inserted lines differ
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
                    None, before, desired, autojunk=False).get_opcodes():
                if tag in ("replace", "delete"):
                    assert before[i1:i2].strip(b"0123456789, ") == b"" or b"Ssl" in before[i1:i2]


def test_the_desired_file_has_the_values_at_the_xpaths():
    with Work() as w:
        mgw("iis", "plan", "--config", w.copy("weakening-child.config"), "--disable-tls13",
            "--out", w.path("p"))
        root = ET.parse(w.path("p", "applicationHost.config")).getroot()
        assert root.tag == "configuration"
        dws = location(root, "Default Web Site")
        assert dws.find(ACCESS).get("sslFlags") == WANT
        eas = location(root, "Default Web Site/Microsoft-Server-ActiveSync")
        assert eas.find(ACCESS).get("sslFlags") == WANT + ", Ssl128"
        assert location(root, "Default Web Site/EWS").find(ACCESS).get("sslFlags") == WANT
        assert location(root, "Old Site/owa").find(ACCESS).get("sslFlags") == "Ssl"
        binding = root.find("system.applicationHost/sites/site[@name='Default Web Site']"
                            "/bindings/binding[@protocol='https']")
        assert binding.get("sslFlags") == "32" and binding.get("bindingInformation") == "*:443:"
        http = root.find("system.applicationHost/sites/site/bindings/binding[@protocol='http']")
        assert http.get("sslFlags") is None
        # the server-level default is untouched
        assert root.find(ACCESS).get("sslFlags") == "None"
    with Work() as w:
        mgw("iis", "plan", "--config", w.copy("sni.config"), "--disable-tls13", "--out",
            w.path("p"))
        root = ET.parse(w.path("p", "applicationHost.config")).getroot()
        assert root.findall("location")[-1].get("path") == "Default Web Site"
        assert location(root, "Default Web Site").find(ACCESS).get("sslFlags") == WANT
        flags = [b.get("sslFlags") for b in root.iter("binding") if b.get("protocol") == "https"]
        assert flags == ["32", "33"], flags


def test_plan_json_is_fingerprinted_and_names_the_files():
    with Work() as w:
        mgw("iis", "plan", "--config", w.copy("applicationHost.config"), "--out", w.path("p"))
        plan = json.loads(read(w.path("p", "plan.json")))
        assert plan["format"] == "mgwauth-iis-plan" and plan["version"] == 1
        assert plan["fingerprint"].startswith("sha256:") and len(plan["fingerprint"]) == 71
        for key, name in (("desired", "applicationHost.config"), ("backup", "backup.config")):
            digest = hashlib.sha256(read(w.path("p", name))).hexdigest().upper()
            assert plan[key]["sha256"] == "sha256:" + digest
        assert plan["changes"] == 1
        assert any("HTTP 413" in x for x in plan["warnings"])
        # the desired file edited after planning: apply refuses to load the plan
        with open(w.path("p", "applicationHost.config"), "ab") as f:
            f.write(b"\n")
        p = mgw("iis", "apply", "--plan", w.path("p", "plan.json"), "--config",
                w.path("applicationHost.config"), code=1)
        assert "changed after planning" in p.stderr


def test_apply_reapply_rollback_round_trip_byte_for_byte():
    for name in ("bom-crlf.config", "weakening-child.config", "sni.config"):
        with Work() as w:
            cfg = w.copy(name)
            original = read(cfg)
            mgw("iis", "plan", "--config", cfg, "--disable-tls13", "--out", w.path("p"))
            plan = w.path("p", "plan.json")
            out = mgw("iis", "apply", "--plan", plan, "--config", cfg, "--backup", w.path("b1"))
            assert "Applied" in out.stdout
            assert read(cfg) == read(w.path("p", "applicationHost.config"))
            assert read(w.path("b1")) == original
            assert os.stat(w.path("b1")).st_mode & 0o077 == 0
            out = mgw("iis", "apply", "--plan", plan, "--config", cfg, "--backup", w.path("b2"))
            assert "Nothing changed" in out.stdout and not os.path.exists(w.path("b2"))
            # re-planning the applied file yields nothing
            out = mgw("iis", "plan", "--config", cfg, "--disable-tls13", "--out", w.path("q"))
            assert "Nothing to change" in out.stdout
            assert read(w.path("q", "applicationHost.config")) == read(cfg)
            mgw("iis", "rollback", "--plan", plan, "--config", cfg, "--backup", w.path("b3"))
            assert read(cfg) == original
            out = mgw("iis", "rollback", "--plan", plan, "--config", cfg, "--backup", w.path("b4"))
            assert "Nothing changed" in out.stdout


def test_drift_is_refused_and_nothing_is_written():
    with Work() as w:
        cfg = w.copy("applicationHost.config")
        mgw("iis", "plan", "--config", cfg, "--out", w.path("p"))
        drifted = read(cfg).replace(b'sslFlags="0"', b'sslFlags="1"')
        with open(cfg, "wb") as f:
            f.write(drifted)
        p = mgw("iis", "apply", "--plan", w.path("p", "plan.json"), "--config", cfg, "--backup",
                w.path("b"), code=1)
        assert "changed since the plan was made" in p.stderr, p.stderr
        assert read(cfg) == drifted and not os.path.exists(w.path("b"))
        p = mgw("iis", "rollback", "--plan", w.path("p", "plan.json"), "--config", cfg,
                "--backup", w.path("b"), code=1)
        assert read(cfg) == drifted and not os.path.exists(w.path("b"))


def test_a_compliant_file_plans_no_changes():
    with Work() as w:
        cfg = w.copy("compliant.config")
        out = mgw("iis", "plan", "--config", cfg, "--disable-tls13",
                  "--negotiate-client-cert-in-handshake", "--out", w.path("p"))
        assert "Nothing to change" in out.stdout
        assert "HTTP 413" not in out.stdout
        assert read(w.path("p", "applicationHost.config")) == read(cfg)
        assert b"rem Nothing to change" in read(w.path("p", "appcmd.cmd"))


HOSTILE = {
    "truncated": (lambda base: base[: base.index(b"    <location path")], "the file ends inside"),
    "unbalanced": (lambda base: base.replace(b"</sites>", b"</site>", 1), "does not match"),
    "huge": (lambda base: base + b" " * (8 << 20), "larger than"),
    "billion-laughs": (lambda base: base.replace(
        b"<configuration>", b'<!DOCTYPE c [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<configuration>&b;", 1), "a DOCTYPE"),
    "external-entity": (lambda base: base.replace(
        b'name="Default Web Site"', b'name="&ext;"', 1), "an entity reference"),
    "latin1": (lambda base: base.replace(b"IIS configuration", b"IIS configuration \xe9t\xe9", 1),
               "not UTF-8"),
    "declared-latin1": (lambda base: base.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"',
                                                  1), "an encoding other than UTF-8"),
    "utf16": (lambda base: b"\xff\xfe" + base.decode().encode("utf-16-le"), "UTF-16"),
    "utf16-no-bom": (lambda base: base.decode().encode("utf-16-le"), "a NUL byte"),
}


def test_hostile_xml_gets_line_and_column_and_writes_nothing():
    base = read(os.path.join(IISDATA, "applicationHost.config"))
    for name, (make, detail) in HOSTILE.items():
        with Work() as w:
            cfg = w.path("applicationHost.config")
            data = make(base)
            with open(cfg, "wb") as f:
                f.write(data)
            for cmd in (["show", "--config", cfg], ["plan", "--config", cfg, "--out", w.path("p")]):
                p = mgw("iis", *cmd, code=1)
                assert detail in p.stderr, (name, p.stderr)
                if name != "huge":
                    assert "line " in p.stderr and ", column " in p.stderr, (name, p.stderr)
            assert not os.path.exists(w.path("p")), name
            assert read(cfg) == data


def test_a_missing_site_or_binding_names_what_exists_and_usage_errors():
    cfg = os.path.join(IISDATA, "sni.config")
    with Work() as w:
        p = mgw("iis", "plan", "--config", cfg, "--site", "Nope", "--out", w.path("p"), code=1)
        assert 'the file has "Default Web Site"' in p.stderr
        p = mgw("iis", "plan", "--config", cfg, "--binding", "*:8443:", "--out", w.path("p"),
                code=1)
        assert '"*:443:", "*:443:mail.example.com"' in p.stderr
        assert not os.path.exists(w.path("p"))
        mgw("iis", "plan", "--config", cfg, "--live", "--out", w.path("p"), code=2)
        p = mgw("iis", "show", "--live", code=1)
        assert "only in the Windows build" in p.stderr
        mgw("iis", "frobnicate", code=2)
        # outputs are never replaced without --force
        mgw("iis", "plan", "--config", cfg, "--out", w.path("p"))
        mgw("iis", "plan", "--config", cfg, "--out", w.path("p"), code=1)
        mgw("iis", "plan", "--config", cfg, "--out", w.path("p"), "--force")


def test_an_edited_plan_directory_is_refused_even_with_hashes_recomputed():
    """Someone edits DIR/applicationHost.config (or empties the item list)
    and recomputes plan.json's desired.sha256 and fingerprint as the
    library does: apply must refuse, because the desired file is not what
    planning backup.config gives."""
    for edit in ("attribute", "location", "no-items"):
        with Work() as w:
            cfg = w.copy("applicationHost.config")
            mgw("iis", "plan", "--config", cfg, "--disable-tls13", "--out", w.path("p"))
            desired_path, plan_path = w.path("p", "applicationHost.config"), w.path("p", "plan.json")
            desired = read(desired_path)
            plan = json.loads(read(plan_path))
            if edit == "attribute":
                desired = desired.replace(b'enabled="true"', b'enabled="false"', 1)
                assert desired != read(desired_path)
            elif edit == "location":
                desired = desired.replace(b"</configuration>", b'    <location path="Default Web '
                                          b'Site/x"><system.webServer /></location>\n'
                                          b"</configuration>")
            else:
                plan["items"] = []
                plan["changes"] = 0
            with open(desired_path, "wb") as f:
                f.write(desired)
            plan["desired"]["sha256"] = "sha256:" + hashlib.sha256(desired).hexdigest().upper()
            plan["desired"]["size"] = len(desired)
            plan["fingerprint"] = "sha256:" + fingerprint(plan).hex().upper()
            with open(plan_path, "w") as f:
                json.dump(plan, f)
            before = read(cfg)
            p = mgw("iis", "apply", "--plan", plan_path, "--config", cfg, "--backup", w.path("b"),
                    code=1)
            assert "not what planning backup.config gives" in p.stderr, (edit, p.stderr)
            assert read(cfg) == before and not os.path.exists(w.path("b")), edit


def fingerprint(plan):
    """The plan fingerprint as src/iis/plan.c computes it (an independent
    re-implementation, so that the tampering test can forge it)."""
    b = bytearray()

    def s(t):
        b.extend(t.encode() + b"\0")

    def u(v):
        b.extend(int(v).to_bytes(4, "little"))
    s("mgwauth-iis-plan 1")
    s(plan["site"])
    b.extend(bytes.fromhex(plan["backup"]["sha256"][7:]))
    b.extend(bytes.fromhex(plan["desired"]["sha256"][7:]))
    for it in plan["items"]:
        u(1 if it["kind"] == "access" else 2)
        s(it["where"])
        u(1 if it["action"] == "set" else 0)
        u(it["present"])
        u(it["before"])
        u(it["after"])
        s(it["before_text"])
        s(it["after_text"])
    return hashlib.sha256(bytes(b)).digest()


def test_plan_refuses_to_write_over_its_own_input():
    with Work() as w:
        cfg = w.copy("applicationHost.config")
        original = read(cfg)
        p = mgw("iis", "plan", "--config", cfg, "--out", w.name, "--force", code=1)
        assert "is the input file" in p.stderr, p.stderr
        assert read(cfg) == original
        # the same through a symbolic link to the directory
        os.symlink(w.name, w.path("alias"))
        p = mgw("iis", "plan", "--config", w.path("alias", "applicationHost.config"), "--out",
                w.name, "--force", code=1)
        assert "is the input file" in p.stderr and read(cfg) == original
        assert not os.path.exists(w.path("plan.json"))


def test_a_backup_path_that_is_the_config_file_is_refused():
    with Work() as w:
        cfg = w.copy("applicationHost.config")
        original = read(cfg)
        mgw("iis", "plan", "--config", cfg, "--out", w.path("p"))
        for backup in (cfg, w.path(".", "applicationHost.config")):
            p = mgw("iis", "apply", "--plan", w.path("p", "plan.json"), "--config", cfg,
                    "--backup", backup, "--force", code=1)
            assert "is the input file" in p.stderr or "itself" in p.stderr, p.stderr
            assert read(cfg) == original


def test_apply_through_a_symlink_replaces_the_target_and_keeps_the_link():
    with Work() as w:
        os.mkdir(w.path("real"))
        real = w.copy("applicationHost.config", os.path.join("real", "applicationHost.config"))
        original = read(real)
        link = w.path("link.config")
        os.symlink(real, link)
        mgw("iis", "plan", "--config", link, "--out", w.path("p"))
        mgw("iis", "apply", "--plan", w.path("p", "plan.json"), "--config", link, "--backup",
            w.path("b"))
        assert os.path.islink(link) and os.readlink(link) == real
        assert read(real) == read(w.path("p", "applicationHost.config")) != original
        assert read(w.path("b")) == original
        # no temporary file left beside the link or the target
        assert sorted(os.listdir(w.path("real"))) == ["applicationHost.config"]
        mgw("iis", "rollback", "--plan", w.path("p", "plan.json"), "--config", link, "--backup",
            w.path("b2"))
        assert os.path.islink(link) and read(real) == original


def test_apply_and_rollback_keep_the_mode_of_the_file():
    with Work() as w:
        cfg = w.copy("applicationHost.config")
        mgw("iis", "plan", "--config", cfg, "--out", w.path("p"))
        for k, (verb, mode) in enumerate((("apply", 0o640), ("rollback", 0o600),
                                          ("apply", 0o664))):
            os.chmod(cfg, mode)
            out = mgw("iis", verb, "--plan", w.path("p", "plan.json"), "--config", cfg,
                      "--backup", w.path("b%d" % k))
            assert "Nothing changed" not in out.stdout
            assert os.stat(cfg).st_mode & 0o7777 == mode, (verb, oct(os.stat(cfg).st_mode))


def site_file(name):
    base = read(os.path.join(IISDATA, "applicationHost.config"))
    return base.replace(b'name="Default Web Site"', b'name="' + name + b'"')


def test_a_percent_in_a_name_is_doubled_in_the_scripts():
    with Work() as w:
        cfg = w.path("applicationHost.config")
        with open(cfg, "wb") as f:
            f.write(site_file(b"Mail 100%"))
        out = mgw("iis", "plan", "--config", cfg, "--site", "Mail 100%", "--disable-tls13",
                  "--out", w.path("p"))
        script = read(w.path("p", "appcmd.cmd")).decode()
        lines = [line for line in script.split("\r\n") if "set config" in line]
        assert lines and all("Mail 100%%" in line for line in lines), script
        assert '"%APPCMD%" set config "Mail 100%%" -section:system.webServer/security/access' \
            in script
        # no single % other than the %APPCMD% variable and %windir%
        rest = script.replace("%%", "").replace("%APPCMD%", "").replace("%windir%", "")
        assert "%" not in rest, rest
        assert "appcmd.cmd" in out.stdout


def test_a_quote_in_a_name_skips_only_the_scripts_with_a_warning():
    with Work() as w:
        cfg = w.path("applicationHost.config")
        with open(cfg, "wb") as f:
            f.write(site_file(b"Mail &quot;A&quot;"))
        out = mgw("iis", "plan", "--config", cfg, "--site", 'Mail "A"', "--out", w.path("p"))
        assert "cmd.exe line cannot carry" in out.stdout, out.stdout
        assert sorted(os.listdir(w.path("p"))) == ["applicationHost.config", "backup.config",
                                                   "plan.json"]
        mgw("iis", "apply", "--plan", w.path("p", "plan.json"), "--config", cfg, "--backup",
            w.path("b"))
        root = ET.fromstring(read(cfg))
        assert location(root, 'Mail "A"').find(ACCESS).get("sslFlags") == WANT


if __name__ == "__main__":
    tap.main(globals())
