"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging.config import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.types import ControllerRouterHandler

from api.client_ip import TrustedProxyMiddleware
from api.config import ApiConfig
from api.dependencies import ApiPorts
from api.errors import EXCEPTION_HANDLERS
from api.health import HealthController
from api.metrics import RequestMetrics, metrics_endpoint, metrics_head
from api.mounts import mounted_asgi_handlers
from api.offers import OfferPagesController, WaitlistOffersController
from api.openapi import StrictStructSchemaPlugin
from api.pages import ReferencePagesController, static_pages_router
from api.payments import PaymentsController, YooKassaWebhookController
from api.privacy import ConsentsController, PrivacyPagesController
from api.public import PublicBookingController
from api.rate_limit import RateLimiter, RateLimitMiddleware
from api.waitlist import NoSlotsController

API_DESCRIPTION = (
    "Public API of «Эмоциональный баланс». Errors are RFC 9457 problem details "
    "(`application/problem+json`) with a stable `code`."
)


def create_app(
    ports: ApiPorts,
    config: ApiConfig | None = None,
    *,
    extra_handlers: Sequence[ControllerRouterHandler] = (),
    on_startup: Sequence[Callable[[], Any]] = (),
    on_shutdown: Sequence[Callable[[], Any]] = (),
    rate_limiter: RateLimiter | None = None,
    mounted_apps: Mapping[str, Any] | None = None,
) -> Litestar:
    """Build the app around ready-made ports; ``main.py`` and the tests supply them."""
    config = config or ApiConfig()
    cors = (
        CORSConfig(
            allow_origins=list(config.cors_allowed_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "Idempotency-Key"],
            max_age=600,
        )
        if config.cors_allowed_origins
        else None
    )
    app = Litestar(
        route_handlers=[
            HealthController,
            metrics_endpoint,
            metrics_head,
            PublicBookingController,
            *([NoSlotsController, ReferencePagesController] if ports.no_slots else []),
            *([ConsentsController, PrivacyPagesController] if ports.privacy else []),
            *([WaitlistOffersController, OfferPagesController] if ports.offers else []),
            *([static_pages_router()] if ports.no_slots or ports.privacy or ports.offers else []),
            *([PaymentsController, YooKassaWebhookController] if ports.payments else []),
            *extra_handlers,
            *mounted_asgi_handlers(mounted_apps or {}),
        ],
        # The client address, scheme and host are settled first, once, for everything after.
        middleware=[
            DefineMiddleware(TrustedProxyMiddleware, trusted_proxies=config.trusted_proxies),
            *(
                [DefineMiddleware(RateLimitMiddleware, limiter=rate_limiter)]
                if rate_limiter is not None
                else []
            ),
        ],
        dependencies={
            "ports": Provide(lambda: ports, use_cache=True, sync_to_thread=False),
            "api_config": Provide(lambda: config, use_cache=True, sync_to_thread=False),
        },
        # Also in the state, for hot handlers: two dependencies cost an anyio task group.
        state=State({"api_config": config}),
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[StrictStructSchemaPlugin()],
        cors_config=cors,
        openapi_config=OpenAPIConfig(
            title="Эмоциональный баланс API",
            version="1.0.0",
            description=API_DESCRIPTION,
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
        on_startup=list(on_startup),
        on_shutdown=list(on_shutdown),
        debug=config.debug,
        # The root logger is main.py's; exception texts may hold personal data: never logged.
        logging_config=LoggingConfig(configure_root_logger=False, log_exceptions="never"),
        request_max_body_size=64 * 1024,
    )
    # Around routing and the exception handlers (where Litestar's own middleware is not): the
    # 404 of an unknown path and every error answer are counted too.
    app.asgi_handler = RequestMetrics(app.asgi_handler)
    return app
