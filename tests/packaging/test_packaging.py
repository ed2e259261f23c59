#!/usr/bin/env python3
"""Packaging (TAP): the vcpkg overlay port (manifest, portfile run under
stand-ins for vcpkg's functions, usage) against meson.build and
meson_options.txt, and the Windows .def generated from the symbol map.
vcpkg itself cannot run here."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PORT = os.path.join(ROOT, "bindings", "vcpkg", "ports", "mgwauth")
STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vcpkg_stub.cmake")


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def manifest():
    return json.loads(read("bindings", "vcpkg", "ports", "mgwauth", "vcpkg.json"))


def dependency(name):
    for d in manifest()["dependencies"]:
        if (d if isinstance(d, str) else d["name"]) == name:
            return {"name": d} if isinstance(d, str) else d
    raise AssertionError(f"vcpkg.json: no dependency {name}")


def run_portfile(linkage):
    """Run portfile.cmake under the stand-ins; the recorded calls and the
    package directory it produced."""
    assert shutil.which("cmake"), "cmake not found (Debian: apt-get install cmake)"
    work = tempfile.mkdtemp(prefix="mgw-port-")
    record = os.path.join(work, "calls.txt")
    packages = os.path.join(work, "packages")
    p = subprocess.run(["cmake", f"-DPORTFILE={os.path.join(PORT, 'portfile.cmake')}",
                        f"-DPACKAGES={packages}", f"-DLINKAGE={linkage}", f"-DRECORD={record}",
                        "-P", STUB], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    with open(record, encoding="utf-8") as f:
        calls = [line.rstrip("\n").split("|") for line in f if line.strip()]
    return calls, packages, work


def test_manifest_is_valid_json_with_required_fields():
    m = manifest()
    for field in ("name", "version", "description", "license", "dependencies"):
        assert m.get(field), f"vcpkg.json lacks {field}"
    assert m["name"] == "mgwauth"
    assert m["license"] == "MIT" and read("LICENSE").startswith("MIT License")
    mbedtls = dependency("mbedtls")
    assert "pthreads" in mbedtls.get("features", []), mbedtls
    assert mbedtls.get("version>=", "").startswith("3.6."), mbedtls
    assert dependency("zlib")
    assert dependency("vcpkg-tool-meson").get("host") is True


def test_version_matches_meson_build():
    project = re.search(r"project\([^)]*?version:\s*'([^']+)'", read("meson.build"), re.S)
    assert project, "no version in meson.build's project()"
    assert manifest()["version"] == project.group(1), (manifest()["version"], project.group(1))


def test_every_option_the_portfile_passes_exists_in_meson_options():
    options = dict(re.findall(r"option\(\s*'([\w-]+)'\s*,\s*type:\s*'(\w+)'",
                              read("meson_options.txt")))
    passed = re.findall(r"-D([\w-]+)=(\S+)", read("bindings", "vcpkg", "ports", "mgwauth",
                                                 "portfile.cmake"))
    assert passed, "the portfile passes no -D option"
    for name, value in passed:
        assert name in options, f"-D{name}: not in meson_options.txt"
        if options[name] == "boolean":
            assert value in ("true", "false"), f"-D{name}={value}: not a boolean"


def test_portfile_calls_the_vcpkg_functions_in_order():
    calls, _, work = run_portfile("dynamic")
    try:
        names = [c[0] for c in calls]
        for fn in ("vcpkg_configure_meson", "vcpkg_install_meson", "vcpkg_copy_pdbs",
                   "vcpkg_fixup_pkgconfig", "vcpkg_install_copyright"):
            assert fn in names, f"portfile does not call {fn}: {names}"
        assert names.index("vcpkg_configure_meson") < names.index("vcpkg_install_meson")
        assert names.index("vcpkg_install_meson") < names.index("vcpkg_fixup_pkgconfig")
        configure = calls[names.index("vcpkg_configure_meson")]
        source = configure[configure.index("SOURCE_PATH") + 1]
        assert os.path.samefile(source, ROOT), f"SOURCE_PATH {source} is not the repository"
        assert "-Dtests=false" in configure, configure
        copyright_call = calls[names.index("vcpkg_install_copyright")]
        assert copyright_call[1] == "FILE_LIST" and os.path.samefile(copyright_call[2],
                                                                    os.path.join(ROOT, "LICENSE"))
        assert "vcpkg_replace_string" not in names, "a shared build keeps the header as it is"
    finally:
        shutil.rmtree(work)


def test_static_build_makes_mgw_static_the_installed_default():
    calls, packages, work = run_portfile("static")
    try:
        assert "vcpkg_replace_string" in [c[0] for c in calls]
        header = os.path.join(packages, "include", "mgwauth.h")
        with open(header, encoding="utf-8") as f:
            assert "#if 1 /* vcpkg: static library */" in f.read()
        with open(os.path.join(packages, "share", "mgwauth", "usage"), encoding="utf-8") as f:
            assert "pkg_check_modules(mgwauth REQUIRED IMPORTED_TARGET mgwauth)" in f.read()
        probe = os.path.join(work, "probe.c")
        with open(probe, "w") as f:
            f.write('#include "mgwauth.h"\n#define S(x) #x\n#define STR(x) S(x)\n'
                    'const char *api = STR(MGW_API);\n')
        out = subprocess.run(["cc", "-E", "-I", os.path.dirname(header), probe],
                             capture_output=True, text=True, check=True).stdout
        assert 'const char *api = "";' in out, "MGW_API is not empty in the static header"
    finally:
        shutil.rmtree(work)


def map_names(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    names = []
    for body in re.findall(r"\{(.*?)\}", text, flags=re.S):
        names += re.findall(r"\b(mgw_\w+)\s*;", body.split("local:")[0])
    return names


def generate_def(map_text):
    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "x.map"), os.path.join(tmp, "x.def")
        with open(src, "w", encoding="utf-8") as f:
            f.write(map_text)
        subprocess.run([sys.executable, os.path.join(ROOT, "src", "map_to_def.py"), src, out],
                       check=True)
        with open(out, encoding="utf-8", newline="") as f:
            text = f.read()
    assert text.splitlines()[1] == "EXPORTS", text
    return [line.strip() for line in text.splitlines()[2:] if line.strip()]


def library_exports():
    """What the built ELF library exports (made with the same map)."""
    out = subprocess.run(["nm", "-D", "--defined-only", os.environ["MGW_SHARED_LIB"]],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[2].split("@")[0] for line in out.splitlines()
            if len(line.split()) == 3 and line.split()[1] == "T"}


def test_def_file_lists_exactly_the_names_of_the_map():
    map_text = read("src", "libmgwauth.map")
    exported = generate_def(map_text)
    assert len(exported) == len(set(exported)), "a name appears twice"
    assert exported == map_names(map_text), set(exported) ^ set(map_names(map_text))
    assert set(exported) == library_exports(), set(exported) ^ library_exports()
    assert len(exported) > 70


def test_def_file_takes_every_version_node():
    exported = generate_def("/* two releases */\nMGWAUTH_1.0 {\n  global:\n    mgw_a;\n    mgw_b;\n"
                            "  local:\n    *;\n};\nMGWAUTH_1.1 {\n  global:\n    mgw_c;\n"
                            "} MGWAUTH_1.0;\n")
    assert exported == ["mgw_a", "mgw_b", "mgw_c"], exported


if __name__ == "__main__":
    tap.main(globals())
