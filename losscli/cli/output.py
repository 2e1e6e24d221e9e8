"""Where output goes: stdout through a spool, or ``-o``; a progress bar on stderr.

``-o PATH`` by what is there: a regular file (or nothing yet) is replaced atomically, by a
temporary file in its folder renamed over it, keeping its mode; a symlink is followed and
its target replaced that way (the link stays); a FIFO, a device or ``/dev/stdout`` is
written directly once the run succeeded; a directory or a socket is refused. Nothing
partial is ever written: output is spooled (or sits in the temporary file) until success.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from typing import IO, Any, cast

from losscli import cleanup
from losscli.errors import LossInputError

STDOUT_ALIASES = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")
SPOOL_BYTES = 32 << 20  # larger outputs spill from memory to $TMPDIR


class _Guarded:
    """A text stream whose write errors (a full disk, ``ulimit -f``) become input errors
    naming where the output was going."""

    def __init__(self, inner: IO[str], where: str) -> None:
        self.inner, self.where = inner, where

    def _fail(self, e: OSError) -> LossInputError:
        return LossInputError(f"{self.where}: cannot write ({e.strerror or e})")

    def write(self, s: str) -> int:
        try:
            return self.inner.write(s)
        except OSError as e:
            raise self._fail(e) from None

    def flush(self) -> None:
        try:
            self.inner.flush()
        except OSError as e:
            raise self._fail(e) from None

    def close(self) -> None:
        try:
            self.inner.close()
        except OSError as e:
            raise self._fail(e) from None

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _is_fd_alias(path: str) -> bool:
    """``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``: another name of an open descriptor."""
    p = os.path.abspath(path)
    if p.startswith(("/dev/fd/", "/proc/")):
        return True
    try:
        return os.readlink(p).startswith(("/proc/self/fd/", "/dev/fd/"))
    except OSError:
        return False


def classify(path: str) -> tuple[str, str]:
    """(how to write ``-o path``, the file to write): ``"stdout"``; ``"atomic"`` with the
    real path of a regular file (or of a new one); ``"direct"`` for a FIFO or a device.
    A directory, a socket or an empty path is refused."""
    if not path:
        raise LossInputError("-o: the path is empty (an unset shell variable?)")
    if path in STDOUT_ALIASES:
        return "stdout", path
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "atomic", os.path.realpath(path)  # a new file (or a dangling link's target)
    except OSError as e:
        raise LossInputError(f"-o {path}: cannot write there ({e.strerror or e})") from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise LossInputError(f"-o {path}: is a directory")
    if stat.S_ISSOCK(mode):
        raise LossInputError(f"-o {path}: is a socket; -o writes files, FIFOs and devices")
    if stat.S_ISREG(mode) and not _is_fd_alias(path):
        return "atomic", os.path.realpath(path)
    return "direct", path  # FIFO, character or block device, an open descriptor


def _spool(big: bool) -> IO[str]:
    if not big:
        return io.StringIO()  # a summary: a few lines
    import tempfile  # ~4 ms of imports that a -q run to stdout does without

    return tempfile.SpooledTemporaryFile(
        max_size=SPOOL_BYTES, mode="w+", encoding="utf-8", errors="backslashreplace", newline="\n"
    )


class Destination:
    """stdout or a FIFO/device through a spool, or a regular file through a temporary file
    in its folder renamed on success: a failed run never touches the target."""

    def __init__(self, path: str | None, big: bool = True) -> None:
        self.path = path
        self.tmp: str | None = None
        self.kind, self.target = ("stdout", "-") if path is None or path == "-" else classify(path)
        if self.kind == "atomic":
            self.stream: IO[str] = cast(IO[str], _Guarded(self._temp_file(), f"-o {path}"))
        else:
            where = "standard output" if self.kind == "stdout" else f"-o {path}"
            where += " (spooled to the temporary folder; set TMPDIR elsewhere?)"
            self.stream = cast(IO[str], _Guarded(_spool(big or self.kind == "direct"), where))

    def _temp_file(self) -> IO[str]:
        import tempfile

        folder = os.path.dirname(self.target)
        try:
            fd, self.tmp = tempfile.mkstemp(prefix=".losscli-", suffix=".tmp", dir=folder)
        except OSError as e:
            raise LossInputError(f"-o {self.path}: cannot write there ({e.strerror or e})") from None
        cleanup.track(self.tmp)
        return open(fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n")

    def is_tty(self) -> bool:
        """Whether the output is an interactive terminal (colours, the terminal's width)."""
        if self.kind != "stdout" or sys.stdout is None:
            return False
        try:
            return sys.stdout.isatty()
        except (OSError, ValueError):
            return False

    def commit(self) -> None:
        """Put the output in place (raises :class:`LossInputError` when it cannot)."""
        if self.kind == "atomic":
            self._replace()
        elif self.kind == "direct":
            self._copy_to_path()
        else:
            self._copy_to_stdout()

    def _replace(self) -> None:
        assert self.tmp is not None
        try:
            self.stream.close()
            if os.path.exists(self.target):
                os.chmod(self.tmp, os.stat(self.target).st_mode & 0o7777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(self.tmp, 0o666 & ~umask)
            os.replace(self.tmp, self.target)
        except BaseException as e:
            self.abort()
            if isinstance(e, OSError):
                raise LossInputError(f"-o {self.path}: cannot write ({e.strerror or e})") from None
            raise
        cleanup.untrack(self.tmp)
        self.tmp = None

    def _copy_to_stdout(self) -> None:
        out = sys.stdout
        if out is None:
            self.abort()
            raise LossInputError("standard output is closed; give -o PATH to write a file")
        try:
            self._copy(out)
            out.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            silence_stdout()
            raise LossInputError(f"standard output: cannot write ({e.strerror or e})") from None
        finally:
            self.abort()

    def _copy_to_path(self) -> None:
        try:
            fd = os.open(self.target, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY)
            with open(fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as out:
                self._copy(out)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise LossInputError(f"-o {self.path}: cannot write ({e.strerror or e})") from None
        finally:
            self.abort()

    def _copy(self, out: IO[str]) -> None:
        self.stream.seek(0)
        while True:
            block = self.stream.read(1 << 20)
            if not block:
                break
            out.write(block)

    def abort(self) -> None:
        """Drop the output; a temporary file is removed."""
        try:
            with contextlib.suppress(LossInputError):  # closing what is thrown away anyway
                self.stream.close()
        finally:
            if self.tmp is not None:
                with contextlib.suppress(OSError):  # already gone: nothing to clean up
                    os.unlink(self.tmp)
                cleanup.untrack(self.tmp)
                self.tmp = None


def silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush of what could not be
    written (a closed pipe, a full disk) does not print an error of its own."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # no real descriptor (tests)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


class ProgressBar:
    """A byte progress bar on stderr for inputs that take more than about a second.

    Only for the table on an interactive stderr: never in ``-q`` or machine formats, never
    in a CI log. rich is imported only when the bar actually appears.
    """

    DELAY = 1.0

    def __init__(self, label: str) -> None:
        import time

        self.label = label
        self.start = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        import time

        if self.bar is None:
            if time.monotonic() - self.start < self.DELAY or done >= total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
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
