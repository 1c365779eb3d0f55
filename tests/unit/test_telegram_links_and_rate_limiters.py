"""Telegram concierge deep links and the in-process rate limiter."""

from __future__ import annotations

import re

import pytest

from adapters.rate_limiters import InMemoryRateLimiter
from adapters.telegram_links import (
    MAX_PAYLOAD,
    TelegramConciergeLinks,
    build_payload,
    parse_payload,
)

_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def test_the_concierge_link_carries_the_flow_and_the_service() -> None:
    link = TelegramConciergeLinks("@emotional_balance_concierge_bot").concierge_link(
        "individual-session"
    )
    assert link == "https://t.me/emotional_balance_concierge_bot?start=concierge-individual-session"
    parsed = parse_payload(link.split("start=", 1)[1])
    assert parsed is not None
    assert parsed.tg_flow == "concierge" and parsed.service_slug == "individual-session"


@pytest.mark.parametrize("slug", ["a" * 54, "a" * 55, "x" * 200, "Bad Slug", "", "тест"])
def test_every_payload_is_valid_for_telegram_and_falls_back_safely(slug: str) -> None:
    payload = build_payload("concierge", slug)
    assert _PAYLOAD.match(payload) and len(payload) <= MAX_PAYLOAD
    if len(slug) > 54 or not re.match(r"^[a-z0-9-]+$", slug):
        assert payload == "concierge"
    else:
        assert payload == f"concierge-{slug}"


def test_foreign_payloads_are_not_understood() -> None:
    assert parse_payload("promo-2026") is None
    assert parse_payload("concierge") is not None
    assert parse_payload("concierge?x=1") is None
    with pytest.raises(ValueError, match="username"):
        TelegramConciergeLinks("not a bot")


@pytest.mark.anyio
async def test_the_in_process_limiter_counts_per_key_and_per_minute() -> None:
    now = [1000.0 * 60]
    limiter = InMemoryRateLimiter(2, clock=lambda: now[0])
    assert await limiter.check("a") is None
    assert await limiter.check("a") is None
    assert await limiter.check("b") is None
    now[0] += 15
    assert await limiter.check("a") == 45
    now[0] += 45
    assert await limiter.check("a") is None
