"""The layering holds: no import cycle between modules, the core imports only NumPy and
its own types, and the light modules (the registries the CLI reads at start-up) stay light.

Imports are read from the source (module level only: imports inside functions are the lazy
ones that keep start-up fast and are allowed to reach "up")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "losscli"


def _module(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported at module level (not under ``if TYPE_CHECKING`` or in functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


MODULES = {_module(p): p for p in PKG.rglob("*.py")}
GRAPH = {m: {i for i in _top_level_imports(p) if i in MODULES and i != m} for m, p in MODULES.items()}


def test_no_import_cycles() -> None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(GRAPH[m]):
            # a package's __init__ importing its own submodule is how packages re-export
            if n.startswith(m + "."):
                continue
            if state.get(n) == 1:
                cycle = [*stack[stack.index(n) :], n]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("losscli.core")))
def test_the_core_imports_only_numpy_and_its_own_types(module: str) -> None:
    allowed_prefixes = ("losscli.core", "losscli.errors", "losscli.specs")
    outside = {
        i
        for i in _top_level_imports(MODULES[module])
        if i.startswith("losscli") and i != "losscli" and not i.startswith(allowed_prefixes)
    }
    third_party = {
        i.split(".")[0]
        for i in _top_level_imports(MODULES[module])
        if not i.startswith("losscli")
        and i.split(".")[0]
        not in {
            "__future__",
            "math",
            "collections",
            "dataclasses",
            "typing",
            "fractions",
            "functools",
            "itertools",
            "operator",
        }
    }
    assert not outside, outside
    assert third_party <= {"numpy"}, third_party


@pytest.mark.parametrize(
    "module", ["losscli.specs", "losscli.options", "losscli.render", "losscli.engines", "losscli.cli.options"]
)
def test_registries_read_at_start_up_import_no_numpy(module: str) -> None:
    heavy = {i for i in _top_level_imports(MODULES[module]) if i.split(".")[0] in ("numpy", "rich")}
    assert not heavy, heavy
