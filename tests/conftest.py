"""Shared helpers: run the CLI in-process with stdout and stderr kept apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from losscli.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run(*args: str, input: str | bytes | None = None) -> Result:
    """Invoke ``losscli ARGS`` in-process; ``result.stdout`` and ``result.stderr`` are separate."""
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def run_json(*args: str, input: str | bytes | None = None) -> dict:
    r = run(*args, "--format", "json", input=input)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def assert_input_error(r: Result, *fragments: str) -> str:
    """Exit 2, nothing on stdout, exactly one ``Error: …`` line that says every fragment."""
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    assert r.stdout == ""
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1, r.stderr
    assert "Traceback" not in r.stderr
    for f in fragments:
        assert f in errors[0], (f, errors[0])
    return errors[0]


@pytest.fixture
def write(tmp_path: Path):
    """write("name.csv", "text") → path as str."""

    def _write(name: str, content: str | bytes) -> str:
        p = tmp_path / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
        return str(p)

    return _write


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/* from the current output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
