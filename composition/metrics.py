"""prometheus-client's multiprocess directory: tidied when a process starts and when it stops.

Each process writes ``<kind>_<pid>.db`` files there; ``/metrics`` sums them all. Counters and
histograms of a process that has ended stay (a sum that went down would read as a counter
reset to Prometheus), except when no process of the directory is alive any more: a process
that starts then removes every file, a clean restart. Live gauges of dead processes go
(``mark_process_dead``). The files carry process ids, so one directory serves one host (or one
container): never share it between machines or containers.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import multiprocess

logger = logging.getLogger("metrics")

_METRIC_FILE = re.compile(r"^[a-z_]+_(\d+)\.db$")
_LOCK_FILE = ".tidy.lock"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, alive
        return True
    return True


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # Two processes starting together must not both decide that the other's files are stale.
    with (directory / _LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def tidy_multiprocess_dir(directory: Path, *, own_pid: int | None = None) -> int:
    """Run at the start of ``serve`` and ``worker``: returns how many files were removed."""
    own = os.getpid() if own_pid is None else own_pid
    with _locked(directory):
        files: dict[int, list[Path]] = {}
        for path in directory.iterdir():
            match = _METRIC_FILE.match(path.name)
            if match:
                files.setdefault(int(match.group(1)), []).append(path)
        others = {pid for pid in files if pid != own}
        alive = {pid for pid in others if process_alive(pid)}
        removed = 0
        if not alive:
            # Nobody else is running: start from zero (only the files listed above, so a
            # process that starts while we tidy keeps what it has written since).
            for pid in others:
                for path in files[pid]:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                        removed += 1
        else:
            for pid in others - alive:
                before = sum(1 for path in files[pid] if path.exists())
                multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
                removed += before - sum(1 for path in files[pid] if path.exists())
    if removed:
        logger.info("metrics: removed %d stale file(s) from the multiprocess directory", removed)
    return removed


def mark_this_process_dead(directory: Path) -> None:
    """At a clean exit: this process's live gauges leave the sum at once."""
    multiprocess.mark_process_dead(os.getpid(), str(directory))  # type: ignore[no-untyped-call]
