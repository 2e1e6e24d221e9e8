"""Click wiring: options → :class:`~losscli.options.Request` → pipeline → renderer → stdout
or ``-o``. The group in :mod:`~losscli.cli.group` is the only place where
:class:`~losscli.errors.LossInputError` becomes an ``Error: …`` line with exit 2.
"""

from __future__ import annotations

from losscli.cli import commands as _commands  # noqa: F401  (registers the commands)
from losscli.cli.group import LossGroup, cli


def main(argv: list[str] | None = None, prog_name: str = "losscli") -> None:
    """Console entry point (exit codes: see :class:`LossGroup`)."""
    cli.main(args=argv, prog_name=prog_name)


__all__ = ["LossGroup", "cli", "main"]
