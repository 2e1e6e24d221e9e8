"""Where output goes: stdout through a spool, or ``-o`` atomically; a progress bar on stderr."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from typing import IO, Any

from losscli.errors import LossInputError


class Destination:
    """stdout through a spool (nothing partial is ever printed), or ``-o`` through a temp
    file in the target's folder renamed on success (a failed run never touches the file)."""

    def __init__(self, path: str | None, big: bool = True) -> None:
        self.path = path
        self.tmp: str | None = None
        if (path and path != "-") or big:
            import tempfile  # ~4 ms of imports that a -q run to stdout does without
        if path and path != "-":
            folder = os.path.dirname(os.path.abspath(path))
            if os.path.isdir(path):
                raise LossInputError(f"-o {path}: is a directory")
            try:
                fd, self.tmp = tempfile.mkstemp(prefix=".losscli-", suffix=".tmp", dir=folder)
            except OSError as e:
                raise LossInputError(f"-o {path}: cannot write there ({e.strerror or e})") from None
            self.stream: IO[str] = open(fd, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        elif big:
            # stdout is written only after success; big outputs spill to disk, not memory
            self.stream = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed in commit/abort
                max_size=32 << 20, mode="w+", encoding="utf-8", newline="\n"
            )
        else:
            self.stream = io.StringIO()  # a summary: a few lines

    def commit(self) -> None:
        if self.tmp is not None:
            assert self.path is not None
            self.stream.close()
            try:
                if os.path.exists(self.path):
                    os.chmod(self.tmp, os.stat(self.path).st_mode & 0o7777)
                else:
                    umask = os.umask(0)
                    os.umask(umask)
                    os.chmod(self.tmp, 0o666 & ~umask)
                os.replace(self.tmp, self.path)
            except OSError as e:
                self.abort()
                raise LossInputError(f"-o {self.path}: cannot write ({e.strerror or e})") from None
            self.tmp = None
            return
        self.stream.seek(0)
        out = sys.stdout
        while True:
            block = self.stream.read(1 << 20)
            if not block:
                break
            out.write(block)
        out.flush()
        self.stream.close()

    def abort(self) -> None:
        try:
            self.stream.close()
        finally:
            if self.tmp is not None:
                with contextlib.suppress(OSError):  # already gone: nothing to clean up
                    os.unlink(self.tmp)
                self.tmp = None


class ProgressBar:
    """A progress bar on stderr (bytes read, or partitions done) for runs that take more
    than about a second.

    Only on an interactive stderr (the byte bar only for the table, never in ``-q`` or
    machine formats), never in a CI log. rich is imported only when the bar actually appears.
    """

    DELAY = 1.0

    def __init__(self, label: str, unit: str = "bytes") -> None:
        import time

        self.label, self.unit = label, unit  # "bytes", or a count such as "partitions"
        self.start = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        import time

        if self.bar is None:
            if time.monotonic() - self.start < self.DELAY or done >= total:
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                MofNCompleteColumn,
                Progress,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn() if self.unit == "bytes" else MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
