"""The README's Python section, as written: its install commands (a venv
with Debian's setuptools and wheel, pip without build isolation) and its
example, taken from README.md and run from a copy of the repository's
bindings/ and examples/, once as it is and once with GATEWAY_URL set."""
import os
import re
import shutil
import socket
import subprocess
import sys
import unittest

import support

LIBRARY = os.path.realpath(os.environ["MGWAUTH_LIBRARY"])


def python_section():
    with open(os.path.join(support.ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n## Python\n")
    return text[start:text.index("\n## ", start + 1)]


def block(lang):
    found = re.findall(rf"^```{lang}\n(.*?)^```$", python_section(), re.S | re.M)
    assert len(found) == 1, f"the Python section should have one {lang} block, not {len(found)}"
    return found[0]


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p.stdout


class Readme(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = support.TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.home = os.path.join(cls.dir, "home")
        cls.repo = os.path.join(cls.dir, "repo")  # pip builds in the source tree: a copy
        os.makedirs(cls.home)
        for d in ("bindings", "examples"):
            shutil.copytree(os.path.join(support.ROOT, d), os.path.join(cls.repo, d),
                            ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        with open(os.path.join(cls.repo, "example.py"), "w", encoding="utf-8") as f:
            f.write(block("python"))
        cls.env = {k: v for k, v in os.environ.items()
                   if k not in ("PYTHONPATH", "MGWAUTH_LIBRARY", "VIRTUAL_ENV")}
        cls.env.update(HOME=cls.home, MGWAUTH_LIBRARY=LIBRARY, PIP_NO_INDEX="1")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def shell_lines(self):
        """The README's commands after the apt-get line (the packages are there)."""
        lines = [l for l in block("sh").splitlines() if l.strip()]
        self.assertTrue(lines[0].startswith("sudo apt-get install python3-venv"), lines)
        return [l.split("  #")[0].strip() for l in lines[1:]]

    def test_1_the_install_commands_work_as_written(self):
        for line in self.shell_lines():
            if line.startswith("export "):
                continue  # the library comes from this build (MGWAUTH_LIBRARY above)
            if "example.py" in line:
                out = run(["bash", "-c", line], cwd=self.repo, env=self.env)
                self.assertIn("plan: keep 1, protected 0, remove 1", out)
                continue
            run(["bash", "-c", line], cwd=self.repo, env=self.env)
        venv_python = os.path.join(self.home, "mgwauth-venv", "bin", "python")
        where = run([venv_python, "-c", "import mgwauth; print(mgwauth.__file__)"],
                    cwd=self.home, env=self.env)
        self.assertTrue(where.startswith(os.path.join(self.home, "mgwauth-venv")), where)

    def test_2_the_example_runs_as_written(self):
        out = run([sys.executable, "example.py"], cwd=self.repo,
                  env=dict(self.env, PYTHONPATH=os.path.join(self.repo, "bindings", "python")))
        self.assertIn("plan: keep 1, protected 0, remove 1", out)
        self.assertIn("RootsEventType.REMOVED", out)
        self.assertIn("RootsEventType.ADDED", out)
        self.assertIn("4 values to change", out)
        self.assertEqual(sorted(os.listdir(self.repo)), ["bindings", "example.py", "examples"])

    def test_3_the_example_checks_a_gateway_when_told_to(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # nothing listens there: connection refused
        ca = "/etc/ssl/certs/ca-certificates.crt"  # package ca-certificates
        out = run([sys.executable, "example.py"], cwd=self.repo,
                  env=dict(self.env, PYTHONPATH=os.path.join(self.repo, "bindings", "python"),
                           GATEWAY_URL=f"https://127.0.0.1:{port}/", GATEWAY_CA=ca))
        self.assertRegex(out, r"\nFalse .*refused", out[-500:])


if __name__ == "__main__":
    unittest.main()
