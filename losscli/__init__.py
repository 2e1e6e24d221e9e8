"""losscli: classification losses from the command line, exactly as the frameworks compute them.

The Python API — ``losscli.bce``, ``ce``, ``focal`` on arrays, ``losscli.evaluate`` on files,
the ``Result`` they return and ``LossInputError`` — loads on first use, so that ``import
losscli``, ``--help``, ``--version`` and shell completion never pay for NumPy or rich.
"""

from __future__ import annotations

if __import__("sys").argv[:1] == ["-m"]:  # `python -m losscli` is locating its module:
    from losscli.entry import catch_early_interrupts  # Ctrl-C from here on: exit 130, quietly

    catch_early_interrupts()

from typing import Any

__version__ = "0.1.0"

__all__ = ["LossInputError", "Result", "__version__", "bce", "ce", "evaluate", "focal"]


def __getattr__(name: str) -> Any:
    if name in ("bce", "ce", "focal", "evaluate"):
        from losscli import api

        return getattr(api, name)
    if name == "Result":
        from losscli.model import Result

        return Result
    if name == "LossInputError":
        from losscli.errors import LossInputError

        return LossInputError
    raise AttributeError(f"module 'losscli' has no attribute {name!r}")
