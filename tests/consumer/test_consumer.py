#!/usr/bin/env python3
"""C consumers of the installed library (TAP): `meson install --destdir` into
a temporary root, then consumer.c built with nothing but what pkg-config
says about that root, once against the shared library and once fully
static (`pkg-config --static`), and run."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402

BUILD = os.environ["MESON_BUILD_ROOT"]
VERSION = os.environ["MGW_VERSION"]
CC = os.environ.get("CC", "cc")
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "consumer.c")
WORK = tempfile.mkdtemp(prefix="mgw-consumer-")
ROOT = os.path.join(WORK, "root")
CFLAGS = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror"]


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=WORK)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p.stdout


def tool(name):
    path = shutil.which(name)
    assert path, f"{name} not found (Debian: install it; .ci/run does)"
    return path


def pc_dir():
    for d, _, files in os.walk(ROOT):
        if "mgwauth.pc" in files:
            return d
    raise AssertionError(f"no mgwauth.pc installed under {ROOT}")


def relocated_pc_dir():
    """A copy of the installed mgwauth.pc whose prefix points into the destdir.
    (PKG_CONFIG_SYSROOT_DIR would also move the paths of dependencies such as
    an mbedTLS 3.6 outside /usr, so only our own file is relocated.)"""
    d = pc_dir()
    out = os.path.join(ROOT, "pc-relocated")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(d, "mgwauth.pc"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    fixed = [("prefix=" + ROOT + l[len("prefix="):]) if l.startswith("prefix=") else l
             for l in lines]
    with open(os.path.join(out, "mgwauth.pc"), "w", encoding="utf-8") as f:
        f.write("\n".join(fixed) + "\n")
    return out


def pkg_config(*args):
    path = relocated_pc_dir()
    if os.environ.get("PKG_CONFIG_PATH"):
        path += os.pathsep + os.environ["PKG_CONFIG_PATH"]
    env = dict(os.environ, PKG_CONFIG_PATH=path)
    env.pop("PKG_CONFIG_SYSROOT_DIR", None)
    return run([tool("pkg-config"), *args, "mgwauth"], env=env).split()


def libdir():
    return os.path.dirname(pc_dir())


def test_meson_install_into_a_destdir():
    run([tool("meson"), "install", "-C", BUILD, "--no-rebuild", "--quiet", "--destdir", ROOT])
    shutil.copy(SOURCE, os.path.join(WORK, "consumer.c"))  # away from the source tree
    assert os.path.exists(os.path.join(libdir(), "libmgwauth.so.1"))
    assert os.path.exists(os.path.join(libdir(), "libmgwauth.a"))


def test_pc_file_names_version_and_private_dependencies():
    with open(os.path.join(pc_dir(), "mgwauth.pc"), encoding="utf-8") as f:
        pc = f.read()
    assert re.search(rf"^Version: {re.escape(VERSION)}$", pc, re.M), pc
    assert re.search(r"^Requires\.private:.*\bzlib\b", pc, re.M), pc
    assert "mbedcrypto" in pc, pc
    static = pkg_config("--static", "--libs")
    assert static.index("-lmgwauth") < static.index("-lmbedcrypto"), static


def test_only_the_installed_header_is_used():
    deps = run([CC, "-M", "consumer.c", *pkg_config("--cflags")])
    headers = [h for h in deps.replace("\\\n", " ").split() if h.endswith("mgwauth.h")]
    assert len(headers) == 1 and headers[0].startswith(ROOT + os.sep), headers


def test_shared_consumer_builds_and_runs():
    run([CC, *CFLAGS, "-o", "consumer-shared", "consumer.c", *pkg_config("--cflags", "--libs")])
    search = libdir()
    if os.environ.get("LD_LIBRARY_PATH"):  # e.g. an mbedTLS outside the system paths
        search += os.pathsep + os.environ["LD_LIBRARY_PATH"]
    env = dict(os.environ, LD_LIBRARY_PATH=search)
    needed = run(["readelf", "-d", "consumer-shared"])
    assert "libmgwauth.so.1" in needed, needed
    loaded = run([os.path.join(WORK, "consumer-shared")], env=dict(env, LD_TRACE_LOADED_OBJECTS="1"))
    assert os.path.join(libdir(), "libmgwauth.so.1") in loaded, loaded
    out = run([os.path.join(WORK, "consumer-shared")], env=env)
    assert out.startswith(f"libmgwauth {VERSION}: CN=consumer "), out


def test_static_consumer_builds_and_runs():
    run([CC, *CFLAGS, "-static", "-o", "consumer-static", "consumer.c",
         *pkg_config("--static", "--cflags", "--libs")])
    dynamic = run(["readelf", "-d", "consumer-static"])
    assert "no dynamic section" in dynamic, dynamic
    out = run([os.path.join(WORK, "consumer-static")])
    assert out.startswith(f"libmgwauth {VERSION}: CN=consumer "), out


if __name__ == "__main__":
    try:
        status = tap.run(globals())
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(status)
