"""Logging of every process: ids and error classes, never bodies or secrets."""

from __future__ import annotations

import logging

# Libraries that may log request bodies or headers stay quiet; aiosqlite logs every
# statement with its parameters at DEBUG. Piccolo's engine logs the server version at INFO as
# it connects, a line before any refusal that must stay one line ("migrations are pending").
QUIET = (
    "yookassa",
    "urllib3",
    "httpx",
    "httpcore",
    "aiosmtplib",
    "aiosqlite",
    "asyncpg",
    "piccolo.engine.base",
)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
