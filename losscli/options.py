"""What the user asked for, as plain frozen values, and the checks that need no data.

The CLI and the Python API both build a :class:`Request`; :func:`validate` refuses what can
be refused before any file is opened, so a bad ``--gamma`` is reported before a missing file.
Import-light: no NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from losscli.errors import LossInputError

if TYPE_CHECKING:
    from losscli.core import LossOptions

COMMANDS = ("bce", "ce", "focal", "auto")
INPUT_KINDS = ("logits", "probs", "log_probs")


@dataclass(frozen=True)
class Request:
    """One evaluation: the score source, where the labels are, the loss options as given.

    ``options`` are the loss options as the user gave them; the plan fills in the loss the
    mode needs, the input kind and whether sample weights are used.
    """

    command: str  # "bce" | "ce" | "focal" | "auto"
    input: str  # "logits" | "probs" | "log_probs"
    score_path: str
    labels_path: str | None = None
    header: bool | None = None
    delimiter: str | None = None
    score_cols: str | None = None
    label_cols: str | None = None
    weight_col: str | None = None
    classes: list[str] | None = None
    options: LossOptions | None = None
    keep_per_sample: bool = False  # per-sample losses in the result (json, bootstrap)
    # keep them only while the input has at most this many rows (None: always); the table
    # wants them for quantiles and the histogram, not at the price of memory growing
    per_sample_cap: int | None = None
    top: int | None = 20  # table rows; None when no table is drawn
    sort: str = "index"
    baseline_path: str | None = None
    calibration: int | None = None  # reliability bins for --calibration; None: off
    class_axis: int | None = None  # ce on n-d scores: 1 for PyTorch's (N, C, d1, …); None: last
    read_kwargs: dict[str, Any] = field(default_factory=dict)  # passed to open_source

    @property
    def family(self) -> str | None:
        """The loss family when the command fixes it (auto decides from the data)."""
        return {"bce": "sigmoid", "focal": "sigmoid", "ce": "softmax"}.get(self.command)

    def paths(self) -> list[str]:
        """Every input path, score file first."""
        return [self.score_path] + [p for p in (self.labels_path, self.baseline_path) if p]


def validate(req: Request) -> None:
    """Every check that needs no data (the loss options' own checks run in the plan, with
    the width). Raises :class:`LossInputError`."""
    if req.command not in COMMANDS:
        raise LossInputError(f"unknown loss {req.command!r}; choose from {', '.join(COMMANDS)}")
    if req.input not in INPUT_KINDS:
        raise LossInputError(f"unknown input kind {req.input!r}; choose from {', '.join(INPUT_KINDS)}")
    if not req.score_path:
        raise LossInputError("an input path is empty (an unset shell variable?)")
    for flag, value in (
        ("--labels", req.labels_path),
        ("--baseline", req.baseline_path),
        ("--score-cols", req.score_cols),
        ("--label-col", req.label_cols),
        ("--sample-weight-col", req.weight_col),
    ):
        if value is not None and not value.strip():
            raise LossInputError(f"{flag} is empty (an unset shell variable?)")
    if req.classes is not None and not all(c.strip() for c in req.classes):
        raise LossInputError("--classes has an empty class name")
    if req.paths().count("-") > 1:
        raise LossInputError("standard input (-) can feed only one of the inputs")
    delim = req.delimiter
    if delim is not None and delim not in ("\\t", "tab", "TAB") and (len(delim) != 1 or delim in '"\r\n'):
        # the same words as the CSV reader's, now before any file is opened, for every format
        raise LossInputError(f"--delimiter must be one character (or 'tab'), got {delim!r}")
    if req.class_axis is not None and req.command not in ("ce", "auto"):
        raise LossInputError(f"--class-axis is for ce; {req.command} is elementwise on n-d scores")
    if req.calibration is not None and not 1 <= req.calibration <= 10_000:
        raise LossInputError(f"--calibration takes 1 to 10000 bins, got {req.calibration}")
    if req.options is not None and req.command != "auto":  # auto's loss is known after the plan
        from losscli.core import validate_options  # NumPy loads here, at run time only

        validate_options(req.options)
    if req.classes is not None and len(set(req.classes)) != len(req.classes):
        twice = next(c for c in req.classes if req.classes.count(c) > 1)
        raise LossInputError(f"--classes names {twice!r} twice; class names must be distinct")
