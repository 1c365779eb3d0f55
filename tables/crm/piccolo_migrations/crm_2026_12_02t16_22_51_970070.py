from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.choices import Choice
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T16:22:51:970070"
VERSION = "1.38.0"
DESCRIPTION = "True"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="crm", description=DESCRIPTION
    )

    manager.add_table(
        class_name="WithdrawalTokenTable",
        tablename="withdrawal_tokens",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="WithdrawalTokenTable",
        tablename="withdrawal_tokens",
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
        table_class_name="WithdrawalTokenTable",
        tablename="withdrawal_tokens",
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
        table_class_name="WithdrawalTokenTable",
        tablename="withdrawal_tokens",
        column_name="contact_index",
        db_column_name="contact_index",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WithdrawalTokenTable",
        tablename="withdrawal_tokens",
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
        table_class_name="WithdrawalTokenTable",
        tablename="withdrawal_tokens",
        column_name="withdrawn_at",
        db_column_name="withdrawn_at",
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
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="EmailOutboxTable",
        tablename="email_outbox",
        column_name="recipient_index",
        db_column_name="recipient_index",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
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
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
