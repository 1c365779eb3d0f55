"""The one mapping from errors to RFC 9457 problem details (``application/problem+json``).

Messages come from the domain's safe texts; provider messages, personal data and stack
traces never reach a client.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
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
    return status_for_class(type(error))


def status_for_class(error: type[DomainError]) -> int:
    for category, status in _STATUS_BY_CATEGORY:
        if issubclass(error, category):
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


class ValidationIssue(msgspec.Struct):
    """Where a malformed request went wrong (never the value that was sent)."""

    key: str
    message: str


class Problem(msgspec.Struct):
    """RFC 9457 problem details: the one shape of every error this API answers."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    # Only in `400 invalid_request`: each problem msgspec found in the request.
    errors: list[ValidationIssue] | None = None


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


# What the OpenAPI document says each route answers -----------------------------------------


@dataclass(frozen=True, slots=True)
class EdgeError:
    """An error this edge answers on its own, not the domain: documented like a domain error."""

    status: int
    code: str
    message: str


INVALID_REQUEST = EdgeError(400, "invalid_request", "The request is malformed: …")
MALFORMED_BODY = EdgeError(400, "http_error", "The body is not valid JSON.")
BODY_TOO_LARGE = EdgeError(413, "http_error", "Request Entity Too Large")
RATE_LIMITED = EdgeError(429, RateLimited.code, RateLimited.message)

# Whatever route takes input (path, query, headers) may be told it is malformed.
WITH_INPUT: tuple[EdgeError, ...] = (INVALID_REQUEST,)
# A JSON body also: not JSON at all, or more than the app's body limit.
WITH_BODY: tuple[EdgeError, ...] = (INVALID_REQUEST, MALFORMED_BODY, BODY_TOO_LARGE)
# Every `POST /api/public/...` counts against the client's rate limit (api/rate_limit.py).
PUBLIC_POST: tuple[EdgeError, ...] = (*WITH_BODY, RATE_LIMITED)

Answered = type[DomainError] | EdgeError


def _answer(error: Answered) -> tuple[int, str, str]:
    if isinstance(error, EdgeError):
        return error.status, error.code, error.message
    return status_for_class(error), error.code, error.message


def problem_responses(*errors: Answered) -> dict[int, ResponseSpec]:
    """The error answers of one route for its ``responses=``, from the errors it can meet.

    Each error is answered by the one mapping above (its status from its category), so the
    document says what the handlers do: one problem response per status, listing its codes,
    with an example of each.
    """
    by_status: dict[int, dict[str, str]] = {}
    for error in errors:
        status, code, message = _answer(error)
        by_status.setdefault(status, {}).setdefault(code, message)
    responses: dict[int, ResponseSpec] = {}
    for status in sorted(by_status):
        codes = by_status[status]
        responses[status] = ResponseSpec(
            data_container=Problem,
            description=_TITLES.get(status, "Error")
            + ": "
            + ", ".join(f"`{code}`" for code in codes)
            + ".",
            media_type=PROBLEM_JSON,
            generate_examples=False,
            examples=[
                Example(
                    summary=code,
                    value={
                        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
                        "title": _TITLES.get(status, "Error"),
                        "status": status,
                        "detail": message,
                        "code": code,
                    },
                )
                for code, message in codes.items()
            ],
        )
    return responses


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: domain_error_handler,
    RateLimited: rate_limited_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: unexpected_error_handler,
}

__all__ = [
    "BODY_TOO_LARGE",
    "EXCEPTION_HANDLERS",
    "INVALID_REQUEST",
    "PROBLEM_JSON",
    "PUBLIC_POST",
    "RATE_LIMITED",
    "WITH_BODY",
    "WITH_INPUT",
    "EdgeError",
    "MediaType",
    "Problem",
    "RateLimited",
    "problem",
    "problem_responses",
    "status_for",
]
