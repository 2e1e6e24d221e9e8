"""``-o`` never destroys what is at the target, and no signal leaves a temporary file behind.

Regular files (and new ones) are replaced atomically; a symlink is written through to its
target; FIFOs, devices and ``/dev/stdout`` are written directly; directories and sockets are
refused with one ``Error:`` line; a full disk or ``ulimit -f`` is an ``Error:`` line that
leaves no partial file; SIGTERM/SIGHUP/SIGINT mid-run remove the temporary file and exit
128 + the signal number.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import assert_input_error
from tests.errors.common import assert_process_error, env, python_m, run

OK_CSV = "s,label\n0.5,1\n-0.25,0\n1.5,1\n"
MEAN = "0.4171432273472342"  # -q of OK_CSV; checked against the closed form below


def _csv(tmp: Path) -> str:
    p = tmp / "ok.csv"
    p.write_text(OK_CSV)
    return str(p)


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".losscli-")]


def test_quiet_mean_fixture_matches_the_closed_form(tmp_path: Path) -> None:
    import math

    rows = [(0.5, 1.0), (-0.25, 0.0), (1.5, 1.0)]
    want = math.fsum(max(x, 0) - x * y + math.log1p(math.exp(-abs(x))) for x, y in rows) / 3
    r = run("bce", "--logits", _csv(tmp_path), "-q")
    assert float(r.stdout) == pytest.approx(want, rel=1e-15)
    assert r.stdout.strip() == MEAN


def test_regular_file_replaced_keeping_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old")
    out.chmod(0o640)
    r = run("bce", "--logits", _csv(tmp_path), "-q", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert out.read_text().strip() == MEAN
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert not _leftovers(tmp_path)


def test_symlink_written_through_to_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real" / "target.txt"
    target.parent.mkdir()
    target.write_text("stale")
    target.chmod(0o600)
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    r = run("bce", "--logits", _csv(tmp_path), "-q", "-o", str(link))
    assert r.exit_code == 0, r.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().strip() == MEAN
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not _leftovers(tmp_path) and not _leftovers(target.parent)


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "new.txt")
    assert run("bce", "--logits", _csv(tmp_path), "-q", "-o", str(link)).exit_code == 0
    assert link.is_symlink()
    assert (tmp_path / "new.txt").read_text().strip() == MEAN


def test_failed_run_leaves_a_symlink_target_alone(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_text("precious")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    bad = tmp_path / "bad.csv"
    bad.write_text("s,label\n0.5,1\nx,0\n")
    assert_input_error(run("bce", "--logits", str(bad), "-q", "-o", str(link)), f"{bad}:3:1")
    assert link.is_symlink() and target.read_text() == "precious"
    assert not _leftovers(tmp_path)


def test_fifo_is_written_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    r = run("bce", "--logits", _csv(tmp_path), "-q", "-o", str(fifo))
    reader.join(30)
    assert r.exit_code == 0, r.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert got == [MEAN.encode() + b"\n"]
    assert not _leftovers(tmp_path)


def _char_device(tmp_path: Path) -> Path:
    """A character device to write to: a private /dev/null node as root, else /dev/null."""
    if os.geteuid() == 0:
        node = tmp_path / "null"
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        return node
    return Path(os.devnull)


def test_device_is_written_not_replaced(tmp_path: Path) -> None:
    dev = _char_device(tmp_path)
    r = run("bce", "--logits", _csv(tmp_path), "--format", "json", "-o", str(dev))
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    assert not _leftovers(dev.parent if dev.parent == tmp_path else tmp_path)


def test_full_device_is_an_error(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    r = run("bce", "--logits", _csv(tmp_path), "-q", "-o", "/dev/full")
    assert_input_error(r, "-o /dev/full", "No space left")


@pytest.mark.parametrize("what", ["directory", "socket"])
def test_refused_targets_are_left_alone(what: str, tmp_path: Path) -> None:
    target = tmp_path / "target"
    if what == "directory":
        target.mkdir()
    else:
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(target))
        s.close()
    r = run("bce", "--logits", _csv(tmp_path), "-q", "-o", str(target))
    assert_input_error(r, f"-o {target}", what)
    assert target.is_dir() if what == "directory" else target.is_socket()
    assert not _leftovers(tmp_path)


def test_empty_output_path_is_an_error(tmp_path: Path) -> None:
    assert_input_error(run("bce", "--logits", _csv(tmp_path), "-q", "-o", ""), "-o", "empty")


@pytest.mark.parametrize("alias", ["/dev/stdout", "/dev/fd/1"])
def test_dev_stdout_writes_to_stdout(alias: str, tmp_path: Path) -> None:
    out = tmp_path / "captured.txt"
    with out.open("w") as f:
        p = subprocess.run(
            [sys.executable, "-m", "losscli", "bce", "--logits", _csv(tmp_path), "-q", "-o", alias],
            stdout=f,
            stderr=subprocess.PIPE,
            text=True,
            env=env(),
            timeout=120,
        )
    assert p.returncode == 0, p.stderr
    assert out.read_text().strip() == MEAN
    assert not _leftovers(tmp_path)


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_file_size_limit_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    data = tmp_path / "many.csv"
    data.write_text("s,label\n" + "".join(f"{i / 100},{i % 2}\n" for i in range(2000)))
    out = tmp_path / "out.json"
    p = python_m(
        "bce",
        "--logits",
        str(data),
        "--format",
        "json",
        "-o",
        str(out),
        preexec_fn=lambda: _limit_file_size(4096),
    )
    assert_process_error(p, f"-o {out}", "File too large")
    assert not out.exists()
    assert not _leftovers(tmp_path)


def _start_blocked(tmp_path: Path, out: Path) -> subprocess.Popen[bytes]:
    """A run that has opened its temporary file and waits for more stdin."""
    p = subprocess.Popen(
        [sys.executable, "-m", "losscli", "bce", "--logits", "-", "--format", "json", "-o", str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
    )
    assert p.stdin is not None
    p.stdin.write(b"s,label\n0.5,1\n")
    p.stdin.flush()
    deadline = time.monotonic() + 60
    while not _leftovers(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _leftovers(tmp_path), "the run never created its temporary file"
    return p


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_mid_run_removes_the_temporary_file(sig: signal.Signals, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("precious")
    p = _start_blocked(tmp_path, out)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + sig, (p.returncode, err)
    assert b"Traceback" not in err, err
    assert out.read_text() == "precious"
    assert not _leftovers(tmp_path)


CTRL_C_DURING_IMPORT = """
import builtins, os, signal, sys
real = builtins.__import__
def hooked(name, *a, **k):
    if name == "click":
        os.kill(os.getpid(), signal.SIGINT)
    return real(name, *a, **k)
builtins.__import__ = hooked
from losscli.entry import main
main(sys.argv[1:])
"""


def test_ctrl_c_during_imports_exits_130_without_traceback(tmp_path: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-c", CTRL_C_DURING_IMPORT, "bce", "--logits", _csv(tmp_path)],
        capture_output=True,
        text=True,
        env=env(),
        timeout=120,
    )
    assert p.returncode == 130, (p.returncode, p.stderr)
    assert p.stderr.strip() == "Interrupted."
    assert p.stdout == ""
