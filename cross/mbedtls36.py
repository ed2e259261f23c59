#!/usr/bin/env python3
"""mbedTLS 3.6 from Debian's source package, built once and cached.

    mbedtls36.py DEPS native   -> DEPS/mbedtls36-native (shared libs, .pc files)
    mbedtls36.py DEPS mingw    -> DEPS/mbedtls36-mingw  (static libs for x86_64-w64-mingw32)

The source comes from the `trixie` suites of the archive this machine already
uses: the machine's own apt sources (deb822 files or one-line sources.list) are
read at run time and rewritten as `deb-src` entries for the same archives with
the suite's codename replaced, into a private apt configuration under DEPS/apt.
No archive address is written in the project. `dpkg-source -x` unpacks it and
applies Debian's patches. Each tree is rebuilt only when its stamp is missing.
Prints the installation prefix on stdout.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

SUITE = "trixie"         # Debian 13: mbedTLS 3.6 LTS
WANT_MAJOR_MINOR = "3.6"


def log(msg):
    print("==> " + msg, file=sys.stderr, flush=True)


def run(cmd, cwd=None, env=None, quiet=True, logfile=None):
    out = open(logfile, "w") if logfile else (subprocess.DEVNULL if quiet else None)
    try:
        r = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT if logfile else None)
    finally:
        if logfile:
            out.close()
    if r.returncode != 0:
        if logfile:
            with open(logfile) as f:
                sys.stderr.write(f.read()[-6000:])
        sys.exit("mbedtls36: failed (%d): %s" % (r.returncode, " ".join(cmd)))


def machine_sources(etc="/etc/apt"):
    """(uris, suites, components, signed_by) of every `deb` source of this machine."""
    entries = []
    for path in sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources"))):
        with open(path) as f:
            text = f.read()
        for stanza in re.split(r"\n\s*\n", text):
            fields = {}
            key = None
            for line in stanza.splitlines():
                if line.startswith("#") or not line.strip():
                    continue
                if line[0] in " \t" and key:
                    fields[key] += " " + line.strip()
                    continue
                if ":" in line:
                    key, value = line.split(":", 1)
                    key = key.strip().lower()
                    fields[key] = value.strip()
            if "deb" not in fields.get("types", "").split():
                continue
            if fields.get("enabled", "yes").lower() == "no":
                continue
            entries.append((fields.get("uris", "").split(), fields.get("suites", "").split(),
                            fields.get("components", "").split(), fields.get("signed-by", "")))
    lists = [os.path.join(etc, "sources.list")] + \
        sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list")))
    for path in lists:
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if not line.startswith("deb "):
                    continue
                words = line.split()[1:]
                signed = ""
                if words and words[0].startswith("["):
                    opts = []
                    while words:
                        w = words.pop(0)
                        opts.append(w)
                        if w.endswith("]"):
                            break
                    m = re.search(r"signed-by=([^\s\]]+)", " ".join(opts))
                    signed = m.group(1) if m else ""
                if len(words) >= 3:
                    entries.append(([words[0]], [words[1]], words[2:], signed))
    return entries


def os_codename(os_release="/etc/os-release"):
    """The codename of a Debian system ("" on any other: Ubuntu's codenames
    are not Debian's suites)."""
    try:
        with open(os_release) as f:
            text = f.read()
    except OSError:
        return ""
    if not re.search(r"^ID=\"?debian\"?$", text, re.M):
        return ""
    m = re.search(r"^VERSION_CODENAME=\"?(\w+)", text, re.M)
    return m.group(1) if m else ""


def debian_entries(entries, codename):
    """The entries of Debian's own archive (a suite of the form
    codename[-updates|-security] with the component main), moved to SUITE."""
    out = []
    for uris, suites, comps, signed in entries:
        new = []
        for s in suites:
            base, _, pocket = s.partition("-")
            if base in (codename, "stable", "oldstable", "bookworm", "bullseye", "trixie") and \
                    pocket in ("", "updates", "security"):
                new.append(SUITE + ("-" + pocket if pocket else ""))
        if new and "main" in comps:
            out.append((uris, sorted(set(new)), ["main"], signed))
    return out


def deb_src_text(entries):
    """The deb822 text of deb-src entries."""
    text = ""
    for uris, suites, comps, signed in entries:
        text += "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n" % (
            " ".join(uris), " ".join(suites), " ".join(comps))
        if signed:
            text += "Signed-By: %s\n" % signed
        text += "\n"
    return text


def apt_opts(aptdir):
    opts = ["-o", "Dir::Etc::sourcelist=/dev/null",
            "-o", "Dir::Etc::sourceparts=" + os.path.join(aptdir, "sl.d"),
            "-o", "Dir::State::Lists=" + os.path.join(aptdir, "lists"),
            "-o", "Dir::Cache=" + os.path.join(aptdir, "cache")]
    if os.getuid() == 0:
        # root's apt downloads as _apt, which cannot write the private
        # directories; an ordinary user's apt downloads as that user
        opts += ["-o", "APT::Sandbox::User=root"]
    return opts


def fetch(deps):
    """Unpacked, patched source tree of trixie's mbedtls; cached."""
    srcroot = os.path.join(deps, "src")
    trees = sorted(glob.glob(os.path.join(srcroot, "mbedtls-%s.*" % WANT_MAJOR_MINOR)))
    trees = [t for t in trees if os.path.isfile(os.path.join(t, ".unpacked"))]
    if trees:
        return trees[-1]
    entries = debian_entries(machine_sources(), os_codename())
    if not entries:
        sys.exit("mbedtls36: no Debian archive among this machine's apt sources "
                 "(/etc/apt/sources.list.d/*.sources, /etc/apt/sources.list)")
    aptdir = os.path.join(deps, "apt")
    shutil.rmtree(aptdir, ignore_errors=True)
    for d in ("sl.d", "lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(aptdir, d))
    with open(os.path.join(aptdir, "sl.d", "trixie-src.sources"), "w") as f:
        f.write(deb_src_text(entries))
    opts = apt_opts(aptdir)
    log("apt-get update (deb-src %s, derived from this machine's apt sources)" % SUITE)
    run(["apt-get", "-q"] + opts + ["update"], logfile=os.path.join(aptdir, "update.log"))
    dl = os.path.join(aptdir, "download")
    os.makedirs(dl)
    log("apt-get source mbedtls (%s)" % SUITE)
    run(["apt-get", "-q"] + opts + ["source", "--download-only", "mbedtls"], cwd=dl,
        logfile=os.path.join(aptdir, "source.log"))
    dscs = glob.glob(os.path.join(dl, "mbedtls_*.dsc"))
    if len(dscs) != 1:
        sys.exit("mbedtls36: expected one mbedtls .dsc, got %r" % dscs)
    version = os.path.basename(dscs[0])[len("mbedtls_"):-len(".dsc")]
    upstream = version.split("-")[0].split(":")[-1]
    if not upstream.startswith(WANT_MAJOR_MINOR + "."):
        sys.exit("mbedtls36: %s offers mbedtls %s, not %s.x" % (SUITE, version, WANT_MAJOR_MINOR))
    os.makedirs(srcroot, exist_ok=True)
    tree = os.path.join(srcroot, "mbedtls-" + upstream)
    shutil.rmtree(tree, ignore_errors=True)
    log("dpkg-source -x %s (applies Debian's patches)" % os.path.basename(dscs[0]))
    run(["dpkg-source", "--no-check", "-x", dscs[0], tree], logfile=os.path.join(aptdir, "unpack.log"))
    with open(os.path.join(tree, ".debian-version"), "w") as f:
        f.write(version + "\n")
    open(os.path.join(tree, ".unpacked"), "w").close()
    return tree


# The configuration Debian's debian/rules applies to upstream's default
# mbedtls_config.h (override_dh_auto_configure), the same for both targets:
#  - MBEDTLS_THREADING_C + MBEDTLS_THREADING_PTHREAD: the batch issuer and the
#    Python binding call the library from several threads, and PSA crypto
#    (TLS 1.3) keeps global state guarded by mbedTLS's own locking; on Windows
#    the pthread API is mingw-w64's winpthreads, linked statically.
#  - MBEDTLS_DEPRECATED_WARNING: deprecated calls fail our -Werror build, as
#    with Debian's 2.28.
#  - MBEDTLS_CMAC_C, MBEDTLS_SSL_DTLS_SRTP: unused here, kept so the library
#    is the one Debian ships.
CONFIG_SET = ["MBEDTLS_DEPRECATED_WARNING", "MBEDTLS_THREADING_C", "MBEDTLS_THREADING_PTHREAD",
              "MBEDTLS_CMAC_C", "MBEDTLS_SSL_DTLS_SRTP"]


def configure_tree(tree, build):
    """A copy of the source with our configuration (the source tree stays pristine)."""
    if os.path.isdir(build):
        shutil.rmtree(build)
    shutil.copytree(tree, build, symlinks=True)
    for sym in CONFIG_SET:
        run([sys.executable, "scripts/config.py", "set", sym], cwd=build)


def build(deps, target):
    prefix = os.path.join(deps, "mbedtls36-" + target)
    stamp = os.path.join(prefix, ".built")
    if os.path.isfile(stamp):
        return prefix
    tree = fetch(deps)
    work = os.path.join(deps, "work-" + target)
    configure_tree(tree, work)
    shutil.rmtree(prefix, ignore_errors=True)
    jobs = os.environ.get("MGW_DEPS_JOBS", "2")
    cmake = ["cmake", "-S", work, "-B", os.path.join(work, "_build"),
             "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_INSTALL_PREFIX=" + prefix,
             "-DCMAKE_INSTALL_LIBDIR=lib",
             "-DENABLE_TESTING=OFF", "-DENABLE_PROGRAMS=OFF", "-DMBEDTLS_FATAL_WARNINGS=OFF",
             "-DGEN_FILES=OFF"]
    if target == "native":
        # both, as Debian ships them (the static consumer test links -static)
        cmake += ["-DUSE_SHARED_MBEDTLS_LIBRARY=ON", "-DUSE_STATIC_MBEDTLS_LIBRARY=ON",
                  "-DCMAKE_INSTALL_RPATH=" + os.path.join(prefix, "lib")]
    else:
        cmake += ["-DUSE_SHARED_MBEDTLS_LIBRARY=OFF", "-DUSE_STATIC_MBEDTLS_LIBRARY=ON",
                  "-DCMAKE_SYSTEM_NAME=Windows", "-DCMAKE_SYSTEM_PROCESSOR=x86_64",
                  "-DCMAKE_C_COMPILER=x86_64-w64-mingw32-gcc",
                  "-DCMAKE_RC_COMPILER=x86_64-w64-mingw32-windres",
                  "-DCMAKE_FIND_ROOT_PATH=/usr/x86_64-w64-mingw32",
                  "-DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER",
                  "-DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY",
                  "-DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY"]
    log("building mbedTLS %s for %s into %s" % (os.path.basename(tree), target, prefix))
    run(cmake, logfile=os.path.join(work, "cmake.log"))
    run(["cmake", "--build", os.path.join(work, "_build"), "-j", jobs],
        logfile=os.path.join(work, "build.log"))
    run(["cmake", "--install", os.path.join(work, "_build")], logfile=os.path.join(work, "install.log"))
    if target == "mingw":
        fix_mingw_pc(prefix)
    shutil.rmtree(work, ignore_errors=True)
    with open(os.path.join(tree, ".debian-version")) as f:
        version = f.read().strip()
    with open(stamp, "w") as f:
        f.write(version + "\n")
    return prefix


def fix_mingw_pc(prefix):
    """The static libraries need bcrypt (entropy) and ws2_32 (net_sockets) and
    winpthreads (threading); upstream's .pc files do not say so."""
    pc = os.path.join(prefix, "lib", "pkgconfig", "mbedcrypto.pc")
    with open(pc) as f:
        text = f.read()
    text = re.sub(r"^Libs:(.*)$", lambda m: "Libs:%s -lbcrypt -lpthread" % m.group(1), text,
                  count=1, flags=re.M)
    with open(pc, "w") as f:
        f.write(text)
    pc = os.path.join(prefix, "lib", "pkgconfig", "mbedtls.pc")
    with open(pc) as f:
        text = f.read()
    text = re.sub(r"^Libs:(.*)$", lambda m: "Libs:%s -lws2_32" % m.group(1), text,
                  count=1, flags=re.M)
    with open(pc, "w") as f:
        f.write(text)


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("native", "mingw", "fetch"):
        sys.exit("usage: mbedtls36.py DEPS_DIR native|mingw|fetch")
    deps = os.path.abspath(sys.argv[1])
    os.makedirs(deps, exist_ok=True)
    if sys.argv[2] == "fetch":
        print(fetch(deps))
    else:
        print(build(deps, sys.argv[2]))


if __name__ == "__main__":
    main()
