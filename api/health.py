"""Liveness and readiness."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec

from api.dependencies import Ports
from api.schemas import HealthResponse


class HealthController(Controller):
    tags = ["operations"]
    include_in_schema = True

    @get("/health", summary="The process is up")
    async def health(self) -> HealthResponse:
        return HealthResponse(status="ok")

    @get(
        "/ready",
        summary="The database is reachable",
        responses={
            503: ResponseSpec(
                data_container=HealthResponse,
                generate_examples=False,
                description='The database is not reachable: `{"status": "unavailable"}`.',
            )
        },
    )
    async def ready(self, ports: Ports) -> Response[HealthResponse]:
        if await ports.readiness.is_ready():
            return Response(HealthResponse(status="ready"))
        return Response(HealthResponse(status="unavailable"), status_code=503)
