"""The one mapping from errors to RFC 9457 problem details (``application/problem+json``).

Messages come from the domain's safe texts; provider messages, personal data and stack
traces never reach a client.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ProviderRejected,
    ProviderUnavailable,
    ValidationFailed,
)

logger = logging.getLogger("api.errors")

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://emotional-balance.ru/problems/"

_STATUS_BY_CATEGORY: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (ValidationFailed, 422),
    (Conflict, 409),
    (Forbidden, 403),
    (ProviderUnavailable, 503),
    (ProviderRejected, 502),
)
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
}


def status_for(error: DomainError) -> int:
    for category, status in _STATUS_BY_CATEGORY:
        if isinstance(error, category):
            return status
    return 400


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if extra:
        body.update(extra)
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class RateLimited(Exception):
    """One client sent too many requests: a concern of this edge (429), not a domain rule."""

    code = "rate_limited"
    message = "Too many requests; try again later."

    def __init__(self, retry_after_seconds: int = 60) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(self.message)


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    status = status_for(exc)
    headers = None
    if isinstance(exc, ProviderUnavailable):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return problem(status, exc.code, exc.message, headers=headers)


def rate_limited_handler(_: Request[Any, Any, Any], exc: RateLimited) -> Response[dict[str, Any]]:
    return problem(
        429, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after_seconds)}
    )


# msgspec messages that quote what the client sent (a field's name, an enum's value): a contact
# typed into the wrong place would come back. They are replaced whole.
_ECHOING_MESSAGES = (
    (re.compile(r"^Object contains unknown field\b"), "Object contains an unknown field"),
    (re.compile(r"^Invalid enum value\b"), "Invalid enum value"),
)
# What msgspec puts in backticks otherwise: type and schema field names, a schema's pattern.
_SCHEMA_TEXT = re.compile(r"[A-Za-z0-9_$.\[\]|, ^*+?(){}\\-]{1,80}")
_CONTACT_LIKE = re.compile(r"@|\d[\d\s().+-]{3,}\d")
_SAFE_KEY = re.compile(r"[A-Za-z0-9_$.\[\]-]{0,100}")


def _is_schema_text(text: str) -> bool:
    # Never an address (``@``) or a phone-like run of digits, whatever else it looks like.
    return bool(_SCHEMA_TEXT.fullmatch(text)) and not _CONTACT_LIKE.search(text)


def safe_validation_message(message: str) -> str:
    """msgspec's description of a validation problem without any value the client sent."""
    for pattern, replacement in _ECHOING_MESSAGES:
        if pattern.match(message):
            return replacement
    message = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)
    return re.sub(
        r"`([^`]*)`",
        lambda m: m.group(0) if _is_schema_text(m.group(1)) else "`…`",
        message,
    )


def safe_validation_key(key: str) -> str:
    """The location of the problem, unless it is made of what the client sent."""
    return key if _SAFE_KEY.fullmatch(key) else "body"


def validation_error_handler(
    _: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            # Only the location and msgspec's description of the problem: never the value.
            errors.append(
                {
                    "key": safe_validation_key(str(item.get("key", ""))),
                    "message": safe_validation_message(str(item.get("message", ""))),
                }
            )
    return problem(
        400,
        "invalid_request",
        "The request is malformed: " + (errors[0]["message"] if errors else "invalid body"),
        extra={"errors": errors},
    )


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}.get(
        status, "http_error"
    )
    detail = (
        exc.detail if status < 500 and isinstance(exc.detail, str) else _TITLES.get(status, "Error")
    )
    return problem(status, code, detail, headers=exc.headers)


def unexpected_error_handler(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, Any]]:
    # Log the class and the route only: the exception text may carry data we must not log.
    logger.error(
        "unhandled error %s on %s %s", type(exc).__name__, request.method, request.url.path
    )
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong on our side."
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: domain_error_handler,
    RateLimited: rate_limited_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: unexpected_error_handler,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "MediaType",
    "RateLimited",
    "problem",
    "status_for",
]
