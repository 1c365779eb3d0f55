"""The worker's pass stops after the job it is in once asked to stop."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from composition.worker import run_worker_pass

pytestmark = pytest.mark.anyio


class RecordingJob:
    def __init__(self, name: str, ran: list[str], stop: dict[str, bool]) -> None:
        self._name, self._ran, self._stop = name, ran, stop

    async def execute(self) -> int:
        self._ran.append(self._name)
        if self._name == "send-emails":
            self._stop["asked"] = True  # SIGTERM arrives while this job runs
        return 1


def container(ran: list[str], stop: dict[str, bool]) -> Any:
    def job(name: str) -> RecordingJob:
        return RecordingJob(name, ran, stop)

    return SimpleNamespace(
        expire_holds=job("expire-holds"),
        send_pending_emails=job("send-emails"),
        payments=SimpleNamespace(
            reconcile=job("reconcile-payments"),
            deliver_tracking=job("deliver-tracking"),
            purge_idempotency_keys=job("purge-idempotency-keys"),
        ),
        purge_staff_sessions=job("purge-admin-sessions"),
        purge_waitlist_confirmations=job("purge-waitlist-confirmations"),
        erase_expired_contacts=job("erase-expired-contacts"),
        offers=SimpleNamespace(offer_freed_slots=job("offer-freed-slots")),
    )


async def test_a_stop_asked_during_a_job_lets_it_finish_and_starts_no_other() -> None:
    ran: list[str] = []
    stop = {"asked": False}

    done = await run_worker_pass(container(ran, stop), should_stop=lambda: stop["asked"])

    assert ran == ["expire-holds", "offer-freed-slots", "send-emails"]
    assert done == {"expire-holds": 1, "offer-freed-slots": 1, "send-emails": 1}


async def test_without_a_stop_every_job_runs() -> None:
    ran: list[str] = []

    await run_worker_pass(container(ran, {"asked": False}))

    assert len(ran) == 9
