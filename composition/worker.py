"""The worker's jobs: each claims its own work, so several workers never do it twice."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from composition.container import Container

logger = logging.getLogger("worker")

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
    container: Container, *, should_stop: Callable[[], bool] = lambda: False
) -> dict[str, int]:
    """One pass over every job; a failing job is logged by class and does not stop the rest.

    Once ``should_stop()`` is true no further job starts: the pass ends after the job it is in.
    """
    done: dict[str, int] = {}
    for name, job in worker_jobs():
        if should_stop():
            break
        try:
            done[name] = await job(container)
        except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
            logger.error("worker job %s failed: %s", name, type(exc).__name__)
            done[name] = -1
    return done
