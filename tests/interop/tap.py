"""Minimal TAP producer for the interop tests: each test_* function of the
calling module is one subtest; an exception fails it, with the reason."""
import inspect
import sys
import traceback


def run(module_globals):
    tests = [(n, f) for n, f in module_globals.items()
             if n.startswith("test_") and inspect.isfunction(f)]
    tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
    print(f"1..{len(tests)}", flush=True)
    failed = 0
    for i, (name, fn) in enumerate(tests, 1):
        try:
            fn()
            print(f"ok {i} - {name}", flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported
            failed += 1
            print(f"not ok {i} - {name}", flush=True)
            for line in traceback.format_exc().splitlines():
                print(f"# {line}", flush=True)
    return 1 if failed else 0


def main(module_globals):
    sys.exit(run(module_globals))
