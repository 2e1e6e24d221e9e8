"""Golden outputs for every file in ``samples/``: what a user sees, byte for byte.

After an intended change of output, rerun with ``pytest tests/test_golden.py --update-golden``
and review the diff of ``tests/golden/``. The numbers inside are checked independently by
tests/test_reference.py; these files pin the presentation (columns, summary, formats).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ROOT, run

GOLDEN = Path(__file__).resolve().parent / "golden"

CASES = {
    "binary_logits.table": ["bce", "--logits", "samples/binary_logits.csv"],
    "binary_logits.json": ["bce", "--logits", "samples/binary_logits.csv", "--format", "json"],
    "binary_logits.csv": ["bce", "--logits", "samples/binary_logits.csv", "--format", "csv"],
    "binary_logits_json.jsonl": ["auto", "--logits", "samples/binary_logits.json", "--format", "jsonl"],
    "binary_probs.table": ["bce", "--probs", "samples/binary_probs.csv"],
    "binary_probs.json": ["bce", "--probs", "samples/binary_probs.csv", "--format", "json"],
    "multiclass_logits.table": ["auto", "--logits", "samples/multiclass_logits.csv"],
    "multiclass_logits.markdown": ["ce", "--logits", "samples/multiclass_logits.csv", "--format", "markdown"],
    "multiclass_logits.tsv": ["ce", "--logits", "samples/multiclass_logits.csv", "--format", "tsv"],
    "multilabel_logits.table": ["bce", "--logits", "samples/multilabel_logits.csv", "--label-col", "4-6"],
    "multilabel_logits.json": [
        "auto",
        "--logits",
        "samples/multilabel_logits.csv",
        "--label-col",
        "y_red,y_round,y_edible",
        "--format",
        "json",
        "--per-class",
    ],
    "multiclass_jsonl.json": ["ce", "--logits", "samples/multiclass.jsonl", "--format", "json"],
    "multiclass_npz.table": ["ce", "--logits", "samples/multiclass.npz", "--top", "5", "--sort", "loss"],
    "two_class_probs.table": ["ce", "--probs", "samples/two_class_probs.tsv", "--per-class"],
}


def test_every_sample_has_a_golden_case() -> None:
    used = {arg for args in CASES.values() for arg in args if arg.startswith("samples/")}
    present = {f"samples/{p.name}" for p in (ROOT / "samples").iterdir() if p.is_file()}
    assert present <= used, f"samples without a golden case: {sorted(present - used)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("LOSSCLI_FORMAT", raising=False)
    monkeypatch.delenv("LOSSCLI_CONVENTION", raising=False)
    r = run(*CASES[name])
    assert r.exit_code == 0, r.stderr
    path = GOLDEN / name
    if update_golden or (not path.exists() and os.environ.get("CI") != "true"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(r.stdout, encoding="utf-8")
    assert r.stdout == path.read_text(encoding="utf-8")


HELP_COMMANDS = ["", "bce", "ce", "focal", "auto", "merge"]


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=[c or "losscli" for c in HELP_COMMANDS])
def test_help_text_is_pinned(command: str, update_golden: bool) -> None:
    """``--help`` of every command, at 100 columns: options generated from the registries
    must keep their order, names and words."""
    from click.testing import CliRunner

    from losscli.cli import cli

    args = [command, "--help"] if command else ["--help"]
    r = CliRunner().invoke(cli, args, terminal_width=100, catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    path = GOLDEN / f"help_{command or 'losscli'}.txt"
    if update_golden or (not path.exists() and os.environ.get("CI") != "true"):
        path.write_text(r.stdout, encoding="utf-8")
    assert r.stdout == path.read_text(encoding="utf-8")
