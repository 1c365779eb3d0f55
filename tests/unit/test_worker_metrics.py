"""The worker counts each job's runs, failures, items and duration under the job's name."""

from __future__ import annotations

from typing import cast

import pytest
from prometheus_client import REGISTRY, generate_latest

from composition.container import Container
from composition.worker import run_worker_pass, worker_jobs
from tests.support.metrics import samples, value

pytestmark = pytest.mark.anyio


def scrape() -> str:
    return generate_latest(REGISTRY).decode()


async def sent_three(_: Container) -> int:
    return 3


async def broken(_: Container) -> int:
    raise ConnectionError("smtp.example.org refused client@example.org")


async def test_runs_failures_items_and_durations_are_counted_by_job() -> None:
    before = scrape()
    jobs = [("metrics-test-sender", sent_three), ("metrics-test-broken", broken)]
    container = cast(Container, object())
    done = await run_worker_pass(container, jobs=jobs)
    done_again = await run_worker_pass(container, jobs=jobs)
    after = scrape()

    def grew(name: str, job: str, **labels: str) -> float:
        return value(after, name, job=job, **labels) - value(before, name, job=job, **labels)

    assert done == done_again == {"metrics-test-sender": 3, "metrics-test-broken": -1}
    assert grew("worker_job_runs_total", "metrics-test-sender") == 2
    assert grew("worker_job_failures_total", "metrics-test-sender") == 0
    assert grew("worker_job_items_total", "metrics-test-sender") == 6
    assert grew("worker_job_duration_seconds_count", "metrics-test-sender") == 2
    assert grew("worker_job_runs_total", "metrics-test-broken") == 2
    assert grew("worker_job_failures_total", "metrics-test-broken") == 2
    assert grew("worker_job_items_total", "metrics-test-broken") == 0
    assert grew("worker_job_duration_seconds_count", "metrics-test-broken") == 2
    assert value(after, "worker_job_last_success_timestamp_seconds", job="metrics-test-sender") > 0
    assert not any(
        labels.get("job") == "metrics-test-broken"
        for name, labels, _ in samples(after)
        if name == "worker_job_last_success_timestamp_seconds"
    )
    # The error's text (a host, an address) is never a label.
    assert "example.org" not in after


async def test_a_stop_before_a_job_starts_counts_no_run_of_it() -> None:
    before = scrape()
    done = await run_worker_pass(
        cast(Container, object()),
        jobs=[("metrics-test-never", sent_three)],
        should_stop=lambda: True,
    )
    assert done == {}
    assert value(scrape(), "worker_job_runs_total", job="metrics-test-never") == value(
        before, "worker_job_runs_total", job="metrics-test-never"
    )


def test_every_job_of_the_worker_has_a_name_fit_for_a_label() -> None:
    names = [name for name, _ in worker_jobs()]
    assert len(names) == len(set(names))
    assert all(name.replace("-", "").isalpha() and name.islower() for name in names)
