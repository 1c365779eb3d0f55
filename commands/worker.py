"""``worker [--once]``: every job in turn, again and again (``--once``: one pass).

Development migrates first; production never migrates and refuses to start while migrations
are pending.

SIGTERM or SIGINT asks it to stop: no new job starts, the job in progress finishes, the
database is closed and the process exits 0. A job still running ``--grace`` seconds after the
signal (default 25, inside the usual 30 s before a supervisor sends SIGKILL) is cancelled and
the process exits ``EXIT_JOB_CANCELLED`` (75) at once, without waiting for a provider call
still blocked in a thread; whatever that job had not committed is redone by the next worker.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from contextlib import suppress

from rich.markup import escape
from rich.table import Table as RichTable

from commands.console import console, fail, settings_or_exit
from composition.container import Container, build_container
from composition.database import (
    MigrationsPending,
    close_database,
    open_database,
    prepare_schema,
)
from composition.logs import configure_logging
from composition.metrics import (
    mark_this_process_dead,
    serve_worker_metrics,
    tidy_multiprocess_dir,
)
from composition.worker import run_worker_pass

logger = logging.getLogger("worker")

DEFAULT_SHUTDOWN_GRACE_SECONDS = 25.0
# EX_TEMPFAIL: stopped on request, but a job had to be cancelled; its work is retried later.
EXIT_JOB_CANCELLED = 75


class JobCancelled(Exception):
    """The job in progress outlived the shutdown grace and was cancelled."""


def cmd_worker(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    metrics_dir = settings.metrics_multiproc_dir
    if metrics_dir is not None:
        tidy_multiprocess_dir(metrics_dir)
    metrics_server = None
    if args.metrics_port is not None:
        try:
            metrics_server = serve_worker_metrics(
                args.metrics_host, args.metrics_port, settings.metrics_allowed_ips, metrics_dir
            )
        except (OSError, OverflowError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not a port number"
            return fail(
                f"[bold red]Cannot serve metrics on {escape(args.metrics_host)}:"
                f"{args.metrics_port}[/] ({reason})"
            )
        logger.info(
            "worker metrics on http://%s:%d/metrics (METRICS_ALLOWED_IPS only)",
            args.metrics_host,
            args.metrics_port,
        )
    elif metrics_dir is None and not args.once:
        logger.info(
            "worker metrics are not exported: set PROMETHEUS_MULTIPROC_DIR (the same "
            "directory as serve's) or --metrics-port"
        )
    container = build_container(settings)
    grace: float = args.grace

    async def run() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, _ask_to_stop, stop, signum)
        await open_database(container.engine)
        try:
            try:
                await prepare_schema(settings)
            except MigrationsPending as exc:
                return fail(f"[bold red]{escape(str(exc))}[/]")
            logger.info("worker started; SIGTERM stops it after the current job")
            while not stop.is_set():
                done = await _pass_or_cancel(container, stop, grace)
                if args.once:
                    _print_pass(done)
                    return 1 if any(count < 0 for count in done.values()) else 0
                idle = all(count == 0 for count in done.values())
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), args.interval if idle else 0.2)
            logger.info("worker stopped cleanly, exiting 0")
            return 0
        except JobCancelled:
            logger.warning(
                "worker stopped: a job still ran %gs after the signal and was cancelled; "
                "exiting %d",
                grace,
                EXIT_JOB_CANCELLED,
            )
            return EXIT_JOB_CANCELLED
        finally:
            await close_database(container.engine)

    try:
        code = asyncio.run(run())
    except KeyboardInterrupt:
        code = 0
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()
        if metrics_dir is not None:
            mark_this_process_dead(metrics_dir)
    if code == EXIT_JOB_CANCELLED:
        # A provider call cancelled mid-flight may still block a thread of the default
        # executor, which the interpreter would join on exit: leave now, as promised.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _ask_to_stop(stop: asyncio.Event, signum: int) -> None:
    if not stop.is_set():
        logger.info(
            "worker got %s: finishing the current job, starting no other",
            signal.Signals(signum).name,
        )
    stop.set()


async def _pass_or_cancel(
    container: Container, stop: asyncio.Event, grace: float
) -> dict[str, int]:
    """One pass that stops after its current job once ``stop`` is set; a job still running
    ``grace`` seconds after that is cancelled (``JobCancelled``)."""
    work = asyncio.create_task(run_worker_pass(container, should_stop=stop.is_set))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not work.done():
            finished, _ = await asyncio.wait({work}, timeout=grace)
            if not finished:
                work.cancel()
                with suppress(asyncio.CancelledError):
                    await work
                raise JobCancelled()
        return work.result()
    finally:
        stopping.cancel()


def _print_pass(done: dict[str, int]) -> None:
    table = RichTable(title="Worker pass")
    table.add_column("job")
    table.add_column("items")
    for name, count in done.items():
        table.add_row(name, "[red]failed[/]" if count < 0 else str(count))
    console.print(table)
