"""The OpenAPI document says what every route answers (SPEC 9.5), checked by a fuzzer.

schemathesis reads ``/schema/openapi.json`` from the real app (``build_app``, in-process over
ASGI, lifespan included) on a database with the demo data, then sends every operation valid
and invalid requests. Any answer that is a 5xx, has a status the route does not declare, or a
body or content type that does not match what is declared for its status is a failure. The
run is bounded and derandomised: the same examples on every run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from adapters.settings import load_settings
from composition.container import build_container
from composition.database import close_database
from composition.web import build_app
from domain.consent_texts import CURRENT_CONSENT_VERSION
from tables.core.tables import SlotTable
from tables.demo import DEMO_SERVICES, seed_demo

pytestmark = [pytest.mark.anyio, pytest.mark.db]

SCHEMA_PATH = "/schema/openapi.json"
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION_AND_MODE = 25
SUCCEEDS = {
    "GET /health": 200,
    "GET /ready": 200,
    "GET /api/public/services": 200,
    "GET /api/public/services/{slug}/availability": 200,
    "GET /api/public/booking/no-slots": 200,
    "POST /api/public/appointments": 201,
    "POST /api/public/waitlist": 202,
    "POST /api/webhooks/yookassa": 200,
}
GIVEN_CONSENTS = {
    "personal_data": True,
    "communications": True,
    "version": CURRENT_CONSENT_VERSION,
}
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


@dataclass(frozen=True)
class Known:
    """Values the fuzzer cannot guess: half the cases get them, so routes answer 2xx too."""

    slugs: tuple[str, ...]
    slot_ids: tuple[str, ...]

    def hook(self) -> Any:
        def flatmap_case(_: schemathesis.HookContext, case: schemathesis.Case) -> Any:
            return st.booleans().flatmap(lambda real: self._known(case) if real else st.just(case))

        return flatmap_case

    def _known(self, case: schemathesis.Case) -> Any:
        slug, slot = st.sampled_from(self.slugs), st.sampled_from(self.slot_ids)
        email = st.integers(0, 10**9).map(lambda n: f"fuzz.{n}@example.org")

        def put(values: tuple[str, str, str]) -> schemathesis.Case:
            chosen_slug, chosen_slot, chosen_email = values
            if isinstance(case.path_parameters, dict) and "slug" in case.path_parameters:
                case.path_parameters["slug"] = chosen_slug
            if isinstance(case.query, dict) and "service_slug" in case.query:
                case.query["service_slug"] = chosen_slug
            if isinstance(case.body, dict):
                if "service_slug" in case.body:
                    case.body["service_slug"] = chosen_slug
                if "slot_id" in case.body:
                    case.body["slot_id"] = chosen_slot
                if "consents" in case.body:
                    case.body["consents"] = dict(GIVEN_CONSENTS)
                if "client" in case.body:
                    case.body["client"] = {"name": "Фаззер", "email": chosen_email}
                if "contact_value" in case.body:
                    # The whole body: consents are optional in the schema (missing is "not
                    # given", a 422), and all of them must be given.
                    case.body = {
                        "service_slug": chosen_slug,
                        "preferred_contact_method": "email",
                        "contact_value": chosen_email,
                        "preferred_time_window": "any",
                        "consents": dict(GIVEN_CONSENTS),
                    }
            return case

        return st.tuples(slug, slot, email).map(put)


def from_loopback(app: Any) -> Any:
    """The app as a client on 127.0.0.1 sees it (the ASGI client says ``testclient``): the
    development webhook allowlist lets it in, so the webhook is fuzzed past its ``403``."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": ("127.0.0.1", 50000)}
        await app(scope, receive, send)

    return asgi


def has_input(operation: schemathesis.APIOperation) -> bool:
    groups = (operation.body, operation.path_parameters, operation.query, operation.headers)
    return any(any(True for _ in group) for group in groups)


@dataclass
class Run:
    operations: list[str]
    ran: list[str]
    found: list[str]
    statuses: dict[str, set[int]]


def sender(operation: schemathesis.APIOperation, mode: Any, run: Run, examples: int) -> Any:
    """One bounded, reproducible property test of one operation in one generation mode."""

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: schemathesis.Case) -> None:
        response = case.call_and_validate(checks=CHECKS)
        run.statuses.setdefault(operation.label, set()).add(response.status_code)

    return send


def fuzz(
    app: Any,
    known: Known,
    examples: int = EXAMPLES_PER_OPERATION_AND_MODE,
    only: str | None = None,
) -> Run:
    """Runs every operation of the app's document (or those whose label starts with
    ``only``): what ran, what it found, what it saw."""
    schema = schemathesis.openapi.from_asgi(SCHEMA_PATH, app)
    schema.hook(known.hook())
    run = Run(operations=[], ran=[], found=[], statuses={})
    try:
        for result in schema.get_all_operations():
            operation = result.ok()  # a route the fuzzer cannot read is itself a failure
            if only is not None and not operation.label.startswith(only):
                continue
            run.operations.append(operation.label)
            for mode in MODES:
                send = sender(operation, mode, run, examples)
                try:
                    send()
                except Unsatisfiable:
                    # No input to get wrong (``GET /health``): only that, in negative mode.
                    if mode is not schemathesis.GenerationMode.NEGATIVE or has_input(operation):
                        raise
                    continue
                except (Exception, FailureGroup) as exc:  # FailureGroup: a BaseExceptionGroup
                    run.found.append(f"{operation.label} [{mode.value}]: {exc}")
                run.ran.append(f"{operation.label} [{mode.value}]")
    finally:
        shutdown_lifespans()  # the app's on_shutdown: its database pool is closed
    return run


async def demo_data(db: object) -> Known:
    await seed_demo()
    free = await SlotTable.select(SlotTable.id).where(SlotTable.status == "free").limit(40)
    await close_database(db)  # the app opens its own, on the fuzzer's event loop
    return Known(
        slugs=tuple(service.slug for service in DEMO_SERVICES),
        slot_ids=tuple(str(row["id"]) for row in free),
    )


async def test_every_answer_of_every_route_is_declared_in_the_openapi_document(
    db: object,
) -> None:
    known = await demo_data(db)
    # RATE_LIMIT_PER_MINUTE=0 in the tests: the fuzzer's volume is not one long 429.
    app = from_loopback(build_app(build_container(load_settings())))

    run = await anyio.to_thread.run_sync(fuzz, app, known)

    assert not run.found, "\n\n".join(run.found)
    # Every operation was fuzzed, with valid input at least (invalid where it takes any).
    assert len(run.operations) >= 12, run.operations
    assert {f"{label} [positive]" for label in run.operations} <= set(run.ran)
    assert {label.rsplit(" [", 1)[0] for label in run.ran} == set(run.operations)
    # Not only refusals: the routes that can succeed on guessable input did.
    for label, success in SUCCEEDS.items():
        assert success in run.statuses[label], (label, run.statuses[label])


async def test_the_rate_limited_answers_are_declared_too(db: object) -> None:
    """The same checks with a limit of one request a minute: the public POST routes answer
    429 from their second request on, and that answer is declared, body and all."""
    known = await demo_data(db)
    settings_ = load_settings({**os.environ, "RATE_LIMIT_PER_MINUTE": "1"})
    app = from_loopback(build_app(build_container(settings_)))

    run = await anyio.to_thread.run_sync(fuzz, app, known, 5, "POST /api/public/")

    assert not run.found, "\n\n".join(run.found)
    assert len(run.operations) >= 5, run.operations
    for label in run.operations:
        assert 429 in run.statuses[label], (label, run.statuses[label])
