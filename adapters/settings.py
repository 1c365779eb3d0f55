"""Configuration from the environment: one frozen object, secrets masked, fail fast.

Every secret can also be given as ``<NAME>_FILE`` (a path whose content is the value), the
way container secrets are mounted. ``APP_ENV=development`` (the default) fills in safe local
defaults; ``APP_ENV=production`` refuses to start when anything it needs is missing or
malformed, and names the variable in one line.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from adapters.fernet_encryptor import (
    EncryptionKeyError,
    generate_blind_index_key,
    generate_fernet_key,
    parse_blind_index_key,
    parse_fernet_keys,
)
from domain.practice_time import DEFAULT_PRACTICE_TIMEZONE, PracticeTimezone

T = TypeVar("T")

YOOKASSA_API_URL = "https://api.yookassa.ru/v3"
# Published by YooKassa: https://yookassa.ru/developers/using-api/webhooks#ip
YOOKASSA_NOTIFICATION_IPS = (
    "185.71.76.0/27",
    "185.71.77.0/27",
    "77.75.153.0/25",
    "77.75.156.11/32",
    "77.75.156.35/32",
    "77.75.154.128/25",
    "2a02:5180::/32",
)
SANDBOX_MARKER = "sandbox"
TEST_KEY_PREFIX = "test_"
# A client needs a few minutes to pay: shorter holds are for demos and tests only.
MIN_PRODUCTION_HOLD_MINUTES = 5
DEFAULT_MAX_ACTIVE_HOLDS_PER_CONTACT = 2
DEFAULT_REQUEST_BUDGET_SECONDS = 10.0
DEFAULT_CONTACT_RETENTION_DAYS = 180.0
MAX_CONTACT_RETENTION_DAYS = 3650.0
# A visitor's request held longer than this is a hung page, whatever the provider does.
MAX_REQUEST_BUDGET_SECONDS = 120.0
# Who may read ``GET /metrics`` unless METRICS_ALLOWED_IPS says otherwise: this machine only.
DEFAULT_METRICS_ALLOWED_IPS = ("127.0.0.0/8", "::1")
_TELEGRAM_BOT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,30}[Bb][Oo][Tt]$")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigurationError(Exception):
    """Configuration is missing or malformed; the message names the variable, never a value."""


class Secret(Generic[T]):
    """A value that never shows itself in a repr, str, log line or traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def get_secret_value(self) -> T:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Settings:
    app_env: str
    database_url: Secret[str]
    contact_encryption_keys: Secret[tuple[bytes, ...]]
    blind_index_key: Secret[bytes]
    yookassa_shop_id: str
    yookassa_secret_key: Secret[str]
    yookassa_allow_test_keys: bool
    yookassa_api_url: str
    yookassa_confirmation_type: str
    yookassa_receipts: bool
    yookassa_vat_code: int
    yookassa_webhook_allowed_ips: tuple[IPNetwork, ...]
    trusted_proxies: tuple[IPNetwork, ...]
    telegram_bot_username: str
    public_site_url: str
    cors_allowed_origins: tuple[str, ...]
    admin_allowed_hosts: tuple[str, ...]
    smtp_url: Secret[str] | None
    email_from: str
    rate_limit_per_minute: int
    redis_url: Secret[str] | None
    tracking_sink_url: str | None
    hold_minutes: float
    offer_minutes: float
    payment_grace_minutes: float
    log_level: str
    # How long the visitor's ``POST /api/public/payments`` waits for YooKassa, retries included.
    yookassa_request_budget_seconds: float = DEFAULT_REQUEST_BUDGET_SECONDS
    # The IANA zone clients read appointment times in (emails, the payment return page).
    practice_timezone: str = DEFAULT_PRACTICE_TIMEZONE
    # How long a closed request's or an idle lead's contact is kept (``0``: the next pass).
    contact_retention_days: float = DEFAULT_CONTACT_RETENTION_DAYS
    # How many unexpired unpaid holds one client (by email or phone) may have at once.
    max_active_holds_per_contact: int = DEFAULT_MAX_ACTIVE_HOLDS_PER_CONTACT
    var_dir: Path = field(default=Path("var"))
    # False when ``APP_ENV`` was unset and development was assumed: ``serve`` then refuses a
    # public address rather than run the development stack in public.
    app_env_explicit: bool = True
    # Clients ``GET /metrics`` answers (others get the 404 of an unknown path).
    metrics_allowed_ips: tuple[IPNetwork, ...] = field(
        default_factory=lambda: _parse_networks("", ",".join(DEFAULT_METRICS_ALLOWED_IPS))
    )
    # PROMETHEUS_MULTIPROC_DIR: every process of this host writes its metrics there and any
    # ``serve`` answers ``/metrics`` with their sum (several ``serve`` and ``worker``).
    metrics_multiproc_dir: Path | None = None

    @property
    def practice_time(self) -> PracticeTimezone:
        return PracticeTimezone.named(self.practice_timezone)

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def database_is_postgres(self) -> bool:
        return self.database_url.get_secret_value().startswith(("postgres://", "postgresql://"))

    @property
    def yookassa_test_shop(self) -> bool:
        """A test shop's key starts with ``test_``; every other shop is live."""
        return self.yookassa_secret_key.get_secret_value().startswith(TEST_KEY_PREFIX)

    @property
    def uses_yookassa_sandbox(self) -> bool:
        return self.yookassa_api_url.rstrip("/").endswith(f"/{SANDBOX_MARKER}/v3") or (
            SANDBOX_MARKER in urlsplit(self.yookassa_api_url).path.split("/")
        )

    def summary(self) -> dict[str, str]:
        """Every setting as text for ``check``; secrets and credentials in URLs masked."""
        out: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Secret):
                inner = value.get_secret_value()
                out[item.name] = (
                    mask_url(inner)
                    if isinstance(inner, str) and "://" in inner
                    else f"*** ({_describe_secret(inner)})"
                )
            elif value is None:
                out[item.name] = "-"
            elif item.name == "trusted_proxies" and not value:
                out[item.name] = "none (no forwarded header is believed)"
            elif isinstance(value, tuple):
                out[item.name] = ", ".join(str(v) for v in value) or "-"
            else:
                out[item.name] = str(value)
        return out


def _describe_secret(value: object) -> str:
    if isinstance(value, tuple):
        return f"{len(value)} key(s)"
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    return "set"


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (a user name stays)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{netloc}").geturl()


class _Env:
    """Reads variables and their ``_FILE`` twins from one mapping."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, name: str) -> str | None:
        value = self._environ.get(name)
        if value is not None and value.strip() != "":
            return value.strip()
        return None

    def secret(self, name: str) -> str | None:
        direct = self.get(name)
        path = self.get(f"{name}_FILE")
        if direct is not None and path is not None:
            raise ConfigurationError(f"{name} and {name}_FILE are both set: set only one")
        if path is None:
            return direct
        try:
            content = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE: cannot read the file ({exc.strerror})") from exc
        if not content:
            raise ConfigurationError(f"{name}_FILE: the file is empty")
        return content


def _parse_networks(name: str, raw: str) -> tuple[IPNetwork, ...]:
    networks = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ConfigurationError(f"{name}: {part!r} is not an IP address or CIDR") from exc
    return tuple(networks)


def _parse_trusted_proxies(raw: str | None, *, production: bool) -> tuple[IPNetwork, ...]:
    """The proxies whose forwarded headers are believed; ``none`` when clients connect directly.

    Production serves over TLS, which some proxy terminates: without this every client would
    share the proxy's address (one visitor exhausting everyone's rate limit, every webhook
    refused), so it has to be said, even if only as ``none``.
    """
    value = (raw or "").strip()
    if not value:
        if production:
            raise ConfigurationError(
                "TRUSTED_PROXIES is required when APP_ENV=production: the addresses or CIDRs of "
                "the proxies in front of the app (comma-separated), or 'none' when clients "
                "connect directly"
            )
        return ()
    if value.lower() == "none":
        return ()
    if any(part.strip().lower() == "none" for part in value.split(",")):
        raise ConfigurationError("TRUSTED_PROXIES: 'none' cannot be combined with addresses")
    return _parse_networks("TRUSTED_PROXIES", value)


def _parse_metrics_allowed_ips(raw: str | None) -> tuple[IPNetwork, ...]:
    """Unset: loopback only; ``none``: nobody (``/metrics`` is a 404 for every client)."""
    if raw is None:
        return _parse_networks("METRICS_ALLOWED_IPS", ",".join(DEFAULT_METRICS_ALLOWED_IPS))
    if raw.lower() == "none":
        return ()
    networks = _parse_networks("METRICS_ALLOWED_IPS", raw)
    if not networks:
        raise ConfigurationError("METRICS_ALLOWED_IPS: give IPs or CIDRs, or none")
    return networks


def _parse_multiproc_dir(env: _Env) -> Path | None:
    """prometheus-client reads this variable itself (and its lower-case spelling): both are
    checked here so that a missing or read-only directory stops the start, not a request."""
    upper, lower = env.get("PROMETHEUS_MULTIPROC_DIR"), env.get("prometheus_multiproc_dir")
    if upper is not None and lower is not None and upper != lower:
        raise ConfigurationError(
            "PROMETHEUS_MULTIPROC_DIR and prometheus_multiproc_dir differ: set only the first"
        )
    raw = upper or lower
    if raw is None:
        return None
    path = Path(raw)
    if not path.is_dir():
        raise ConfigurationError("PROMETHEUS_MULTIPROC_DIR: the directory does not exist")
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigurationError("PROMETHEUS_MULTIPROC_DIR: the directory is not writable")
    return path


def _parse_bool(name: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false")


def _parse_int(name: str, raw: str | None, default: int, minimum: int, maximum: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer") from exc
    if not minimum <= value <= maximum:
        raise ConfigurationError(f"{name} must be between {minimum} and {maximum}")
    return value


def _parse_minutes(name: str, raw: str | None, default: float, maximum: float) -> float:
    """Minutes, decimals allowed for demos and tests (``0.05`` is 3 seconds)."""
    if raw is None:
        return default
    try:
        value = float(Decimal(raw.replace(",", ".")))
    except InvalidOperation as exc:
        raise ConfigurationError(
            f"{name} must be a number of minutes (decimals allowed: 0.05 is 3 seconds)"
        ) from exc
    if not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number of minutes")
    if value < 0:
        raise ConfigurationError(f"{name} must not be negative")
    if value > maximum:
        raise ConfigurationError(f"{name} must be at most {maximum:g} minutes")
    return value


def _parse_days(name: str, raw: str | None, default: float, maximum: float) -> float:
    """Days, decimals allowed (``0.5`` is 12 hours; ``0`` is "at once")."""
    if raw is None or not raw.strip():
        return default
    try:
        value = float(Decimal(raw.strip().replace(",", ".")))
    except InvalidOperation as exc:
        raise ConfigurationError(
            f"{name} must be a number of days (decimals allowed: 0.5 is 12 hours)"
        ) from exc
    if not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number of days")
    if value < 0:
        raise ConfigurationError(f"{name} must not be negative")
    if value > maximum:
        raise ConfigurationError(f"{name} must be at most {maximum:g} days")
    return value


def _parse_seconds(name: str, raw: str | None, default: float, maximum: float) -> float:
    """A positive number of seconds, decimals allowed (``0.5``)."""
    if raw is None:
        return default
    try:
        value = float(Decimal(raw.strip().replace(",", ".")))
    except InvalidOperation as exc:
        raise ConfigurationError(
            f"{name} must be a number of seconds (decimals allowed: 0.5 is half a second)"
        ) from exc
    if not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number of seconds")
    if value <= 0:
        raise ConfigurationError(f"{name} must be greater than 0")
    if value > maximum:
        raise ConfigurationError(f"{name} must be at most {maximum:g} seconds")
    return value


def _parse_timezone(name: str, raw: str | None) -> str:
    """An IANA zone name known to this machine (or the ``tzdata`` package)."""
    if raw is None or not raw.strip():
        return DEFAULT_PRACTICE_TIMEZONE
    key = raw.strip()
    try:
        PracticeTimezone.named(key)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise ConfigurationError(
            f"{name} must be an IANA time zone name such as {DEFAULT_PRACTICE_TIMEZONE}"
        ) from None
    return key


def _parse_log_level(raw: str | None) -> str:
    level = (raw or "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigurationError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def _check_url(name: str, url: str, schemes: tuple[str, ...], *, require_host: bool = True) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise ConfigurationError(f"{name} must start with one of: {', '.join(schemes)}://")
    if require_host and not parts.hostname:
        raise ConfigurationError(f"{name} has no host")
    return url


def _check_smtp_url(url: str, *, production: bool) -> None:
    """``smtp://`` (STARTTLS, required in production) or ``smtps://`` (TLS from the start)."""
    _check_url("SMTP_URL", url, ("smtp", "smtps"))
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError("SMTP_URL has an invalid port") from None
    if parts.scheme == "smtp" and port == 465:
        raise ConfigurationError("SMTP_URL: port 465 speaks TLS from the start, use smtps://")
    if production and (parts.query or parts.fragment):
        # Nothing may turn STARTTLS off in production (``?starttls=false``, ``?tls=none``...).
        raise ConfigurationError(
            "SMTP_URL takes no options when APP_ENV=production: smtp:// always uses "
            "STARTTLS, smtps:// TLS from the start"
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


DEV_KEY_NAMES = ("CONTACT_ENCRYPTION_KEYS", "BLIND_INDEX_KEY")


def _read_dev_keys(path: Path) -> dict[str, str] | None:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigurationError(
            f"{path}: cannot read the development keys ({exc.strerror})"
        ) from exc
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(data.get(n), str) for n in DEV_KEY_NAMES):
        raise ConfigurationError(
            f"{path} is not a development key file: restore it, or delete it to generate new keys"
        )
    return {name: str(data[name]) for name in DEV_KEY_NAMES}


def _dev_keys(var_dir: Path) -> dict[str, str]:
    """Development keys, generated once and kept under ``var/`` (never used in production).

    The file is readable by its owner only. Two processes starting at once (``serve`` and
    ``worker``) must end up with the same keys, so the file is published with a hard link,
    which never replaces an existing file: the loser reads the winner's keys.
    """
    path = var_dir / "dev-keys.json"
    existing = _read_dev_keys(path)
    if existing is not None:
        return existing
    var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = {
        "CONTACT_ENCRYPTION_KEYS": generate_fernet_key(),
        "BLIND_INDEX_KEY": generate_blind_index_key(),
    }
    tmp = var_dir / f".dev-keys.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    published = _read_dev_keys(path)
    if published is None:
        raise ConfigurationError(f"{path}: the development keys could not be written")
    return published


def _refuse_development_keys(path: Path, keys: list[bytes], index_key: bytes) -> None:
    """Production never runs on the keys a development start left under ``var/``."""
    try:
        dev = _read_dev_keys(path)
        if dev is None:
            return
        dev_keys = set(parse_fernet_keys(dev["CONTACT_ENCRYPTION_KEYS"]))
        dev_index = parse_blind_index_key(dev["BLIND_INDEX_KEY"])
    except (ConfigurationError, EncryptionKeyError):
        return  # not a usable key file, so not a key we could be reusing
    hint = f"(from {path}): generate real keys with `python main.py generate-keys`"
    if dev_keys & set(keys):
        raise ConfigurationError(f"CONTACT_ENCRYPTION_KEYS holds a development key {hint}")
    if hmac.compare_digest(dev_index, index_key):
        raise ConfigurationError(f"BLIND_INDEX_KEY is the development key {hint}")


def resolve_database_url(
    environ: Mapping[str, str] | None = None, *, var_dir: Path | None = None
) -> str:
    """``DATABASE_URL`` (or its ``_FILE``), else the development SQLite file under ``var/``."""
    env = _Env(os.environ if environ is None else environ)
    url = env.secret("DATABASE_URL")
    if url is not None:
        return url
    var = var_dir or Path(env.get("VAR_DIR") or "var")
    return f"sqlite:///{(var / 'emotional_balance.sqlite').as_posix()}"


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    var_dir: Path | None = None,
    port: int | None = None,
) -> Settings:
    """Build the settings, or raise :class:`ConfigurationError` naming what is wrong.

    ``port`` is the port ``serve`` binds (else ``PORT``): the development defaults (sandbox
    URL, public site URL) follow it.
    """
    env = _Env(os.environ if environ is None else environ)
    app_env = (env.get("APP_ENV") or "development").lower()
    if app_env not in {"development", "production"}:
        raise ConfigurationError("APP_ENV must be 'development' or 'production'")
    production = app_env == "production"
    var = var_dir or Path(env.get("VAR_DIR") or "var")

    def required(name: str, value: str | None) -> str:
        if value is None:
            raise ConfigurationError(f"{name} is required when APP_ENV=production")
        return value

    if production and env.secret("DATABASE_URL") is None:
        raise ConfigurationError("DATABASE_URL is required when APP_ENV=production")
    database_url = resolve_database_url(environ, var_dir=var)
    _check_url(
        "DATABASE_URL", database_url, ("sqlite", "postgres", "postgresql"), require_host=False
    )
    if production and database_url.startswith("sqlite"):
        raise ConfigurationError("DATABASE_URL must point to PostgreSQL when APP_ENV=production")

    raw_keys = env.secret("CONTACT_ENCRYPTION_KEYS")
    raw_index = env.secret("BLIND_INDEX_KEY")
    if not production and (raw_keys is None or raw_index is None):
        generated = _dev_keys(var)
        raw_keys = raw_keys or generated["CONTACT_ENCRYPTION_KEYS"]
        raw_index = raw_index or generated["BLIND_INDEX_KEY"]
    try:
        keys = parse_fernet_keys(required("CONTACT_ENCRYPTION_KEYS", raw_keys))
        index_key = parse_blind_index_key(required("BLIND_INDEX_KEY", raw_index))
    except EncryptionKeyError as exc:
        raise ConfigurationError(str(exc)) from exc
    if production:
        _refuse_development_keys(var / "dev-keys.json", keys, index_key)

    bind_port = str(port) if port is not None else env.get("PORT") or "8000"
    yookassa_api_url = env.get("YOOKASSA_API_URL")
    if yookassa_api_url is None:
        yookassa_api_url = (
            YOOKASSA_API_URL if production else f"http://127.0.0.1:{bind_port}/{SANDBOX_MARKER}/v3"
        )
    _check_url(
        "YOOKASSA_API_URL", yookassa_api_url, ("https",) if production else ("http", "https")
    )
    shop_id = env.secret("YOOKASSA_SHOP_ID")
    secret_key = env.secret("YOOKASSA_SECRET_KEY")
    allow_test_keys = _parse_bool(
        "YOOKASSA_ALLOW_TEST_KEYS", env.get("YOOKASSA_ALLOW_TEST_KEYS"), False
    )
    if production:
        shop_id = required("YOOKASSA_SHOP_ID", shop_id)
        if not shop_id.isdigit():
            raise ConfigurationError("YOOKASSA_SHOP_ID must be the numeric shop id")
        secret_key = required("YOOKASSA_SECRET_KEY", secret_key)
        if not re.fullmatch(r"(live|test)_[A-Za-z0-9_-]{20,}", secret_key):
            raise ConfigurationError("YOOKASSA_SECRET_KEY does not look like a YooKassa secret key")
        if secret_key.startswith(TEST_KEY_PREFIX) and not allow_test_keys:
            raise ConfigurationError(
                "YOOKASSA_SECRET_KEY is a test shop's key (test_...): production takes no real "
                "money with it; set YOOKASSA_ALLOW_TEST_KEYS=true if that is intended"
            )
    confirmation = (env.get("YOOKASSA_CONFIRMATION_TYPE") or "redirect").lower()
    if confirmation not in {"redirect", "embedded"}:
        raise ConfigurationError("YOOKASSA_CONFIRMATION_TYPE must be 'redirect' or 'embedded'")

    public_site_url = env.get("PUBLIC_SITE_URL")
    if public_site_url is None:
        if production:
            raise ConfigurationError("PUBLIC_SITE_URL is required when APP_ENV=production")
        public_site_url = f"http://127.0.0.1:{bind_port}"
    _check_url("PUBLIC_SITE_URL", public_site_url, ("https",) if production else ("http", "https"))

    cors_raw = env.get("CORS_ALLOWED_ORIGINS")
    cors = (
        tuple(o.strip().rstrip("/") for o in cors_raw.split(",") if o.strip()) if cors_raw else ()
    )
    for origin in cors:
        _check_url("CORS_ALLOWED_ORIGINS", origin, ("http", "https"))
    cors = tuple(dict.fromkeys((_origin(public_site_url), *cors)))

    hosts_raw = env.get("ADMIN_ALLOWED_HOSTS")
    if hosts_raw is None and production:
        hosts: tuple[str, ...] = (urlsplit(public_site_url).hostname or "",)
    else:
        hosts = tuple(h.strip() for h in (hosts_raw or "").split(",") if h.strip())

    telegram = env.get("TELEGRAM_BOT_USERNAME")
    if telegram is None:
        if production:
            raise ConfigurationError("TELEGRAM_BOT_USERNAME is required when APP_ENV=production")
        telegram = "emotional_balance_concierge_bot"
    telegram = telegram.lstrip("@")
    if not _TELEGRAM_BOT.match(telegram):
        raise ConfigurationError("TELEGRAM_BOT_USERNAME is not a Telegram bot username")

    smtp_url = env.secret("SMTP_URL")
    if smtp_url is not None:
        _check_smtp_url(smtp_url, production=production)
    elif production:
        raise ConfigurationError("SMTP_URL is required when APP_ENV=production")
    email_from = env.get("EMAIL_FROM") or ("" if production else "noreply@localhost")
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", email_from.split("<")[-1].rstrip(">").strip()):
        raise ConfigurationError(
            "EMAIL_FROM is required when APP_ENV=production"
            if not email_from
            else "EMAIL_FROM is not an email address"
        )

    redis_url = env.secret("REDIS_URL")
    if redis_url is not None:
        _check_url("REDIS_URL", redis_url, ("redis", "rediss", "unix"), require_host=False)
    tracking_sink = env.get("TRACKING_SINK_URL")
    if tracking_sink is not None:
        _check_url(
            "TRACKING_SINK_URL", tracking_sink, ("https",) if production else ("http", "https")
        )

    allowed_raw = env.get("YOOKASSA_WEBHOOK_ALLOWED_IPS")
    webhook_ips = _parse_networks(
        "YOOKASSA_WEBHOOK_ALLOWED_IPS", allowed_raw or ",".join(YOOKASSA_NOTIFICATION_IPS)
    )
    if not production and allowed_raw is None:
        # The built-in sandbox notifies from this machine.
        webhook_ips += _parse_networks("YOOKASSA_WEBHOOK_ALLOWED_IPS", "127.0.0.1,::1")

    hold_minutes = _parse_minutes("HOLD_MINUTES", env.get("HOLD_MINUTES"), 30, 24 * 60)
    if hold_minutes == 0:
        raise ConfigurationError("HOLD_MINUTES must be greater than 0")
    if production and hold_minutes < MIN_PRODUCTION_HOLD_MINUTES:
        raise ConfigurationError(
            f"HOLD_MINUTES must be at least {MIN_PRODUCTION_HOLD_MINUTES} when APP_ENV=production"
        )

    offer_minutes = _parse_minutes("OFFER_MINUTES", env.get("OFFER_MINUTES"), 120, 7 * 24 * 60)
    if offer_minutes == 0:
        raise ConfigurationError("OFFER_MINUTES must be greater than 0")

    settings = Settings(
        app_env=app_env,
        database_url=Secret(database_url),
        contact_encryption_keys=Secret(tuple(keys)),
        blind_index_key=Secret(index_key),
        yookassa_shop_id=shop_id or "sandbox-shop",
        # The development sandbox is a test shop, like YooKassa's own test shops.
        yookassa_secret_key=Secret(secret_key or "test_sandbox_secret_key_for_local_development"),
        yookassa_allow_test_keys=allow_test_keys,
        yookassa_api_url=yookassa_api_url.rstrip("/"),
        yookassa_confirmation_type=confirmation,
        yookassa_receipts=_parse_bool("YOOKASSA_RECEIPTS", env.get("YOOKASSA_RECEIPTS"), False),
        yookassa_vat_code=_parse_int("YOOKASSA_VAT_CODE", env.get("YOOKASSA_VAT_CODE"), 1, 1, 12),
        yookassa_webhook_allowed_ips=webhook_ips,
        trusted_proxies=_parse_trusted_proxies(env.get("TRUSTED_PROXIES"), production=production),
        telegram_bot_username=telegram,
        public_site_url=public_site_url.rstrip("/"),
        cors_allowed_origins=cors,
        admin_allowed_hosts=hosts,
        smtp_url=Secret(smtp_url) if smtp_url else None,
        email_from=email_from,
        rate_limit_per_minute=_parse_int(
            "RATE_LIMIT_PER_MINUTE", env.get("RATE_LIMIT_PER_MINUTE"), 30, 0, 100_000
        ),
        redis_url=Secret(redis_url) if redis_url else None,
        tracking_sink_url=tracking_sink,
        hold_minutes=hold_minutes,
        offer_minutes=offer_minutes,
        max_active_holds_per_contact=_parse_int(
            "MAX_ACTIVE_HOLDS_PER_CONTACT",
            env.get("MAX_ACTIVE_HOLDS_PER_CONTACT"),
            DEFAULT_MAX_ACTIVE_HOLDS_PER_CONTACT,
            1,
            1_000,
        ),
        payment_grace_minutes=_parse_minutes(
            "PAYMENT_GRACE_MINUTES", env.get("PAYMENT_GRACE_MINUTES"), 120, 24 * 60
        ),
        log_level=_parse_log_level(env.get("LOG_LEVEL")),
        yookassa_request_budget_seconds=_parse_seconds(
            "YOOKASSA_REQUEST_BUDGET_SECONDS",
            env.get("YOOKASSA_REQUEST_BUDGET_SECONDS"),
            DEFAULT_REQUEST_BUDGET_SECONDS,
            MAX_REQUEST_BUDGET_SECONDS,
        ),
        practice_timezone=_parse_timezone("PRACTICE_TIMEZONE", env.get("PRACTICE_TIMEZONE")),
        contact_retention_days=_parse_days(
            "CONTACT_RETENTION_DAYS",
            env.get("CONTACT_RETENTION_DAYS"),
            DEFAULT_CONTACT_RETENTION_DAYS,
            MAX_CONTACT_RETENTION_DAYS,
        ),
        var_dir=var,
        app_env_explicit=bool(env.get("APP_ENV")),
        metrics_allowed_ips=_parse_metrics_allowed_ips(env.get("METRICS_ALLOWED_IPS")),
        metrics_multiproc_dir=_parse_multiproc_dir(env),
    )
    if production and settings.uses_yookassa_sandbox:
        raise ConfigurationError(
            "YOOKASSA_API_URL points to the sandbox, which never runs in production"
        )
    return settings
