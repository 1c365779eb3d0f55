from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.choices import Choice
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Numeric
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T12:45:27:309570"
VERSION = "1.38.0"
DESCRIPTION = "Russian column names and choices for the admin; ciphertext and keys secret"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="ServiceTable",
        tablename="services",
        column_name="id",
        db_column_name="id",
        params={"verbose_name": "ID"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ServiceTable",
        tablename="services",
        column_name="slug",
        db_column_name="slug",
        params={"verbose_name": "Адрес на сайте"},
        old_params={"verbose_name": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ServiceTable",
        tablename="services",
        column_name="title",
        db_column_name="title",
        params={"verbose_name": "Название"},
        old_params={"verbose_name": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ServiceTable",
        tablename="services",
        column_name="duration_minutes",
        db_column_name="duration_minutes",
        params={"verbose_name": "Длительность, мин"},
        old_params={"verbose_name": None},
        column_class=Integer,
        old_column_class=Integer,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ServiceTable",
        tablename="services",
        column_name="price",
        db_column_name="price",
        params={"verbose_name": "Цена, ₽"},
        old_params={"verbose_name": None},
        column_class=Numeric,
        old_column_class=Numeric,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ServiceTable",
        tablename="services",
        column_name="deposit",
        db_column_name="deposit",
        params={"verbose_name": "Предоплата, ₽"},
        old_params={"verbose_name": None},
        column_class=Numeric,
        old_column_class=Numeric,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ServiceTable",
        tablename="services",
        column_name="active",
        db_column_name="active",
        params={"verbose_name": "Доступна для записи"},
        old_params={"verbose_name": None},
        column_class=Boolean,
        old_column_class=Boolean,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ServiceTable",
        tablename="services",
        column_name="created_at",
        db_column_name="created_at",
        params={"verbose_name": "Создана"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ServiceTable",
        tablename="services",
        column_name="updated_at",
        db_column_name="updated_at",
        params={"verbose_name": "Изменена"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="SlotTable",
        tablename="slots",
        column_name="id",
        db_column_name="id",
        params={"verbose_name": "ID"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="SlotTable",
        tablename="slots",
        column_name="service",
        db_column_name="service",
        params={"verbose_name": "Услуга"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="SlotTable",
        tablename="slots",
        column_name="starts_at",
        db_column_name="starts_at",
        params={"verbose_name": "Начало"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="SlotTable",
        tablename="slots",
        column_name="ends_at",
        db_column_name="ends_at",
        params={"verbose_name": "Окончание"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="SlotTable",
        tablename="slots",
        column_name="status",
        db_column_name="status",
        params={
            "verbose_name": "Статус",
            "choices": Enum(
                "SlotStatusChoice",
                {
                    "FREE": Choice(value="free", display_name="Свободен"),
                    "HELD": Choice(value="held", display_name="Забронирован"),
                    "BOOKED": Choice(value="booked", display_name="Занят"),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="SlotTable",
        tablename="slots",
        column_name="created_at",
        db_column_name="created_at",
        params={"verbose_name": "Добавлено"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="id",
        db_column_name="id",
        params={"verbose_name": "ID"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="slot",
        db_column_name="slot",
        params={"verbose_name": "Время приёма"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="service",
        db_column_name="service",
        params={"verbose_name": "Услуга"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="client_name_encrypted",
        db_column_name="client_name_encrypted",
        params={"verbose_name": "Имя клиента (зашифровано)", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Text,
        old_column_class=Text,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="client_email_encrypted",
        db_column_name="client_email_encrypted",
        params={"verbose_name": "Эл. почта (зашифрована)", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Text,
        old_column_class=Text,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="client_phone_encrypted",
        db_column_name="client_phone_encrypted",
        params={"verbose_name": "Телефон (зашифрован)", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Text,
        old_column_class=Text,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="client_email_index",
        db_column_name="client_email_index",
        params={"verbose_name": "Индекс почты", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="client_phone_index",
        db_column_name="client_phone_index",
        params={"verbose_name": "Индекс телефона", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="status",
        db_column_name="status",
        params={
            "verbose_name": "Статус",
            "choices": Enum(
                "AppointmentStatusChoice",
                {
                    "PENDING_PAYMENT": Choice(
                        value="pending_payment", display_name="Ждёт оплаты"
                    ),
                    "CONFIRMED": Choice(
                        value="confirmed", display_name="Подтверждена"
                    ),
                    "EXPIRED": Choice(
                        value="expired", display_name="Бронь истекла"
                    ),
                    "CANCELLED": Choice(
                        value="cancelled", display_name="Отменена"
                    ),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="hold_expires_at",
        db_column_name="hold_expires_at",
        params={"verbose_name": "Бронь до"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="created_at",
        db_column_name="created_at",
        params={"verbose_name": "Создана"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AppointmentTable",
        tablename="appointments",
        column_name="updated_at",
        db_column_name="updated_at",
        params={"verbose_name": "Изменена"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ConsentRecordTable",
        tablename="consent_records",
        column_name="id",
        db_column_name="id",
        params={"verbose_name": "ID"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ConsentRecordTable",
        tablename="consent_records",
        column_name="subject_type",
        db_column_name="subject_type",
        params={
            "verbose_name": "К чему",
            "choices": Enum(
                "ConsentSubjectChoice",
                {
                    "APPOINTMENT": Choice(
                        value="appointment", display_name="Запись на приём"
                    ),
                    "LEAD": Choice(value="lead", display_name="Лид"),
                    "WAITLIST_REQUEST": Choice(
                        value="waitlist_request",
                        display_name="Заявка в лист ожидания",
                    ),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ConsentRecordTable",
        tablename="consent_records",
        column_name="subject_id",
        db_column_name="subject_id",
        params={"verbose_name": "ID заявки, записи или лида"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ConsentRecordTable",
        tablename="consent_records",
        column_name="kind",
        db_column_name="kind",
        params={
            "verbose_name": "Согласие",
            "choices": Enum(
                "ConsentKindChoice",
                {
                    "PERSONAL_DATA": Choice(
                        value="personal_data",
                        display_name="Обработка персональных данных",
                    ),
                    "COMMUNICATIONS": Choice(
                        value="communications",
                        display_name="Информационные сообщения",
                    ),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ConsentRecordTable",
        tablename="consent_records",
        column_name="text_version",
        db_column_name="text_version",
        params={"verbose_name": "Версия текста"},
        old_params={"verbose_name": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ConsentRecordTable",
        tablename="consent_records",
        column_name="channel",
        db_column_name="channel",
        params={
            "verbose_name": "Где дано",
            "choices": Enum(
                "ConsentChannelChoice",
                {
                    "BOOKING_API": Choice(
                        value="booking_api", display_name="Онлайн-запись"
                    ),
                    "WAITLIST_FORM": Choice(
                        value="waitlist_form", display_name="Форма листа ожидания"
                    ),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ConsentRecordTable",
        tablename="consent_records",
        column_name="granted_at",
        db_column_name="granted_at",
        params={"verbose_name": "Дано"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ConsentRecordTable",
        tablename="consent_records",
        column_name="withdrawn_at",
        db_column_name="withdrawn_at",
        params={"verbose_name": "Отозвано"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ConsentRecordTable",
        tablename="consent_records",
        column_name="evidence_encrypted",
        db_column_name="evidence_encrypted",
        params={"verbose_name": "Подтверждение (зашифровано)", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Text,
        old_column_class=Text,
        schema=None,
    )

    return manager
