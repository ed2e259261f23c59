#!/usr/bin/env python3
"""Interop: the scheduled re-prune task. The XML made by `mgwauth task xml` is
decoded from UTF-16, parsed with Python's XML parser, checked setting by
setting, and validated against the structure of the Task Scheduler schema as
Microsoft publishes it (learn.microsoft.com/windows/win32/taskschd/
task-scheduler-schema): which children each element may have, their order
where the schema says xs:sequence, required ones, and value ranges."""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from workdir import WorkDir  # noqa: E402

MGW = os.environ.get("MGWAUTH", "mgwauth")
NS = "{http://schemas.microsoft.com/windows/2004/02/mit/task}"

BOOL = ("true", "false")
DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def seconds(text):
    m = DURATION.match(text)
    assert m and text not in ("P", "PT") and not text.endswith("T"), f"not a duration: {text}"
    d, h, mi, s = (int(g or 0) for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


def duration_between(lo, hi):
    return lambda v: lo <= seconds(v) <= hi


def date_time(v):
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?", v) is not None


def int_between(lo, hi):
    return lambda v: v.isdigit() and lo <= int(v) <= hi


# Complex types: ("all", {child: required}) for xs:all, ("seq", [(names, required)]) for
# xs:sequence, ("choice", names, max) for repeated choices.
COMPLEX = {
    "Task": ("all", {"RegistrationInfo": False, "Triggers": False, "Settings": False,
                     "Data": False, "Principals": False, "Actions": True}),
    "RegistrationInfo": ("all", dict.fromkeys(
        ["URI", "SecurityDescriptor", "Source", "Date", "Author", "Version", "Description",
         "Documentation"], False)),
    "Triggers": ("choice", ["BootTrigger", "RegistrationTrigger", "IdleTrigger", "TimeTrigger",
                            "EventTrigger", "LogonTrigger", "SessionStateChangeTrigger",
                            "CalendarTrigger"], 48),
    # triggerBaseType's sequence, extended by calendarTriggerType's sequence
    "CalendarTrigger": ("seq", [(["Enabled"], False), (["StartBoundary"], False),
                                (["EndBoundary"], False), (["Repetition"], False),
                                (["ExecutionTimeLimit"], False), (["RandomDelay"], False),
                                (["ScheduleByDay", "ScheduleByWeek", "ScheduleByMonth",
                                  "ScheduleByMonthDayOfWeek"], True)]),
    "Repetition": ("all", {"Interval": True, "Duration": False, "StopAtDurationEnd": False}),
    "ScheduleByDay": ("all", {"DaysInterval": False}),
    "Settings": ("all", dict.fromkeys(
        ["AllowStartOnDemand", "RestartOnFailure", "MultipleInstancesPolicy",
         "DisallowStartIfOnBatteries", "StopIfGoingOnBatteries", "AllowHardTerminate",
         "StartWhenAvailable", "NetworkProfileName", "RunOnlyIfNetworkAvailable", "WakeToRun",
         "Enabled", "Hidden", "DeleteExpiredTaskAfter", "IdleSettings", "NetworkSettings",
         "ExecutionTimeLimit", "Priority", "RunOnlyIfIdle", "UseUnifiedSchedulingEngine",
         "DisallowStartOnRemoteAppSession"], False)),
    "RestartOnFailure": ("all", {"Interval": True, "Count": True}),
    "Principals": ("seq", [(["Principal"], True)]),
    "Principal": ("all", dict.fromkeys(
        ["UserId", "LogonType", "GroupId", "DisplayName", "RunLevel", "ProcessTokenSidType",
         "RequiredPrivileges"], False)),
    "Actions": ("choice", ["Exec", "ComHandler", "SendEmail", "ShowMessage"], 32),
    "Exec": ("all", {"Command": True, "Arguments": False, "WorkingDirectory": False}),
}

# Simple values, by "Parent/Child" where the parent matters, else by name.
SIMPLE = {
    "Repetition/Interval": duration_between(60, 31 * 86400),
    "Repetition/Duration": duration_between(60, 10 ** 12),
    "RestartOnFailure/Interval": duration_between(60, 31 * 86400),
    "RestartOnFailure/Count": int_between(1, 255),
    "ExecutionTimeLimit": duration_between(0, 10 ** 12),
    "StartBoundary": date_time,
    "DaysInterval": int_between(1, 365),
    "RunLevel": lambda v: v in ("LeastPrivilege", "HighestAvailable"),
    "LogonType": lambda v: v in ("S4U", "Password", "InteractiveToken",
                                 "InteractiveTokenOrPassword"),
    "MultipleInstancesPolicy": lambda v: v in ("Parallel", "Queue", "IgnoreNew", "StopExisting"),
    "Priority": int_between(0, 10),
    "Command": lambda v: 1 <= len(v) <= 260,
    "WorkingDirectory": lambda v: 1 <= len(v) <= 260,
    "UserId": lambda v: len(v) >= 1,
}
for name in ("Author", "Description", "Arguments"):  # xs:string
    SIMPLE[name] = lambda v: True
for name in ("AllowStartOnDemand", "DisallowStartIfOnBatteries", "StopIfGoingOnBatteries",
             "AllowHardTerminate", "StartWhenAvailable", "RunOnlyIfNetworkAvailable",
             "WakeToRun", "Enabled", "Hidden", "RunOnlyIfIdle", "StopAtDurationEnd"):
    SIMPLE[name] = lambda v: v in BOOL


def local(el):
    assert el.tag.startswith(NS), f"{el.tag} is outside the task namespace"
    return el.tag[len(NS):]


def validate(el, parent=""):
    name = local(el)
    kids = [local(k) for k in el]
    rule = COMPLEX.get(name)
    if rule is None:
        assert not kids, f"{name} should be simple, has {kids}"
        check = SIMPLE.get(f"{parent}/{name}", SIMPLE.get(name))
        assert check is not None, f"no rule for {parent}/{name}"
        assert check((el.text or "").strip()), f"{parent}/{name} = {el.text!r} is out of range"
        return
    if rule[0] == "all":
        allowed = rule[1]
        assert len(kids) == len(set(kids)), f"{name}: repeated children {kids}"
        assert set(kids) <= set(allowed), f"{name}: unknown children {set(kids) - set(allowed)}"
        missing = {k for k, req in allowed.items() if req} - set(kids)
        assert not missing, f"{name}: missing {missing}"
    elif rule[0] == "seq":
        pos = 0
        for names, required in rule[1]:
            if pos < len(kids) and kids[pos] in names:
                pos += 1
            else:
                assert not required, f"{name}: {names} missing or out of order in {kids}"
        assert pos == len(kids), f"{name}: {kids[pos:]} out of order or unknown"
    else:
        _, names, most = rule
        assert 1 <= len(kids) <= most and set(kids) <= set(names), f"{name}: {kids}"
    for k in el:
        validate(k, name)


def run(cmd, check=True):
    p = subprocess.run(cmd, capture_output=True)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}): {p.stderr.decode().strip()}")
    return p


class Work(WorkDir):
    def __init__(self):
        super().__init__("mgw-task-")

    def xml(self, *args, name="task.xml"):
        out = self.path(name)
        run([MGW, "task", "xml", *args, "--out", out, "--force"])
        with open(out, "rb") as f:
            raw = f.read()
        assert raw[:2] == b"\xff\xfe", "no UTF-16LE BOM"
        text = raw[2:].decode("utf-16-le")
        assert text.startswith('<?xml version="1.0" encoding="UTF-16"?>\r\n'), text[:60]
        return raw, ET.fromstring(text)


PRUNE = ["--store", r"C:\ProgramData\mgwauth\Root", "--keep-file", r"C:\mgwauth\keep.txt",
         "--backup-dir", r"C:\mgwauth\backups"]


def find(root, path):
    el = root.find(NS + path.replace("/", "/" + NS))
    assert el is not None, f"{path} missing"
    return el


def text_of(root, path):
    return find(root, path).text


def windows_argv(line):
    """Arguments as CommandLineToArgvW (and the MSVC runtime) split them."""
    args, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return args
        arg, quoted = [], False
        while i < n and (quoted or line[i] not in " \t"):
            if line[i] == "\\":
                j = i
                while j < n and line[j] == "\\":
                    j += 1
                if j < n and line[j] == '"':
                    arg.append("\\" * ((j - i) // 2))
                    if (j - i) % 2:
                        arg.append('"')
                        j += 1
                else:
                    arg.append("\\" * (j - i))
                i = j
            elif line[i] == '"':
                quoted = not quoted
                i += 1
            else:
                arg.append(line[i])
                i += 1
        args.append("".join(arg))


def test_task_xml_is_utf16le_and_follows_the_schema():
    with Work() as w:
        raw, root = w.xml(*PRUNE)
        assert local(root) == "Task" and root.get("version") == "1.2"
        assert b"\r\x00\n\x00" in raw, "lines end in CRLF"
        validate(root)
        principal = find(root, "Principals/Principal")
        assert find(root, "Actions").get("Context") == principal.get("id")


def test_task_xml_has_every_setting():
    with Work() as w:
        _, root = w.xml(*PRUNE, "--start", "2025-06-01T00:00:00")
        assert text_of(root, "Principals/Principal/UserId") == "S-1-5-18"
        assert text_of(root, "Principals/Principal/RunLevel") == "HighestAvailable"
        trig = find(root, "Triggers/CalendarTrigger")
        assert [local(k) for k in trig] == ["StartBoundary", "Repetition", "ScheduleByDay"]
        assert text_of(trig, "StartBoundary") == "2025-06-01T00:00:00"
        assert text_of(trig, "ScheduleByDay/DaysInterval") == "1"
        rep = find(trig, "Repetition")
        assert [local(k) for k in rep] == ["Interval"], "no Duration: repeat indefinitely"
        assert text_of(rep, "Interval") == "PT15M"
        settings = {local(k): k for k in find(root, "Settings")}
        for name, want in (("StartWhenAvailable", "true"), ("AllowStartOnDemand", "true"),
                           ("ExecutionTimeLimit", "PT10M"), ("Enabled", "true"),
                           ("MultipleInstancesPolicy", "IgnoreNew"),
                           ("DisallowStartIfOnBatteries", "false"),
                           ("StopIfGoingOnBatteries", "false")):
            assert settings[name].text == want, (name, settings[name].text)
        assert text_of(settings["RestartOnFailure"], "Interval") == "PT1M"
        assert text_of(settings["RestartOnFailure"], "Count") == "3"
        # where a Windows installation puts the tool: SYSTEM need not find it on its PATH
        assert text_of(root, "Actions/Exec/Command") == r"C:\Program Files\mgwauth\mgwauth.exe"
        assert windows_argv(text_of(root, "Actions/Exec/Arguments")) == [
            "roots", "prune", "--store", PRUNE[1], "--keep-file", PRUNE[3], "--backup-dir",
            PRUNE[5], "--yes"]


def test_values_are_escaped_and_quoted_for_windows():
    with Work() as w:
        store, keep, backups = r"C:\Root & <Co>", r'C:\My Keep\"x".txt', "D:\\back ups\\"
        _, root = w.xml("--store", store, "--keep-file", keep, "--backup-dir", backups,
                        "--exe", r"C:\Program Files\mgwauth\mgwauth.exe")
        validate(root)
        assert text_of(root, "Actions/Exec/Command") == r"C:\Program Files\mgwauth\mgwauth.exe"
        args = windows_argv(text_of(root, "Actions/Exec/Arguments"))
        assert args[2:8] == ["--store", store, "--keep-file", keep, "--backup-dir", backups], args
        raw, root = w.xml("--command", r'"C:\Tools\my prune.cmd" --mode "a&b" <x>')
        validate(root)
        assert text_of(root, "Actions/Exec/Command") == r"C:\Tools\my prune.cmd"
        assert text_of(root, "Actions/Exec/Arguments") == '--mode "a&b" <x>'
        assert "&amp;" in raw[2:].decode("utf-16-le") and "&lt;x&gt;" in raw[2:].decode("utf-16-le")
        _, root = w.xml("--command", r"C:\Tools\prune.exe")
        assert find(root, "Actions/Exec").find(NS + "Arguments") is None


def test_intervals_are_iso_8601_between_one_minute_and_31_days():
    with Work() as w:
        for given, iso in (("15m", "PT15M"), ("1h", "PT1H"), ("90m", "PT1H30M"),
                           ("1h30m", "PT1H30M"), ("2d", "P2D"), ("120s", "PT2M"),
                           ("PT45M", "PT45M"), ("P1DT6H", "P1DT6H"), ("31d", "P31D"),
                           ("1m", "PT1M")):
            _, root = w.xml(*PRUNE, "--interval", given, "--time-limit", given)
            validate(root)
            assert text_of(root, "Triggers/CalendarTrigger/Repetition/Interval") == iso, given
            assert text_of(root, "Settings/ExecutionTimeLimit") == iso, given
        for bad in ("30s", "90s", "32d", "0m", "15", "m", "abc", "1x", "PT", "P1M", "-5m"):
            p = run([MGW, "task", "xml", *PRUNE, "--interval", bad, "--out", w.path("bad.xml")],
                    check=False)
            assert p.returncode == 2, (bad, p.returncode)
            assert len(p.stderr.decode().strip().splitlines()) == 1
            assert not os.path.exists(w.path("bad.xml"))


def test_task_xml_refuses_bad_use_and_keeps_existing_files():
    with Work() as w:
        out = w.path("t.xml")
        with open(out, "w") as f:
            f.write("mine")
        p = run([MGW, "task", "xml", *PRUNE, "--out", out], check=False)
        assert p.returncode == 1 and b"--force" in p.stderr
        assert open(out).read() == "mine"
        for args in ([*PRUNE], ["--store", "S", "--out", out],
                     [*PRUNE, "--command", "x.exe", "--out", out],
                     ["--command", "x.exe", "--start", "2025-02-30T00:00:00", "--out", out],
                     ["bogus"], []):
            p = run([MGW, "task", "xml", *args], check=False)
            assert p.returncode == 2, (args, p.returncode)
        p = run([MGW, "task", "xml", "--command", "x.exe", "--out", w.path("cc.xml"),
                 "--exe", "y"], check=False)
        assert p.returncode == 2
        p = run([MGW, "task", "xml", "--store", "S\x01", "--keep-file", "k", "--backup-dir", "d",
                 "--out", w.path("ctl.xml")], check=False)
        assert p.returncode == 1 and b"control character" in p.stderr
        # what bash makes of an unquoted C:\mgw\keep.txt, and other relative paths
        for i, (opt, bad) in enumerate((("--keep-file", "C:mgwkeep.txt"),
                                        ("--backup-dir", "backups"), ("--exe", "mgwauth.exe"),
                                        ("--store", r"ProgramData\Root"))):
            args = list(PRUNE)
            if opt == "--exe":
                args += [opt, bad]
            else:
                args[args.index(opt) + 1] = bad
            p = run([MGW, "task", "xml", *args, "--out", w.path(f"rel{i}.xml")], check=False)
            assert p.returncode == 1, (opt, p)
            assert f"'{bad}' is not an absolute Windows path".encode() in p.stderr, p.stderr
            assert not os.path.exists(w.path(f"rel{i}.xml"))
        assert open(out).read() == "mine" and not os.path.exists(w.path("ctl.xml"))


if __name__ == "__main__":
    tap.main(globals())
