"""Helpers shared by the error catalogue in this folder: in-process runs that fail on stray
warnings and open files, and real ``python -m losscli`` processes for streams and signals."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import warnings
from typing import Any

from click.testing import Result

from tests.conftest import ROOT
from tests.conftest import run as _run


def _open_fds() -> int | None:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def run(*args: str, input: str | bytes | None = None) -> Result:
    """``conftest.run`` that fails on a warning escaping losscli and on a file left open."""
    before = _open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        full = _run(*args, input=input)
        r = Result(
            full.runner, full.stdout_bytes, full.stderr_bytes, full.output_bytes, None, full.exit_code, None
        )
        del full
        if before is None or _open_fds() != before:
            gc.collect()
    stray = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert not stray, stray
    return r


def env(**extra: str) -> dict[str, str]:
    """The environment of a child that imports losscli from this tree."""
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e.update(extra)
    return e


def python_m(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """``python -m losscli ARGS`` in a child process (text mode unless told otherwise)."""
    kw.setdefault("text", True)
    kw.setdefault("env", env())
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "losscli", *args], capture_output=True, timeout=120, **kw
    )


def shell(script: str, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """``sh -c SCRIPT`` where ``$PY`` runs ``python -m losscli`` and ``$1``… are ``args``."""
    e = env(PY=f"{sys.executable} -m losscli")
    return subprocess.run(
        ["sh", "-c", script, "sh", *args], capture_output=True, text=True, timeout=120, env=e, **kw
    )


def assert_process_error(p: subprocess.CompletedProcess[str], *fragments: str, code: int = 2) -> str:
    """Exit ``code``, nothing on stdout, one ``Error:`` line saying every fragment, no traceback."""
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert not p.stdout
    assert "Traceback" not in p.stderr, p.stderr
    errors = [ln for ln in p.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1, p.stderr
    for f in fragments:
        assert f in errors[0], (f, errors[0])
    return errors[0]
