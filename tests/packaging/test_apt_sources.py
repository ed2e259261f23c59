#!/usr/bin/env python3
"""cross/mbedtls36.py's apt configuration (TAP): deb-src entries for trixie
derived from a machine's apt sources in either format, only for Debian's own
archive, and no archive address written in the project."""
import importlib.util
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
spec = importlib.util.spec_from_file_location("mbedtls36",
                                              os.path.join(ROOT, "cross", "mbedtls36.py"))
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
KEY = "/usr/share/keyrings/debian-archive-keyring.gpg"


def etc(files):
    d = tempfile.mkdtemp(prefix="mgw-apt-")
    os.makedirs(os.path.join(d, "sources.list.d"))
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return d


def test_deb822_sources_become_deb_src_for_trixie():
    d = etc({"sources.list.d/debian.sources": f"""Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: {KEY}

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: {KEY}

Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no
""", "sources.list.d/node.sources": """Types: deb
URIs: https://deb.nodesource.example/node_20.x
Suites: nodistro
Components: main
"""})
    entries = m.debian_entries(m.machine_sources(d), "bookworm")
    assert entries == [
        (["http://mirror.example/debian"], ["trixie", "trixie-updates"], ["main"], KEY),
        (["http://mirror.example/debian-security"], ["trixie-security"], ["main"], KEY),
    ], entries
    text = m.deb_src_text(entries)
    assert text.count("Types: deb-src\n") == 2 and "bookworm" not in text, text
    assert f"Signed-By: {KEY}\n" in text


def test_one_line_sources_list_with_options_and_comments():
    d = etc({"sources.list": f"""# deb http://commented.example/debian bookworm main
deb [arch=amd64 signed-by={KEY}] http://mirror.example/debian bookworm main non-free
deb-src http://mirror.example/debian bookworm main
deb http://security.example/debian-security bookworm-security main # trailing
deb http://mirror.example/debian bookworm-backports main
""", "sources.list.d/extra.list": "deb http://other.example/ubuntu jammy main\n"})
    entries = m.debian_entries(m.machine_sources(d), "bookworm")
    assert entries == [
        (["http://mirror.example/debian"], ["trixie"], ["main"], KEY),
        (["http://security.example/debian-security"], ["trixie-security"], ["main"], ""),
    ], entries


def test_a_machine_without_debian_sources_gives_nothing():
    d = etc({"sources.list": "deb http://other.example/ubuntu jammy main universe\n",
             "os-release": 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=jammy\n'})
    codename = m.os_codename(os.path.join(d, "os-release"))
    assert codename == ""
    assert m.debian_entries(m.machine_sources(d), codename) == []
    assert m.debian_entries(m.machine_sources(etc({})), "bookworm") == []


def test_a_newer_debian_is_recognised_by_its_codename():
    d = etc({"os-release": 'PRETTY_NAME="Debian GNU/Linux forky/sid"\nID=debian\n'
                           'VERSION_CODENAME=forky\n',
             "sources.list": "deb http://mirror.example/debian forky main\n"})
    codename = m.os_codename(os.path.join(d, "os-release"))
    assert codename == "forky"
    assert m.debian_entries(m.machine_sources(d), codename) == [
        (["http://mirror.example/debian"], ["trixie"], ["main"], "")]


def test_no_archive_address_is_written_in_the_project():
    for rel in ("cross/mbedtls36.py", "run"):
        with open(os.path.join(ROOT, rel)) as f:
            text = f.read()
        for host in ("debian.org", "deb.debian", "snapshot.debian"):
            assert host not in text, f"{rel} names {host}"
        # no address at all, but the example gateway the demo prints
        urls = set(re.findall(r"\bhttps?://[^\s\"']+", text))
        assert all(u.startswith("https://mail.imagoverum.com") for u in urls), (rel, urls)


if __name__ == "__main__":
    tap.main(globals())
