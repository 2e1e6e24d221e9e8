"""Temporary files to remove however the process ends: a failed run, Ctrl-C, SIGTERM/SIGHUP.

Standard library only, so that the entry point can use it before the heavy imports.
"""

from __future__ import annotations

import contextlib
import os

_TEMPS: set[str] = set()


def track(path: str) -> None:
    """Remember ``path`` (a temporary file losscli created) until :func:`untrack`."""
    _TEMPS.add(path)


def untrack(path: str) -> None:
    _TEMPS.discard(path)


def remove_all() -> None:
    """Delete every tracked temporary file that is still there."""
    while _TEMPS:
        path = _TEMPS.pop()
        with contextlib.suppress(OSError):  # already renamed or removed
            os.unlink(path)
