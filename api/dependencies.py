"""The use cases and probes the API calls, handed in by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar.params import Dependency

from api.config import ApiConfig
from domain.ports import ReadinessProbe
from domain.use_cases.get_availability import GetAvailabilityUseCase
from domain.use_cases.hold_slot import HoldSlotUseCase
from domain.use_cases.list_services import ListServicesUseCase


@dataclass(frozen=True, slots=True)
class ApiPorts:
    list_services: ListServicesUseCase
    get_availability: GetAvailabilityUseCase
    hold_slot: HoldSlotUseCase
    readiness: ReadinessProbe


# Injected as they are: Litestar must not try to validate our own objects.
Ports = Annotated[ApiPorts, Dependency(skip_validation=True)]
Config = Annotated[ApiConfig, Dependency(skip_validation=True)]
