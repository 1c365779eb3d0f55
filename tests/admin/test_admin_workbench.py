"""The admin's tables as staff read them, over HTTP on both databases.

Russian column titles and Russian labels for codes in every table schema, names instead of
ids in lists, the queue oldest first, and no ciphertext, blind index or payment secret in any
list or detail answer: not through the gate, and not from Piccolo itself when asked directly.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from piccolo.table import Table
from piccolo_api.crud.endpoints import PiccoloCRUD

from admin.app import table_configs
from domain.crm import LeadSource, LeadStatus, TimeWindow, WaitlistStatus
from domain.models import AppointmentStatus, ContactMethod
from domain.payments import PaymentKind, PaymentStatus, RefundReason
from domain.staff import StatusOutcome
from tables.core.tables import AppointmentTable, ConsentRecordTable, SlotTable
from tables.crm.tables import LeadTable, WaitlistRequestTable
from tables.payments.tables import PaymentTable
from tests.support.admin_world import AdminWorld, login, make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]

PHONE = "+79990001122"
CONFIRMATION_TOKEN = "ct-2f9c0d7e-secret"
IDEMPOTENCE_KEY = "ik-7b1e4a90-secret"
EVIDENCE = "evidence-ciphertext-secret"
# Stored in these tables and never to leave the server, whatever a query asks for.
SECRET_COLUMNS = {
    "waitlist_requests": ("contact_encrypted", "contact_index"),
    "leads": ("contact_encrypted", "contact_index"),
    "appointments": (
        "client_name_encrypted",
        "client_email_encrypted",
        "client_phone_encrypted",
        "client_email_index",
        "client_phone_index",
    ),
    "payments": ("idempotence_key", "confirmation_token", "confirmation_url"),
    "consent_records": ("evidence_encrypted",),
}
CYRILLIC = re.compile(r"[А-Яа-яЁё№]")


@pytest.fixture
async def world(db: object) -> AdminWorld:
    return await make_world()


async def add_payment(world: AdminWorld, request_id: UUID) -> UUID:
    """A slot, an appointment holding a contact, a payment with its secrets, two consents."""
    encrypt = world.container.encryptor.encrypt
    starts = datetime(2031, 3, 14, 7, 0, tzinfo=UTC)
    slot_id, appointment_id, payment_id = uuid4(), uuid4(), uuid4()
    await SlotTable.insert(
        SlotTable(
            id=slot_id,
            service=world.service_id,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=50),
            status="held",
        )
    )
    await AppointmentTable.insert(
        AppointmentTable(
            id=appointment_id,
            slot=slot_id,
            service=world.service_id,
            client_name_encrypted=encrypt("Анна"),
            client_phone_encrypted=encrypt(PHONE),
            client_phone_index=world.container.encryptor.blind_index("phone", PHONE),
            status=AppointmentStatus.PENDING_PAYMENT.value,
            hold_expires_at=datetime.now(UTC) + timedelta(minutes=30),
        )
    )
    await PaymentTable.insert(
        PaymentTable(
            id=payment_id,
            appointment_id=appointment_id,
            status=PaymentStatus.PENDING.value,
            kind=PaymentKind.DEPOSIT.value,
            amount=Decimal("1500.00"),
            idempotence_key=IDEMPOTENCE_KEY,
            request_fingerprint="f" * 64,
            confirmation_type="embedded",
            confirmation_url="https://yoomoney.example/checkout/secret",
            confirmation_token=CONFIRMATION_TOKEN,
        )
    )
    for kind in ("personal_data", "communications"):
        await ConsentRecordTable.insert(
            ConsentRecordTable(
                subject_type="waitlist_request",
                subject_id=request_id,
                kind=kind,
                text_version="2026-11-01",
                channel="waitlist_form",
                granted_at=datetime.now(UTC),
                evidence_encrypted=EVIDENCE,
            )
        )
    return payment_id


@pytest.fixture
async def admin_client(world: AdminWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with world.client() as client:
        assert (await login(client, "admin")).status_code == 200
        yield client


def assert_no_secrets(body: str) -> None:
    for marker in ("gAAAA", PHONE, CONFIRMATION_TOKEN, IDEMPOTENCE_KEY, EVIDENCE, "checkout"):
        assert marker not in body, marker


def choice_values(schema: dict[str, Any], column: str) -> dict[str, str]:
    """value -> Russian label, as the admin's lists, filters and edit screens show them."""
    choices = schema["properties"][column]["extra"]["choices"]
    assert choices, f"{column} has no choices"
    return {c["value"]: c["display_name"] for c in choices.values()}


async def test_every_table_schema_titles_each_column_in_russian_and_offers_no_secret_one(
    world: AdminWorld, admin_client: httpx.AsyncClient
) -> None:
    for config in table_configs():
        table = config.table_class._meta.tablename
        response = await admin_client.get(f"/admin/api/tables/{table}/schema/")
        assert response.status_code == 200, (table, response.text)
        properties = response.json()["properties"]
        assert properties, table
        # The edit screen would show them as empty fields, as if there were no contact.
        assert not set(properties) & set(SECRET_COLUMNS.get(table, ())), table
        for name, prop in properties.items():
            title = prop["title"]
            # Pydantic's default would be ``Created At``: every column has its own title.
            assert title != name.replace("_", " ").title() or title == "ID", (table, name, title)
            assert CYRILLIC.search(title) or title == "ID", (table, name, title)


async def test_the_queue_schema_names_its_columns_and_codes_in_russian(
    world: AdminWorld, admin_client: httpx.AsyncClient
) -> None:
    schema = (await admin_client.get("/admin/api/tables/waitlist_requests/schema/")).json()
    titles = {name: prop["title"] for name, prop in schema["properties"].items()}
    assert titles["created_at"] == "Поступила"
    assert titles["service"] == "Услуга"
    assert titles["preferred_time_window"] == "Удобное время"
    assert titles["preferred_contact_method"] == "Способ связи"
    assert titles["status"] == "Статус"
    assert titles["assignee"] == "Сотрудник"

    statuses = choice_values(schema, "status")
    assert set(statuses) == {status.value for status in WaitlistStatus}
    assert statuses["new"] == "Новая"
    assert statuses["in_progress"] == "В работе"
    assert set(choice_values(schema, "status_reason")) == {o.value for o in StatusOutcome}
    assert choice_values(schema, "status_reason")["no_answer"] == "Не отвечает"
    assert set(choice_values(schema, "preferred_time_window")) == {w.value for w in TimeWindow}
    assert choice_values(schema, "preferred_contact_method") == {
        "email": "Электронная почта",
        "phone": "Телефон",
        "telegram": "Telegram",
    }


async def test_payments_appointments_and_leads_show_russian_labels_for_their_codes(
    world: AdminWorld, admin_client: httpx.AsyncClient
) -> None:
    async def schema(table: str) -> dict[str, Any]:
        response = await admin_client.get(f"/admin/api/tables/{table}/schema/")
        assert response.status_code == 200
        return dict(response.json())

    payments = await schema("payments")
    assert set(choice_values(payments, "status")) == {s.value for s in PaymentStatus}
    assert choice_values(payments, "status")["succeeded"] == "Оплачен"
    assert choice_values(payments, "kind") == {"deposit": "Предоплата", "full": "Полная оплата"}
    appointments = await schema("appointments")
    assert set(choice_values(appointments, "status")) == {s.value for s in AppointmentStatus}
    leads = await schema("leads")
    assert set(choice_values(leads, "status")) == {s.value for s in LeadStatus}
    assert set(choice_values(leads, "source")) == {s.value for s in LeadSource}
    assert set(choice_values(leads, "contact_method")) == {m.value for m in ContactMethod}
    roles = await schema("staff_roles")
    assert choice_values(roles, "role")["operator"] == "Оператор"


async def test_the_queue_opens_oldest_first_with_names_not_ids(
    world: AdminWorld, admin_client: httpx.AsyncClient
) -> None:
    operator = world.users["operator"]
    newer = await world.add_request("+79990003344", minutes_ago=5)
    older = await world.add_request(PHONE, minutes_ago=120, status="in_progress", assignee=operator)
    schema = (await admin_client.get("/admin/api/tables/waitlist_requests/schema/")).json()
    extra = schema["extra"]
    assert extra["order_by"] == [{"column": "created_at", "ascending": True}]
    assert extra["visible_column_names"] == [
        "created_at",
        "service",
        "preferred_time_window",
        "preferred_contact_method",
        "status",
        "status_reason",
        "assignee",
    ]
    assert extra["link_column_name"] == "created_at"

    # What the list screen asks for: readable foreign keys, in the schema's order.
    listing = await admin_client.get(
        "/admin/api/tables/waitlist_requests/?__readable=true&__order=created_at"
    )
    assert listing.status_code == 200, listing.text
    rows = listing.json()["rows"]
    assert [row["id"] for row in rows] == [str(older), str(newer)]
    assert {row["service_readable"] for row in rows} == {"Индивидуальная консультация"}
    assert rows[0]["assignee_readable"] == "operator"
    assert_no_secrets(listing.text)


async def test_payments_and_appointments_read_as_service_and_time(
    world: AdminWorld, admin_client: httpx.AsyncClient
) -> None:
    request_id = await world.add_request(PHONE)
    await add_payment(world, request_id)
    payments = (await admin_client.get("/admin/api/tables/payments/?__readable=true")).json()
    (payment,) = payments["rows"]
    assert payment["appointment_id_readable"].startswith("Индивидуальная консультация, 2031-03-14")
    appointments = await admin_client.get("/admin/api/tables/appointments/?__readable=true")
    (appointment,) = appointments.json()["rows"]
    assert appointment["service_readable"] == "Индивидуальная консультация"
    assert appointment["slot_readable"].startswith("2031-03-14")


async def test_the_payments_view_shows_a_refund_its_reason_and_time_in_russian(
    world: AdminWorld, admin_client: httpx.AsyncClient
) -> None:
    request_id = await world.add_request(PHONE)
    payment_id = await add_payment(world, request_id)
    refunded_at = datetime(2031, 3, 14, 9, 30, tzinfo=UTC)
    await PaymentTable.update(
        {
            PaymentTable.status: PaymentStatus.REFUNDED.value,
            PaymentTable.refund_reason: RefundReason.HOLD_EXPIRED.value,
            PaymentTable.provider_refund_id: "2f3e-refund",
            PaymentTable.refunded_at: refunded_at,
        }
    ).where(PaymentTable.id == payment_id)

    schema = (await admin_client.get("/admin/api/tables/payments/schema/")).json()
    visible = schema["extra"]["visible_column_names"]
    assert {"status", "refund_reason", "refunded_at"} <= set(visible)
    assert {"status", "refund_reason"} <= set(schema["extra"]["visible_filter_names"])
    assert choice_values(schema, "status")["refunded"] == "Возвращён клиенту"
    assert choice_values(schema, "status")["refund_failed"] == "Возврат не прошёл: нужен сотрудник"
    assert choice_values(schema, "refund_reason") == {
        "hold_expired": "Бронь истекла до оплаты",
        "appointment_cancelled": "Запись отменена до оплаты",
        "already_paid": "Запись уже оплачена другим платежом",
        "by_staff": "Возврат сделан в ЮKassa вручную",
    }
    assert schema["properties"]["refund_reason"]["title"] == "Причина возврата"
    listing = await admin_client.get(
        "/admin/api/tables/payments/?__readable=true&status=refunded&refund_reason=hold_expired"
    )
    (row,) = listing.json()["rows"]
    assert row["refund_reason"] == "hold_expired"
    assert row["provider_refund_id"] == "2f3e-refund"
    assert row["refunded_at"].startswith("2031-03-14")


@pytest.mark.parametrize("table", sorted(SECRET_COLUMNS))
async def test_no_list_or_detail_returns_a_secret_column_even_when_asked(
    world: AdminWorld, admin_client: httpx.AsyncClient, table: str
) -> None:
    request_id = await world.add_request(PHONE)
    await add_payment(world, request_id)
    secrets = SECRET_COLUMNS[table]
    listing = (await admin_client.get(f"/admin/api/tables/{table}/?__readable=true")).json()
    row_id = listing["rows"][0]["id"]
    for query in (
        f"__visible_fields={','.join(secrets)}",
        f"__visible_fields=id,{secrets[0]}",
        f"__order={secrets[0]}&__readable=true",
    ):
        response = await admin_client.get(f"/admin/api/tables/{table}/?{query}")
        assert response.status_code in (200, 400), response.text
        assert_no_secrets(response.text)
        for row in response.json().get("rows", []) if response.status_code == 200 else []:
            assert not set(row) & set(secrets), (table, query, row)
    detail = await admin_client.get(
        f"/admin/api/tables/{table}/{row_id}/?__visible_fields={','.join(secrets)}"
    )
    assert detail.status_code == 200, detail.text
    assert_no_secrets(detail.text)


def piccolo_crud(table: type[Table]) -> httpx.AsyncClient:
    """Piccolo API's own endpoints for ``table``, without our gate in front."""
    crud = PiccoloCRUD(table=table, read_only=True)
    transport = httpx.ASGITransport(app=crud)
    return httpx.AsyncClient(transport=transport, base_url="http://crud")


@pytest.mark.parametrize(
    "table",
    [WaitlistRequestTable, LeadTable, AppointmentTable, PaymentTable, ConsentRecordTable],
    ids=lambda table: table._meta.tablename,
)
async def test_piccolo_itself_never_returns_secret_columns(
    world: AdminWorld, table: type[Table]
) -> None:
    """Behind the gate, ``secret=True`` alone keeps them out, whatever the query names."""
    request_id = await world.add_request(PHONE)
    await add_payment(world, request_id)
    secrets = SECRET_COLUMNS[table._meta.tablename]
    async with piccolo_crud(table) as client:
        # Piccolo's answer keeps the key (its model has every column) but never the value.
        everything = await client.get("/")
        assert everything.status_code == 200
        rows = everything.json()["rows"]
        assert rows
        asked = await client.get(f"/?__visible_fields=id,{','.join(secrets)}")
        assert asked.status_code == 200, asked.text
        detail = await client.get(f"/{rows[0]['id']}/")
        assert detail.status_code == 200
        for row in [*rows, *asked.json()["rows"], detail.json()]:
            assert all(row.get(name) is None for name in secrets), row
        filtered = await client.get(f"/?{secrets[0]}=x")
        assert filtered.status_code == 400  # a secret column is no filter: no oracle
        for response in (everything, asked, detail):
            assert_no_secrets(response.text)
