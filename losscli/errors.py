"""The one error type that crosses the layers.

Readers, the column selection and the loss core raise :class:`LossInputError` for anything
wrong with the user's data or options; the CLI turns it into one ``Error: …`` line and exit 2.
A real bug raises something else and keeps its traceback.
"""

from __future__ import annotations


class LossInputError(ValueError):
    """Bad user input. ``str(err)`` is the complete message shown to the user; a
    ``ValueError``, so that callers of the Python API can catch what they expect.

    ``row``/``col`` (0-based, within the current chunk of rows / score columns) and ``field``
    (``"scores"``, ``"labels"`` or ``"weights"``) let an outer layer that knows the file add
    ``path:line:column`` to a message raised by code that only sees arrays.
    """

    def __init__(
        self,
        message: str,
        *,
        row: int | None = None,
        col: int | None = None,
        field: str | None = None,
        where: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.col = col
        self.field = field
        self.where = where
        self.rerun = False  # set when a slower reader could say more precisely where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def located(self, where: str) -> LossInputError:
        """Return a copy whose message is prefixed with ``where`` (e.g. ``preds.csv:14:3``)."""
        return LossInputError(self.message, field=self.field, where=where)
