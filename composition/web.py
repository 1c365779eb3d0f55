"""The HTTP app of one process: the public API, the staff admin and the dev sandbox."""

from __future__ import annotations

import gc
import hashlib
from functools import partial

from litestar import Litestar

from adapters.login_failures import RedisLoginFailures
from adapters.rate_limiters import InMemoryRateLimiter, RedisRateLimiter
from adapters.settings import Settings
from admin.app import AdminConfig, build_admin
from admin.dashboard import Dashboard
from admin.login_guard import InMemoryLoginFailures, LoginGuard
from api.app import create_app
from api.config import ApiConfig
from api.dependencies import ApiPorts, NoSlotsPorts, OfferPorts, PaymentPorts, PrivacyPorts
from api.rate_limit import RateLimiter
from composition.container import Container
from composition.database import close_database, open_database
from domain.use_cases.get_dashboard import GetDashboardUseCase
from tables.database import PiccoloReadinessProbe
from tables.outbox_backlog import PiccoloOutboxBacklogProbe
from tables.staff.dashboard_queries import PiccoloDashboardQueries


def build_rate_limiter(settings: Settings) -> RateLimiter | None:
    """``None`` when ``RATE_LIMIT_PER_MINUTE=0``; shared through Redis when ``REDIS_URL`` is set."""
    limit = settings.rate_limit_per_minute
    if limit <= 0:
        return None
    if settings.redis_url is not None:
        key_secret = hashlib.sha256(b"rate-limit\x1f" + settings.blind_index_key.get_secret_value())
        return RedisRateLimiter(
            settings.redis_url.get_secret_value(), limit, key_secret=key_secret.digest()
        )
    return InMemoryRateLimiter(limit)


def build_login_failures(settings: Settings, config: AdminConfig) -> RedisLoginFailures | None:
    """Failed admin logins per username shared through Redis when ``REDIS_URL`` is set (else
    ``None``: the admin counts them in this process)."""
    if settings.redis_url is None:
        return None
    key_secret = hashlib.sha256(b"login-failures\x1f" + settings.blind_index_key.get_secret_value())
    return RedisLoginFailures(
        settings.redis_url.get_secret_value(),
        limit=config.username_login_failures,
        window=config.username_login_window.total_seconds(),
        key_secret=key_secret.digest(),
        fallback=InMemoryLoginFailures(
            limit=config.username_login_failures, window=config.username_login_window
        ),
    )


def admin_config(settings: Settings) -> AdminConfig:
    return AdminConfig(
        allowed_hosts=settings.admin_allowed_hosts,
        production=settings.is_production,
    )


def build_admin_app(
    container: Container, *, login_failures: RedisLoginFailures | None = None
) -> LoginGuard:
    """The staff admin (Piccolo Admin behind the role gate), built once per process."""
    config = admin_config(container.settings)
    dashboard = Dashboard(
        GetDashboardUseCase(
            queries=PiccoloDashboardQueries(container.engine),
            staff=container.staff_directory,
            clock=container.clock,
        )
    )
    return build_admin(
        config,
        forms=container.staff,
        staff=container.staff_directory,
        dashboard=dashboard,
        staff_access=container.staff_access,
        subject_access=container.subject_access,
        login_failures=login_failures,
        add_slots=container.add_slots,
    )


def build_app(container: Container, *, admin: LoginGuard | None = None) -> Litestar:
    """The whole service; ``admin`` replaces the staff admin built from the settings."""
    settings = container.settings
    rate_limiter = build_rate_limiter(settings)
    ports = ApiPorts(
        list_services=container.list_services,
        get_availability=container.get_availability,
        hold_slot=container.hold_slot,
        readiness=PiccoloReadinessProbe(container.engine),
        no_slots=NoSlotsPorts(
            get_no_slots_page=container.get_no_slots_page,
            create_waitlist_request=container.create_waitlist_request,
            record_frontend_event=container.record_frontend_event,
        ),
        payments=PaymentPorts(
            create_payment_intent=container.payments.create_payment_intent,
            get_payment=container.payments.get_payment,
            handle_payment_notification=container.payments.handle_notification,
        ),
        privacy=PrivacyPorts(withdraw_consent=container.withdraw_consent),
        outbox_backlog=PiccoloOutboxBacklogProbe(),
        offers=OfferPorts(
            get_offer_page=container.offers.get_offer_page,
            accept_offer=container.offers.accept_offer,
        ),
    )
    config = ApiConfig(
        cors_allowed_origins=settings.cors_allowed_origins,
        trusted_proxies=settings.trusted_proxies,
        yookassa_webhook_allowed_ips=settings.yookassa_webhook_allowed_ips,
        production=settings.is_production,
        metrics_allowed_ips=settings.metrics_allowed_ips,
        metrics_multiproc_dir=None
        if settings.metrics_multiproc_dir is None
        else str(settings.metrics_multiproc_dir),
    )
    sandbox = container.payments.sandbox  # development only: never built in production
    login_failures = None if admin else build_login_failures(settings, admin_config(settings))
    return create_app(
        ports,
        config,
        on_startup=[partial(open_database, container.engine), freeze_startup_heap],
        on_shutdown=[
            partial(close_database, container.engine),
            *([rate_limiter.close] if rate_limiter is not None else []),
            *([login_failures.close] if login_failures is not None else []),
        ],
        rate_limiter=rate_limiter,
        mounted_apps={
            "/admin": admin or build_admin_app(container, login_failures=login_failures),
            **({"/sandbox": sandbox.app} if sandbox is not None else {}),
        },
    )


def freeze_startup_heap() -> None:
    """Moves everything built at start-up (modules, the app, the admin) out of the garbage
    collector's reach: it lives as long as the process, and scanning it on every full
    collection cost request latency."""
    gc.collect()
    gc.freeze()
