"""What the app does once when it starts, on the real database."""

from __future__ import annotations

import gc

import pytest

import main

pytestmark = [pytest.mark.anyio, pytest.mark.db]


async def test_start_up_takes_the_long_lived_heap_out_of_the_garbage_collectors_reach(
    db: object,
) -> None:
    gc.unfreeze()
    app = main.build_app(main.build_container(main.load_settings()))
    try:
        async with app.lifespan():
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
