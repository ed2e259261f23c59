"""Registry plans through the binding, against the regedit exports in
tests/data/registry: state import and export, every option, the plan's
outputs, plan files, and apply / rollback on a temporary .reg file."""
import os
import unittest

import support
import mgwauth
from mgwauth import errors, registry

REGDATA = os.path.join(support.TESTDATA, "registry")
FIXTURES = [os.path.join(REGDATA, n) for n in ("gateway-schannel.reg", "gateway-http.reg")]
HEADER = b"\xff\xfe" + "Windows Registry Editor Version 5.00\r\n".encode("utf-16-le")
CRLF = "\r\n".encode("utf-16-le")
SCHANNEL = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL"


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write_state_file(path):
    """One .reg file holding both fixtures (as tests/interop/test_registry_cli.py
    assembles it): the machine's registry for apply and rollback."""
    parts = [read(p)[len(HEADER):-len(CRLF)] for p in FIXTURES]
    with open(path, "wb") as f:
        f.write(HEADER + b"".join(parts) + CRLF)
    return read(path)


def reg_text(data):
    """A regedit export as text, judged without our reader."""
    assert data.startswith(b"\xff\xfe"), data[:4]
    return data[2:].decode("utf-16-le")


def state():
    return mgwauth.RegistryState.from_files(*FIXTURES)


def items(plan):
    """{label: (action, desired display)} of a plan's JSON."""
    return {i["label"]: (i["action"], i["after"]["display"] if i["after"] else None)
            for i in plan.describe_json()["items"]}


class State(unittest.TestCase):
    def test_regedit_exports_round_trip_byte_for_byte(self):
        for name in ("gateway-http.reg", "gateway-schannel.reg", "all-types.reg"):
            with self.subTest(name), mgwauth.RegistryState() as st:
                data = read(os.path.join(REGDATA, name))
                st.import_reg(data)
                self.assertEqual(st.export(), data)

    def test_a_bad_line_names_it_and_leaves_the_state_alone(self):
        with state() as st:
            before = st.export()
            bad = (b"Windows Registry Editor Version 5.00\n\n[HKEY_USERS\\X]\n"
                   b"\"a\"=dword:123456789\n")
            with self.assertRaisesRegex(mgwauth.RegistrySyntaxError, "line 4: dword:") as cm:
                st.import_reg(bad)
            self.assertEqual(cm.exception.code, errors.ERR_REG_SYNTAX)
            self.assertIsInstance(cm.exception, ValueError)
            self.assertEqual(st.export(), before)

    def test_max_file_size(self):
        self.assertEqual(registry.max_file_size(), 16 << 20)


class Plans(unittest.TestCase):
    def test_default_plan_and_its_outputs(self):
        with state() as st, mgwauth.RegistryOptions() as opts:
            plan = mgwauth.RegistryPlan.compute(opts, st)
        self.assertEqual(plan.change_count, 2)
        table = plan.describe()
        for col in ("VALUE", "CURRENT", "DESIRED", "ACTION", "MEANING"):
            self.assertIn(col, table)
        self.assertIn("2 values to change.", table)
        self.assertRegex(plan.fingerprint, r"^sha256:[0-9A-F]{64}$")
        j = plan.describe_json()
        self.assertEqual((j["format"], j["changes"], j["fingerprint"], j["binding"]),
                         ("mgwauth-registry-plan", 2, plan.fingerprint, "0.0.0.0:443"))
        self.assertEqual(j["warnings"], plan.warnings)
        self.assertEqual(items(plan)["SCHANNEL\\ClientAuthTrustMode"], ("set", "0x00000002 (2)"))
        security = reg_text(plan.security_reg)
        self.assertIn(f"[{SCHANNEL}]\r\n", security)
        self.assertIn('"ClientAuthTrustMode"=dword:00000002\r\n', security)
        self.assertIn('"SendTrustedIssuerList"=dword:00000000\r\n', security)
        rollback = reg_text(plan.rollback_reg)
        self.assertIn('"ClientAuthTrustMode"=-\r\n', rollback)
        self.assertEqual(plan.reg_file("backup"), plan.backup_reg)
        self.assertIn(f"[{SCHANNEL}]", reg_text(plan.backup_reg))
        self.assertRegex(repr(plan), r"^<RegistryPlan 2 changes sha256:")

    def test_every_option_reaches_the_plan(self):
        cert = mgwauth.create_certificate("CN=imagoverum.com", key="p256")
        with state() as st, mgwauth.RegistryOptions(
                trust_mode=mgwauth.TrustMode.EXCLUSIVE_ROOT, sni_binding="mail.example.com:443",
                revocation_check=False, disable_tls13=True, negotiate_client_cert=True,
                issuer_store="ClientAuthIssuer", disable_root_autoupdate=True,
                keep_disallowed_updates=True, client_cert=cert) as opts:
            plan = mgwauth.RegistryPlan.compute(opts, st)
        got = items(plan)
        self.assertEqual(plan.describe_json()["binding"], "mail.example.com:443")
        expect = {
            "SCHANNEL\\ClientAuthTrustMode": ("set", "0x00000001 (1)"),
            "mail.example.com:443\\DefaultSslCertCheckMode": ("set", "0x00000001 (1)"),
            "mail.example.com:443\\DefaultFlags": ("set", "0x00000042 (66)"),
            "mail.example.com:443\\DefaultSslCtlStoreName": ("set", '"ClientAuthIssuer"'),
            "AuthRoot\\DisableRootAutoUpdate": ("set", "0x00000001 (1)"),
            "AuthRoot\\EnableDisallowedCertAutoUpdate": ("set", "0x00000001 (1)"),
        }
        for label, want in expect.items():
            self.assertEqual(got.get(label), want, label)
        self.assertEqual(plan.change_count, 7)

    def test_setters_one_by_one(self):
        with state() as st, mgwauth.RegistryOptions() as opts:
            opts.set_binding("0.0.0.0:443")
            opts.set_trust_mode(0)
            opts.set_revocation_check(True)
            opts.set_negotiate_client_cert(True)
            opts.set_disable_tls13(False)
            opts.set_issuer_store("ClientAuthIssuer")
            opts.set_issuer_store(None)
            opts.set_root_autoupdate(False)
            opts.set_client_cert(mgwauth.create_certificate("CN=self", key="p256"))
            plan = mgwauth.RegistryPlan.compute(opts, st)
        got = items(plan)
        self.assertEqual(got["SCHANNEL\\ClientAuthTrustMode"], ("set", "0x00000000 (0)"))
        self.assertEqual(got["0.0.0.0:443\\DefaultFlags"], ("set", "0x00000002 (2)"))
        self.assertNotIn("0.0.0.0:443\\DefaultSslCtlStoreName", got)
        self.assertNotIn("AuthRoot\\DisableRootAutoUpdate", got)
        # self-signed, no CRL distribution point: revocation checking cannot fail it
        self.assertFalse(any("CRL distribution point" in w for w in plan.warnings),
                         plan.warnings)

    def test_a_client_certificate_naming_a_crl_is_warned_about(self):
        import datetime
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "phone")])
        now = datetime.datetime.utcnow()
        cdp = x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier("http://crl.example.com/ca.crl")], None, None, None)])
        der = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(key.public_key()).serial_number(1).not_valid_before(now)
               .not_valid_after(now + datetime.timedelta(days=9)).add_extension(cdp, False)
               .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
        cert = mgwauth.load_certificate(der)
        for check, warned in ((True, True), (False, False)):
            with state() as st, mgwauth.RegistryOptions(client_cert=cert,
                                                        revocation_check=check) as opts:
                plan = mgwauth.RegistryPlan.compute(opts, st)
            self.assertEqual(any("names a CRL distribution point" in w for w in plan.warnings),
                             warned, plan.warnings)

    def test_ccs_binding_option(self):
        with mgwauth.RegistryOptions(ccs_binding="443") as opts:
            with self.assertRaises(mgwauth.NoBindingError):
                mgwauth.RegistryPlan.compute(opts, mgwauth.RegistryState())
            with self.assertRaises(mgwauth.InvalidArgumentError):
                opts.set_ccs_binding("0.0.0.0:443")

    def test_bad_options_raise(self):
        with mgwauth.RegistryOptions() as opts:
            with self.assertRaises(mgwauth.InvalidArgumentError):
                opts.set_trust_mode(3)
            with self.assertRaisesRegex(ValueError, "0.0.0.0:443"):
                opts.set_binding("0.0.0.0")
            with self.assertRaises(mgwauth.InvalidArgumentError):
                opts.set_root_autoupdate(False, keep_disallowed_updates=True)
            with self.assertRaises(mgwauth.InvalidArgumentError):
                opts.set_issuer_store("")

    def test_a_missing_binding_names_those_present(self):
        with state() as st, mgwauth.RegistryOptions(binding="10.0.0.1:443") as opts:
            with self.assertRaisesRegex(mgwauth.NoBindingError,
                                        "SNI bindings present: mail.example.com:443"):
                mgwauth.RegistryPlan.compute(opts, st)

    def test_a_compliant_state_gives_an_empty_plan(self):
        with support.TempDir() as d, state() as st, mgwauth.RegistryOptions() as opts:
            plan = mgwauth.RegistryPlan.compute(opts, st)
            path = os.path.join(d, "security.reg")
            mgwauth.write_file(path, plan.security_reg)
            st.import_reg(read(path))
            again = mgwauth.RegistryPlan.compute(opts, st)
        self.assertEqual(again.change_count, 0)
        self.assertIn("SCHANNEL\\ClientAuthTrustMode", again.describe())

    def test_plan_files_load_and_tampering_is_refused(self):
        with state() as st, mgwauth.RegistryOptions(negotiate_client_cert=True) as opts:
            plan = mgwauth.RegistryPlan.compute(opts, st)
        text = plan.to_json()
        for source in (text, text.encode("utf-8")):
            loaded = mgwauth.RegistryPlan.load(source)
            self.assertEqual((loaded.fingerprint, loaded.change_count, loaded.security_reg,
                              loaded.rollback_reg, loaded.describe_json()),
                             (plan.fingerprint, 3, plan.security_reg, plan.rollback_reg,
                              plan.describe_json()))
        with self.assertRaises(mgwauth.NotAvailableError):
            loaded.backup_reg
        edited = text.replace('"key_existed": true', '"key_existed": false', 1)
        self.assertNotEqual(edited, text)
        with self.assertRaisesRegex(mgwauth.RegistryPlanError, "fingerprint does not match"):
            mgwauth.RegistryPlan.load(edited)
        with self.assertRaises(mgwauth.RegistryPlanError):
            mgwauth.RegistryPlan.load("{}")


class ApplyAndRollback(unittest.TestCase):
    def setUp(self):
        self.tmp = support.TempDir()
        self.dir = self.tmp.__enter__()
        self.file = os.path.join(self.dir, "machine.reg")
        self.original = write_state_file(self.file)
        with state() as st, mgwauth.RegistryOptions(negotiate_client_cert=True) as opts:
            self.plan = mgwauth.RegistryPlan.compute(opts, st)

    def tearDown(self):
        self.tmp.__exit__(None, None, None)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_apply_reapply_rollback(self):
        self.assertEqual(self.plan.apply_file(self.file, self.path("b1.reg")), 3)
        self.assertEqual(read(self.path("b1.reg")), self.plan.backup_reg)
        text = reg_text(read(self.file))
        self.assertIn('"ClientAuthTrustMode"=dword:00000002', text)
        self.assertIn('"DefaultFlags"=dword:00000002', text)
        with mgwauth.RegistryState.from_files(self.file) as st, mgwauth.RegistryOptions(
                negotiate_client_cert=True) as opts:
            self.assertEqual(mgwauth.RegistryPlan.compute(opts, st).change_count, 0)
        self.assertEqual(self.plan.apply_file(self.file, self.path("b2.reg")), 0)
        self.assertFalse(os.path.exists(self.path("b2.reg")), "nothing to do, no backup")
        with self.assertRaises(mgwauth.ExistsError):
            self.plan.rollback_file(self.file, self.path("b1.reg"))
        self.assertEqual(self.plan.rollback_file(self.file, self.path("b1.reg"), force=True), 3)
        self.assertEqual(read(self.file), self.original)
        self.assertEqual(self.plan.rollback_file(self.file, self.path("b3.reg")), 0)

    def test_a_loaded_plan_applies_like_the_computed_one(self):
        loaded = mgwauth.RegistryPlan.load(self.plan.to_json())
        self.assertEqual(loaded.apply_file(self.file, self.path("b.reg")), 3)
        self.assertEqual(self.plan.rollback_file(self.file, self.path("r.reg")), 3)
        self.assertEqual(read(self.file), self.original)

    def test_drift_is_refused_and_the_file_left_alone(self):
        with open(self.file, "ab") as f:
            f.write(f"[{SCHANNEL}]\r\n\"ClientAuthTrustMode\"=dword:00000000\r\n\r\n"
                    .encode("utf-16-le"))
        drifted = read(self.file)
        with self.assertRaisesRegex(mgwauth.DriftError, "plan again") as cm:
            self.plan.apply_file(self.file, self.path("b.reg"))
        self.assertEqual(cm.exception.code, errors.ERR_REG_DRIFT)
        self.assertEqual(read(self.file), drifted)
        self.assertFalse(os.path.exists(self.path("b.reg")))

    def test_a_missing_registry_file(self):
        with self.assertRaises(mgwauth.NotFoundError):
            self.plan.apply_file(self.path("none.reg"), self.path("b.reg"))


if __name__ == "__main__":
    unittest.main()
