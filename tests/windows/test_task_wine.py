#!/usr/bin/env python3
"""task install / show / remove of mgwauth.exe under Wine, from a fresh prefix
(TAP): the Task Scheduler COM API (ITaskService, RegisterTask) of Wine's
taskschd.dll and schedsvc. The judge is not mgwauth: the task file Wine's
scheduler service keeps under C:\\windows\\system32\\tasks, read here directly,
and `schtasks /query`. Wine 8 keeps the registration and the settings of a
task but writes back neither its triggers nor its action's command (its XML
writer leaves them out), so those are not compared."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import tap  # noqa: E402
from wineprefix import WorkPrefix  # noqa: E402

EXE = os.path.abspath(os.environ.get("MGWAUTH_EXE", "mgwauth.exe"))
NAME = "mgwauth roots prune"


class Wine(WorkPrefix):
    def __init__(self):
        super().__init__("mgw-task-", EXE)

    def tasks_dir(self):
        return os.path.join(self.env["WINEPREFIX"], "drive_c", "windows", "system32", "tasks")


_wine = None


def wine():
    global _wine
    if _wine is None:
        _wine = Wine()
    return _wine


def install(w, *args):
    """The scheduler service starts with the prefix's services; a first call
    may come before it runs (SCHED_E_SERVICE_NOT_RUNNING): asked again then."""
    for _ in range(30):
        p = w.mgw("task", "install", *args, check=False)
        if "0x80041315" not in p.stderr:
            return p
        time.sleep(1)
    return p


def test_install_registers_the_task_as_a_file_wine_reads_back():
    w = wine()
    w.mgw("task", "xml", "--command", "C:\\windows\\system32\\cmd.exe /c exit 0",
          "--interval", "30m", "--time-limit", "5m", "--out", "prune.xml")
    p = install(w, "--xml", "prune.xml", "--name", NAME)
    assert p.returncode == 0, p.stderr
    assert f'installed task "{NAME}"' in p.stdout, p.stdout
    stored = os.path.join(w.tasks_dir(), NAME)
    assert os.path.isfile(stored), os.listdir(w.tasks_dir())
    with open(stored, "rb") as f:
        text = f.read().decode("utf-8")
    # what the scheduler kept of our XML: the description and the settings
    assert "<Author>libmgwauth</Author>" in text, text
    assert "<ExecutionTimeLimit>PT5M</ExecutionTimeLimit>" in text, text
    assert "<StartWhenAvailable>true</StartWhenAvailable>" in text, text
    q = w.wine("schtasks", "/query", check=False)
    assert q.returncode == 0, q.stderr


def test_show_prints_what_the_scheduler_holds():
    w = wine()
    p = w.mgw("task", "show", "--name", NAME)
    assert "<ExecutionTimeLimit>PT5M</ExecutionTimeLimit>" in p.stdout, p.stdout
    assert "libmgwauth" in p.stdout


def test_install_again_needs_force_and_replaces():
    w = wine()
    p = install(w, "--xml", "prune.xml", "--name", NAME)
    assert p.returncode == 1 and "exists already" in p.stderr, (p.returncode, p.stderr)
    w.mgw("task", "xml", "--command", "C:\\windows\\system32\\cmd.exe /c exit 0",
          "--time-limit", "20m", "--out", "prune2.xml")
    p = install(w, "--xml", "prune2.xml", "--name", NAME, "--force")
    assert p.returncode == 0, p.stderr
    with open(os.path.join(w.tasks_dir(), NAME), "rb") as f:
        assert b"<ExecutionTimeLimit>PT20M</ExecutionTimeLimit>" in f.read()


def test_bad_names_and_files_are_refused_before_the_scheduler():
    w = wine()
    before = sorted(os.listdir(w.tasks_dir()))
    for bad in ("", "a\\b", "x:y", "dots.", "tab\there"):
        p = w.mgw("task", "install", "--xml", "prune.xml", "--name", bad, check=False)
        assert p.returncode != 0, bad
    p = w.mgw("task", "install", "--xml", "missing.xml", "--name", "other", check=False)
    assert p.returncode == 1 and "missing.xml" in p.stderr, p.stderr
    with open(os.path.join(w.work, "latin1.xml"), "wb") as f:
        f.write("<Task>\xe9</Task>".encode("latin-1"))
    p = w.mgw("task", "install", "--xml", "latin1.xml", "--name", "other", check=False)
    assert p.returncode == 1 and "task XML" in p.stderr, p.stderr
    assert sorted(os.listdir(w.tasks_dir())) == before


def test_remove_deletes_the_file_and_a_second_remove_says_not_found():
    w = wine()
    p = w.mgw("task", "remove", "--name", NAME)
    assert f'removed task "{NAME}"' in p.stdout
    assert not os.path.exists(os.path.join(w.tasks_dir(), NAME))
    p = w.mgw("task", "remove", "--name", NAME, check=False)
    assert p.returncode == 1 and "no such task" in p.stderr, p.stderr
    p = w.mgw("task", "show", "--name", NAME, check=False)
    assert p.returncode == 1 and "no such task" in p.stderr, p.stderr


if __name__ == "__main__":
    try:
        wine()
    except Exception as e:  # noqa: BLE001 - reported as a failure, not a crash
        print("1..1\nnot ok 1 - wine set-up\n# " + str(e).replace("\n", "\n# "), flush=True)
        sys.exit(1)
    tap.main(globals())
