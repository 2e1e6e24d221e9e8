"""Run one whole process: wall time, peak RSS, output through pipes, a memory guard.

Peak RSS comes from GNU time's ``-v`` report ("Maximum resident set size") of the command
it runs. Why not ``os.wait4`` of our own child: on Linux a process's ``ru_maxrss`` starts
from the high-water mark of the address space it replaced at exec (VmHWM of the forking
process), so a command started straight from a large harness would report the harness's
size. GNU time is tiny, so the command it forks starts clean. Without /usr/bin/time the
harness falls back to wait4 (the report says so).

A sampler thread reads VmRSS of the whole process tree every 50 ms. It gives the peak of
commands that start worker processes (Dask: the sum over client and workers), and it kills
a run whose tree grows past ``mem_limit_mib`` (the machine is shared; an input that once
took losscli to 24 GB must not take the OOM killer to other processes).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

GNU_TIME = "/usr/bin/time"
SAMPLE_S = 0.05


@dataclass
class Result:
    wall: float
    rss_kib: int | None  # the command's own peak (GNU time, or wait4)
    tree_kib: int  # sampled peak of VmRSS summed over the process tree
    code: int
    stdout: str
    stderr: str
    killed: str = ""  # why the harness killed it ("timeout", "memory > N MiB"), else ""


def have_gnu_time() -> bool:
    return os.access(GNU_TIME, os.X_OK)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants alive now."""
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class _Sampler(threading.Thread):
    def __init__(self, pid: int, limit_kib: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.limit_kib = pid, limit_kib
        self.peak_kib = 0
        self.killed = ""
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_S):
            pids = tree(self.pid)
            kib = sum(_rss_kib(p) for p in pids)
            self.peak_kib = max(self.peak_kib, kib)
            if self.limit_kib and kib > self.limit_kib and not self.killed:
                self.killed = f"memory > {self.limit_kib // 1024} MiB"
                kill_tree(self.pid, pids)


def kill_tree(pid: int, pids: list[int] | None = None) -> None:
    """SIGKILL the process group led by ``pid`` and every descendant found."""
    for p in [*(pids or tree(pid))]:
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def _drain(stream: object, sink: list[bytes]) -> None:
    sink.append(stream.read())  # type: ignore[attr-defined]


def run(argv: list[str], env: dict[str, str] | None, timeout: float, mem_limit_mib: int) -> Result:
    """Run ``argv`` to its end with stdout and stderr to pipes; measure it."""
    fd, report = tempfile.mkstemp(prefix="bench-time-")
    os.close(fd)
    use_time = have_gnu_time()
    full = [GNU_TIME, "-v", "-o", report, "--", *argv] if use_time else argv
    try:
        t0 = time.perf_counter()
        p = subprocess.Popen(
            full,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group, so a kill reaches its workers
        )
        out: list[bytes] = []
        err: list[bytes] = []
        readers = [
            threading.Thread(target=_drain, args=(s, k)) for s, k in ((p.stdout, out), (p.stderr, err))
        ]
        for r in readers:
            r.start()
        sampler = _Sampler(p.pid, mem_limit_mib * 1024)
        sampler.start()
        timed_out = threading.Event()

        def on_timeout() -> None:
            timed_out.set()
            kill_tree(p.pid)

        timer = threading.Timer(timeout, on_timeout)
        timer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting
        sampler.done.set()
        kill_tree(p.pid)  # nothing may outlive the run (stray workers would skew the next one)
        for r in readers:
            r.join()
        rss = _time_rss(report) if use_time else int(usage.ru_maxrss)
    finally:
        os.unlink(report)
    killed = sampler.killed or (f"timeout ({timeout:g} s)" if timed_out.is_set() else "")
    # GNU time exits with its command's status (128 + N when a signal N ended it)
    return Result(wall, rss, sampler.peak_kib, p.returncode, _text(out), _text(err), killed)


def _text(chunks: list[bytes]) -> str:
    return b"".join(chunks).decode("utf-8", "replace")


_RSS = re.compile(r"Maximum resident set size \(kbytes\):\s*(\d+)")


def _time_rss(report: str) -> int | None:
    try:
        with open(report, encoding="utf-8", errors="replace") as f:
            m = _RSS.search(f.read())
    except OSError:
        return None
    return int(m.group(1)) if m else None
