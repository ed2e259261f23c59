"""IIS plans through the binding, against tests/data/iis: reading, the
plan's outputs, plan files, apply / rollback on a temporary file, errors."""
import json
import os
import tempfile
import unittest
import xml.etree.ElementTree as ET

import support
import mgwauth
from mgwauth import errors, iis

IISDATA = os.path.join(support.TESTDATA, "iis")


def read(name):
    with open(os.path.join(IISDATA, name), "rb") as f:
        return f.read()


class IisTest(unittest.TestCase):
    def test_config_describes_sites_and_child_locations(self):
        with mgwauth.IisConfig.from_file(os.path.join(IISDATA, "weakening-child.config")) as c:
            doc = c.describe_json()
            self.assertEqual(doc["sites"][0]["name"], "Default Web Site")
            self.assertEqual(len(doc["sites"][0]["child_locations"]), 2)
            self.assertIn("Default Web Site/EWS", c.describe())

    def test_plan_outputs_and_round_trip_through_plan_files(self):
        config = mgwauth.IisConfig.parse(read("sni.config"))
        plan = mgwauth.IisPlan.compute(mgwauth.IisOptions(disable_tls13=True), config)
        self.assertEqual(plan.change_count, 3)
        self.assertEqual(plan.backup, read("sni.config"))
        root = ET.fromstring(plan.desired)
        flags = [b.get("sslFlags") for b in root.iter("binding") if b.get("protocol") == "https"]
        self.assertEqual(flags, ["32", "33"])
        self.assertIn(b"appcmd.exe", plan.appcmd)
        self.assertIn(b"add backup", plan.appcmd_rollback)
        self.assertTrue(any("HTTP 413" in w for w in plan.warnings))
        loaded = mgwauth.IisPlan.load(plan.to_json(), plan.desired, plan.backup)
        self.assertEqual(loaded.fingerprint, plan.fingerprint)
        self.assertEqual(json.loads(plan.to_json())["changes"], 3)
        with self.assertRaises(errors.IisPlanError):
            mgwauth.IisPlan.load(plan.to_json(), plan.backup, plan.desired)
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "applicationHost.config")
            with open(cfg, "wb") as f:
                f.write(plan.backup)
            self.assertEqual(loaded.apply_file(cfg, os.path.join(d, "b1")), 3)
            self.assertEqual(loaded.apply_file(cfg, os.path.join(d, "b2")), 0)
            self.assertEqual(loaded.rollback_file(cfg, os.path.join(d, "b3")), 3)
            with open(cfg, "rb") as f:
                self.assertEqual(f.read(), read("sni.config"))
            with open(cfg, "ab") as f:
                f.write(b" ")
            with self.assertRaises(errors.IisDriftError):
                loaded.apply_file(cfg, os.path.join(d, "b4"))
            with self.assertRaises(mgwauth.NotAvailableError):
                loaded.apply_live(os.path.join(d, "b5"))
        for p in (plan, loaded, config):
            p.close()

    def test_errors_name_the_problem(self):
        with self.assertRaises(errors.IisXmlError) as cm:
            mgwauth.IisConfig.parse(b"<configuration>\n<a></b></configuration>")
        self.assertIn("line 2, column 4", str(cm.exception))
        with self.assertRaises(errors.IisConfigError):
            mgwauth.IisConfig.parse(b"<root/>")
        config = mgwauth.IisConfig.parse(read("applicationHost.config"))
        with self.assertRaises(errors.IisNotFoundError):
            mgwauth.IisPlan.compute(mgwauth.IisOptions(site="Nope"), config)
        with self.assertRaises(errors.IisNotFoundError):
            mgwauth.IisPlan.compute(mgwauth.IisOptions(bindings=["*:8443:"]), config)
        with self.assertRaises(mgwauth.InvalidArgumentError):
            mgwauth.IisOptions(site="a/b")
        with self.assertRaises(mgwauth.NotAvailableError):
            iis.live_path()
        self.assertEqual(iis.max_file_size(), 8 << 20)
        self.assertEqual(mgwauth.strerror(errors.ERR_IIS_DRIFT),
                         "the IIS configuration changed since the plan was made")


if __name__ == "__main__":
    unittest.main()
