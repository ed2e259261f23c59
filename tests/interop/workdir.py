"""A temporary directory for one interop test, removed afterwards."""
import os
import shutil
import tempfile


class WorkDir:
    def __init__(self, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
