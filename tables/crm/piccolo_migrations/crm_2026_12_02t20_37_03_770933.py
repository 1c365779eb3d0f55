from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.choices import Choice
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Serial
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class AppointmentTable(Table, tablename="appointments", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
        verbose_name="ID",
    )


class BaseUser(Table, tablename="piccolo_user", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


class LeadTable(Table, tablename="leads", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
        verbose_name="ID",
    )


class SlotTable(Table, tablename="slots", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
        verbose_name="ID",
    )


class WaitlistOfferTable(Table, tablename="waitlist_offers", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
        verbose_name="ID",
    )


class WaitlistRequestTable(Table, tablename="waitlist_requests", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
        verbose_name="ID",
    )


ID = "2026-12-02T20:37:03:770933"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="crm", description=DESCRIPTION
    )

    manager.add_table(
        class_name="WaitlistOfferTokenTable",
        tablename="waitlist_offer_tokens",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="FreedSlotTable",
        tablename="freed_slots",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTokenTable",
        tablename="waitlist_offer_tokens",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTokenTable",
        tablename="waitlist_offer_tokens",
        column_name="offer",
        db_column_name="offer",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": WaitlistOfferTable,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTokenTable",
        tablename="waitlist_offer_tokens",
        column_name="token_hash",
        db_column_name="token_hash",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTokenTable",
        tablename="waitlist_offer_tokens",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "ID",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        column_name="slot",
        db_column_name="slot",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": SlotTable,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Время приёма",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        column_name="waitlist_request",
        db_column_name="waitlist_request",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": WaitlistRequestTable,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Заявка",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        column_name="lead",
        db_column_name="lead",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": LeadTable,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Лид",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        column_name="channel",
        db_column_name="channel",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "OfferChannelChoice",
                {
                    "EMAIL": Choice(
                        value="email", display_name="Письмо со ссылкой"
                    ),
                    "STAFF": Choice(
                        value="staff", display_name="Через сотрудника"
                    ),
                },
            ),
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Как сообщаем",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "OfferStatusChoice",
                {
                    "OFFERED": Choice(
                        value="offered", display_name="Предложено, ждём ответа"
                    ),
                    "ACCEPTED": Choice(value="accepted", display_name="Принято"),
                    "EXPIRED": Choice(value="expired", display_name="Истекло"),
                    "DECLINED": Choice(value="declined", display_name="Отказ"),
                },
            ),
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Статус",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        column_name="offered_at",
        db_column_name="offered_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Предложено",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        column_name="expires_at",
        db_column_name="expires_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Время закреплено до",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        column_name="decided_at",
        db_column_name="decided_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Ответ или истечение",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        column_name="appointment",
        db_column_name="appointment",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": AppointmentTable,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Запись",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistOfferTable",
        tablename="waitlist_offers",
        column_name="staff_user",
        db_column_name="staff_user",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": BaseUser,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Сотрудник",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="FreedSlotTable",
        tablename="freed_slots",
        column_name="slot",
        db_column_name="slot",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": SlotTable,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTimelineEventTable",
        tablename="lead_timeline_events",
        column_name="type",
        db_column_name="type",
        params={
            "choices": Enum(
                "TimelineEventChoice",
                {
                    "WAITLIST_SUBMITTED": Choice(
                        value="waitlist_submitted",
                        display_name="Заявка в лист ожидания",
                    ),
                    "WAITLIST_CLAIMED": Choice(
                        value="waitlist_claimed",
                        display_name="Заявка взята в работу",
                    ),
                    "WAITLIST_STATUS_CHANGED": Choice(
                        value="waitlist_status_changed",
                        display_name="Статус заявки изменён",
                    ),
                    "PAYMENT_SUCCEEDED": Choice(
                        value="payment_succeeded", display_name="Оплата прошла"
                    ),
                    "PAYMENT_CANCELED": Choice(
                        value="payment_canceled", display_name="Оплата отменена"
                    ),
                    "PAYMENT_REFUNDED": Choice(
                        value="payment_refunded", display_name="Оплата возвращена"
                    ),
                    "CONSENT_WITHDRAWN": Choice(
                        value="consent_withdrawn",
                        display_name="Согласие отозвано, контакт удалён",
                    ),
                    "OFFER_SENT": Choice(
                        value="offer_sent",
                        display_name="Предложено освободившееся время",
                    ),
                    "OFFER_ACCEPTED": Choice(
                        value="offer_accepted", display_name="Предложение принято"
                    ),
                    "OFFER_EXPIRED": Choice(
                        value="offer_expired", display_name="Предложение истекло"
                    ),
                    "OFFER_DECLINED": Choice(
                        value="offer_declined",
                        display_name="От предложения отказались",
                    ),
                },
            )
        },
        old_params={
            "choices": Enum(
                "TimelineEventChoice",
                {
                    "WAITLIST_SUBMITTED": Choice(
                        value="waitlist_submitted",
                        display_name="Заявка в лист ожидания",
                    ),
                    "WAITLIST_CLAIMED": Choice(
                        value="waitlist_claimed",
                        display_name="Заявка взята в работу",
                    ),
                    "WAITLIST_STATUS_CHANGED": Choice(
                        value="waitlist_status_changed",
                        display_name="Статус заявки изменён",
                    ),
                    "PAYMENT_SUCCEEDED": Choice(
                        value="payment_succeeded", display_name="Оплата прошла"
                    ),
                    "PAYMENT_CANCELED": Choice(
                        value="payment_canceled", display_name="Оплата отменена"
                    ),
                    "PAYMENT_REFUNDED": Choice(
                        value="payment_refunded", display_name="Оплата возвращена"
                    ),
                    "CONSENT_WITHDRAWN": Choice(
                        value="consent_withdrawn",
                        display_name="Согласие отозвано, контакт удалён",
                    ),
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
