"""The console entry point (``losscli`` and ``python -m losscli``), set up before any heavy import.

* Ctrl-C at any moment once this module runs, even while click and the commands are still
  being imported, exits 130 with ``Interrupted.`` and no traceback.
* SIGTERM and SIGHUP remove losscli's temporary files and exit 128 + the signal number.
* Standard streams: a closed descriptor 0, 1 or 2 is pointed at ``/dev/null`` so that no file
  losscli opens can take its number (a later ``Error:`` line would land in it); stdin and
  stdout stay ``None`` so that the commands say they are closed. stderr never raises: a
  full or closed stderr loses the message and keeps the exit code. Text that the output
  encoding cannot represent is written as backslash escapes instead of failing.

Standard library only until :func:`main` imports :mod:`losscli.cli`.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
from types import FrameType

from losscli import cleanup

EXIT_INTERRUPTED = 130


class _QuietRaw(io.RawIOBase):
    """fd 2 as a raw stream whose write errors (full disk, closed pipe) are dropped."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        try:
            return os.isatty(self.fd)
        except OSError:
            return False

    def write(self, b: bytes) -> int:  # type: ignore[override]
        try:
            return os.write(self.fd, b)
        except OSError:
            return len(b)  # nowhere to say it: the exit code still tells


def _reserve_closed_fds() -> list[int]:
    """Point closed descriptors 0-2 at /dev/null; returns the ones that were closed."""
    closed = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.append(fd)
    for fd in closed:
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    return closed


def _guard_standard_streams() -> None:
    closed = _reserve_closed_fds()
    if 0 in closed:
        sys.stdin = None
    if 1 in closed or sys.stdout is None:
        sys.stdout = None
    else:
        with contextlib.suppress(AttributeError, ValueError):  # not a TextIOWrapper: as it is
            sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    raw = _QuietRaw(2)
    sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(raw), encoding=encoding, errors="backslashreplace", line_buffering=True
    )


def _on_signal(signum: int, frame: FrameType | None) -> None:
    cleanup.remove_all()
    raise SystemExit(128 + signum)


def _install_signal_handlers() -> None:
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, _on_signal)


def _interrupted_early(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C while modules are still being imported: no exception (an import interrupted
    half-way can fail in odd ways on its way out), just the message and exit 130."""
    cleanup.remove_all()
    with contextlib.suppress(OSError):
        os.write(2, b"Interrupted.\n")
    os._exit(EXIT_INTERRUPTED)


def catch_early_interrupts() -> object:
    """Make Ctrl-C exit 130 quietly until the commands are imported; returns the handler
    that was installed before."""
    return signal.signal(signal.SIGINT, _interrupted_early)


def main(argv: list[str] | None = None) -> None:
    """Run the command line (exit codes: see :class:`losscli.cli.group.LossGroup`)."""
    try:
        previous = catch_early_interrupts()
        if previous is _interrupted_early:  # installed by `python -m losscli` already
            previous = signal.default_int_handler
        _guard_standard_streams()
        _install_signal_handlers()
        from losscli.cli import cli  # click and the commands: the heavy imports

        # from here on Ctrl-C is a KeyboardInterrupt: the commands clean up on their way out
        signal.signal(signal.SIGINT, previous)  # type: ignore[arg-type]
        cli.main(args=argv, prog_name="losscli")
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        _exit_interrupted()
    except SystemExit as e:
        if e.code == EXIT_INTERRUPTED:
            _exit_interrupted()
        raise
    finally:
        cleanup.remove_all()


def _exit_interrupted() -> None:
    """Exit 130 after Ctrl-C. Not by returning: CPython turns the exit into death by SIGINT
    (-2 to a parent process) when the KeyboardInterrupt once passed through an ``eval`` of a
    string, as in a namedtuple being defined while a module was imported."""
    import atexit

    cleanup.remove_all()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # closed or full: nothing more to say anyway
            if stream is not None:
                stream.flush()
    os._exit(EXIT_INTERRUPTED)
