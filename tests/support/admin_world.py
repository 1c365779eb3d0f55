"""A staff admin on a real database for tests: accounts of every role, queue rows, a client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from piccolo.apps.user.tables import BaseUser

from adapters.settings import load_settings
from composition.container import build_container
from composition.web import build_app
from domain.models import StaffRole
from tables.core.tables import ServiceTable
from tables.crm.tables import LeadTable, WaitlistRequestTable
from tables.staff.accounts import create_staff_user

PASSWORD = "correct-horse-battery-staple"
ROLES = ("operator", "manager", "admin", "none")
CSRF_HEADER = "X-CSRFToken"


@dataclass
class AdminWorld:
    container: Any
    app: Any
    users: dict[str, int] = field(default_factory=dict)
    service_id: UUID | None = None
    admin: Any = None

    def app_admin_limiter(self) -> Any:
        assert self.admin is not None, "build the world with admin settings to reach its limiter"
        return self.admin.login_limiter

    async def add_request(
        self,
        contact: str = "+79990001122",
        *,
        minutes_ago: int = 60,
        status: str = "new",
        assignee: int | None = None,
    ) -> UUID:
        encryptor = self.container.encryptor
        now = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        lead_id = uuid4()
        index = encryptor.blind_index("phone", contact + str(lead_id))
        await LeadTable.insert(
            LeadTable(
                id=lead_id,
                contact_method="phone",
                contact_encrypted=encryptor.encrypt(contact),
                contact_index=index,
                source="waitlist",
                status="new",
                first_activity_at=now,
                last_activity_at=now,
            )
        )
        request_id = uuid4()
        await WaitlistRequestTable.insert(
            WaitlistRequestTable(
                id=request_id,
                service=self.service_id,
                lead=lead_id,
                preferred_contact_method="phone",
                contact_encrypted=encryptor.encrypt(contact),
                contact_index=index,
                preferred_time_window="any",
                status=status,
                assignee=assignee,
                created_at=now,
            )
        )
        return request_id

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=("127.0.0.1", 50000)),
            base_url="http://testserver",
        )


async def make_world(**admin_overrides: Any) -> AdminWorld:
    settings = load_settings()
    container = build_container(settings)
    if admin_overrides:
        from admin.app import AdminConfig, build_admin

        admin = build_admin(
            AdminConfig(**admin_overrides),
            forms=container.staff,
            staff=container.staff_directory,
            staff_access=container.staff_access,
            subject_access=container.subject_access,
            add_slots=container.add_slots,
        )
        app = build_app(container, admin=admin)
    else:
        app = build_app(container)
    world = AdminWorld(container=container, app=app)
    if admin_overrides:
        world.admin = admin
    for role in ("operator", "manager", "admin"):
        world.users[role] = await create_staff_user(role, PASSWORD, StaffRole(role))
    nobody = await BaseUser.create_user(
        username="none", password=PASSWORD, active=True, admin=True, superuser=False
    )
    world.users["none"] = int(nobody.id)
    service_id = uuid4()
    await ServiceTable.insert(
        ServiceTable(
            id=service_id,
            slug=f"service-{service_id.hex[:8]}",
            title="Индивидуальная консультация",
            duration_minutes=50,
            price="5000.00",
            deposit=None,
        )
    )
    world.service_id = service_id
    return world


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    """Log in through Piccolo Admin's real login endpoint, with its CSRF cookie and header."""
    await client.get("/admin/")
    token = client.cookies.get("csrftoken")
    assert token, "the admin sets a CSRF cookie on a safe request"
    return await client.post(
        "/admin/public/login/",
        json={"username": username, "password": password},
        headers={CSRF_HEADER: token},
    )


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {CSRF_HEADER: client.cookies.get("csrftoken") or ""}


@contextlib.asynccontextmanager
async def logged_in(world: AdminWorld, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the admin logged in as ``username`` through the real login."""
    async with world.client() as client:
        response = await login(client, username)
        assert response.status_code == 200, response.text
        yield client
