"""A fresh, headless Wine prefix for the tests that use Wine as the peer
(regedit, reg, crypt32): one temporary WINEPREFIX per run, WINEDEBUG=-all, no
display, wineboot once; removed with the wineserver at exit."""
import atexit
import os
import shutil
import subprocess
import tempfile

HEADER = b"\xff\xfe" + "Windows Registry Editor Version 5.00\r\n".encode("utf-16-le")
CRLF = "\r\n".encode("utf-16-le")


def run(cmd, check=True, **kw):
    """Output goes through files, not pipes: wineserver outlives the command and
    would hold a pipe open until it exits. stdout and stderr are bytes."""
    kw.setdefault("timeout", 240)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.run(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, **kw)
        out.seek(0)
        err.seek(0)
        p.stdout, p.stderr = out.read(), err.read()
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return p


def join_exports(parts):
    """Several regedit exports as one .reg file, as regedit would write them together."""
    body = b"".join(p[len(HEADER):-len(CRLF)] for p in parts)
    return HEADER + body + CRLF


class WinePrefix:
    """One fresh prefix for the whole run: wineboot takes most of the time."""

    def __init__(self, prefix="mgw-wine-"):
        for tool in ("wine", "wineboot", "wineserver"):
            if shutil.which(tool) is None:
                raise AssertionError(f"{tool} is not installed (Debian: apt-get install wine "
                                     "wine64)")
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.env = dict(os.environ, WINEPREFIX=os.path.join(self.tmp, "prefix"),
                        WINEDEBUG="-all", DISPLAY="", WINEDLLOVERRIDES="mscoree,mshtml=")
        atexit.register(self.close)
        run(["wineboot", "-i"], env=self.env)

    def close(self):
        subprocess.run(["wineserver", "-k"], env=self.env, capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def drive_c(self, name):
        return os.path.join(self.env["WINEPREFIX"], "drive_c", name)

    def wine(self, *args, check=True, **kw):
        return run(["wine", *args], check=check, env=self.env, **kw)

    def query(self, key, name):
        """(type, data) of a value as `reg query` prints them, or None when absent."""
        p = self.wine("reg", "query", key, "/v", name, check=False)
        for line in p.stdout.decode(errors="replace").splitlines():
            parts = line.split(None, 2)
            if len(parts) >= 2 and parts[0] == name:
                return parts[1], parts[2].strip() if len(parts) > 2 else ""
        return None

    def export(self, key):
        """regedit /e of one key, the bytes regedit wrote. Wine's regedit now
        and then exits 1 without a word and without a file (seen once in
        dozens of runs): it is asked again, at most twice."""
        out = self.drive_c("export.reg")
        for attempt in range(3):
            if os.path.exists(out):
                os.remove(out)
            p = self.wine("regedit", "/e", "C:\\export.reg", key, check=attempt == 2)
            if p.returncode == 0 and os.path.exists(out):
                break
        with open(out, "rb") as f:
            return f.read()


class WorkPrefix(WinePrefix):
    """A prefix with a work directory in which mgwauth.exe (`exe`) runs; `exe`
    and the other programs a test needs must have been built."""

    def __init__(self, prefix, exe, *required):
        for path in (exe, *required):
            if not os.path.exists(path):
                raise AssertionError(f"{path} is missing: build it first (./run windows)")
        super().__init__(prefix)
        self.exe = exe
        self.work = os.path.join(self.tmp, "work")
        os.mkdir(self.work)

    def mgw(self, *args, check=True):
        """mgwauth.exe in the work directory; stdout as UTF-8 (strict: the tool
        writes UTF-8) and stderr as text, CRLF turned into LF."""
        p = self.wine(self.exe, *args, check=check, cwd=self.work)
        p.stdout = p.stdout.decode("utf-8").replace("\r\n", "\n")
        p.stderr = p.stderr.decode("utf-8", errors="replace").replace("\r\n", "\n")
        return p

    def path(self, *parts):
        return os.path.join(self.work, *parts)
