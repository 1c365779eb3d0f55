"""``YooKassaPaymentGateway``: the official SDK behind the ``PaymentGateway`` port.

Payments (``Payment.create``/``find_one``) and refunds (``Refund.create``/``find_one``) go
through the same retry loop, time budget and error classification. The SDK's traps, and what
we do about each:

- It is synchronous: every call runs in our own bounded thread pool, never on the event
  loop; backoff sleeps happen on the loop, so a waiting retry holds no thread.
- It sets no network timeout: our session subclass gives every request connect/read
  timeouts, shortened to what is left of the time budget; and since a read timeout bounds
  each read rather than the whole answer, we stop waiting for the thread when the budget
  ends (the thread finishes on its own timeouts; a retry with the same key finds whatever
  that late attempt created).
- It invents a random idempotence key when none is given: we always pass the request's own
  key (the payment's, or for its refund the key derived from it; at most 64 chars), and a
  retry re-sends that key with the same body, so a lost answer never makes a second payment
  or a second refund.
- It retries HTTP 202 only over https, with 30-minute sleeps: our session mounts no SDK
  retry; we retry 5xx, 202, 429, timeouts and connection errors ourselves, with exponential
  backoff and full jitter inside a time budget. Other 4xx are not retried.
- Connection errors surface as ``AttributeError`` and HTML error pages as a JSON decode
  error: both are recognised through the exception chain and classified.
- ``logger=`` would log the Authorization header and customer contacts: we never pass one,
  clear any, and silence the SDK's log hooks on our client.
- Its configuration is global: it is configured once per process; each of our clients also
  carries its own endpoint and credentials, so two gateways never see each other's.
- It adds ``metadata.cms_name``: we keep metadata to our two ids.
- Its refund request refuses, before sending anything, a payment id that is not 36 chars or
  a description of 256 chars or more, with a ``ValueError`` that would read as an unreadable
  answer and be retried: we build and check the refund request once, before the first
  attempt (a refusal there is ``ProviderRejected``, no call made), and keep the description
  to YooKassa's 250 chars.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import requests
from yookassa import Configuration, Payment, Refund
from yookassa.client import ApiClient
from yookassa.domain.exceptions import (
    ApiError,
    BadRequestError,
    ForbiddenError,
    GoneError,
    InternalServerError,
    NotFoundError,
    ResponseProcessingError,
    TooManyRequestsError,
    UnauthorizedError,
)
from yookassa.domain.request.refund_request import RefundRequest

from domain.errors import InvalidMoney, ProviderRejected, ProviderUnavailable
from domain.models import CURRENCY_RUB, Money
from domain.payments import (
    Confirmation,
    ConfirmationType,
    CreateProviderPayment,
    CreateProviderRefund,
    PaymentStatus,
    ProviderPayment,
    ProviderRefund,
    ProviderRefundStatus,
)

logger = logging.getLogger("adapters.yookassa")

T = TypeVar("T")

_STATUS = {
    "pending": PaymentStatus.PENDING,
    "waiting_for_capture": PaymentStatus.WAITING_FOR_CAPTURE,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}
_REFUND_STATUS = {status.value: status for status in ProviderRefundStatus}
# YooKassa's limit on a refund's description (the SDK's own check is looser).
MAX_REFUND_DESCRIPTION = 250
# Provider ids we look up: YooKassa's are UUID-like; anything else never reaches a URL path.
_PROVIDER_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


@dataclass(frozen=True, slots=True)
class GatewayTimeouts:
    connect: float = 5.0
    # YooKassa may take 30 s before answering 500: wait that long for one attempt.
    read: float = 30.0
    # Everything for one create or get, retries and backoff included. The worker keeps this
    # default; the visitor's request path takes YOOKASSA_REQUEST_BUDGET_SECONDS (``with_budget``).
    budget: float = 40.0
    backoff_base: float = 0.25
    backoff_cap: float = 4.0
    retry_after_seconds: int = 30


class _Retryable(Exception):
    """An attempt that may succeed if repeated with the same key and body."""

    def __init__(self, reason: str, wait_hint: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait_hint = wait_hint


class _Rejected(Exception):
    def __init__(self, reason: str, status: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class _NotFound(Exception):
    pass


_configure_lock = threading.Lock()
_configured = False


def _configure_sdk_once(shop_id: str, secret_key: str, api_url: str) -> None:
    """The SDK's settings are class attributes: set them once per process, never a logger."""
    global _configured
    with _configure_lock:
        if not _configured:
            Configuration.configure(shop_id, secret_key, api_url=api_url, max_attempts=0)
            _configured = True
        Configuration.logger = None


class _TimeoutSession(requests.Session):
    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["timeout"] = self._timeout
        return super().request(*args, **kwargs)


class _Attempt:
    """One attempt's settings, handed to the client built inside the worker thread."""

    def __init__(self, api_url: str, shop_id: str, secret_key: str, timeout: tuple[float, float]):
        self.api_url = api_url
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.timeout = timeout


_current = threading.local()


class _OurApiClient(ApiClient):  # type: ignore[misc]
    """The SDK's client with our endpoint, credentials and timeouts, no retries, no logs."""

    def __init__(self) -> None:
        super().__init__()
        attempt: _Attempt = _current.attempt
        self.endpoint = attempt.api_url
        self.shop_id = attempt.shop_id
        self.shop_password = attempt.secret_key
        self.auth_token = None
        self._timeout = attempt.timeout

    def get_session(self) -> requests.Session:
        return _TimeoutSession(self._timeout)

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None

    @staticmethod
    def log_response(*args: Any, **kwargs: Any) -> None:
        return None


class _OurPayment(Payment):  # type: ignore[misc]
    def __init__(self) -> None:
        self.client = _OurApiClient()

    @classmethod
    def add_default_cms_name(cls, params_object: Any) -> Any:
        return params_object  # metadata carries our two ids and nothing else


class _OurRefund(Refund):  # type: ignore[misc]
    """The SDK's refunds on our client (the SDK adds no ``cms_name`` to refunds)."""

    def __init__(self) -> None:
        self.client = _OurApiClient()


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it was raised from or while handling (both links)."""
    seen: list[BaseException] = []
    pending = [exc]
    while pending and len(seen) < 32:
        current = pending.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return seen


def _http_status_in_chain(exc: BaseException) -> tuple[int | None, requests.Response | None]:
    for link in _chain(exc):
        response = getattr(link, "response", None)
        if isinstance(response, requests.Response):
            return response.status_code, response
    return None, None


_TRANSPORT_ERRORS = (
    requests.exceptions.ConnectionError,  # refused, reset, DNS; ConnectTimeout too
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,  # the connection dropped mid-body
    requests.exceptions.ContentDecodingError,
)


def _transport_error_in_chain(exc: BaseException) -> BaseException | None:
    for link in _chain(exc):
        if isinstance(link, _TRANSPORT_ERRORS):
            return link
    return None


def _retry_after(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    raw = response.headers.get("Retry-After")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def classify(exc: BaseException) -> Exception:
    """Turn whatever the SDK raised into ``_Retryable``, ``_Rejected`` or ``_NotFound``."""
    status, response = _http_status_in_chain(exc)
    if isinstance(exc, ResponseProcessingError):  # HTTP 202: still processing
        return _Retryable("http_202")
    if isinstance(exc, TooManyRequestsError):
        return _Retryable("http_429", _retry_after(response))
    if isinstance(exc, InternalServerError):
        return _Retryable("http_500")
    if isinstance(exc, NotFoundError):
        return _NotFound()
    if isinstance(exc, BadRequestError | ForbiddenError | UnauthorizedError | GoneError):
        return _Rejected(type(exc).__name__, getattr(exc, "HTTP_CODE", None))
    transport = _transport_error_in_chain(exc)
    if transport is not None:
        # The SDK reads ``e.response.status_code`` of a failed connection: AttributeError.
        return _Retryable(type(transport).__name__)
    if isinstance(exc, ApiError | ValueError):
        # An unexpected status (502/503/504 ...) or an HTML page where JSON was expected.
        if status is None or status >= 500 or status in (202, 429) or 200 <= status < 300:
            return _Retryable(f"http_{status}" if status else type(exc).__name__)
        return _Rejected(f"http_{status}", status)
    if isinstance(exc, requests.RequestException):
        return _Retryable(type(exc).__name__)
    raise exc


def _money(raw: Any) -> Money:
    try:
        value = Decimal(str(raw["value"] if isinstance(raw, dict) else raw.value))
        currency = str(raw["currency"] if isinstance(raw, dict) else raw.currency)
        return Money(value, currency or CURRENCY_RUB)
    except (KeyError, AttributeError, InvalidOperation, TypeError, InvalidMoney) as exc:
        raise ValueError("the provider sent no readable amount") from exc


def to_provider_payment(response: Any) -> ProviderPayment:
    """The SDK's ``PaymentResponse`` reduced to domain fields; ``payment_method`` (card data)
    is never read."""
    status = _STATUS.get(str(response.status))
    if status is None:
        raise ValueError("the provider sent an unknown payment status")
    confirmation = None
    raw_confirmation = getattr(response, "confirmation", None)
    if raw_confirmation is not None:
        kind = str(getattr(raw_confirmation, "type", ""))
        if kind == ConfirmationType.REDIRECT.value:
            confirmation = Confirmation(
                type=ConfirmationType.REDIRECT,
                confirmation_url=getattr(raw_confirmation, "confirmation_url", None),
            )
        elif kind == ConfirmationType.EMBEDDED.value:
            confirmation = Confirmation(
                type=ConfirmationType.EMBEDDED,
                confirmation_token=getattr(raw_confirmation, "confirmation_token", None),
            )
    details = getattr(response, "cancellation_details", None)
    reason = getattr(details, "reason", None) if details is not None else None
    metadata = getattr(response, "metadata", None) or {}
    raw_refunded = getattr(response, "refunded_amount", None)
    return ProviderPayment(
        provider_payment_id=str(response.id),
        status=status,
        amount=_money(response.amount),
        confirmation=confirmation,
        cancellation_reason=str(reason)[:64] if reason else None,
        metadata={
            k: str(v) for k, v in dict(metadata).items() if k in ("appointment_id", "payment_id")
        },
        test=getattr(response, "test", None) is True,
        refunded_amount=_money(raw_refunded) if raw_refunded is not None else None,
    )


def _readable(response: Any) -> ProviderPayment:
    try:
        return to_provider_payment(response)
    except ValueError:
        logger.warning("yookassa answered with a payment we cannot read")
        raise ProviderUnavailable() from None


def to_provider_refund(response: Any) -> ProviderRefund:
    """The SDK's ``RefundResponse`` reduced to domain fields."""
    status = _REFUND_STATUS.get(str(response.status))
    if status is None:
        raise ValueError("the provider sent an unknown refund status")
    refund_id, payment_id = response.id, response.payment_id
    if not refund_id or not payment_id:
        raise ValueError("the provider sent a refund without its ids")
    return ProviderRefund(
        provider_refund_id=str(refund_id),
        provider_payment_id=str(payment_id),
        status=status,
        amount=_money(response.amount),
    )


def _readable_refund(response: Any) -> ProviderRefund:
    try:
        return to_provider_refund(response)
    except ValueError:
        logger.warning("yookassa answered with a refund we cannot read")
        raise ProviderUnavailable() from None


def refund_request_body(request: CreateProviderRefund) -> dict[str, Any]:
    """The JSON body of our refund request: the same for every retry of one refund."""
    body: dict[str, Any] = {
        "payment_id": request.provider_payment_id,
        "amount": {"value": request.amount.value, "currency": request.amount.currency},
    }
    description = request.description.strip()[:MAX_REFUND_DESCRIPTION]
    if description:
        body["description"] = description
    return body


def create_request_body(request: CreateProviderPayment) -> dict[str, Any]:
    """The JSON body of our create request: the same for every retry of one payment."""
    confirmation: dict[str, Any] = {"type": request.confirmation_type.value}
    if request.confirmation_type is ConfirmationType.REDIRECT:
        confirmation["return_url"] = request.return_url
    body: dict[str, Any] = {
        "amount": {"value": request.amount.value, "currency": request.amount.currency},
        "capture": True,
        "confirmation": confirmation,
        "description": request.description,
        "metadata": request.metadata,
    }
    receipt = request.receipt
    if receipt is not None:
        customer: dict[str, str] = {}
        if receipt.customer_email:
            customer["email"] = receipt.customer_email
        elif receipt.customer_phone:
            customer["phone"] = receipt.customer_phone
        body["receipt"] = {
            "customer": customer,
            "items": [
                {
                    "description": receipt.item_description,
                    "quantity": "1.00",
                    "amount": {"value": receipt.amount.value, "currency": receipt.amount.currency},
                    "vat_code": receipt.vat_code,
                    "payment_subject": receipt.payment_subject,
                    "payment_mode": receipt.payment_mode.value,
                }
            ],
        }
    return body


class YooKassaPaymentGateway:
    """Implements ``PaymentGateway`` with the official ``yookassa`` SDK."""

    def __init__(
        self,
        *,
        shop_id: str,
        secret_key: str,
        api_url: str,
        timeouts: GatewayTimeouts | None = None,
        max_threads: int = 32,
        rng: random.Random | None = None,
    ) -> None:
        self._shop_id = shop_id
        self._secret_key = secret_key
        self._api_url = api_url.rstrip("/")
        self._timeouts = timeouts or GatewayTimeouts()
        self.max_threads = max_threads
        self._executor = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="yookassa")
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        _configure_sdk_once(shop_id, secret_key, self._api_url)

    def __repr__(self) -> str:
        return (
            f"YooKassaPaymentGateway(api_url={self._api_url!r}, shop_id=***, "
            f"budget={self._timeouts.budget:g})"
        )

    @property
    def budget_seconds(self) -> float:
        return self._timeouts.budget

    def with_budget(self, seconds: float) -> YooKassaPaymentGateway:
        """The same gateway (shop, thread pool) whose every call gives up after ``seconds``:
        the visitor's request path waits less than the worker."""
        if not seconds > 0:
            raise ValueError("a gateway's time budget must be positive")
        bounded = copy.copy(self)
        bounded._timeouts = replace(self._timeouts, budget=seconds)
        return bounded

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def create_payment(self, request: CreateProviderPayment) -> ProviderPayment:
        body = create_request_body(request)
        key = request.idempotence_key

        def call() -> Any:
            return _OurPayment.create(body, key)

        try:
            response = await self._with_retries("create", call)
        except _NotFound as exc:
            raise ProviderRejected() from exc
        return _readable(response)

    async def get_payment(self, provider_payment_id: str) -> ProviderPayment | None:
        if not provider_payment_id or len(provider_payment_id) > 64:
            return None

        def call() -> Any:
            return _OurPayment.find_one(provider_payment_id)

        try:
            response = await self._with_retries("get", call)
        except _NotFound:
            return None
        return _readable(response)

    async def create_refund(self, request: CreateProviderRefund) -> ProviderRefund:
        body = refund_request_body(request)
        try:
            # The SDK's own checks, once and before any call: failing them inside an attempt
            # would read as an unreadable answer and be retried.
            RefundRequest(body).validate()
        except (ValueError, TypeError):
            logger.warning("yookassa refund request refused before sending: invalid request")
            raise ProviderRejected() from None
        key = request.idempotence_key

        def call() -> Any:
            return _OurRefund.create(body, key)

        try:
            response = await self._with_retries("refund", call)
        except _NotFound as exc:
            raise ProviderRejected() from exc
        return _readable_refund(response)

    async def get_refund(self, provider_refund_id: str) -> ProviderRefund | None:
        if not _PROVIDER_ID.fullmatch(provider_refund_id or ""):
            return None

        def call() -> Any:
            return _OurRefund.find_one(provider_refund_id)

        try:
            response = await self._with_retries("get refund", call)
        except _NotFound:
            return None
        return _readable_refund(response)

    async def _with_retries(self, operation: str, call: Callable[[], T]) -> T:
        t = self._timeouts
        loop = asyncio.get_running_loop()
        deadline = loop.time() + t.budget
        attempt = 0
        reason = "budget_spent"
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            # No single attempt outlives the budget: its socket timeouts are cut to what is
            # left, and we stop waiting for its thread when the budget ends.
            timeout = (min(t.connect, remaining), min(t.read, remaining))
            running = loop.run_in_executor(self._executor, self._in_thread, call, timeout)
            try:
                return await asyncio.wait_for(running, remaining)
            except TimeoutError:
                attempt += 1
                reason = "budget_spent_in_attempt"
                break
            except _Retryable as exc:
                attempt += 1
                reason = exc.reason
                delay = self._rng.uniform(0, min(t.backoff_cap, t.backoff_base * 2**attempt))
                if exc.wait_hint is not None:
                    delay = max(delay, min(exc.wait_hint, t.backoff_cap))
                if loop.time() + delay >= deadline:
                    break
                logger.info("yookassa %s attempt %d: %s; retrying", operation, attempt, reason)
                await asyncio.sleep(delay)
        logger.warning(
            "yookassa %s gave up after %d attempts within %g s: %s",
            operation,
            attempt,
            t.budget,
            reason,
        )
        raise ProviderUnavailable(retry_after_seconds=t.retry_after_seconds)

    def _in_thread(self, call: Callable[[], T], timeout: tuple[float, float]) -> T:
        _current.attempt = _Attempt(self._api_url, self._shop_id, self._secret_key, timeout)
        started = time.monotonic()
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - every SDK failure is classified below
            outcome = classify(exc)
            if isinstance(outcome, _Rejected):
                logger.warning("yookassa rejected the request: %s", outcome.reason)
                if outcome.status in (401, 403):
                    logger.error("yookassa refused our credentials (check YOOKASSA_SHOP_ID/KEY)")
                raise ProviderRejected() from None
            raise outcome from None
        finally:
            _current.attempt = None
            logger.debug("yookassa call took %.3f s", time.monotonic() - started)
