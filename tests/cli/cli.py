"""Running ``python main.py`` in a subprocess, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_PREFIXES = (
    "APP_ENV",
    "DATABASE_URL",
    "CONTACT_ENCRYPTION_KEYS",
    "BLIND_INDEX_KEY",
    "YOOKASSA_",
    "TRUSTED_PROXIES",
    "TELEGRAM_",
    "PUBLIC_SITE_URL",
    "CORS_",
    "ADMIN_",
    "SMTP_URL",
    "EMAIL_FROM",
    "RATE_LIMIT",
    "REDIS_URL",
    "TRACKING_",
    "HOLD_MINUTES",
    "MAX_ACTIVE_HOLDS_PER_CONTACT",
    "PAYMENT_GRACE_",
    "LOG_LEVEL",
    "VAR_DIR",
    "PORT",
    "METRICS_",
    "PROMETHEUS_",
    "prometheus_",
)


def clean_environ(**extra: str) -> dict[str, str]:
    """The test process's environment without any of our settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CONFIG_PREFIXES)}
    env.update(extra)
    return env


def run_main(
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=dict(os.environ if env is None else env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
