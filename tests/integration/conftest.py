"""Fixtures the payment tests share: one sandbox served over real HTTP per module, and the
payment use cases wired as main wires them, on a clock that tests can move."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.yookassa.sandbox import YooKassaSandbox
from tests.support.payment_world import (
    OffsetClock,
    PaymentsWorld,
    payments_world,
    sandbox_server,
    seeded,
)


@pytest.fixture(scope="module")
def sandbox_and_url() -> Iterator[tuple[YooKassaSandbox, str]]:
    with sandbox_server() as served:
        yield served


@pytest.fixture
def sandbox(sandbox_and_url: tuple[YooKassaSandbox, str]) -> YooKassaSandbox:
    return sandbox_and_url[0]


@pytest.fixture
async def world(
    db: object, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> AsyncIterator[PaymentsWorld]:
    """A module may define its own ``world`` (other settings); this is the usual one."""
    sandbox_and_url[0].clear_faults()
    await seeded()
    built = payments_world(sandbox_and_url[1], clock=OffsetClock())
    yield built
    built.close()
