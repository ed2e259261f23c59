#!/usr/bin/env python3
"""The tool's help (TAP): --help and `help` for every command and subcommand,
the manual page made from the same usage table (checked against what the
tool prints), the options each synopsis names (accepted by the parser), and
the bash completion driven by bash itself with COMP_WORDS."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from workdir import mgw  # noqa: E402

MAN = os.environ["MGW_MAN_PAGE"]
COMPLETION = os.environ["MGW_COMPLETION"]


def entries():
    """(command, subcommand or None) of every .SS heading of the man page."""
    out = []
    for line in read(MAN).splitlines():
        if line.startswith(".SS "):
            words = unroff(line[4:]).split()
            out.append((words[0], words[1] if len(words) > 1 else None))
    return out


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def unroff(text):
    return text.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")


def test_help_of_a_subcommand_three_ways():
    a = mgw("cert", "create", "--help")
    b = mgw("help", "cert", "create")
    c = mgw("cert", "create", "--subject", "CN=x", "-h")
    assert a.stdout == b.stdout == c.stdout and a.stderr == "", (a, b, c)
    assert a.stdout.startswith("usage: mgwauth cert create --subject DN"), a.stdout
    assert "--password-file F" in a.stdout and "cert sign" not in a.stdout, a.stdout


def test_help_of_a_command_lists_every_subcommand():
    for args in (["cert", "--help"], ["help", "cert"]):
        out = mgw(*args).stdout
        for sub in ("create", "sign", "issue", "show"):
            assert f"  cert {sub} " in out, (args, sub, out)
        assert out.startswith("usage: mgwauth cert SUBCOMMAND ...\n") and "  pfx " not in out, out


def test_a_command_alone_lists_its_subcommands_and_exits_2():
    p = mgw("cert", check=False)
    assert p.returncode == 2 and p.stdout == "", p
    assert "cert needs a subcommand: create, sign, issue or show" in p.stderr, p.stderr
    assert len(p.stderr.splitlines()) == 1, p.stderr  # a usage error is one line


def test_every_entry_has_help_and_it_is_in_the_man_page():
    man = unroff(read(MAN))
    assert len(entries()) >= 20, entries()
    for cmd, sub in entries():
        args = [cmd] + ([sub] if sub else [])
        text = mgw("help", *args).stdout
        again = mgw(*args, "--help").stdout
        assert text == again, (args, text, again)
        lines = text.splitlines()
        assert lines[0].startswith("usage: mgwauth " + " ".join(args)), lines
        # the man page holds each line of the usage (indentation aside)
        for line in lines:
            body = line.removeprefix("usage: mgwauth ").strip()
            assert body in man, (args, body)


def test_the_man_page_is_what_the_tool_prints_and_renders_cleanly():
    assert read(MAN) == mgw("help", "--man").stdout
    assert read(MAN).startswith(".\\\"") and "\n.TH MGWAUTH 1 " in read(MAN)
    groff = shutil.which("groff")
    if groff:  # groff warns about every request or escape it does not know
        p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", MAN], capture_output=True,
                           text=True)
        assert p.returncode == 0 and p.stderr == "", p.stderr


def test_every_option_of_a_synopsis_is_one_the_command_takes():
    for cmd, sub in entries():
        if cmd in ("help", "version"):
            continue
        args = [cmd] + ([sub] if sub else [])
        synopsis = mgw("help", *args).stdout.split("\n  ")[0]
        for opt in sorted(set(re.findall(r"--[a-z0-9][a-z0-9-]*", synopsis))):
            p = mgw(*args, opt, check=False)
            assert "unknown option" not in p.stderr, (args, opt, p.stderr)


def test_unknown_commands_and_subcommands_are_usage_errors():
    for args in (["frob"], ["cert", "frob"], ["help", "frob"], ["help", "cert", "frob"],
                 ["help", "check", "x"]):
        p = mgw(*args, check=False)
        assert p.returncode == 2 and "usage error" in p.stderr, (args, p)
    p = mgw("cert", "frob", check=False)
    assert "cert has create, sign, issue or show" in p.stderr, p.stderr


def complete(*words):
    """What bash completes for the words (the last is the one being typed)."""
    script = (f'source "{COMPLETION}"\n'
              'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}\n'
              '_mgwauth\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
    p = subprocess.run(["bash", "-c", script, "bash", *words], capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == "", p
    return [w for w in p.stdout.splitlines() if w]


def test_bash_completion_of_commands_subcommands_and_options():
    assert complete("mgwauth", "") [:2] == ["cert", "ca"], complete("mgwauth", "")
    assert complete("mgwauth", "re") == ["registry"]
    assert complete("mgwauth", "cert", "") == ["create", "sign", "issue", "show", "--help"]
    assert complete("mgwauth", "cert", "create", "--pass") == ["--password-file"]
    assert complete("mgwauth", "cert", "create", "--ca") == [
        "--ca", "--ca-cert", "--ca-key", "--ca-password-file"]
    assert complete("mgwauth", "check", "https://127.0.0.1/", "--ins") == ["--insecure"]
    assert complete("mgwauth", "help", "reg") == ["registry"]
    assert complete("mgwauth", "help", "registry", "r") == ["rollback"]
    assert complete("mgwauth", "roots", "prune", "x") == []  # files: bash's default
    assert complete("mgwauth", "store", "list", "--p") == ["--pem"]


def test_completion_is_installed_the_way_bash_completion_loads_it():
    p = subprocess.run(["bash", "-c", f'source "{COMPLETION}"; complete -p mgwauth'],
                       capture_output=True, text=True)
    assert p.stdout.strip() == "complete -o default -F _mgwauth mgwauth", p
    assert read(COMPLETION) == mgw("help", "--bash-completion").stdout


if __name__ == "__main__":
    tap.main(globals())
