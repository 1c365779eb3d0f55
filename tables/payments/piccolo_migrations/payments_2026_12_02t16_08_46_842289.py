from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.choices import Choice
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T16:08:46:842289"
VERSION = "1.38.0"
DESCRIPTION = "True"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="payments", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="provider_refund_id",
        db_column_name="provider_refund_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Номер возврата в ЮKassa",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="refund_reason",
        db_column_name="refund_reason",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "RefundReasonChoice",
                {
                    "HOLD_EXPIRED": Choice(
                        value="hold_expired",
                        display_name="Бронь истекла до оплаты",
                    ),
                    "APPOINTMENT_CANCELLED": Choice(
                        value="appointment_cancelled",
                        display_name="Запись отменена до оплаты",
                    ),
                    "ALREADY_PAID": Choice(
                        value="already_paid",
                        display_name="Запись уже оплачена другим платежом",
                    ),
                    "BY_STAFF": Choice(
                        value="by_staff",
                        display_name="Возврат сделан в ЮKassa вручную",
                    ),
                },
            ),
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Причина возврата",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="refunded_at",
        db_column_name="refunded_at",
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
            "verbose_name": "Возвращён",
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "PaymentStatusChoice",
                {
                    "CREATING": Choice(
                        value="creating", display_name="Создаётся"
                    ),
                    "PENDING": Choice(
                        value="pending", display_name="Ожидает оплаты"
                    ),
                    "WAITING_FOR_CAPTURE": Choice(
                        value="waiting_for_capture",
                        display_name="Ожидает подтверждения",
                    ),
                    "SUCCEEDED": Choice(
                        value="succeeded", display_name="Оплачен"
                    ),
                    "CANCELED": Choice(value="canceled", display_name="Отменён"),
                    "FAILED": Choice(value="failed", display_name="Ошибка"),
                    "REFUND_PENDING": Choice(
                        value="refund_pending",
                        display_name="Возвращается клиенту",
                    ),
                    "REFUNDED": Choice(
                        value="refunded", display_name="Возвращён клиенту"
                    ),
                    "REFUND_FAILED": Choice(
                        value="refund_failed",
                        display_name="Возврат не прошёл: нужен сотрудник",
                    ),
                },
            )
        },
        old_params={
            "choices": Enum(
                "PaymentStatusChoice",
                {
                    "CREATING": Choice(
                        value="creating", display_name="Создаётся"
                    ),
                    "PENDING": Choice(
                        value="pending", display_name="Ожидает оплаты"
                    ),
                    "WAITING_FOR_CAPTURE": Choice(
                        value="waiting_for_capture",
                        display_name="Ожидает подтверждения",
                    ),
                    "SUCCEEDED": Choice(
                        value="succeeded", display_name="Оплачен"
                    ),
                    "CANCELED": Choice(value="canceled", display_name="Отменён"),
                    "FAILED": Choice(value="failed", display_name="Ошибка"),
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
