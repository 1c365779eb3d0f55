"""What the app does once when it starts, on the real database."""

from __future__ import annotations

import gc

import pytest

from adapters.settings import load_settings
from composition.container import build_container
from composition.web import build_app

pytestmark = [pytest.mark.anyio, pytest.mark.db]


async def test_start_up_takes_the_long_lived_heap_out_of_the_garbage_collectors_reach(
    db: object,
) -> None:
    gc.unfreeze()
    app = build_app(build_container(load_settings()))
    try:
        async with app.lifespan():
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
