"""Trusted roots through the binding, on a real store: Debian's CA bundle
(/usr/share/ca-certificates/mozilla) and a certificate made here, copied to a
temporary directory. Thumbprints are checked with hashlib, backups with gzip
and ssl; the task XML with Python's XML parser."""
import datetime
import glob
import gzip
import hashlib
import os
import re
import shutil
import ssl
import unittest
import xml.etree.ElementTree as ET

import support
import mgwauth
from mgwauth import errors

MOZILLA = "/usr/share/ca-certificates/mozilla"
Action = mgwauth.RootAction
LRM = "\u200e"
NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def sha1_of_file(path):
    with open(path, "rb") as f:
        data = f.read()
    if data.lstrip().startswith(b"-----BEGIN"):
        data = ssl.PEM_cert_to_DER_cert(data.decode("ascii"))
    return hashlib.sha1(data).hexdigest().upper()


class StoreDir:
    """The Mozilla roots, our own certificate (me.cer) and a note that is no
    certificate, in a fresh directory."""

    def __enter__(self):
        self.tmp = support.TempDir()
        self.dir = self.tmp.__enter__()
        self.store = os.path.join(self.dir, "store")
        os.mkdir(self.store)
        crts = sorted(glob.glob(os.path.join(MOZILLA, "*.crt")))
        assert len(crts) > 100, f"{MOZILLA} holds {len(crts)} certificates (ca-certificates)"
        for c in crts:
            shutil.copy(c, self.store)
        me = support.leaf()
        mgwauth.write_file(os.path.join(self.store, "me.cer"), me.to_der())
        self.ours = me.thumbprint_sha1
        with open(os.path.join(self.store, "README.txt"), "w") as f:
            f.write("not a certificate\n")
        return self

    def __exit__(self, *exc):
        self.tmp.__exit__(*exc)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def files(self):
        """{SHA-1: file name} of the certificate files, by hashlib."""
        return {sha1_of_file(os.path.join(self.store, n)): n for n in os.listdir(self.store)
                if n != "README.txt"}

    def plan(self, store, *keep, **options):
        with mgwauth.RootOptions(keep or [self.ours], **options) as opts:
            return mgwauth.RootPlan.compute(store, opts)


class Thumbprints(unittest.TestCase):
    def test_pasted_forms_normalise(self):
        t = support.leaf().thumbprint_sha1
        for form in (t, t.lower(), LRM + t, " ".join(t[i:i + 2] for i in range(0, 40, 2)),
                     ":".join(t[i:i + 2] for i in range(0, 40, 2)).lower(),
                     "-".join(t[i:i + 4] for i in range(0, 40, 4)), "\ufeff" + t + "\u200f"):
            with self.subTest(form):
                self.assertEqual(mgwauth.normalize_thumbprint(form), t)
        t256 = support.leaf().thumbprint_sha256
        self.assertEqual(mgwauth.normalize_thumbprint(t256.lower()), t256)

    def test_faults_name_the_position(self):
        t = support.leaf().thumbprint_sha1
        cases = [(LRM + "G" + t[1:], "'G' at position 2 is not a hex digit"),
                 (t[:-1], "39 hex digits"), (t + "0", "41 hex digits")]
        for bad, needle in cases:
            with self.subTest(bad), self.assertRaisesRegex(mgwauth.ThumbprintError, needle) as cm:
                mgwauth.normalize_thumbprint(bad)
            self.assertEqual(cm.exception.code, errors.ERR_THUMBPRINT)
            self.assertIsInstance(cm.exception, ValueError)

    def test_protected_roots(self):
        roots = mgwauth.protected_roots()
        self.assertGreater(len(roots), 5)
        self.assertEqual(len({r.thumbprint for r in roots}), len(roots))
        for r in roots:
            self.assertRegex(r.thumbprint, r"^[0-9A-F]{40}$")
            self.assertTrue(r.name)
        self.assertIn(("CDD4EEAE6000AC7F40C3802C171E30148030C072",
                       "Microsoft Root Certificate Authority"), roots)


class Stores(unittest.TestCase):
    def test_listing_agrees_with_hashlib(self):
        with StoreDir() as s, mgwauth.Store.open_dir(s.store) as store:
            files = s.files()
            certs = store.certificates
            self.assertEqual({c.thumbprint: c.origin for c in certs}, files)
            self.assertEqual([c.origin for c in certs], sorted(c.origin for c in certs))
            mine = next(c for c in certs if c.origin == "me.cer")
            self.assertEqual((mine.thumbprint, mine.subject),
                             (s.ours, support.leaf().subject))
            self.assertEqual([o.name for o in store.others], ["README.txt"])
            self.assertIn("not a certificate file name", store.others[0].reason)

    def test_single_certificates_and_what_needs_windows(self):
        with StoreDir() as s, mgwauth.Store.open_dir(s.store) as store:
            mine = next(i for i, c in enumerate(store.certificates) if c.origin == "me.cer")
            der = store.certificate_der(mine)
            self.assertEqual(hashlib.sha1(der).hexdigest().upper(), s.ours)
            self.assertFalse(store.has_key(mine))
            self.assertEqual(store.physical_stores(mine), [])  # directory stores have none
            self.assertEqual(store.add_certificate(der), (False, s.ours))
            store.remove_certificate(LRM + s.ours.lower())
            self.assertFalse(os.path.exists(os.path.join(s.store, "me.cer")))
            with self.assertRaises(mgwauth.NotFoundError):
                store.remove_certificate(s.ours)
            self.assertEqual(store.add_certificate(der), (True, s.ours))
            self.assertTrue(os.path.exists(os.path.join(s.store, s.ours + ".cer")))
            with self.assertRaises(mgwauth.NotAvailableError):
                store.import_pfx(b"not a pfx", "pw")
        with self.assertRaises(mgwauth.NotAvailableError):
            mgwauth.Store.open_system("LocalMachine\\Root")
        with self.assertRaises(mgwauth.NotAvailableError):
            mgwauth.RegistryState().read_live()
        # the Task Scheduler is Windows' (tests/windows/test_task_wine.py drives it)
        with self.assertRaises(mgwauth.NotAvailableError):
            mgwauth.task_install("mgwauth roots prune", mgwauth.task_xml(
                "LocalMachine\\Root", "C:\\k.txt", "C:\\b"))
        with self.assertRaises(mgwauth.NotAvailableError):
            mgwauth.task_remove("mgwauth roots prune")
        with self.assertRaises(mgwauth.NotAvailableError):
            mgwauth.task_show("mgwauth roots prune")

    def test_a_missing_directory(self):
        with support.TempDir() as d, self.assertRaises(mgwauth.NotFoundError):
            mgwauth.Store.open_dir(os.path.join(d, "none"))


class Plans(unittest.TestCase):
    def test_plan_is_a_dry_run_that_classifies_every_certificate(self):
        with StoreDir() as s, mgwauth.Store.open_dir(s.store) as store:
            before = sorted(os.listdir(s.store))
            plan = s.plan(store, LRM + s.ours.lower())
            n = len(store.certificates)
            self.assertEqual((plan.count("keep"), plan.count(mgwauth.RootAction.PROTECTED),
                              plan.count("remove"), plan.count()), (1, 0, n - 1, n))
            entries = plan.entries
            self.assertEqual([e.thumbprint for e in entries],
                             [c.thumbprint for c in store.certificates])
            for e in entries:
                keep = e.thumbprint == s.ours
                self.assertEqual(e.action, Action.KEEP if keep else Action.REMOVE, e)
            j = plan.describe_json()
            self.assertEqual(j["counts"], {"keep": 1, "protected": 0, "remove": n - 1,
                                           "other": 1, "missing": 0, "policy": 0})
            self.assertEqual([o["name"] for o in j["other"]], ["README.txt"])
            self.assertIn("plan: keep 1, protected 0, remove %d" % (n - 1), plan.describe())
            self.assertEqual(plan.missing, [])
            self.assertEqual(sorted(os.listdir(s.store)), before, "planning changes nothing")

    def test_certificates_policy_put_there_are_reported_and_never_removed(self):
        with StoreDir() as s:
            crts = sorted(n for n in os.listdir(s.store) if n.endswith(".crt"))
            os.mkdir(os.path.join(s.store, ".GroupPolicy"))
            os.mkdir(os.path.join(s.store, ".Enterprise"))
            shutil.copy(os.path.join(s.store, crts[0]), os.path.join(s.store, ".GroupPolicy"))
            shutil.move(os.path.join(s.store, crts[1]), os.path.join(s.store, ".Enterprise"))
            gp, ent = (sha1_of_file(os.path.join(s.store, d, c))
                       for d, c in ((".GroupPolicy", crts[0]), (".Enterprise", crts[1])))
            with mgwauth.Store.open_dir(s.store) as store:
                plan = s.plan(store, s.ours)
                where = {e.thumbprint: (e.action, plan.physical_stores(i))
                         for i, e in enumerate(plan.entries)}
                self.assertEqual(where[gp], (Action.POLICY, [".GroupPolicy"]))
                self.assertEqual(where[ent], (Action.POLICY, [".Enterprise"]))
                self.assertEqual(plan.count("policy"), 3)  # two copies of one, and one
                self.assertEqual(where[s.ours], (Action.KEEP, []))
                j = plan.describe_json()
                self.assertEqual(j["counts"]["policy"], 3)
                for e in j["entries"]:
                    self.assertEqual(e["action"] == "policy", "physical" in e, e)
                    if e["action"] == "policy":
                        self.assertIn("policy puts it back", e["reason"])
                removed = []
                store.prune(plan, s.path("b.pem.gz"),
                            on_event=lambda ev: removed.append(ev.thumbprint))
                self.assertNotIn(gp, removed)
                self.assertNotIn(ent, removed)
                self.assertEqual(len(removed), len(crts) - 2)
            self.assertEqual(sorted(os.listdir(s.store)),
                             sorted([".Enterprise", ".GroupPolicy", "README.txt", crts[0], "me.cer"]))

    def test_refusals(self):
        typo = "A" * 40
        with StoreDir() as s, mgwauth.Store.open_dir(s.store) as store:
            with mgwauth.RootOptions() as empty, self.assertRaises(mgwauth.KeepListEmptyError):
                mgwauth.RootPlan.compute(store, empty)
            with self.assertRaisesRegex(mgwauth.KeepListMissingError, typo) as cm:
                s.plan(store, s.ours, typo)
            self.assertEqual(cm.exception.code, errors.ERR_ROOTS_KEEP_MISSING)
            plan = s.plan(store, s.ours, typo, allow_missing=True)
            self.assertEqual((plan.missing, plan.count("keep")), ([typo], 1))
            with self.assertRaises(mgwauth.KeepsNothingError):
                s.plan(store, typo, allow_missing=True)
            with self.assertRaisesRegex(mgwauth.InvalidArgumentError, "protected"):
                mgwauth.RootOptions([s.ours], allow_protected=[s.ours])

    def test_keep_files_from_powershell_in_utf16(self):
        with StoreDir() as s, mgwauth.Store.open_dir(s.store) as store:
            other = store.certificates[0]
            table = ("\r\n   PSParentPath: Microsoft.PowerShell.Security\\Certificate::"
                     "LocalMachine\\Root\r\n\r\nThumbprint                                "
                     "Subject\r\n----------                                -------\r\n"
                     f"{s.ours}  CN=phone-001\r\n{other.thumbprint}  {other.subject[:30]}...\r\n")
            with mgwauth.RootOptions(remove_protected=True) as opts:
                opts.add_keep_file(b"\xff\xfe" + table.encode("utf-16-le"), "keep.txt")
                opts.add_keep(s.ours.lower())
                self.assertEqual(opts.keep_count, 2)
                with self.assertRaisesRegex(mgwauth.ThumbprintError, "keep2.txt line 2"):
                    opts.add_keep_file(b"# keep\nnot a thumbprint\n", "keep2.txt")
                self.assertEqual(opts.keep_count, 2)
                plan = mgwauth.RootPlan.compute(store, opts)
            self.assertEqual(plan.count("keep"), 2)


class PruneAndRestore(unittest.TestCase):
    def test_prune_backs_up_reports_each_certificate_and_restore_brings_them_back(self):
        with StoreDir() as s, mgwauth.Store.open_dir(s.store) as store:
            before = s.files()
            plan = s.plan(store)
            to_remove = [e for e in plan.entries if e.action == mgwauth.RootAction.REMOVE]
            backup = s.path("roots.pem.gz")
            events = []
            store.prune(plan, backup, on_event=events.append)
            self.assertEqual([(e.type, e.thumbprint, e.subject) for e in events],
                             [(mgwauth.RootsEventType.REMOVED, e.thumbprint, e.subject)
                              for e in to_remove])
            self.assertEqual([e.origin for e in events], [before[e.thumbprint] for e in to_remove])
            self.assertTrue(all(e.detail is None for e in events))
            self.assertEqual(s.files(), {s.ours: "me.cer"})
            self.assertEqual([c.thumbprint for c in store.certificates], [s.ours])
            self.assertIn("README.txt", os.listdir(s.store))
            # the backup, read with gzip and ssl: every removed certificate, in order
            with gzip.open(backup, "rt") as f:
                text = f.read()
            pems = re.findall(r"-----BEGIN CERTIFICATE-----\n.*?-----END CERTIFICATE-----\n",
                              text, flags=re.S)
            self.assertEqual([hashlib.sha1(ssl.PEM_cert_to_DER_cert(p)).hexdigest().upper()
                              for p in pems], [e.thumbprint for e in to_remove])
            # the plan was for the store as it was
            with self.assertRaises(mgwauth.StoreChangedError):
                store.prune(plan, s.path("again.pem.gz"))
            # restore: each certificate added under the name it had
            events = []
            store.restore(backup, on_event=events.append)
            self.assertEqual([(e.type, e.thumbprint, e.origin) for e in events],
                             [(mgwauth.RootsEventType.ADDED, e.thumbprint, before[e.thumbprint])
                              for e in to_remove])
            self.assertEqual(s.files(), before)
            # again: all present, nothing added
            events = []
            store.restore(backup, on_event=events.append)
            self.assertEqual({e.type for e in events}, {mgwauth.RootsEventType.PRESENT})
            self.assertEqual(len(events), len(to_remove))

    def test_backup_never_replaced_without_force(self):
        with StoreDir() as s, mgwauth.Store.open_dir(s.store) as store:
            backup = s.path("roots.pem.gz")
            with open(backup, "wb") as f:
                f.write(b"older backup")
            before = s.files()
            with self.assertRaises(mgwauth.ExistsError):
                store.prune(s.plan(store), backup)
            self.assertEqual(s.files(), before)
            with open(backup, "rb") as f:
                self.assertEqual(f.read(), b"older backup")
            store.prune(s.plan(store), backup, force=True)
            self.assertEqual(list(s.files()), [s.ours])

    def test_restore_only_the_named_certificates(self):
        with StoreDir() as s, mgwauth.Store.open_dir(s.store) as store:
            backup = s.path("roots.pem.gz")
            plan = s.plan(store)
            one = next(e for e in plan.entries if e.action == mgwauth.RootAction.REMOVE)
            store.prune(plan, backup)
            with self.assertRaisesRegex(mgwauth.NotFoundError, "is not in the backup"):
                store.restore(backup, only=[s.ours])
            self.assertEqual(list(s.files()), [s.ours])
            events = []
            store.restore(backup, only=[LRM + one.thumbprint.lower()], on_event=events.append)
            self.assertEqual([(e.type, e.thumbprint) for e in events],
                             [(mgwauth.RootsEventType.ADDED, one.thumbprint)])
            self.assertEqual(sorted(s.files()), sorted([s.ours, one.thumbprint]))

    def test_an_exception_in_the_callback_is_raised_after_the_call(self):
        with StoreDir() as s, mgwauth.Store.open_dir(s.store) as store:
            calls = []

            def on_event(event):
                calls.append(event)
                raise RuntimeError("stop")

            with self.assertRaisesRegex(RuntimeError, "stop"):
                store.prune(s.plan(store), s.path("b.pem.gz"), on_event=on_event)
            self.assertEqual(len(calls), 1, "called until the first exception")
            self.assertEqual(list(s.files()), [s.ours], "the library finished the prune")

    def test_a_broken_backup_is_refused(self):
        with StoreDir() as s, mgwauth.Store.open_dir(s.store) as store:
            bad = s.path("bad.pem.gz")
            with open(bad, "wb") as f:
                f.write(gzip.compress(b"-----BEGIN CERTIFICATE-----\nAAAA\n"
                                      b"-----END CERTIFICATE-----\n"))
            before = s.files()
            with self.assertRaisesRegex(mgwauth.BackupError, "certificate 1 .* does not parse"):
                store.restore(bad)
            self.assertEqual(s.files(), before)


class TaskXml(unittest.TestCase):
    def parse(self, data):
        self.assertTrue(data.startswith(b"\xff\xfe"), data[:4])
        self.assertIn('encoding="UTF-16"', data.decode("utf-16")[:60])
        return ET.fromstring(data)

    def test_prune_task_parses_as_utf16_xml(self):
        data = mgwauth.task_xml("LocalMachine\\Root", "C:\\mgw auth\\keep.txt",
                                "C:\\mgwauth\\backups", program="C:\\mgwauth\\mgwauth.exe",
                                interval=1800, time_limit=300, start="2025-01-02T03:04:05")
        task = self.parse(data)
        self.assertEqual(task.tag, "{%s}Task" % NS["t"])

        def text(path):
            return task.find(path, NS).text

        self.assertEqual(text("t:Principals/t:Principal/t:UserId"), "S-1-5-18")
        self.assertEqual(text("t:Triggers/t:CalendarTrigger/t:StartBoundary"),
                         "2025-01-02T03:04:05")
        self.assertEqual(text("t:Triggers/t:CalendarTrigger/t:Repetition/t:Interval"), "PT30M")
        self.assertEqual(text("t:Settings/t:ExecutionTimeLimit"), "PT5M")
        self.assertEqual(text("t:Actions/t:Exec/t:Command"), "C:\\mgwauth\\mgwauth.exe")
        self.assertEqual(text("t:Actions/t:Exec/t:Arguments"),
                         'roots prune --system-store LocalMachine\\Root --keep-file '
                         '"C:\\mgw auth\\keep.txt" --backup-dir C:\\mgwauth\\backups --yes')

    def test_task_options_and_their_limits(self):
        with mgwauth.TaskOptions(interval=datetime.timedelta(hours=1),
                                 start=datetime.datetime(2025, 6, 1, 12, 0, 0)) as opts:
            with self.assertRaisesRegex(mgwauth.InvalidArgumentError, "no command"):
                opts.to_xml()
            opts.set_command("C:\\tools\\run.exe", "--a <b> & \"c\"")
            task = self.parse(opts.to_xml())
            self.assertEqual(task.find("t:Actions/t:Exec/t:Arguments", NS).text,
                             "--a <b> & \"c\"")
            self.assertEqual(task.find("t:Triggers/t:CalendarTrigger/t:Repetition/t:Interval",
                                       NS).text, "PT1H")
            self.assertEqual(task.find("t:Triggers/t:CalendarTrigger/t:StartBoundary", NS).text,
                             "2025-06-01T12:00:00")
            for bad in (90, 0, 32 * 86400):
                with self.subTest(bad), self.assertRaises(mgwauth.InvalidArgumentError):
                    opts.set_interval(bad)
            with self.assertRaises(mgwauth.InvalidArgumentError):
                opts.set_command("C:\\run.exe", "a\x01b")
            with self.assertRaises(mgwauth.InvalidArgumentError):
                opts.set_time_limit(30)


if __name__ == "__main__":
    unittest.main()
