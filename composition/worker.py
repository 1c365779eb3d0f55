"""The worker's jobs: each claims its own work, so several workers never do it twice."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import Counter, Gauge, Histogram

from composition.container import Container

logger = logging.getLogger("worker")

# Labelled by job name only. In multiprocess mode (PROMETHEUS_MULTIPROC_DIR, shared with
# ``serve`` on the same host) they are summed over every worker into serve's ``/metrics``.
JOB_RUNS = Counter("worker_job_runs_total", "Worker job runs, failed or not, by job.", ["job"])
JOB_FAILURES = Counter(
    "worker_job_failures_total", "Worker job runs that raised an error, by job.", ["job"]
)
JOB_ITEMS = Counter(
    "worker_job_items_total", "Items a worker job handled (emails sent, events ...).", ["job"]
)
JOB_DURATION = Histogram(
    "worker_job_duration_seconds",
    "Duration of one run of a worker job, by job.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
JOB_LAST_SUCCESS = Gauge(
    "worker_job_last_success_timestamp_seconds",
    "Unix time a run of the job last ended without error (the latest of every worker).",
    ["job"],
    multiprocess_mode="max",
)

WorkerJob = Callable[[Container], Awaitable[int]]


def worker_jobs() -> list[tuple[str, WorkerJob]]:
    """Every periodic job of the worker, by name. Each returns how much work it did."""
    return [
        ("expire-holds", lambda c: c.expire_holds.execute()),
        # After expire-holds (it frees slots), before send-emails (it sends the offers).
        ("offer-freed-slots", lambda c: c.offers.offer_freed_slots.execute()),
        ("send-emails", lambda c: c.send_pending_emails.execute()),
        ("reconcile-payments", lambda c: c.payments.reconcile.execute()),
        ("deliver-tracking", lambda c: c.payments.deliver_tracking.execute()),
        ("purge-idempotency-keys", lambda c: c.payments.purge_idempotency_keys.execute()),
        ("purge-admin-sessions", lambda c: c.purge_staff_sessions.execute()),
        ("purge-waitlist-confirmations", lambda c: c.purge_waitlist_confirmations.execute()),
        ("erase-expired-contacts", lambda c: c.erase_expired_contacts.execute()),
    ]


async def run_worker_pass(
    container: Container,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    jobs: Sequence[tuple[str, WorkerJob]] | None = None,
) -> dict[str, int]:
    """One pass over every job; a failing job is logged by class and does not stop the rest.

    Once ``should_stop()`` is true no further job starts: the pass ends after the job it is in.
    """
    done: dict[str, int] = {}
    for name, job in worker_jobs() if jobs is None else jobs:
        if should_stop():
            break
        started = time.perf_counter()
        JOB_RUNS.labels(job=name).inc()
        try:
            done[name] = await job(container)
        except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
            logger.error("worker job %s failed: %s", name, type(exc).__name__)
            JOB_FAILURES.labels(job=name).inc()
            done[name] = -1
        else:
            JOB_ITEMS.labels(job=name).inc(max(done[name], 0))
            JOB_LAST_SUCCESS.labels(job=name).set(time.time())
        finally:
            # A run cancelled at shutdown is counted too, as run but not failed.
            JOB_DURATION.labels(job=name).observe(time.perf_counter() - started)
    return done
