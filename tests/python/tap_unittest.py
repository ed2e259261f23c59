#!/usr/bin/env python3
"""Run unittest modules and report each test case as one TAP line, so that
Meson and tests/summarize.py count every case. A skipped case is reported
as a failure: a test that cannot run must say so, not pass quietly.

    tap_unittest.py MODULE [MODULE...]     (modules in this directory)
"""
import os
import sys
import traceback
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class TapResult(unittest.TestResult):
    def __init__(self) -> None:
        super().__init__()
        self.number = 0
        self.problems: list = []
        self.failed_any = False

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        self.problems = []

    def _problem(self, text: str) -> None:
        self.problems.append(text)

    def addError(self, test, err) -> None:  # type: ignore[no-untyped-def]
        super().addError(test, err)
        if isinstance(test, unittest.TestCase):
            self._problem("".join(traceback.format_exception(*err)))
        else:  # setUpModule / setUpClass failed: no case of it ran
            self._report(False, str(test), ["".join(traceback.format_exception(*err))])

    def addFailure(self, test, err) -> None:  # type: ignore[no-untyped-def]
        super().addFailure(test, err)
        self._problem("".join(traceback.format_exception(*err)))

    def addSubTest(self, test, subtest, err) -> None:  # type: ignore[no-untyped-def]
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._problem(f"{subtest}:\n" + "".join(traceback.format_exception(*err)))

    def addSkip(self, test, reason) -> None:  # type: ignore[no-untyped-def]
        super().addSkip(test, reason)
        self._problem(f"skipped ({reason}): tests here must run or fail")

    def addUnexpectedSuccess(self, test) -> None:  # type: ignore[no-untyped-def]
        super().addUnexpectedSuccess(test)
        self._problem("unexpected success")

    def stopTest(self, test: unittest.TestCase) -> None:
        super().stopTest(test)
        self._report(not self.problems, test.id(), self.problems)

    def _report(self, ok: bool, name: str, problems: list) -> None:
        self.number += 1
        print(f"{'ok' if ok else 'not ok'} {self.number} - {name}", flush=True)
        for text in problems:
            for line in text.rstrip().splitlines():
                print(f"# {line}", flush=True)
        if not ok:
            self.failed_any = True


def main(argv: list) -> int:
    if not argv:
        print("usage: tap_unittest.py MODULE [MODULE...]", file=sys.stderr)
        return 2
    suite = unittest.TestSuite()
    loader = unittest.defaultTestLoader
    for name in argv:
        suite.addTests(loader.loadTestsFromName(name))
    print(f"1..{suite.countTestCases()}", flush=True)
    result = TapResult()
    suite.run(result)
    return 1 if result.failed_any or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
