#!/usr/bin/env python3
"""An installation into a prefix of its own (TAP): `meson setup --prefix P`,
`meson install`, then P/bin/mgwauth runs with no LD_LIBRARY_PATH (its
RUNPATH names P's library directory), the manual page and the bash
completion are where man and bash-completion look, and a C consumer linked
the way the README says (pkg-config, -Wl,-rpath) runs as it is."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402

SOURCE = os.environ["MESON_SOURCE_ROOT"]
WORK = tempfile.mkdtemp(prefix="mgw-prefix-")
PREFIX = os.path.join(WORK, "prefix with space")
BUILD = os.path.join(WORK, "build")
CLEAN_ENV = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}


def run(cmd, env=None, cwd=WORK):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env or CLEAN_ENV, cwd=cwd)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p.stdout


def libdir():
    for d, _, files in os.walk(PREFIX):
        if "libmgwauth.so.1" in files:
            return d
    raise AssertionError("no libmgwauth.so.1 installed")


def test_meson_install_into_a_prefix():
    # built against the same mbedTLS as the build under test (build-36: 3.6 from
    # its own prefix, found through pkg-config and an rpath)
    same = [f"-D{opt}={os.environ[var]}" for opt, var in
            (("pkg_config_path", "MGW_SETUP_PKG_CONFIG_PATH"),
             ("c_link_args", "MGW_SETUP_C_LINK_ARGS")) if os.environ.get(var)]
    run(["meson", "setup", BUILD, SOURCE, "--prefix", PREFIX, "-Dtests=false",
         "-Dbuildtype=release"] + same)
    run(["ninja", "-C", BUILD, "-j", "2", "src/libmgwauth.so.1.0.0", "src/libmgwauth.a", "tools/mgwauth",
         "doc/mgwauth.1", "doc/mgwauth"])
    # install what is built (the benchmarks are not installed)
    run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet"])
    assert os.path.isfile(os.path.join(PREFIX, "bin", "mgwauth"))


def test_the_installed_tool_runs_without_ld_library_path():
    tool = os.path.join(PREFIX, "bin", "mgwauth")
    dynamic = run(["readelf", "-d", tool])
    runpath = re.search(r"\(RUNPATH\)\s+Library runpath: \[(.*)\]", dynamic)
    assert runpath and libdir() in runpath.group(1).split(":"), dynamic
    loaded = run([tool, "version"], env=dict(CLEAN_ENV, LD_TRACE_LOADED_OBJECTS="1"))
    assert os.path.join(libdir(), "libmgwauth.so.1") in loaded, loaded
    assert run([tool, "version"], cwd="/").startswith("mgwauth ")


def test_man_page_and_completion_are_installed():
    page = os.path.join(PREFIX, "share", "man", "man1", "mgwauth.1")
    completion = os.path.join(PREFIX, "share", "bash-completion", "completions", "mgwauth")
    tool = os.path.join(PREFIX, "bin", "mgwauth")
    with open(page, encoding="utf-8") as f:
        assert f.read() == run([tool, "help", "--man"])
    with open(completion, encoding="utf-8") as f:
        assert f.read() == run([tool, "help", "--bash-completion"])
    if shutil.which("man"):  # man finds the page through MANPATH
        out = run(["man", "-P", "cat", "mgwauth"],
                  env=dict(CLEAN_ENV, MANPATH=os.path.join(PREFIX, "share", "man"), MANWIDTH="100"))
        assert "cert create" in out and "registry plan" in out, out


def test_a_consumer_linked_as_the_readme_says_runs():
    src = os.path.join(SOURCE, "tests", "consumer", "consumer.c")
    pc = os.path.join(libdir(), "pkgconfig")
    # the installed .pc, then mbedTLS's where it is not the system's (build-36)
    search = [pc, os.environ.get("MGW_SETUP_PKG_CONFIG_PATH", ""), CLEAN_ENV.get("PKG_CONFIG_PATH", "")]
    env = dict(CLEAN_ENV, PKG_CONFIG_PATH=os.pathsep.join(d for d in search if d))
    flags = shlex.split(run(["pkg-config", "--cflags", "--libs", "mgwauth"], env=env))
    lib = shlex.split(run(["pkg-config", "--variable=libdir", "mgwauth"], env=env))[0]
    assert lib == libdir(), (lib, libdir())
    exe = os.path.join(WORK, "consumer")
    run(["cc", "-o", exe, src, *flags, "-Wl,-rpath," + lib], env=env)
    assert run([exe]).startswith("libmgwauth "), exe


if __name__ == "__main__":
    try:
        status = tap.run(globals())
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(status)
