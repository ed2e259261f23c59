#!/usr/bin/env python3
"""gateway status, plan, apply, rollback offline (TAP): a .reg file standing
for the registry, a directory store, an IIS applicationHost.config file and
the re-prune task's XML file. The judges are the bytes of those files (every
rollback or failed apply must leave them exactly as they were), OpenSSL for
the certificates in the store, and the JSON status read by Python's json."""
import filecmp
import hashlib
import json
import re
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402

MGW = os.environ.get("MGWAUTH", "mgwauth")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
TMP = tempfile.mkdtemp(prefix="mgw-gateway-")


def mgw(*args, check=True):
    p = subprocess.run([MGW, *args], cwd=TMP, capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"{args} failed ({p.returncode}): {p.stderr}{p.stdout}")
    return p


def path(*parts):
    return os.path.join(TMP, *parts)


def thumb(cer):
    return json.loads(mgw("cert", "show", cer, "--json").stdout)["thumbprint_sha1"]


def snapshot():
    """Every byte of the machine: the three files and the store's files."""
    files = {n: open(path(n), "rb").read() for n in ("state.reg", "app.config")}
    store = {n: open(path("store", n), "rb").read() for n in sorted(os.listdir(path("store")))}
    return files, store


def setup():
    with open(path("pw.txt"), "w") as f:
        f.write("pw\n")
    mgw("cert", "create", "--subject", "CN=imagoverum.com", "--upn", "eas@imagoverum.com",
        "--key", "p256", "--password-file", "pw.txt", "--out", "gw")
    os.mkdir(path("store"))
    for i in range(3):
        mgw("ca", "create", "--subject", f"CN=Other Root {i}", "--key", "p256",
            "--password-file", "pw.txt", "--out", f"other{i}")
        shutil.copy(path(f"other{i}", "ca.cer"), path("store", f"root-{i}.crt"))
    with open(path("keep.txt"), "w") as f:
        f.write("# the one root the gateway needs\n" + thumb("other0/ca.cer") + "\n")
    shutil.copy(os.path.join(ROOT, "examples", "machine.reg"), path("state.reg"))
    shutil.copy(os.path.join(ROOT, "tests", "data", "iis", "applicationHost.config"),
                path("app.config"))


PLAN = ["gateway", "plan", "--client-cert", "gw/Certificate.cer", "--store", "store",
        "--registry-file", "state.reg", "--iis-config", "app.config", "--keep-file", "keep.txt",
        "--disable-root-autoupdate"]
STATUS = ["gateway", "status", "--registry-file", "state.reg", "--store", "store",
          "--iis-config", "app.config", "--client-cert", "gw/Certificate.cer",
          "--keep-file", "keep.txt"]


def status_json():
    p = mgw(*STATUS, "--json", check=False)
    doc = json.loads(p.stdout)
    return p.returncode, doc, {s["step"]: s for s in doc["steps"]}


def test_status_of_a_fresh_machine_fails_with_fixes():
    setup()
    rc, doc, steps = status_json()
    assert rc == 1 and doc["result"] == "FAIL", doc
    for name in ("client-cert", "registry", "iis", "roots", "root-autoupdate"):
        assert steps[name]["status"] == "FAIL", steps[name]
        assert steps[name]["fix"], steps[name]
    assert steps["root-self-signed"]["status"] == "PASS", steps["root-self-signed"]
    assert steps["client-cert-expiry"]["status"] == "PASS"
    assert steps["client-cert-expiry"]["fix"] is None
    assert "would remove 2 of 3" in steps["roots"]["evidence"], steps["roots"]
    text = mgw(*STATUS, check=False).stdout.splitlines()
    assert text[-1] == "FAIL" and text[0].startswith("FAIL  client-cert"), text


def test_the_roots_fix_keeps_the_client_certificate():
    """The fix status prints for the roots is a command that runs as printed
    and keeps the client certificate (not only the keep-file's roots)."""
    _, _, steps = status_json()
    fix = steps["roots"]["fix"]
    client = thumb("gw/Certificate.cer")
    assert f"--keep {client}" in fix, fix
    shutil.copytree(path("store"), path("store-fix"))
    shutil.copy(path("gw", "Certificate.cer"), path("store-fix", "client.cer"))
    argv = shlex.split(fix)
    assert argv[:3] == ["mgwauth", "roots", "prune"], argv
    argv = [{"store": "store-fix", "DIR": "fix-backups"}.get(a, a) for a in argv[1:]]
    mgw(*argv)
    left = sorted(thumb(os.path.join("store-fix", n)) for n in os.listdir(path("store-fix")))
    assert left == sorted([client, thumb("other0/ca.cer")]), left
    # the usage names the options the parser takes
    usage = mgw("help", "roots", "prune").stdout
    assert usage.startswith("usage: mgwauth roots prune (--store DIR | --system-store"), usage


def test_the_registry_fix_runs_as_printed():
    _, _, steps = status_json()
    fix = steps["registry"]["fix"]
    assert "..." not in fix, fix
    plan_cmd, apply_cmd = fix.split(", then ")
    shutil.copy(path("state.reg"), path("state-fix.reg"))
    mgw(*[{"DIR": "regfix"}.get(a, a) for a in shlex.split(plan_cmd)[1:]])
    mgw(*[{"DIR/plan.json": "regfix/plan.json", "state.reg": "state-fix.reg"}.get(a, a)
          for a in shlex.split(apply_cmd)[1:]])
    p = mgw(*[a if a != "state.reg" else "state-fix.reg" for a in STATUS], "--json", check=False)
    s = {x["step"]: x for x in json.loads(p.stdout)["steps"]}["registry"]
    assert s["status"] == "PASS", s


def test_plan_lists_the_steps_in_order_with_their_files():
    p = mgw(*PLAN, "--out", "plan")
    assert "wrote plan/plan.json" in p.stdout, p.stdout
    lines = open(path("plan", "plan.json")).read().splitlines()
    doc = json.loads("\n".join(lines))
    assert doc["format"] == "mgwauth-gateway-plan" and doc["version"] == 1
    assert [s["step"] for s in doc["steps"]] == ["client-cert", "registry", "iis", "roots"]
    for rel in ("client-cert/client.cer", "registry/plan.json", "registry/security.reg",
                "registry/rollback.reg", "iis/plan.json", "iis/applicationHost.config",
                "iis/backup.config", "roots/keep.txt", "roots/remove.txt"):
        assert os.path.isfile(path("plan", rel)), rel
    roots = doc["steps"][3]
    removes = open(path("plan", roots["remove"])).read().split()
    assert sorted(removes) == sorted([thumb("other1/ca.cer"), thumb("other2/ca.cer")]), removes
    # the registry step's plan sets the policy value
    assert "DisableRootAutoUpdate" in open(path("plan", "registry", "plan.json")).read()
    # nothing changed by planning
    p = mgw(*PLAN, "--out", "plan", check=False)
    assert p.returncode == 1 and "--force" in p.stderr, p.stderr


def test_a_fault_in_the_middle_step_leaves_everything_as_it_was():
    # the IIS file changes after planning: the iis step refuses it (drift)
    with open(path("app.config"), "ab") as f:
        f.write(b"<!-- edited after planning -->\r\n")
    before = snapshot()
    p = mgw("gateway", "apply", "--plan", "plan/plan.json", check=False)
    assert p.returncode == 1, p.stdout
    out = p.stdout.splitlines()
    assert out[0].startswith("done     client-cert: added"), out
    assert out[1].startswith("done     registry: 3 values changed"), out
    assert out[2].startswith("FAILED   iis: "), out
    # the reason on the account's own line, and what became of the step itself
    err = p.stderr.strip().splitlines()[-1].replace("mgwauth: error: ", "")
    assert out[2] == f"FAILED   iis: {err}; nothing of it changed (the step undid what it " \
        "had begun)", (out[2], p.stderr)
    assert out[3] == "not run  roots", out
    assert out[4].startswith("undone   registry: 3 values restored"), out
    assert out[5].startswith("undone   client-cert: removed"), out
    assert out[6] == "stopped: everything is as it was before apply", out
    assert out[7] == ("account: applied and undone: client-cert, registry; failed: iis (nothing "
                      "of it changed); not run: roots; left applied: none"), out
    assert "changed since" in p.stderr or "drift" in p.stderr.lower(), p.stderr
    assert snapshot() == before
    assert not os.path.exists(path("plan", "applied.json"))
    shutil.copy(os.path.join(ROOT, "tests", "data", "iis", "applicationHost.config"),
                path("app.config"))


def test_apply_then_status_passes_and_a_second_apply_changes_nothing():
    global ORIGINAL
    ORIGINAL = snapshot()
    p = mgw("gateway", "apply", "--plan", "plan/plan.json")
    assert "applied: 4 steps" in p.stdout, p.stdout
    rc, doc, steps = status_json()
    assert rc == 0 and doc["result"] == "PASS", doc
    assert all(s["status"] == "PASS" for s in doc["steps"]), doc
    # the store: root-0 and the client certificate, as OpenSSL reads them
    names = sorted(os.listdir(path("store")))
    subjects = sorted(subprocess.run(["openssl", "x509", "-inform", "der", "-noout", "-subject",
                                      "-in", path("store", n)], capture_output=True,
                                     text=True).stdout.strip() for n in names)
    assert subjects == ["subject=CN = Other Root 0", "subject=CN = imagoverum.com"], subjects
    after = snapshot()
    p = mgw("gateway", "apply", "--plan", "plan/plan.json")
    assert "0 values changed" in p.stdout and "0 certificates removed" in p.stdout, p.stdout
    assert snapshot() == after


def test_planning_over_an_applied_plan_is_refused_even_with_force():
    rec = open(path("plan", "applied.json"), "rb").read()
    files = sorted(os.listdir(path("plan")))
    p = mgw(*PLAN, "--out", "plan", "--force", check=False)
    assert p.returncode == 1 and "roll it back first" in p.stderr, p.stderr
    assert open(path("plan", "applied.json"), "rb").read() == rec
    assert sorted(os.listdir(path("plan"))) == files


def test_rollback_restores_every_byte():
    p = mgw("gateway", "rollback", "--plan", "plan/plan.json")
    assert p.stdout.splitlines()[0].startswith("undone   roots: restored"), p.stdout
    assert snapshot() == ORIGINAL
    rc, doc, _ = status_json()
    assert rc == 1 and doc["result"] == "FAIL"
    p = mgw("gateway", "rollback", "--plan", "plan/plan.json")
    assert "nothing to roll back" in p.stdout
    assert snapshot() == ORIGINAL


def crash_after(step):
    env = dict(os.environ, MGWAUTH_TEST_EXIT_AFTER=step)
    return subprocess.run([MGW, "gateway", "apply", "--plan", "plan/plan.json"], cwd=TMP,
                          capture_output=True, text=True, timeout=120, env=env)


def test_a_crash_between_steps_leaves_a_record_rollback_undoes():
    """The process dies after the iis step (as a kill -9 would): applied.json
    already says what the done steps changed, and rollback restores every
    byte."""
    assert snapshot() == ORIGINAL
    p = crash_after("iis")
    assert p.returncode == 99, (p.returncode, p.stdout, p.stderr)
    assert "done     iis" in p.stdout and "roots" not in p.stdout, p.stdout
    assert snapshot() != ORIGINAL
    rec = open(path("plan", "applied.json")).read()
    assert '"state": "applying"' in rec and '"added": "yes"' in rec, rec
    p = mgw("gateway", "rollback", "--plan", "plan/plan.json")
    assert "undone   registry: 3 values restored" in p.stdout, p.stdout
    assert snapshot() == ORIGINAL
    assert not os.path.exists(path("plan", "applied.json"))


def test_a_crash_in_the_middle_of_any_step_is_undone_by_rollback():
    """Each step records that it started (with what its undo needs) before
    it changes anything; killed once the step has made its change but before
    it is recorded as done, rollback still undoes it, and every byte is back."""
    doc = [json.loads(l.rstrip(",")) for l in
           open(path("plan", "plan.json")).read().splitlines()[1:-1]]
    steps = [d["step"] for d in doc]
    assert steps == ["client-cert", "registry", "iis", "roots"], steps
    for step in steps:
        assert snapshot() == ORIGINAL, step
        env = dict(os.environ, MGWAUTH_TEST_EXIT_IN=step)
        p = subprocess.run([MGW, "gateway", "apply", "--plan", "plan/plan.json"], cwd=TMP,
                           capture_output=True, text=True, timeout=120, env=env)
        assert p.returncode == 98, (step, p.returncode, p.stdout, p.stderr)
        assert f"done     {step}" not in p.stdout, (step, p.stdout)
        assert snapshot() != ORIGINAL, step
        rec = json.loads(open(path("plan", "applied.json")).read().replace("\n", ""))
        mine = [r for r in rec["steps"] if r["step"] == step]
        assert mine and ("started" in mine[0] or "backup" in mine[0]), (step, rec)
        if step == "client-cert":
            assert mine[0]["started"] == "absent", rec
        p = mgw("gateway", "rollback", "--plan", "plan/plan.json")
        assert f"undone   {step}: nothing to undo" not in p.stdout, (step, p.stdout)
        assert "rolled back" in p.stdout, (step, p.stdout)
        assert snapshot() == ORIGINAL, (step, p.stdout)
        assert not os.path.exists(path("plan", "applied.json")), step


def test_a_crash_in_the_middle_of_a_step_of_a_second_apply_keeps_the_first_record():
    """After a first apply, a second one (which changes nothing) killed in the
    middle of each step: the step's "started" sits beside what the first apply
    recorded, and rollback still undoes the first apply's changes."""
    for step in ("client-cert", "registry", "iis", "roots"):
        assert snapshot() == ORIGINAL, step
        mgw("gateway", "apply", "--plan", "plan/plan.json")
        env = dict(os.environ, MGWAUTH_TEST_EXIT_IN=step)
        p = subprocess.run([MGW, "gateway", "apply", "--plan", "plan/plan.json"], cwd=TMP,
                           capture_output=True, text=True, timeout=120, env=env)
        assert p.returncode == 98, (step, p.returncode, p.stdout, p.stderr)
        rec = json.loads(open(path("plan", "applied.json")).read().replace("\n", ""))
        mine = [r for r in rec["steps"] if r["step"] == step][0]
        assert "started" in mine and len(mine) > 2, (step, mine)
        p = mgw("gateway", "rollback", "--plan", "plan/plan.json")
        assert snapshot() == ORIGINAL, (step, p.stdout)


def test_a_crash_in_a_second_apply_keeps_the_first_record():
    """A second apply changes nothing; when it dies part-way, the record of
    the first apply's real changes is still there for rollback."""
    mgw("gateway", "apply", "--plan", "plan/plan.json")
    p = crash_after("registry")
    assert p.returncode == 99, (p.returncode, p.stdout, p.stderr)
    rec = open(path("plan", "applied.json")).read()
    assert '"backup": ' in rec and '"changed": "yes"' in rec, rec
    mgw("gateway", "rollback", "--plan", "plan/plan.json")
    assert snapshot() == ORIGINAL


def test_rollback_reads_the_recorded_changed_value_not_its_presence():
    """applied.json's "changed" says whether apply changed the step: a record
    saying "no" is not undone (the registry keeps the applied values), and
    one saying "yes" is."""
    mgw("gateway", "apply", "--plan", "plan/plan.json")
    rec = open(path("plan", "applied.json")).read()
    assert rec.count('"changed": "yes"') == 2, rec  # registry and iis
    reg = [l for l in rec.splitlines() if '"step": "registry"' in l][0]
    with open(path("plan", "applied.json"), "w") as f:
        f.write(rec.replace(reg, reg.replace('"changed": "yes"', '"changed": "no"')))
    applied = open(path("state.reg"), "rb").read()
    p = mgw("gateway", "rollback", "--plan", "plan/plan.json")
    assert "undone   registry: nothing to undo (apply changed no value)" in p.stdout, p.stdout
    iis = [l for l in p.stdout.splitlines() if l.startswith("undone   iis: ")]
    assert iis and " restored in " in iis[0], p.stdout
    assert open(path("state.reg"), "rb").read() == applied
    with open(path("state.reg"), "wb") as f:
        f.write(ORIGINAL[0]["state.reg"])
    assert snapshot() == ORIGINAL


def test_a_crash_as_the_prune_begins_leaves_its_backup_recorded():
    """The roots step records its backup before the prune: killed right
    then, rollback finds the record, sees the prune never began (no backup
    file), and undoes the rest."""
    p = crash_after("roots:pruning")
    assert p.returncode == 99, (p.returncode, p.stdout, p.stderr)
    rec = json.loads(open(path("plan", "applied.json")).read().replace("\n", ""))
    roots = [s for s in rec["steps"] if s["step"] == "roots"]
    assert roots and roots[0]["backup"].endswith(".pem.gz"), rec
    p = mgw("gateway", "rollback", "--plan", "plan/plan.json")
    assert p.stdout.splitlines()[0].startswith("undone   roots: nothing to undo (the prune did "
                                               "not begin"), p.stdout
    assert snapshot() == ORIGINAL


def test_an_unreadable_record_stops_apply_before_the_first_step():
    os.mkdir(path("plan", "applied.json"))
    try:
        p = mgw("gateway", "apply", "--plan", "plan/plan.json", check=False)
        assert p.returncode == 1 and "done" not in p.stdout, p.stdout
        assert "applied.json" in p.stderr, p.stderr
        assert snapshot() == ORIGINAL
    finally:
        os.rmdir(path("plan", "applied.json"))


def test_duplicate_steps_are_refused():
    good = open(path("plan", "plan.json")).read().splitlines()
    reg = [l for l in good if '"step": "registry"' in l][0]
    dup = good[:2] + [reg if reg.endswith(",") else reg + ","] + good[2:]
    with open(path("plan", "dup.json"), "w") as f:
        f.write("\n".join(dup) + "\n")
    p = mgw("gateway", "apply", "--plan", "plan/dup.json", check=False)
    assert p.returncode == 1 and "more than once" in p.stderr, (p.stdout, p.stderr)
    assert snapshot() == ORIGINAL


def test_apply_and_rollback_from_another_directory():
    """The plan holds absolute targets: apply and rollback run from any
    directory act on the files planned, not on names in the current one."""
    doc = [json.loads(l.rstrip(",")) for l in
           open(path("plan", "plan.json")).read().splitlines()[1:-1]]
    for step in doc:
        for key in ("store", "target", "backup_dir"):
            if key in step:
                assert os.path.isabs(step[key]), step
    os.makedirs(path("elsewhere", "store"))
    plan = path("plan", "plan.json")
    p = subprocess.run([MGW, "gateway", "apply", "--plan", plan], cwd=path("elsewhere"),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "applied: 4 steps" in p.stdout, (p.stdout, p.stderr)
    assert os.listdir(path("elsewhere", "store")) == []
    assert snapshot() != ORIGINAL
    p = subprocess.run([MGW, "gateway", "rollback", "--plan", plan], cwd="/",
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert snapshot() == ORIGINAL


def test_a_rollback_over_later_changes_says_how_to_get_back():
    mgw("gateway", "apply", "--plan", "plan/plan.json")
    applied = open(path("app.config"), "rb").read()
    with open(path("app.config"), "ab") as f:
        f.write(b"<!-- edited after apply -->\r\n")
    p = mgw("gateway", "rollback", "--plan", "plan/plan.json", check=False)
    assert p.returncode == 1 and "FAILED   iis" in p.stdout, p.stdout
    assert "plan again" not in p.stderr and "backup" in p.stderr, p.stderr
    with open(path("app.config"), "wb") as f:
        f.write(applied)
    mgw("gateway", "rollback", "--plan", "plan/plan.json")
    assert snapshot() == ORIGINAL


def test_step_files_outside_the_plan_are_refused():
    good = open(path("plan", "plan.json")).read()
    for rel in ("../gw/Certificate.cer", path("gw", "Certificate.cer"), "client-cert/../../x",
                "C:\\\\x.cer"):
        bad = good.replace('"client-cert/client.cer"', json.dumps(rel))
        assert bad != good
        with open(path("plan", "bad.json"), "w") as f:
            f.write(bad)
        p = mgw("gateway", "apply", "--plan", "plan/bad.json", check=False)
        assert p.returncode == 1 and "not a file inside the plan" in p.stderr, (rel, p.stderr)
        assert p.stdout == "" and snapshot() == ORIGINAL, rel


def test_a_certificate_that_is_not_the_planned_one_is_never_added():
    """Another certificate in place of the planned one: refused by its
    fingerprint; and with the fingerprint in plan.json edited to match, still
    never added (its thumbprint is not the planned one)."""
    mgw("ca", "create", "--subject", "CN=Other Root 3", "--key", "p256", "--password-file",
        "pw.txt", "--out", "other3")
    planned = open(path("plan", "client-cert", "client.cer"), "rb").read()
    good = open(path("plan", "plan.json")).read()
    shutil.copy(path("other3", "ca.cer"), path("plan", "client-cert", "client.cer"))
    try:
        p = mgw("gateway", "apply", "--plan", "plan/plan.json", check=False)
        assert p.returncode == 1 and "plan/client-cert/client.cer was changed after planning" \
            in p.stderr, p.stderr
        assert p.stdout == "" and snapshot() == ORIGINAL, p.stdout
        other = hashlib.sha256(open(path("other3", "ca.cer"), "rb").read()).hexdigest()
        with open(path("plan", "plan.json"), "w") as f:
            f.write(good.replace(hashlib.sha256(planned).hexdigest(), other))
        p = mgw("gateway", "apply", "--plan", "plan/plan.json", check=False)
        assert p.returncode == 1 and "not the planned" in p.stderr, p.stderr
        assert p.stdout.splitlines()[0].startswith("FAILED   client-cert"), p.stdout
        assert snapshot() == ORIGINAL
        assert not os.path.exists(path("plan", "applied.json"))
    finally:
        with open(path("plan", "client-cert", "client.cer"), "wb") as f:
            f.write(planned)
        with open(path("plan", "plan.json"), "w") as f:
            f.write(good)


def test_every_step_file_is_fingerprinted_and_an_edited_one_is_refused():
    """plan.json holds FIELD_sha256 beside every step file (as hashlib
    computes it); apply and rollback refuse a plan whose step file was edited
    after planning, naming the file, before anything runs; a step file without
    its fingerprint is refused too."""
    good = open(path("plan", "plan.json")).read()
    doc = [json.loads(l.rstrip(",")) for l in good.splitlines()[1:-1]]
    files = []
    for step in doc:
        for key, rel in step.items():
            if key in ("cert", "plan", "desired", "backup", "keep", "remove", "xml", "list"):
                data = open(path("plan", rel), "rb").read()
                assert step[key + "_sha256"] == hashlib.sha256(data).hexdigest(), (step, key)
                files.append(rel)
    assert {"client-cert/client.cer", "registry/plan.json", "iis/applicationHost.config",
            "iis/backup.config", "roots/keep.txt", "roots/remove.txt"} <= set(files), files
    for rel in files:
        original = open(path("plan", rel), "rb").read()
        with open(path("plan", rel), "ab") as f:
            f.write(b"\n")
        try:
            for verb in ("apply", "rollback"):
                p = mgw("gateway", verb, "--plan", "plan/plan.json", check=False)
                assert p.returncode == 1, (rel, verb, p.stdout)
                assert f"plan/{rel} was changed after planning" in p.stderr, (rel, p.stderr)
                assert p.stdout == "" and snapshot() == ORIGINAL, (rel, p.stdout)
        finally:
            with open(path("plan", rel), "wb") as f:
                f.write(original)
    stripped = re.sub(r', "remove_sha256": "[0-9a-f]{64}"', "", good)
    assert stripped != good
    with open(path("plan", "old.json"), "w") as f:
        f.write(stripped)
    p = mgw("gateway", "apply", "--plan", "plan/old.json", check=False)
    assert p.returncode == 1 and "plan/roots/remove.txt has no fingerprint" in p.stderr, p.stderr
    assert p.stdout == "" and snapshot() == ORIGINAL
    os.remove(path("plan", "old.json"))


def test_an_undo_that_fails_is_named_and_left_in_the_record():
    """The prune fails (a root appeared after planning) and the undo of the
    iis step cannot write its backup (a directory stands in its place): the
    account names iis as left applied, applied.json keeps it for rollback,
    which restores every byte once the obstacle is gone."""
    assert snapshot() == ORIGINAL
    blocker = path("plan", "iis", "before-rollback.config")
    if os.path.exists(blocker):
        os.remove(blocker)  # the backup an earlier rollback left
    os.mkdir(blocker)
    shutil.copy(path("other3", "ca.cer"), path("store", "late.crt"))
    try:
        p = mgw("gateway", "apply", "--plan", "plan/plan.json", check=False)
    finally:
        os.remove(path("store", "late.crt"))
    assert p.returncode == 1, p.stdout
    out = p.stdout.splitlines()
    assert [l[:9] for l in out[:3]] == ["done     "] * 3, out
    assert out[3] == ("FAILED   roots: see the error above; nothing of it changed (the step "
                      "undid what it had begun)"), out
    assert out[4].startswith("NOT UNDONE iis: ") and out[4].endswith("; left applied"), out
    assert out[5].startswith("undone   registry: 3 values restored"), out
    assert out[6].startswith("undone   client-cert: removed"), out
    assert out[7] == "stopped: NOT everything could be undone (see above)", out
    assert out[8] == ("account: applied and undone: client-cert, registry; failed: roots "
                      "(nothing of it changed); not run: none; left applied: iis"), out
    assert len(out) == 9, out
    rec = json.loads(open(path("plan", "applied.json")).read().replace("\n", ""))
    assert rec["steps"][0] == {"step": "apply", "state": "applying"}, rec
    assert [r for r in rec["steps"] if r["step"] == "iis"] == [{"step": "iis", "changed": "yes"}], rec
    assert snapshot() != ORIGINAL
    os.rmdir(blocker)
    p = mgw("gateway", "rollback", "--plan", "plan/plan.json")
    assert "undone   iis: " in p.stdout and "rolled back" in p.stdout, p.stdout
    assert snapshot() == ORIGINAL


def test_a_task_step_needs_windows_paths():
    p = mgw("gateway", "plan", *PLAN[2:-1], "--task-interval", "15m", "--task-xml",
            "prune-task.xml", "--out", "plan-task", check=False)
    # the task runs on Windows: its paths must be Windows paths
    assert p.returncode == 1 and "absolute" in p.stderr, p.stderr
    assert not os.path.exists(path("plan-task", "plan.json"))


def test_a_ca_issued_certificate_in_the_root_store_is_flagged():
    mgw("cert", "create", "--subject", "CN=issued leaf", "--key", "p256", "--ca",
        "other0/ca.pfx", "--ca-password-file", "pw.txt", "--password-file", "pw.txt",
        "--out", "leaf")
    shutil.copytree(path("store"), path("store2"))
    shutil.copy(path("leaf", "Certificate.cer"), path("store2", "leaf.cer"))
    p = mgw("gateway", "status", "--store", "store2", "--keep-file", "keep.txt", "--json",
            check=False)
    steps = {s["step"]: s for s in json.loads(p.stdout)["steps"]}
    s = steps["root-self-signed"]
    assert s["status"] == "WARN", s
    assert "1 certificate in store2 is not self-signed" in s["evidence"], s
    assert thumb("leaf/Certificate.cer") in s["evidence"] and "403.16" in s["evidence"], s
    assert "LocalMachine\\CA" in s["fix"], s


def test_a_not_self_signed_certificate_is_moved_to_the_intermediate_store():
    """store2 has the CA-issued leaf in the trust store: the plan copies it to
    the intermediate store (a directory) before the prune removes it from
    the trust store; rollback leaves both as they were, byte for byte."""
    os.mkdir(path("interm"))
    def dirs():
        return {d: {n: open(path(d, n), "rb").read() for n in os.listdir(path(d))}
                for d in ("store2", "interm")}
    before = dirs()
    args = [a if a != "store" else "store2" for a in PLAN]
    shutil.copy(path("state.reg"), path("state2.reg"))
    shutil.copy(path("app.config"), path("app2.config"))
    args = [{"state.reg": "state2.reg", "app.config": "app2.config"}.get(a, a) for a in args]
    p = mgw(*args, "--move-intermediates", "interm", "--out", "plan-move")
    assert "intermediates: 1 not self-signed in store2, moved to interm" in p.stdout, p.stdout
    leaf = thumb("leaf/Certificate.cer")
    assert open(path("plan-move", "intermediates", "move.txt")).read() == leaf + "\n"
    assert leaf in open(path("plan-move", "roots", "remove.txt")).read()
    steps = [json.loads(l.rstrip(","))["step"] for l in
             open(path("plan-move", "plan.json")).read().splitlines()[1:-1]]
    assert steps == ["client-cert", "registry", "iis", "intermediates", "roots"], steps
    p = mgw("gateway", "apply", "--plan", "plan-move/plan.json")
    assert f"done     intermediates: 1 certificate added to {path('interm')}" in p.stdout, p.stdout
    assert os.listdir(path("interm")) == [leaf + ".cer"]
    assert not any(open(path("store2", n), "rb").read() == open(path("leaf", "Certificate.cer"),
                                                                "rb").read()
                   for n in os.listdir(path("store2")))
    p = mgw("gateway", "rollback", "--plan", "plan-move/plan.json")
    assert f"undone   intermediates: 1 certificate taken out of {path('interm')}" in p.stdout, \
        p.stdout
    assert dirs() == before


def test_an_intermediates_step_failing_part_way_takes_back_what_it_added():
    """Two CA-issued certificates to move; the second one's file is replaced
    by another certificate after planning: its fingerprint in the hashes list
    refuses it before anything runs. With the hashes list and plan.json
    edited to match, the step still never adds it (its SHA-1 is not the
    listed one): it names the file, takes the first one out of the
    intermediate store again, and nothing is left changed."""
    mgw("cert", "create", "--subject", "CN=issued leaf 2", "--key", "p256", "--ca",
        "other0/ca.pfx", "--ca-password-file", "pw.txt", "--password-file", "pw.txt",
        "--out", "leaf2")
    shutil.copytree(path("store"), path("store3"))
    shutil.copy(path("leaf", "Certificate.cer"), path("store3", "leaf.cer"))
    shutil.copy(path("leaf2", "Certificate.cer"), path("store3", "leaf2.cer"))
    os.mkdir(path("interm3"))
    shutil.copy(path("state.reg"), path("state3.reg"))
    shutil.copy(path("app.config"), path("app3.config"))
    args = [{"store": "store3", "state.reg": "state3.reg", "app.config": "app3.config"}.get(a, a)
            for a in PLAN]
    mgw(*args, "--move-intermediates", "interm3", "--out", "plan-move3")
    moves = open(path("plan-move3", "intermediates", "move.txt")).read().split()
    assert len(moves) == 2, moves
    rel = "intermediates/" + moves[1] + ".cer"
    damaged = path("plan-move3", rel)
    planned = open(damaged, "rb").read()
    other = open(path("other2", "ca.cer"), "rb").read()
    with open(damaged, "wb") as f:
        f.write(other)
    def state():
        return {d: {n: open(path(d, n), "rb").read() for n in os.listdir(path(d))}
                for d in ("store3", "interm3")}, open(path("state3.reg"), "rb").read()
    before = state()
    p = mgw("gateway", "apply", "--plan", "plan-move3/plan.json", check=False)
    assert p.returncode == 1 and p.stdout == "", p.stdout
    assert f"plan-move3/{rel} was changed after planning" in p.stderr, p.stderr
    assert state() == before
    # the hashes list and plan.json edited to match the other certificate
    sums = path("plan-move3", "intermediates", "sha256.txt")
    old_sums = open(sums, "rb").read()
    assert hashlib.sha256(planned).hexdigest().encode() + b"  " + rel.encode() in old_sums
    new_sums = old_sums.replace(hashlib.sha256(planned).hexdigest().encode(),
                                hashlib.sha256(other).hexdigest().encode())
    with open(sums, "wb") as f:
        f.write(new_sums)
    plan = open(path("plan-move3", "plan.json")).read()
    assert hashlib.sha256(old_sums).hexdigest() in plan
    with open(path("plan-move3", "plan.json"), "w") as f:
        f.write(plan.replace(hashlib.sha256(old_sums).hexdigest(),
                             hashlib.sha256(new_sums).hexdigest()))
    p = mgw("gateway", "apply", "--plan", "plan-move3/plan.json", check=False)
    assert p.returncode == 1, p.stdout
    assert f"{os.path.relpath(damaged, TMP)} is " in p.stderr and \
        f"not the planned {moves[1]}" in p.stderr, p.stderr
    assert f"took {moves[0]} out of {path('interm3')} again" in p.stderr, p.stderr
    assert "stopped: everything is as it was before apply" in p.stdout, p.stdout
    assert state() == before
    assert os.listdir(path("interm3")) == []
    # the take-back itself fails (the store refuses to delete the file): the
    # account says the step is NOT as before, and names what stays
    env = dict(os.environ, LD_PRELOAD=os.environ["MGW_UNLINK_FAULT"],
               MGW_FAIL_UNLINK="interm3/" + moves[0])
    p = subprocess.run([MGW, "gateway", "apply", "--plan", "plan-move3/plan.json"], cwd=TMP,
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 1, p.stdout
    assert f"{moves[0]} stays in {path('interm3')}" in p.stderr, p.stderr
    out = p.stdout.splitlines()
    assert [l[:9] for l in out[:3]] == ["done     "] * 3, out
    assert out[3] == ("FAILED   intermediates: see the error above; NOT as before: the step could "
                      "not undo all it had begun (see the errors above)"), out
    assert out[4] == "not run  roots", out
    assert out[5].startswith("undone   iis: ") and out[6].startswith("undone   registry: ") \
        and out[7].startswith("undone   client-cert: "), out
    assert out[8] == "stopped: NOT everything could be undone (see above)", out
    assert out[9] == ("account: applied and undone: client-cert, registry, iis; failed: "
                      "intermediates (NOT as before); not run: roots; left applied: none"), out
    assert len(out) == 10, out
    assert os.listdir(path("interm3")) == [moves[0] + ".cer"]
    os.remove(path("interm3", moves[0] + ".cer"))
    assert state() == before


def intermediates_machine(name, count):
    """A copy of the machine whose trust store also holds `count` certificates
    issued by a CA outside it (made by Python's cryptography), an empty
    intermediate store, and the plan arguments for it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import datetime
    shutil.copytree(path("store"), path("store-" + name))
    os.mkdir(path("interm-" + name))
    shutil.copy(path("state.reg"), path(f"state-{name}.reg"))
    shutil.copy(path("app.config"), path(f"app-{name}.config"))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Issuer {name}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    for i in range(count):
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                            f"Intermediate {name} {i}")]))
                .issuer_name(ca_name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .sign(ca_key, hashes.SHA256()))
        with open(path("store-" + name, f"inter-{i}.cer"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.DER))
    return [{"store": "store-" + name, "state.reg": f"state-{name}.reg",
             "app.config": f"app-{name}.config"}.get(a, a) for a in PLAN] + \
        ["--move-intermediates", "interm-" + name, "--out", "plan-" + name]


def dirs_of(*names):
    return {d: {n: open(path(d, n), "rb").read() for n in os.listdir(path(d))} for d in names}


def test_a_root_store_cluttered_with_intermediates_is_planned_and_rolled_back():
    """100 CA-issued certificates in the trust store (the 403.16 case): the
    plan lists each with its SHA-256 in intermediates/sha256.txt (as hashlib
    computes it); apply moves them all, rollback puts every byte back."""
    args = intermediates_machine("many", 100)
    before = dirs_of("store-many", "interm-many")
    p = mgw(*args)
    assert "intermediates: 100 not self-signed in store-many" in p.stdout, p.stdout
    moves = open(path("plan-many", "intermediates", "move.txt")).read().split()
    assert len(moves) == 100 and len(set(moves)) == 100, moves
    sums = open(path("plan-many", "intermediates", "sha256.txt")).read().splitlines()
    assert len(sums) == 100, sums
    for line, tp in zip(sums, moves):
        sha, rel = line.split("  ")
        assert rel == f"intermediates/{tp}.cer", line
        der = open(path("plan-many", rel), "rb").read()
        assert sha == hashlib.sha256(der).hexdigest() and \
            hashlib.sha1(der).hexdigest().upper() == tp.upper(), line
    step = [json.loads(l.rstrip(",")) for l in open(path("plan-many", "plan.json"))
            .read().splitlines()[1:-1] if '"intermediates"' in l][0]
    assert step["hashes"] == "intermediates/sha256.txt" and step["hashes_sha256"] == \
        hashlib.sha256(open(path("plan-many", "intermediates", "sha256.txt"), "rb").read()) \
        .hexdigest(), step
    p = mgw("gateway", "apply", "--plan", "plan-many/plan.json")
    assert f"done     intermediates: 100 certificates added to {path('interm-many')}" \
        in p.stdout, p.stdout
    assert len(os.listdir(path("interm-many"))) == 100
    p = mgw("gateway", "rollback", "--plan", "plan-many/plan.json")
    assert f"undone   intermediates: 100 certificates taken out of {path('interm-many')}" \
        in p.stdout, p.stdout
    assert dirs_of("store-many", "interm-many") == before


def test_the_hashes_list_names_only_files_inside_the_plan():
    """A line of intermediates/sha256.txt naming a file outside the plan's
    directory is refused before anything is read or runs, also with its
    fingerprint in plan.json edited to match; a plan without the list is
    refused as unfingerprinted."""
    good = open(path("plan-many", "plan.json")).read()
    sums_path = path("plan-many", "intermediates", "sha256.txt")
    sums = open(sums_path, "rb").read()
    keep = hashlib.sha256(open(path("keep.txt"), "rb").read()).hexdigest()
    before = dirs_of("store-many", "interm-many")
    try:
        for rel in ("../../keep.txt", path("keep.txt"), "intermediates/../../keep.txt"):
            bad = sums + f"{keep}  {rel}\n".encode()
            with open(sums_path, "wb") as f:
                f.write(bad)
            with open(path("plan-many", "plan.json"), "w") as f:
                f.write(good.replace(hashlib.sha256(sums).hexdigest(),
                                     hashlib.sha256(bad).hexdigest()))
            p = mgw("gateway", "apply", "--plan", "plan-many/plan.json", check=False)
            assert p.returncode == 1 and f'"{rel}" (' in p.stderr and \
                "is not a file inside the plan's directory" in p.stderr, (rel, p.stderr)
            assert p.stdout == "" and dirs_of("store-many", "interm-many") == before, rel
    finally:
        with open(sums_path, "wb") as f:
            f.write(sums)
    stripped = re.sub(r', "hashes": "[^"]*", "hashes_sha256": "[0-9a-f]{64}"', "", good)
    assert stripped != good
    with open(path("plan-many", "plan.json"), "w") as f:
        f.write(stripped)
    p = mgw("gateway", "apply", "--plan", "plan-many/plan.json", check=False)
    assert p.returncode == 1 and "no fingerprints of its certificates" in p.stderr, p.stderr
    assert p.stdout == "" and dirs_of("store-many", "interm-many") == before
    with open(path("plan-many", "plan.json"), "w") as f:
        f.write(good)


def test_a_second_apply_adding_intermediates_keeps_the_first_ones_for_rollback():
    """The first apply adds one intermediate (the other is in the store);
    then that other one goes missing and a second apply adds it: rollback
    takes out both. The same when the second apply dies in the middle of the
    step, and when it fails at a later step (its undo takes out only its own
    and rollback then the first one's)."""
    args = intermediates_machine("two", 2)
    mgw(*args)
    moves = open(path("plan-two", "intermediates", "move.txt")).read().split()
    store_before = dirs_of("store-two")
    def first_apply():
        shutil.copy(path("plan-two", "intermediates", moves[1] + ".cer"),
                    path("interm-two", moves[1] + ".cer"))
        p = mgw("gateway", "apply", "--plan", "plan-two/plan.json")
        assert "done     intermediates: 1 certificate added" in p.stdout, p.stdout
        assert sorted(os.listdir(path("interm-two"))) == sorted(m + ".cer" for m in moves)
        os.remove(path("interm-two", moves[1] + ".cer"))
    def rolled_back():
        p = mgw("gateway", "rollback", "--plan", "plan-two/plan.json")
        assert os.listdir(path("interm-two")) == [], p.stdout
        assert dirs_of("store-two") == store_before, p.stdout
        return p
    first_apply()
    p = mgw("gateway", "apply", "--plan", "plan-two/plan.json")
    assert "done     intermediates: 1 certificate added" in p.stdout, p.stdout
    assert sorted(open(path("plan-two", "intermediates", "added.txt")).read().split()) == \
        sorted(moves)
    p = rolled_back()
    assert "undone   intermediates: 2 certificates taken out" in p.stdout, p.stdout
    # the second apply dies once the step has added its certificate
    first_apply()
    env = dict(os.environ, MGWAUTH_TEST_EXIT_IN="intermediates")
    p = subprocess.run([MGW, "gateway", "apply", "--plan", "plan-two/plan.json"], cwd=TMP,
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 98, (p.returncode, p.stdout, p.stderr)
    rolled_back()
    # the second apply fails at the prune (a root appeared in the store)
    first_apply()
    shutil.copy(path("other3", "ca.cer"), path("store-two", "late.crt"))
    p = mgw("gateway", "apply", "--plan", "plan-two/plan.json", check=False)
    assert p.returncode == 1 and "undone   intermediates: 1 certificate taken out" in p.stdout, \
        p.stdout
    assert os.listdir(path("interm-two")) == [moves[0] + ".cer"], p.stdout
    assert open(path("plan-two", "intermediates", "added.txt")).read() == moves[0] + "\n"
    os.remove(path("store-two", "late.crt"))
    rolled_back()


def test_the_root_of_the_bindings_server_certificate_is_kept():
    """SslCertHash of 0.0.0.0:443 names a server certificate in the My store
    (a directory here) issued by root-1, which the keep-list does not name:
    the plan keeps root-1 and removes only root-2."""
    mgw("cert", "create", "--subject", "CN=mail.imagoverum.com", "--dns", "mail.imagoverum.com",
        "--eku", "serverAuth", "--key", "p256", "--ca", "other1/ca.pfx", "--ca-password-file",
        "pw.txt", "--password-file", "pw.txt", "--out", "server")
    os.mkdir(path("my"))
    shutil.copy(path("server", "Certificate.cer"), path("my", "server.cer"))
    tp = thumb("server/Certificate.cer").lower()
    reg = open(path("state.reg"), "rb").read().decode("utf-16")
    old = "3b,1e,fd,3a,66,ea,28,b1,66,97,39,47,03,a7,2c,a3,40,a0,5b,d5"
    assert old in reg
    reg = reg.replace(old, ",".join(tp[i:i + 2] for i in range(0, 40, 2)))
    with open(path("state-server.reg"), "wb") as f:
        f.write(reg.encode("utf-16"))
    args = [a if a != "state.reg" else "state-server.reg" for a in PLAN]
    p = mgw(*args, "--server-store", "my", "--out", "plan-server")
    root1 = thumb("other1/ca.cer")
    assert f"keeps {root1}, the root of the binding's server certificate" in p.stdout, p.stdout
    removes = open(path("plan-server", "roots", "remove.txt")).read().split()
    assert removes == [thumb("other2/ca.cer")], removes
    keep = open(path("plan-server", "roots", "keep.txt")).read()
    assert keep.startswith(open(path("keep.txt")).read()) and root1 in keep, keep
    # without the My store the plan says why it could not keep it
    p = mgw(*args, "--out", "plan-server2")
    assert "not kept by itself: no --server-store" in p.stdout, p.stdout


def test_the_reprune_task_keeps_what_the_plan_keeps():
    """The task re-runs roots prune with the admin's keep-file: it must also
    keep the client certificate and the root of the binding's server
    certificate, or its first run would remove them."""
    shutil.copytree(path("store"), path("C:\\store"))
    shutil.copy(path("keep.txt"), path("C:\\keep.txt"))
    args = [{"store": "C:\\store", "keep.txt": "C:\\keep.txt",
             "state.reg": "state-server.reg"}.get(a, a) for a in PLAN[:-1]]
    mgw(*args, "--server-store", "my", "--backup-dir", "C:\\backups", "--task-interval", "15m",
        "--task-xml", "prune-task.xml", "--out", "plan-task2")
    xml = open(path("plan-task2", "task", "task.xml"), "rb").read().decode("utf-16")
    arguments = xml.split("<Arguments>")[1].split("</Arguments>")[0]
    client, root1 = thumb("gw/Certificate.cer"), thumb("other1/ca.cer")
    assert arguments == (f"roots prune --store C:\\store --keep-file C:\\keep.txt --backup-dir "
                         f"C:\\backups --keep {client} --keep {root1} --yes"), arguments


def test_task_install_reaches_the_library():
    """task install reads the XML and hands it to the library: on Linux that
    says the Task Scheduler is not here (it must not abort on the read
    buffer's release)."""
    with open(path("task.xml"), "w") as f:
        f.write("<Task/>\n")
    p = mgw("task", "install", "--xml", "task.xml", "--name", "mgw-test", check=False)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert p.stderr.startswith("mgwauth: error:") and "Task Scheduler" in p.stderr, p.stderr
    assert "free()" not in p.stderr and "Aborted" not in p.stderr, p.stderr


def test_hostile_plan_files_are_refused_without_a_change():
    before = snapshot()
    good = open(path("plan", "plan.json"), "rb").read()
    app = path("app").encode()  # the targets are absolute paths
    bad = [b"", b"{}", good.replace(b'"version": 1', b'"version": 2'),
           good.replace(b'"step": "iis"', b'"step": "iis", "step": "x"'),
           good.replace(b'"target": "' + app + b'.config"', b'"target": "' + app + b'\x01.config"'),
           good.replace(b"]}", b"]}x"), good[:-4],
           good.replace(b'"' + app + b'.config"', b'"' + app + b'\\u0022.config"'),
           good.replace(b'"step": "roots"', b'"step": "unknown"'),
           good.replace(b'"plan": "registry/plan.json"', b'"plan": "iis/plan.json"'),
           good + b"\x00", good.replace(b"},\n", b"}\n", 1)]
    for i, data in enumerate(bad):
        with open(path("plan", "bad.json"), "wb") as f:
            f.write(data)
        p = mgw("gateway", "apply", "--plan", "plan/bad.json", check=False)
        assert p.returncode != 0 and "Traceback" not in p.stderr, (i, p.stdout, p.stderr)
        assert p.stderr.startswith("mgwauth: error:"), (i, p.stderr)
        assert snapshot() == before, i


if __name__ == "__main__":
    try:
        tap.main(globals())
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
