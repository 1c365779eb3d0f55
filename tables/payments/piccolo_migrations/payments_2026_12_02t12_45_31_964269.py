from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.choices import Choice
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Numeric
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T12:45:31:964269"
VERSION = "1.38.0"
DESCRIPTION = "Russian column names and choices for the admin; ciphertext and keys secret"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="payments", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="id",
        db_column_name="id",
        params={"verbose_name": "ID"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="appointment_id",
        db_column_name="appointment_id",
        params={"verbose_name": "Запись"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="provider",
        db_column_name="provider",
        params={"verbose_name": "Платёжный сервис"},
        old_params={"verbose_name": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="provider_payment_id",
        db_column_name="provider_payment_id",
        params={"verbose_name": "Номер в ЮKassa"},
        old_params={"verbose_name": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="status",
        db_column_name="status",
        params={
            "verbose_name": "Статус",
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
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="kind",
        db_column_name="kind",
        params={
            "verbose_name": "Вид оплаты",
            "choices": Enum(
                "PaymentKindChoice",
                {
                    "DEPOSIT": Choice(value="deposit", display_name="Предоплата"),
                    "FULL": Choice(value="full", display_name="Полная оплата"),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="amount",
        db_column_name="amount",
        params={"verbose_name": "Сумма, ₽"},
        old_params={"verbose_name": None},
        column_class=Numeric,
        old_column_class=Numeric,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="currency",
        db_column_name="currency",
        params={"verbose_name": "Валюта"},
        old_params={"verbose_name": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="idempotence_key",
        db_column_name="idempotence_key",
        params={"verbose_name": "Ключ идемпотентности", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="request_fingerprint",
        db_column_name="request_fingerprint",
        params={"verbose_name": "Отпечаток запроса"},
        old_params={"verbose_name": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="confirmation_type",
        db_column_name="confirmation_type",
        params={"verbose_name": "Способ подтверждения"},
        old_params={"verbose_name": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="confirmation_url",
        db_column_name="confirmation_url",
        params={"verbose_name": "Ссылка на оплату", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Text,
        old_column_class=Text,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="confirmation_token",
        db_column_name="confirmation_token",
        params={"verbose_name": "Токен подтверждения", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="cancellation_reason",
        db_column_name="cancellation_reason",
        params={"verbose_name": "Причина отмены"},
        old_params={"verbose_name": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="claimed_until",
        db_column_name="claimed_until",
        params={"verbose_name": "В обработке до"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="created_at",
        db_column_name="created_at",
        params={"verbose_name": "Создан"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PaymentTable",
        tablename="payments",
        column_name="updated_at",
        db_column_name="updated_at",
        params={"verbose_name": "Изменён"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="IdempotencyKeyTable",
        tablename="idempotency_keys",
        column_name="key",
        db_column_name="key",
        params={"secret": True},
        old_params={"secret": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="IdempotencyKeyTable",
        tablename="idempotency_keys",
        column_name="response_body",
        db_column_name="response_body",
        params={"secret": True},
        old_params={"secret": False},
        column_class=Text,
        old_column_class=Text,
        schema=None,
    )

    return manager
