"""The binding against the header: every function declared with the right
types, every constant mirrored, every error code mapped to its exception."""
import ctypes
import os
import re
import unittest
from ctypes import POINTER, c_char_p, c_int, c_int64, c_size_t, c_uint, c_uint32, c_void_p

import support  # noqa: F401  (sets up the import path)
import mgwauth
from mgwauth import _ffi, errors

PROTOTYPE = re.compile(r"MGW_API\s+(?P<ret>[^;(]*?)\b(?P<name>mgw_\w+)\s*\((?P<params>[^)]*)\)\s*;")
SCALARS = {"int": c_int, "unsigned": c_uint, "uint32_t": c_uint32, "int64_t": c_int64,
           "size_t": c_size_t}


def header_prototypes():
    text = re.sub(r"/\*.*?\*/", " ", support.header_text(), flags=re.S)
    text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)  # the MGW_API definitions
    text = re.sub(r"\s+", " ", text)
    for m in PROTOTYPE.finditer(text):
        params = [p.strip() for p in m.group("params").split(",")]
        if params == ["void"]:
            params = []
        yield m.group("name"), m.group("ret"), [re.sub(r"\w+$", "", p) for p in params]


def normalise(c_type):
    return " ".join(c_type.replace("*", " * ").split())


def expected_ctype(c_type, is_return):
    """The ctypes type the binding must use for a C type of the header."""
    t = normalise(c_type)
    if t == "void":
        return None
    if t == "const char *" and is_return:
        return c_char_p  # constant strings (version, strerror, last_error)
    if t in SCALARS:
        return SCALARS[t]
    if re.fullmatch(r"mgw_\w+_cb", t):
        assert t in _ffi.CALLBACK_TYPES, f"{t}: declare it with _ffi.callback_type()"
        return _ffi.CALLBACK_TYPES[t]
    if t == "void *":
        return c_void_p
    if t in ("const char *", "const uint8_t *"):
        return c_char_p  # input the caller owns
    if t == "const char * const *":
        return POINTER(c_char_p)  # an array of strings the caller owns
    if t in ("char * *", "uint8_t * *"):
        return POINTER(c_void_p)  # output the library allocates: copied, then mgw_free()
    if re.fullmatch(r"(const )?mgw_\w+_t \*", t):
        return c_void_p
    if re.fullmatch(r"mgw_\w+_t \* \*", t):
        return POINTER(c_void_p)
    if t.endswith(" *") and t[:-2] in SCALARS:
        return POINTER(SCALARS[t[:-2]])
    raise AssertionError(f"no ctypes rule for the C type {c_type!r}: extend this test")


def expected_callback_ctype(c_type):
    """In a callback the library is the caller: buffers it hands in are
    written or read in place."""
    if normalise(c_type) == "unsigned char *":
        return POINTER(ctypes.c_ubyte)
    return expected_ctype(c_type, False)


class Declarations(unittest.TestCase):
    def test_every_header_function_is_declared(self):
        names = {name for name, _, _ in header_prototypes()}
        self.assertGreater(len(names), 70)
        missing = sorted(names - set(_ffi.DECLARED))
        self.assertEqual(missing, [], "functions of mgwauth.h without a ctypes declaration")
        extra = sorted(set(_ffi.DECLARED) - names)
        self.assertEqual(extra, [], "declared but not in mgwauth.h")

    def test_every_header_function_is_wrapped(self):
        """Declared is not enough: some Python code outside the declaration
        tables must call it (or name it as a handle's free or describe)."""
        package = os.path.dirname(mgwauth.__file__)
        code = ""
        for name in sorted(os.listdir(package)):
            if name.endswith(".py"):
                with open(os.path.join(package, name), encoding="utf-8") as f:
                    code += re.sub(r"declare\(\{.*?\n\}\)", " ", f.read(), flags=re.S)
        unused = sorted(name for name, _, _ in header_prototypes()
                        if not re.search(r"\b" + name + r"\b", code))
        self.assertEqual(unused, [], "declared but no Python function calls them")

    def test_declared_types_match_the_prototypes(self):
        for name, ret, params in header_prototypes():
            with self.subTest(name):
                fn = _ffi.DECLARED[name]
                self.assertIs(fn.restype, expected_ctype(ret, True), f"{name} restype")
                self.assertEqual(list(fn.argtypes), [expected_ctype(p, False) for p in params],
                                 f"{name} argtypes")

    def test_callback_types_match_the_typedefs(self):
        text = re.sub(r"\s+", " ", re.sub(r"/\*.*?\*/", " ", support.header_text(), flags=re.S))
        typedefs = re.findall(r"typedef ([^;(]*?)\(\s*\*\s*(mgw_\w+_cb)\s*\)\s*\(([^)]*)\)\s*;", text)
        self.assertTrue(typedefs)
        self.assertEqual(sorted(_ffi.CALLBACK_TYPES), sorted(name for _, name, _ in typedefs))
        for ret, name, params in typedefs:
            with self.subTest(name):
                cb = _ffi.CALLBACK_TYPES[name]
                self.assertIs(cb._restype_, expected_callback_ctype(ret))
                self.assertEqual(list(cb._argtypes_),
                                 [expected_callback_ctype(re.sub(r"\w+$", "", p.strip()))
                                  for p in params.split(",")])

    def test_no_library_allocated_buffer_is_read_as_c_char_p(self):
        """char ** outputs must be c_void_p (copied, then mgw_free()); an
        array of strings is only what the caller hands in."""
        for name, _, params in header_prototypes():
            for c_type, t in zip(params, _ffi.DECLARED[name].argtypes):
                if t is POINTER(c_char_p):
                    self.assertEqual(normalise(c_type), "const char * const *", name)


def header_constants():
    for m in re.finditer(r"^#define (MGW_\w+) (-?(?:0x[0-9A-Fa-f]+|\d+))u?\b", support.header_text(),
                         flags=re.M):
        yield m.group(1), int(m.group(2), 0)


MIRRORS = [  # header prefix -> where the binding keeps the values
    ("MGW_ERR_", lambda n: getattr(errors, "ERR_" + n)),
    ("MGW_OK", lambda n: errors.OK),
    ("MGW_FILE_", lambda n: mgwauth.FileFlag[n]),
    ("MGW_KEY_", lambda n: mgwauth.KeyType[n]),
    ("MGW_FORMAT_", lambda n: mgwauth.Format[n]),
    ("MGW_SAN_", lambda n: mgwauth.SanType[n]),
    ("MGW_DIGEST_", lambda n: mgwauth.Digest[n]),
    ("MGW_DESCRIBE_", lambda n: mgwauth.DescribeStyle[n]),
    ("MGW_PFX_PROFILE_", lambda n: mgwauth.PfxProfile[n]),
    ("MGW_PFX_KEYSPEC_", lambda n: mgwauth.KeySpec[n]),
    ("MGW_PFX_PART_", lambda n: mgwauth.PfxPart[n]),
    # registry
    ("MGW_REGPLAN_", lambda n: mgwauth.RegFile[n]),
    # IIS configuration
    ("MGW_IISPLAN_", lambda n: mgwauth.IisOutput[n]),
    # trusted roots
    ("MGW_ROOT_", lambda n: mgwauth.RootAction[n]),
    ("MGW_ROOTS_", lambda n: mgwauth.RootsEventType[n]),
    ("MGW_STORE_", lambda n: mgwauth.StoreImportFlag[n]),
    # gateway check
    ("MGW_TLS_", lambda n: mgwauth.TlsVersion["TLS_" + n]),
    ("MGW_CHECK_", lambda n: mgwauth.CheckRequest[n]),
]


class Constants(unittest.TestCase):
    def test_every_error_code_of_the_header_has_its_python_constant(self):
        header = {n: v for n, v in header_constants() if n.startswith("MGW_ERR_")}
        self.assertGreater(len(header), 30)
        python = {"MGW_" + n: v for n, v in vars(errors).items() if n.startswith("ERR_")}
        self.assertEqual(python, header)

    def test_every_numeric_macro_is_mirrored_with_the_same_value(self):
        for name, value in header_constants():
            if name.startswith("MGW_VERSION_"):
                continue
            with self.subTest(name):
                prefix = next((p for p, _ in MIRRORS if name.startswith(p)), None)
                self.assertIsNotNone(prefix, f"{name}: no Python mirror for this family")
                get = dict(MIRRORS)[prefix]
                self.assertEqual(int(get(name[len(prefix):])), value)

    def test_enum_members_all_exist_in_the_header(self):
        header = dict(header_constants())
        for prefix, enum in [("MGW_KEY_", mgwauth.KeyType), ("MGW_FORMAT_", mgwauth.Format),
                             ("MGW_SAN_", mgwauth.SanType), ("MGW_DIGEST_", mgwauth.Digest),
                             ("MGW_DESCRIBE_", mgwauth.DescribeStyle),
                             ("MGW_PFX_PROFILE_", mgwauth.PfxProfile),
                             ("MGW_PFX_KEYSPEC_", mgwauth.KeySpec),
                             ("MGW_PFX_PART_", mgwauth.PfxPart), ("MGW_FILE_", mgwauth.FileFlag),
                             ("MGW_REGPLAN_", mgwauth.RegFile),
                             ("MGW_IISPLAN_", mgwauth.IisOutput), ("MGW_ROOT_", mgwauth.RootAction),
                             ("MGW_ROOTS_", mgwauth.RootsEventType),
                             ("MGW_", mgwauth.TlsVersion),
                             ("MGW_CHECK_", mgwauth.CheckRequest)]:
            for member in enum:
                self.assertEqual(header.get(prefix + member.name), int(member), prefix + member.name)

    def test_header_major_version_is_the_one_the_binding_requires(self):
        self.assertEqual(dict(header_constants())["MGW_VERSION_MAJOR"], _ffi.REQUIRED_MAJOR)


class Version(unittest.TestCase):
    def test_crypto_version_is_the_mbedtls_built_against(self):
        # build-36 must load the 3.6 libraries, not Debian's 2.28 (rpath)
        self.assertEqual(mgwauth.crypto_version(), "mbedTLS " + os.environ["MGW_MBEDTLS_VERSION"])

    def test_version_string_and_number_agree(self):
        v = mgwauth.version()
        self.assertRegex(v, r"^\d+\.\d+\.\d+$")
        major, minor, patch = map(int, v.split("."))
        self.assertEqual(mgwauth.version_number(), major << 16 | minor << 8 | patch)
        self.assertEqual(major, 1)

    def test_library_comes_from_mgwauth_library(self):
        self.assertEqual(mgwauth.LIBRARY_PATH, support.os.environ["MGWAUTH_LIBRARY"])


FAMILIES = [(-1, -99, mgwauth.GeneralError), (-100, -199, mgwauth.InputError),
            (-200, -299, mgwauth.CryptoError), (-300, -399, mgwauth.PfxError),
            (-400, -499, mgwauth.RegistryError), (-500, -599, mgwauth.RootsError),
            (-600, -699, mgwauth.PlatformError), (-700, -799, mgwauth.CheckError)]


class ErrorMapping(unittest.TestCase):
    def test_each_code_maps_into_its_family(self):
        for high, low, family in FAMILIES:
            for code in (high, low, (high + low) // 2):
                with self.subTest(code=code):
                    cls = errors.error_class(code)
                    self.assertTrue(issubclass(cls, family), f"{code}: {cls}")
                    self.assertTrue(issubclass(cls, mgwauth.MgwError))

    def test_specific_classes(self):
        expect = {errors.ERR_WRONG_PASSWORD: mgwauth.WrongPasswordError,
                  errors.ERR_PFX_MAC: mgwauth.WrongPasswordError,
                  errors.ERR_EXISTS: mgwauth.ExistsError,
                  errors.ERR_NOT_FOUND: mgwauth.NotFoundError,
                  errors.ERR_KEY_MISMATCH: mgwauth.KeyMismatchError,
                  errors.ERR_NOT_CA: mgwauth.NotCaError,
                  errors.ERR_INVALID_ARGUMENT: ValueError,
                  errors.ERR_DN_SYNTAX: ValueError,
                  errors.ERR_REG_SYNTAX: mgwauth.RegistrySyntaxError,
                  errors.ERR_REG_NO_BINDING: mgwauth.NoBindingError,
                  errors.ERR_REG_DRIFT: mgwauth.DriftError,
                  errors.ERR_REG_PLAN: mgwauth.RegistryPlanError,
                  errors.ERR_THUMBPRINT: ValueError,
                  errors.ERR_ROOTS_KEEP_EMPTY: mgwauth.KeepListEmptyError,
                  errors.ERR_ROOTS_KEEP_MISSING: mgwauth.KeepListMissingError,
                  errors.ERR_ROOTS_KEEPS_NOTHING: mgwauth.KeepsNothingError,
                  errors.ERR_ROOTS_BACKUP: mgwauth.BackupError,
                  errors.ERR_ROOTS_INCOMPLETE: mgwauth.IncompleteError,
                  errors.ERR_STORE_CHANGED: mgwauth.StoreChangedError,
                  errors.ERR_CHECK_URL: ValueError}
        for code, cls in expect.items():
            with self.subTest(code=code):
                self.assertTrue(issubclass(errors.error_class(code), cls))
        self.assertTrue(issubclass(errors.error_class(errors.ERR_PFX_MAC), mgwauth.PfxError))

    def test_every_header_code_has_a_library_text(self):
        for name, value in header_constants():
            if name.startswith("MGW_ERR_"):
                self.assertNotEqual(mgwauth.strerror(value), "unknown error", name)

    def test_error_carries_code_name_and_message(self):
        with self.assertRaises(mgwauth.InputError) as cm:
            mgwauth.CertOptions("CN=ok,=bad")
        e = cm.exception
        self.assertEqual(e.code, errors.ERR_DN_SYNTAX)
        self.assertEqual(e.name, "MGW_ERR_DN_SYNTAX")
        self.assertIn("position", str(e))
        self.assertEqual(e.message, str(e))

    def test_bad_dn_raises_input_error_naming_the_position(self):
        with self.assertRaisesRegex(mgwauth.InputError, r"position \d+"):
            mgwauth.create_certificate(subject="CN=a,XX=b", key="p256")

    def test_wrong_pfx_password_raises_wrong_password_error_with_the_mac_message(self):
        pfx = support.leaf().to_pfx("right", iterations=1)
        with self.assertRaises(mgwauth.WrongPasswordError) as cm:
            mgwauth.load_pfx(pfx, "wrong")
        self.assertEqual(cm.exception.code, errors.ERR_PFX_MAC)
        self.assertIn("MAC", str(cm.exception))

    def test_message_without_detail_falls_back_to_strerror(self):
        e = errors.error_for(errors.ERR_NOT_CA)
        self.assertIsInstance(e, mgwauth.NotCaError)
        self.assertEqual(e.name, "MGW_ERR_NOT_CA")

    def test_errors_pickle(self):
        import pickle
        e = pickle.loads(pickle.dumps(errors.error_for(errors.ERR_PFX_MAC, "m")))
        self.assertIsInstance(e, mgwauth.PfxMacError)
        self.assertEqual((e.code, e.message), (errors.ERR_PFX_MAC, "m"))


if __name__ == "__main__":
    unittest.main()
