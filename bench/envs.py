"""The benchmark's Python environments, made and refreshed by bench/run.py.

- ``plain``: ``pip install TREE`` — a regular (not editable) install, ``.pyc`` compiled at
  install time, as users get it; no pyarrow in that venv.
- ``fast``: ``pip install 'TREE[fast]'`` (plus ``[dask]`` when the tree declares that extra).
- ``peers``: numpy, pandas, polars, duckdb and torch — never losscli's dependencies. Torch comes
  only from a wheel file on disk (``--torch-wheel``): a plain ``pip install torch`` would fetch
  a multi-GB CUDA build.

The tree is first copied (without .git, tests, bench, caches) so that building it never
writes into the tree measured, which may be another checkout in use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable

import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_WHEEL = "/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
PEER_PACKAGES = ("numpy", "pandas", "polars", "duckdb")
PEER_IMPORTS = "import numpy, pandas, polars, duckdb"
_SKIP = (
    ".git",
    "bench",
    "tests",
    "__pycache__",
    "build",
    "dist",
    "*.egg-info",
    ".*cache",
    ".hypothesis",
    ".venv",
)

Log = Callable[[str], None]


def venv_python(venv: str) -> str:
    return os.path.join(venv, "bin", "python")


def _sh(argv: list[str], log: Log) -> None:
    log("$ " + " ".join(argv))
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"error: {' '.join(argv)} failed:\n{r.stdout[-2000:]}{r.stderr[-3000:]}")


def probe(python: str, code: str) -> str | None:
    """stdout of ``python -c code``, or None when it fails."""
    try:
        r = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def make_venv(venv: str, base_python: str, log: Log) -> str:
    py = venv_python(venv)
    if not os.access(py, os.X_OK):
        _sh([base_python, "-m", "venv", venv], log)
    return py


def copy_tree(tree: str, dest: str, ref: str | None) -> str:
    """A clean copy of ``tree`` to build from: ``git archive ref`` when a ref is given (one
    consistent commit even while others commit to that checkout), else its working files."""
    if not os.path.isfile(os.path.join(tree, "pyproject.toml")):
        raise SystemExit(f"error: {tree} has no pyproject.toml: not a losscli source tree")
    shutil.rmtree(dest, ignore_errors=True)
    if ref is None:
        shutil.copytree(tree, dest, ignore=shutil.ignore_patterns(*_SKIP))
        return dest
    os.makedirs(dest)
    archive = subprocess.run(["git", "-C", tree, "archive", ref], capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"error: git archive {ref} in {tree} failed: {archive.stderr.decode()[-500:]}")
    subprocess.run(["tar", "-x", "-C", dest], input=archive.stdout, check=True)
    for sub in ("tests", "bench"):
        shutil.rmtree(os.path.join(dest, sub), ignore_errors=True)
    return dest


def resolve_ref(tree: str, ref: str) -> str | None:
    """``ref`` as a commit id in ``tree``; None when ``ref`` is "worktree" or the tree is not git."""
    if ref == "worktree":
        return None
    r = subprocess.run(
        ["git", "-C", tree, "rev-parse", "--verify", ref + "^{commit}"], capture_output=True, text=True
    )
    if r.returncode != 0:
        if ref == "HEAD":
            return None  # not a git checkout: its files as they are
        raise SystemExit(f"error: {ref} is not a commit in {tree}")
    return r.stdout.strip()


def declared_extras(src: str) -> set[str]:
    with open(os.path.join(src, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f).get("project", {})
    return set(project.get("optional-dependencies", {}))


def install_losscli(venv: str, src: str, which: str, base_python: str, log: Log) -> str:
    """Install ``src`` into ``venv`` as ``which`` ("plain" | "fast"); returns its losscli script."""
    py = make_venv(venv, base_python, log)
    extras = []
    if which == "fast":
        extras = ["fast"] + (["dask"] if "dask" in declared_extras(src) else [])
    spec = src + (f"[{','.join(extras)}]" if extras else "")
    _sh([py, "-m", "pip", "install", "-q", spec], log)  # dependencies and extras
    _sh([py, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", src], log)  # this tree's code
    if which == "plain" and probe(py, "import pyarrow") is not None:
        _sh([py, "-m", "pip", "uninstall", "-q", "-y", "pyarrow"], log)  # plain means without [fast]
    return os.path.join(venv, "bin", "losscli")


def install_peers(venv: str, base_python: str, torch_wheel: str, log: Log) -> str:
    """The peers' venv; missing packages are installed, torch only from ``torch_wheel``."""
    py = make_venv(venv, base_python, log)
    if probe(py, PEER_IMPORTS) is None:
        _sh([py, "-m", "pip", "install", "-q", *PEER_PACKAGES], log)
    if probe(py, "import torch") is None:
        if os.path.isfile(torch_wheel):
            _sh([py, "-m", "pip", "install", "-q", torch_wheel], log)
        else:
            log(f"note: {torch_wheel} not found: the torch peers are skipped (never `pip install torch`)")
    return py


VERSIONS = (
    "import sys, importlib.metadata as m\n"
    "out = ['Python ' + sys.version.split()[0]]\n"
    "for n in sys.argv[1:]:\n"
    "    try: out.append(n + ' ' + m.version(n))\n"
    "    except Exception: pass\n"
    "print(', '.join(out))\n"
)


def versions(python: str, *packages: str) -> str:
    try:
        r = subprocess.run([python, "-c", VERSIONS, *packages], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return r.stdout.strip() if r.returncode == 0 else "unknown"


def tree_state(tree: str, commit: str | None) -> str:
    """What was installed: the commit archived, or the working files and how they differ."""

    def git(*args: str) -> str:
        try:
            r = subprocess.run(["git", "-C", tree, *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return r.stdout.strip() if r.returncode == 0 else ""

    if commit is not None:
        return "commit " + git("log", "-1", "--format=%h %cI %s", commit) + " (git archive of that commit)"
    head = git("log", "-1", "--format=%h %s")
    if not head:
        return "working files (not a git checkout)"
    dirty = git("status", "--porcelain", "--", "losscli", "pyproject.toml")
    return f"working files at {head}" + (" + uncommitted changes" if dirty else ", clean")


def default_base_python() -> str:
    """The interpreter a venv is made from: the base of the one running the harness."""
    return getattr(sys, "_base_executable", None) or sys.executable
