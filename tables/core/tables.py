"""Services, slots, appointments, consent records and the tracking outbox.

Foreign keys to business records never cascade: deleting a service with history is refused.
Columns staff see in the admin carry a Russian ``verbose_name`` and, for codes, Russian
``choices``; ciphertext and blind indexes are ``secret`` (the admin API never returns them).
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.table import Table

from tables.labels import (
    AppointmentStatusChoice,
    ConsentChannelChoice,
    ConsentKindChoice,
    ConsentSubjectChoice,
    SlotStatusChoice,
    titled,
)

MONEY = (12, 2)


class ServiceTable(Table, tablename="services"):
    """Admins edit services in the admin: every column that cannot be empty is ``required``,
    so Piccolo API refuses a row without it (422) rather than the database (``admin.row_checks``
    checks the rest)."""

    id = titled("ID", UUID(primary_key=True))
    slug = titled("Адрес на сайте", Varchar(length=64, unique=True, index=True, required=True))
    title = titled("Название", Varchar(length=200, required=True))
    duration_minutes = titled("Длительность, мин", Integer(required=True))
    price = titled("Цена, ₽", Numeric(digits=MONEY, required=True))
    deposit = titled("Предоплата, ₽", Numeric(digits=MONEY, null=True, default=None))
    active = titled("Доступна для записи", Boolean(default=True, required=True))
    created_at = titled("Создана", Timestamptz(default=TimestamptzNow(), required=True))
    updated_at = titled("Изменена", Timestamptz(default=TimestamptzNow(), required=True))

    @classmethod
    def get_readable(cls) -> Readable:
        """A service reads as its title wherever it is referenced (lists, filters)."""
        return Readable(template="%s", columns=[cls.title])


class SlotTable(Table, tablename="slots"):
    """Edited by admins like services: the columns that cannot be empty are ``required``, and
    so is the service (Piccolo makes a foreign key nullable by default)."""

    id = titled("ID", UUID(primary_key=True))
    service = titled(
        "Услуга",
        ForeignKey(ServiceTable, on_delete=OnDelete.restrict, index=True, required=True),
    )
    starts_at = titled("Начало", Timestamptz(index=True, required=True))
    ends_at = titled("Окончание", Timestamptz(required=True))
    status = titled(
        "Статус",
        Varchar(length=16, default="free", index=True, choices=SlotStatusChoice, required=True),
    )
    created_at = titled("Добавлено", Timestamptz(default=TimestamptzNow(), required=True))

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.starts_at])


class AppointmentTable(Table, tablename="appointments"):
    id = titled("ID", UUID(primary_key=True))
    slot = titled("Время приёма", ForeignKey(SlotTable, on_delete=OnDelete.restrict, index=True))
    service = titled("Услуга", ForeignKey(ServiceTable, on_delete=OnDelete.restrict))
    client_name_encrypted = titled("Имя клиента (зашифровано)", Text(secret=True))
    client_email_encrypted = titled(
        "Эл. почта (зашифрована)", Text(null=True, default=None, secret=True)
    )
    client_phone_encrypted = titled(
        "Телефон (зашифрован)", Text(null=True, default=None, secret=True)
    )
    client_email_index = titled(
        "Индекс почты", Varchar(length=64, null=True, default=None, index=True, secret=True)
    )
    client_phone_index = titled(
        "Индекс телефона",
        Varchar(
            length=64,
            null=True,
            default=None,
            index=True,
            secret=True,
        ),
    )
    status = titled(
        "Статус",
        Varchar(
            length=32,
            default="pending_payment",
            index=True,
            choices=AppointmentStatusChoice,
        ),
    )
    hold_expires_at = titled("Бронь до", Timestamptz(index=True))
    created_at = titled("Создана", Timestamptz(default=TimestamptzNow()))
    updated_at = titled("Изменена", Timestamptz(default=TimestamptzNow()))

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s, %s", columns=[cls.service.title, cls.slot.starts_at])


class ConsentRecordTable(Table, tablename="consent_records"):
    id = titled("ID", UUID(primary_key=True))
    subject_type = titled("К чему", Varchar(length=32, choices=ConsentSubjectChoice))
    subject_id = titled("ID заявки, записи или лида", UUID(index=True))
    kind = titled("Согласие", Varchar(length=32, choices=ConsentKindChoice))
    text_version = titled("Версия текста", Varchar(length=32))
    channel = titled("Где дано", Varchar(length=32, choices=ConsentChannelChoice))
    granted_at = titled("Дано", Timestamptz())
    withdrawn_at = titled("Отозвано", Timestamptz(null=True, default=None))
    evidence_encrypted = titled(
        "Подтверждение (зашифровано)", Text(null=True, default=None, secret=True)
    )


class TrackingEventTable(Table, tablename="tracking_events"):
    """Outbox: written with the change it describes, delivered at least once by the worker."""

    id = UUID(primary_key=True)
    name = Varchar(length=64)
    source = Varchar(length=16, default="server")
    properties = JSON(default="{}")
    occurred_at = Timestamptz()
    delivered_at = Timestamptz(null=True, default=None, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)
