"""Every ``console`` example in README.md works as printed.

A line starting with ``$ `` is a command (run by bash in the repository root, with this
interpreter's ``losscli`` first on PATH); the lines after it, up to the next command or the
end of the block, are its exact standard output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def examples() -> list[tuple[str, str]]:
    out = []
    for block in BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8")):
        cmd: str | None = None
        lines: list[str] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                if cmd is not None:
                    out.append((cmd, "\n".join(lines)))
                cmd, lines = line[2:], []
            else:
                lines.append(line)
        if cmd is not None:
            out.append((cmd, "\n".join(lines)))
    return out


EXAMPLES = examples()


def test_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("cmd, expected", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(cmd: str, expected: str) -> None:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    for var in ("LOSSCLI_FORMAT", "LOSSCLI_CONVENTION", "NO_COLOR", "FORCE_COLOR", "COLUMNS"):
        env.pop(var, None)
    p = subprocess.run(
        ["bash", "-c", "set -o pipefail; " + cmd],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.rstrip("\n") == expected.rstrip("\n")


PYCON = re.compile(r"```pycon\n(.*?)```", re.S)


def test_readme_python_examples_run_as_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``pycon`` block of the README is a doctest, run in the repository root."""
    import doctest

    monkeypatch.chdir(ROOT)
    blocks = PYCON.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks, "the README shows the Python API"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for i, text in enumerate(blocks):
        test = parser.get_doctest(text, {}, f"README pycon block {i + 1}", "README.md", 0)
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted > 0
