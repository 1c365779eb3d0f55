"""A built-in YooKassa sandbox: the parts of API v3 we use, over real HTTP.

``POST /v3/payments`` (Basic auth, ``Idempotence-Key`` semantics: the same key and body give
the same payment, the same key with another body is a 400, keys over 64 chars are a 400),
``GET /v3/payments/{id}``, and a confirmation page ``/checkout/{id}`` whose "pay" and
"cancel" buttons settle the payment and POST the notification to our webhook the way
YooKassa does. Bodies look like the real ones, card details in ``payment_method`` included
(we must never store them).

Refunds: ``POST /v3/refunds`` with the same ``Idempotence-Key`` rules, for a ``succeeded``
payment and at most what is left of it (each refund moves the payment's ``refunded_amount``
and ``refundable``; a cancelled one gives its amount back), and ``GET /v3/refunds/{id}``. A
refund succeeds at once unless a test holds the next ones ``pending`` (``hold_next_refunds``)
to settle them later (``settle_refund``); ``notify_refund`` POSTs ``refund.succeeded``.

In development ``main.py`` mounts it at ``/sandbox`` of our own app; it never runs in
production (the settings refuse a sandbox URL there). Tests serve it on its own and inject
faults into any API call, refunds included: 500, 500 after creating, an HTML 502, 202, 429,
a reset connection (also after creating) and slow answers.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import logging
import threading
import urllib.request
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

logger = logging.getLogger("adapters.yookassa.sandbox")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

FAULTS = (
    "500",
    "500_after_create",
    "html_502",
    "202",
    "429",
    "reset",
    "reset_after_create",
    "slow",
)
_HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    b"</h1></center><hr><center>nginx</center></body></html>"
)


@dataclass
class Fault:
    kind: str
    seconds: float = 0.0


@dataclass
class SandboxPayment:
    body: dict[str, Any]
    return_url: str | None
    webhook_sent: list[str] = field(default_factory=list)


@dataclass
class SandboxRefund:
    body: dict[str, Any]
    idempotence_key: str
    request: dict[str, Any]  # the body it was created with, as received


class _Refused(Exception):
    """A request YooKassa answers with 400 ``invalid_request``."""

    def __init__(self, description: str, parameter: str) -> None:
        super().__init__(description)
        self.body = _error("invalid_request", description, parameter)


class _ConnectionReset(Exception):
    """Raised mid-response: the server drops the connection like a reset."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _clone(body: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(body))
    return copied


def _provider_id(marker: str) -> str:
    """An id shaped like YooKassa's (36 chars, a fixed marker in the middle)."""
    return f"{uuid.uuid4().hex[:8]}-000f-{marker}-{uuid.uuid4().hex[:12]}"


def _error(code: str, description: str, parameter: str | None = None) -> dict[str, Any]:
    body = {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}
    if parameter:
        body["parameter"] = parameter
    return body


class YooKassaSandbox:
    """The sandbox's state and its ASGI app (``sandbox.app``); safe to drive from tests."""

    def __init__(
        self,
        *,
        shop_id: str,
        secret_key: str,
        webhook_url: str | None = None,
        gateway_id: str = "100700",
    ) -> None:
        self._auth = "Basic " + base64.b64encode(f"{shop_id}:{secret_key}".encode()).decode()
        self._shop_id = shop_id
        self._gateway_id = gateway_id
        self.webhook_url = webhook_url
        self._lock = threading.Lock()
        self._payments: dict[str, SandboxPayment] = {}
        self._keys: dict[str, tuple[str, str]] = {}  # key -> (canonical body, payment id)
        self._faults: deque[Fault] = deque()
        self.create_requests = 0
        # Every API answer waits this long (benchmarks: a provider that takes its time).
        self.latency = 0.0
        self.notifications: list[tuple[str, int]] = []
        # What each create carried as its 54-FZ receipt (tests check what the SDK sent).
        self.receipts: dict[str, dict[str, Any]] = {}
        self._refunds: dict[str, SandboxRefund] = {}
        self._refund_keys: dict[str, tuple[str, str]] = {}  # key -> (canonical body, refund id)
        self.refund_requests = 0
        self._held_refunds = 0  # how many of the next refunds are created ``pending``

    # Test controls ---------------------------------------------------------------------

    def inject(self, kind: str, *, times: int = 1, seconds: float = 0.0) -> None:
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            for _ in range(times):
                self._faults.append(Fault(kind, seconds))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def payment_count(self) -> int:
        with self._lock:
            return len(self._payments)

    def payment(self, payment_id: str) -> dict[str, Any]:
        with self._lock:
            return _clone(self._payments[payment_id].body)

    def payment_ids(self) -> list[str]:
        with self._lock:
            return list(self._payments)

    def settle(self, payment_id: str, outcome: str) -> dict[str, Any]:
        """Pay (``succeeded``) or cancel (``canceled``) a pending payment; returns its body."""
        with self._lock:
            stored = self._payments[payment_id]
            body = stored.body
            if body["status"] in ("succeeded", "canceled"):
                return _clone(body)
            if outcome == "succeeded":
                body.update(
                    status="succeeded",
                    paid=True,
                    refundable=True,
                    captured_at=_now(),
                    income_amount={
                        "value": f"{Decimal(body['amount']['value']) * Decimal('0.965'):.2f}",
                        "currency": body["amount"]["currency"],
                    },
                    refunded_amount={"value": "0.00", "currency": body["amount"]["currency"]},
                    payment_method={
                        "type": "bank_card",
                        "id": payment_id,
                        "saved": False,
                        "status": "inactive",
                        "title": "Bank card *4477",
                        "card": {
                            "first6": "555555",
                            "last4": "4477",
                            "expiry_year": "2030",
                            "expiry_month": "12",
                            "card_type": "MasterCard",
                            "card_product": {"code": "E"},
                            "issuer_country": "RU",
                        },
                    },
                    authorization_details={
                        "rrn": "869559887526342",
                        "auth_code": "910915",
                        "three_d_secure": {"applied": True, "protocol": "v2"},
                    },
                )
            elif outcome == "canceled":
                body.update(
                    status="canceled",
                    paid=False,
                    cancellation_details={
                        "party": "yoo_money",
                        "reason": "expired_on_confirmation",
                    },
                )
            else:
                raise ValueError("outcome is 'succeeded' or 'canceled'")
            body.pop("confirmation", None)
            return _clone(body)

    # Refund test controls ----------------------------------------------------------------

    @property
    def refund_count(self) -> int:
        with self._lock:
            return len(self._refunds)

    def refund(self, refund_id: str) -> dict[str, Any]:
        with self._lock:
            return _clone(self._refunds[refund_id].body)

    def refunds_for(self, payment_id: str) -> list[dict[str, Any]]:
        """The payment's refunds, oldest first."""
        with self._lock:
            return [
                _clone(r.body) for r in self._refunds.values() if r.body["payment_id"] == payment_id
            ]

    def refund_request(self, refund_id: str) -> tuple[str, dict[str, Any]]:
        """The ``Idempotence-Key`` and the JSON body the refund was created with."""
        with self._lock:
            stored = self._refunds[refund_id]
            return stored.idempotence_key, _clone(stored.request)

    def hold_next_refunds(self, times: int = 1) -> None:
        """The next ``times`` refunds are created ``pending`` until ``settle_refund``
        (``0`` lifts the hold); later ones succeed at once again."""
        if times < 0:
            raise ValueError("times is not negative")
        with self._lock:
            self._held_refunds = times

    def settle_refund(self, refund_id: str, outcome: str) -> dict[str, Any]:
        """Pay out (``succeeded``) or cancel (``canceled``) a pending refund; returns its body.

        A settled refund stays as it is. A cancelled one gives its amount back to the
        payment's refundable rest.
        """
        if outcome not in ("succeeded", "canceled"):
            raise ValueError("outcome is 'succeeded' or 'canceled'")
        with self._lock:
            body = self._refunds[refund_id].body
            if body["status"] != "pending":
                return _clone(body)
            body["status"] = outcome
            if outcome == "canceled":
                body["cancellation_details"] = {
                    "party": "refund_network",
                    "reason": "general_decline",
                }
                self._recount_refunds(body["payment_id"])
            return _clone(body)

    def refund_notification_body(self, refund_id: str) -> bytes:
        """``refund.succeeded`` as YooKassa sends it (it sends no other refund event)."""
        body = self.refund(refund_id)
        if body["status"] != "succeeded":
            raise ValueError("only succeeded refunds are notified")
        return json.dumps(
            {"type": "notification", "event": "refund.succeeded", "object": body}
        ).encode()

    def notify_refund(self, refund_id: str) -> int:
        """POST ``refund.succeeded`` to the webhook; returns the HTTP status (0: none)."""
        return self._post_notification(refund_id, self.refund_notification_body(refund_id))

    def notification_body(self, payment_id: str) -> bytes:
        body = self.payment(payment_id)
        event = {
            "succeeded": "payment.succeeded",
            "canceled": "payment.canceled",
            "waiting_for_capture": "payment.waiting_for_capture",
        }.get(body["status"])
        if event is None:
            raise ValueError("only settled payments are notified")
        return json.dumps({"type": "notification", "event": event, "object": body}).encode()

    def notify(self, payment_id: str) -> int:
        """POST the notification to the webhook, as YooKassa does; returns the HTTP status."""
        return self._post_notification(payment_id, self.notification_body(payment_id))

    def _post_notification(self, object_id: str, data: bytes) -> int:
        if not self.webhook_url:
            return 0
        req = urllib.request.Request(  # noqa: S310 - our own configured webhook URL
            self.webhook_url, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            logger.warning("sandbox notification failed: %s", type(exc).__name__)
            status = 0
        with self._lock:
            self.notifications.append((object_id, status))
        return status

    # ASGI ------------------------------------------------------------------------------

    @property
    def app(self) -> YooKassaSandbox:
        """The ASGI application (the sandbox object itself)."""
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path: str = scope.get("path", "")
        method: str = scope["method"]
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        if "/v3/" in path:
            await self._api(scope, method, path, headers, body, send)
        elif "/checkout/" in path:
            await self._checkout(scope, method, path, headers, body, send)
        else:
            await _send_json(send, 404, _error("not_found", "Not found"))

    def _base_url(self, scope: Scope, headers: dict[str, str], marker: str) -> str:
        root: str = scope.get("root_path", "")
        path: str = scope.get("path", "")
        if not path.startswith(root):  # some servers keep the mount prefix in ``path``
            path = root + path
        prefix = path.split(marker, 1)[0]
        host = headers.get("host", "127.0.0.1")
        return f"{scope.get('scheme', 'http')}://{host}{prefix}"

    async def _api(
        self,
        scope: Scope,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        send: Send,
    ) -> None:
        if headers.get("authorization") != self._auth:
            await _send_json(
                send,
                401,
                _error("invalid_credentials", "Authentication by given credentials failed"),
            )
            return
        tail = path.split("/v3/", 1)[1].rstrip("/")
        if self.latency:
            await asyncio.sleep(self.latency)
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
            fault = None
        if fault is not None and not fault.kind.endswith("_after_create"):
            await _send_fault(send, fault)
            return
        if method == "POST" and tail == "payments":
            status, answer = self._create(scope, headers, body)
        elif method == "GET" and tail.startswith("payments/") and tail.count("/") == 1:
            status, answer = self._get(tail.split("/", 1)[1])
        elif method == "POST" and tail == "refunds":
            status, answer = self._create_refund(headers, body)
        elif method == "GET" and tail.startswith("refunds/") and tail.count("/") == 1:
            status, answer = self._get_refund(tail.split("/", 1)[1])
        else:
            status, answer = 404, _error("not_found", "Unknown endpoint")
        if fault is not None:
            await _send_fault(send, fault)
            return
        await _send_json(send, status, answer)

    def _create(
        self, scope: Scope, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        key, request, problem = _keyed_request(headers, body)
        if problem is not None:
            return 400, problem
        canonical = json.dumps(request, sort_keys=True)
        with self._lock:
            self.create_requests += 1
            known = self._keys.get(key)
            if known is not None:
                if known[0] != canonical:
                    return 400, _error(
                        "invalid_request", "Idempotence key duplicated", "Idempotence-Key"
                    )
                return 200, _clone(self._payments[known[1]].body)
        problem = _validate(request)
        if problem is not None:
            return 400, problem
        payment_id = _provider_id("5000-8000")
        base = self._base_url(scope, headers, "/v3/")
        confirmation_in = request["confirmation"]
        if confirmation_in["type"] == "redirect":
            confirmation = {
                "type": "redirect",
                "confirmation_url": f"{base}/checkout/{payment_id}",
            }
        else:
            confirmation = {"type": "embedded", "confirmation_token": f"ct-{payment_id}"}
        payment = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": {
                "value": f"{Decimal(request['amount']['value']):.2f}",
                "currency": request["amount"]["currency"],
            },
            "confirmation": confirmation,
            "created_at": _now(),
            "description": request.get("description", ""),
            "metadata": request.get("metadata") or {},
            "recipient": {"account_id": self._shop_id, "gateway_id": self._gateway_id},
            "refundable": False,
            "test": True,
        }
        with self._lock:
            known = self._keys.get(key)
            if known is not None:  # a concurrent twin won: answer with its payment
                return 200, _clone(self._payments[known[1]].body)
            self._payments[payment_id] = SandboxPayment(
                body=payment, return_url=confirmation_in.get("return_url")
            )
            self._keys[key] = (canonical, payment_id)
            if isinstance(request.get("receipt"), dict):
                self.receipts[payment_id] = _clone(request["receipt"])
            return 200, _clone(payment)

    def _get(self, payment_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            stored = self._payments.get(payment_id)
            if stored is None:
                return 404, _error("not_found", "Payment not found", "payment_id")
            return 200, _clone(stored.body)

    def _create_refund(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        key, request, problem = _keyed_request(headers, body)
        if problem is not None:
            return 400, problem
        canonical = json.dumps(request, sort_keys=True)
        # One lock for check, validation and creation: two refunds racing for the same rest
        # of a payment cannot both pass the amount check.
        with self._lock:
            self.refund_requests += 1
            known = self._refund_keys.get(key)
            if known is not None:
                if known[0] != canonical:
                    return 400, _error(
                        "invalid_request", "Idempotence key duplicated", "Idempotence-Key"
                    )
                return 200, _clone(self._refunds[known[1]].body)
            try:
                payment, amount = self._refundable(request)
            except _Refused as refused:
                return 400, refused.body
            refund_id = _provider_id("5061-a000")
            refund: dict[str, Any] = {
                "id": refund_id,
                "payment_id": payment["id"],
                "status": "succeeded",
                "created_at": _now(),
                "amount": {"value": f"{amount:.2f}", "currency": payment["amount"]["currency"]},
            }
            if request.get("description"):
                refund["description"] = request["description"]
            if self._held_refunds > 0:
                self._held_refunds -= 1
                refund["status"] = "pending"
            self._refunds[refund_id] = SandboxRefund(
                body=refund, idempotence_key=key, request=_clone(request)
            )
            self._refund_keys[key] = (canonical, refund_id)
            self._recount_refunds(payment["id"])
            return 200, _clone(refund)

    def _refundable(self, request: dict[str, Any]) -> tuple[dict[str, Any], Decimal]:
        """YooKassa's checks of a refund request (under the lock): the payment's body and
        the amount to refund, or ``_Refused`` with the 400 body."""
        payment_id = request.get("payment_id")
        stored = self._payments.get(payment_id) if isinstance(payment_id, str) else None
        if stored is None:
            raise _Refused("Payment not found", "payment_id")
        payment = stored.body
        if payment["status"] != "succeeded":
            raise _Refused(
                f"Payment in status {payment['status']} cannot be refunded", "payment_id"
            )
        amount = request.get("amount")
        try:
            value = Decimal(str(amount["value"]))  # type: ignore[index]
            currency = amount.get("currency")  # type: ignore[union-attr]
        except (TypeError, KeyError, AttributeError, InvalidOperation):
            raise _Refused("Amount is missing", "amount") from None
        if (
            not value.is_finite()
            or value <= 0
            or value != value.quantize(Decimal("0.01"))
            or currency != payment["amount"]["currency"]
        ):
            raise _Refused("Invalid amount", "amount")
        if value > Decimal(payment["amount"]["value"]) - self._refunded(payment["id"]):
            raise _Refused("Refund amount exceeds the amount available for refund", "amount.value")
        description = request.get("description")
        if description is not None and not (
            isinstance(description, str) and len(description) <= 250
        ):
            raise _Refused("Invalid description", "description")
        if request.get("sources"):  # the SDK always sends an empty list; no split payments here
            raise _Refused("Sources are not supported", "sources")
        return payment, value

    def _refunded(self, payment_id: str) -> Decimal:
        """What the payment's refunds take from it (pending ones too; cancelled ones not)."""
        return sum(
            (
                Decimal(r.body["amount"]["value"])
                for r in self._refunds.values()
                if r.body["payment_id"] == payment_id and r.body["status"] != "canceled"
            ),
            Decimal("0.00"),
        )

    def _recount_refunds(self, payment_id: str) -> None:
        payment = self._payments[payment_id].body
        refunded = self._refunded(payment_id)
        payment["refunded_amount"] = {
            "value": f"{refunded:.2f}",
            "currency": payment["amount"]["currency"],
        }
        payment["refundable"] = refunded < Decimal(payment["amount"]["value"])

    def _get_refund(self, refund_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            stored = self._refunds.get(refund_id)
            if stored is None:
                return 404, _error("not_found", "Refund not found", "refund_id")
            return 200, _clone(stored.body)

    async def _checkout(
        self,
        scope: Scope,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        send: Send,
    ) -> None:
        parts = path.split("/checkout/", 1)[1].strip("/").split("/")
        payment_id = parts[0]
        with self._lock:
            stored = self._payments.get(payment_id)
        if stored is None:
            await _send_html(send, 404, "<h1>Платёж не найден</h1>")
            return
        if method == "GET" and len(parts) == 1:
            await _send_html(send, 200, self._page(payment_id, scope, headers))
            return
        if method == "POST" and len(parts) == 2 and parts[1] in ("pay", "cancel"):
            self.settle(payment_id, "succeeded" if parts[1] == "pay" else "canceled")
            await asyncio.to_thread(self.notify, payment_id)
            target = stored.return_url or f"{self._base_url(scope, headers, '/checkout/')}/"
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [(b"location", target.encode()), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        del body  # the forms carry no fields
        await _send_html(send, 405, "<h1>Method not allowed</h1>")

    def _page(self, payment_id: str, scope: Scope, headers: dict[str, str]) -> str:
        payment = self.payment(payment_id)
        amount = html.escape(f"{payment['amount']['value']} ₽")
        description = html.escape(str(payment.get("description", "")))
        base = f"{self._base_url(scope, headers, '/checkout/')}/checkout/{payment_id}"
        settled = payment["status"] in ("succeeded", "canceled")
        buttons = (
            f"<p>Статус: <b>{html.escape(payment['status'])}</b></p>"
            if settled
            else (
                f'<form method="post" action="{base}/pay"><button id="pay" type="submit">'
                "Оплатить</button></form>"
                f'<form method="post" action="{base}/cancel"><button id="cancel" type="submit">'
                "Отменить</button></form>"
            )
        )
        return (
            '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Песочница ЮKassa</title></head><body>"
            "<h1>Песочница ЮKassa</h1><p>Тестовая оплата: деньги не списываются.</p>"
            f"<p>{description}</p><p>Сумма: <b>{amount}</b></p>{buttons}</body></html>"
        )


def _keyed_request(
    headers: dict[str, str], body: bytes
) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    """The ``Idempotence-Key`` and the JSON object of a POST, or the 400 body refusing them."""
    key = headers.get("idempotence-key") or ""
    if not key:
        return key, {}, _error("invalid_request", "Idempotence key is empty", "Idempotence-Key")
    if len(key) > 64:
        return (
            key,
            {},
            _error(
                "invalid_request",
                "Idempotence key is too long. Send the value in accordance with the documentation",
                "Idempotence-Key",
            ),
        )
    try:
        request = json.loads(body)
    except ValueError:
        return key, {}, _error("invalid_request", "Request body is not valid JSON")
    if not isinstance(request, dict):
        return key, {}, _error("invalid_request", "Request body is not an object")
    return key, request, None


def _validate(request: Any) -> dict[str, Any] | None:
    if not isinstance(request, dict):
        return _error("invalid_request", "Request body is not an object")
    amount = request.get("amount")
    try:
        value = Decimal(str(amount["value"]))  # type: ignore[index]
    except (TypeError, KeyError, InvalidOperation):
        return _error("invalid_request", "Amount is missing", "amount")
    if value <= 0 or amount.get("currency") != "RUB":  # type: ignore[union-attr]
        return _error("invalid_request", "Invalid amount", "amount")
    confirmation = request.get("confirmation")
    if not isinstance(confirmation, dict) or confirmation.get("type") not in (
        "redirect",
        "embedded",
    ):
        return _error("invalid_request", "Invalid confirmation type", "confirmation.type")
    if confirmation["type"] == "redirect" and not confirmation.get("return_url"):
        return _error("invalid_request", "return_url is required", "confirmation.return_url")
    receipt = request.get("receipt")
    if receipt is not None:
        customer = receipt.get("customer") or {}
        items = receipt.get("items") or []
        if not (customer.get("email") or customer.get("phone")) or not items:
            return _error("invalid_request", "Receipt is incomplete", "receipt")
    metadata = request.get("metadata") or {}
    if len(metadata) > 16:
        return _error("invalid_request", "Too many metadata keys", "metadata")
    return None


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json;charset=UTF-8"),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


async def _send_html(send: Send, status: int, page: str) -> None:
    raw = page.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


async def _send_fault(send: Send, fault: Fault) -> None:
    kind = fault.kind.removesuffix("_after_create")
    if kind == "500":
        await _send_json(send, 500, _error("internal_server_error", "Internal server error"))
    elif kind == "html_502":
        await send(
            {
                "type": "http.response.start",
                "status": 502,
                "headers": [
                    (b"content-type", b"text/html"),
                    (b"content-length", str(len(_HTML_502)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": _HTML_502})
    elif kind == "202":
        await _send_json(send, 202, {"type": "processing", "retry_after": 1800})
    elif kind == "429":
        raw = json.dumps(_error("too_many_requests", "Too many requests")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(raw)).encode()),
                    (b"retry-after", b"1"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": raw})
    elif kind == "reset":
        # Promise a body, send a little, then drop the connection mid-response.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"id":', "more_body": True})
        raise _ConnectionReset()
