"""Installing and loading the package: pip installs it offline with the
system's setuptools; the library is found through MGWAUTH_LIBRARY, next to
the package, or the system's search; a library of another major version is
refused at import."""
import os
import shutil
import subprocess
import sys
import unittest

import support

PACKAGE = os.path.join(support.ROOT, "bindings", "python")
LIBRARY = os.path.realpath(os.environ["MGWAUTH_LIBRARY"])
PROBE = "import mgwauth; print(mgwauth.__file__); print(mgwauth.LIBRARY_PATH); print(mgwauth.version())"


def run(cmd, env=None, cwd=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    if p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p.stdout


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MGWAUTH_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH")}
    env.update(extra)
    return env


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = support.TempDir()
        cls.dir = cls.tmp.__enter__()
        source = os.path.join(cls.dir, "src")  # a copy: pip builds in place
        shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                                        "__pycache__"))
        cls.site = os.path.join(cls.dir, "site")
        run([sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation",
             "--no-index", "--no-deps", "--target", cls.site, source])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def probe(self, env):
        return run([sys.executable, "-c", PROBE], env=env, cwd=self.dir).splitlines()

    def test_pip_installs_the_package_and_its_type_marker(self):
        installed = os.path.join(self.site, "mgwauth")
        modules = sorted(n for n in os.listdir(os.path.join(PACKAGE, "mgwauth"))
                         if n.endswith(".py"))
        self.assertIn("roots.py", modules)
        for name in modules + ["py.typed"]:
            self.assertTrue(os.path.exists(os.path.join(installed, name)), name)
        probe = "import mgwauth.registry, mgwauth.roots, mgwauth.check; print(mgwauth.__file__)"
        out = run([sys.executable, "-c", probe], cwd=self.dir,
                  env=clean_env(PYTHONPATH=self.site, MGWAUTH_LIBRARY=LIBRARY))
        self.assertTrue(out.startswith(self.site), out)
        self.assertTrue(any(n.startswith("mgwauth-1.0.0") for n in os.listdir(self.site)))

    def test_mgwauth_library_variable_wins(self):
        file, lib, version = self.probe(clean_env(PYTHONPATH=self.site, MGWAUTH_LIBRARY=LIBRARY))
        self.assertTrue(file.startswith(self.site))
        self.assertEqual(lib, LIBRARY)
        self.assertRegex(version, r"^1\.")

    def test_library_next_to_the_package(self):
        beside = os.path.join(self.site, "mgwauth", "libmgwauth.so.1")
        shutil.copy(LIBRARY, beside)
        try:
            _, lib, _ = self.probe(clean_env(PYTHONPATH=self.site))
        finally:
            os.remove(beside)
        self.assertEqual(lib, beside)

    def test_system_search(self):
        libdir = os.path.join(self.dir, "lib")
        os.makedirs(libdir, exist_ok=True)
        shutil.copy(LIBRARY, os.path.join(libdir, "libmgwauth.so.1"))
        os.symlink("libmgwauth.so.1", os.path.join(libdir, "libmgwauth.so"))
        _, lib, _ = self.probe(clean_env(PYTHONPATH=self.site, LD_LIBRARY_PATH=libdir))
        self.assertEqual(lib, "libmgwauth.so.1")

    def test_missing_library_is_an_import_error(self):
        p = subprocess.run([sys.executable, "-c", "import mgwauth"], capture_output=True,
                           text=True, cwd=self.dir,
                           env=clean_env(PYTHONPATH=self.site,
                                         MGWAUTH_LIBRARY=os.path.join(self.dir, "none.so")))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ImportError: cannot load libmgwauth", p.stderr)

    def test_other_major_version_is_refused(self):
        src = os.path.join(self.dir, "v2.c")
        with open(src, "w") as f:
            f.write('#include <stdint.h>\nuint32_t mgw_version_number(void) { return 0x020000; }\n'
                    'const char *mgw_version(void) { return "2.0.0"; }\n')
        fake = os.path.join(self.dir, "libmgwauth-v2.so")
        run(["cc", "-shared", "-fPIC", "-o", fake, src])
        p = subprocess.run([sys.executable, "-c", "import mgwauth"], capture_output=True,
                           text=True, cwd=self.dir,
                           env=clean_env(PYTHONPATH=self.site, MGWAUTH_LIBRARY=fake))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("is libmgwauth 2.0.0; this binding needs major version 1", p.stderr)


if __name__ == "__main__":
    unittest.main()
