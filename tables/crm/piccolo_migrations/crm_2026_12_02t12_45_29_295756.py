from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.choices import Choice
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T12:45:29:295756"
VERSION = "1.38.0"
DESCRIPTION = "Russian column names and choices for the admin; ciphertext and keys secret"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="crm", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="LeadTable",
        tablename="leads",
        column_name="id",
        db_column_name="id",
        params={"verbose_name": "ID"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTable",
        tablename="leads",
        column_name="contact_method",
        db_column_name="contact_method",
        params={
            "verbose_name": "Способ связи",
            "choices": Enum(
                "ContactMethodChoice",
                {
                    "EMAIL": Choice(
                        value="email", display_name="Электронная почта"
                    ),
                    "PHONE": Choice(value="phone", display_name="Телефон"),
                    "TELEGRAM": Choice(value="telegram", display_name="Telegram"),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTable",
        tablename="leads",
        column_name="contact_encrypted",
        db_column_name="contact_encrypted",
        params={"verbose_name": "Контакт (зашифрован)", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Text,
        old_column_class=Text,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTable",
        tablename="leads",
        column_name="contact_index",
        db_column_name="contact_index",
        params={"verbose_name": "Индекс контакта", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTable",
        tablename="leads",
        column_name="source",
        db_column_name="source",
        params={
            "verbose_name": "Источник",
            "choices": Enum(
                "LeadSourceChoice",
                {
                    "WAITLIST": Choice(
                        value="waitlist", display_name="Лист ожидания"
                    ),
                    "BOOKING": Choice(
                        value="booking", display_name="Онлайн-запись"
                    ),
                    "TELEGRAM": Choice(value="telegram", display_name="Telegram"),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTable",
        tablename="leads",
        column_name="status",
        db_column_name="status",
        params={
            "verbose_name": "Статус",
            "choices": Enum(
                "LeadStatusChoice",
                {
                    "NEW": Choice(value="new", display_name="Новый"),
                    "IN_PROGRESS": Choice(
                        value="in_progress", display_name="В работе"
                    ),
                    "CONVERTED": Choice(
                        value="converted", display_name="Стал клиентом"
                    ),
                    "LOST": Choice(value="lost", display_name="Потерян"),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTable",
        tablename="leads",
        column_name="first_activity_at",
        db_column_name="first_activity_at",
        params={"verbose_name": "Первое обращение"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTable",
        tablename="leads",
        column_name="last_activity_at",
        db_column_name="last_activity_at",
        params={"verbose_name": "Последняя активность"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTable",
        tablename="leads",
        column_name="created_at",
        db_column_name="created_at",
        params={"verbose_name": "Создан"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTable",
        tablename="leads",
        column_name="updated_at",
        db_column_name="updated_at",
        params={"verbose_name": "Изменён"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="id",
        db_column_name="id",
        params={"verbose_name": "ID"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="service",
        db_column_name="service",
        params={"verbose_name": "Услуга"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="lead",
        db_column_name="lead",
        params={"verbose_name": "Лид"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="preferred_contact_method",
        db_column_name="preferred_contact_method",
        params={
            "verbose_name": "Способ связи",
            "choices": Enum(
                "ContactMethodChoice",
                {
                    "EMAIL": Choice(
                        value="email", display_name="Электронная почта"
                    ),
                    "PHONE": Choice(value="phone", display_name="Телефон"),
                    "TELEGRAM": Choice(value="telegram", display_name="Telegram"),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="contact_encrypted",
        db_column_name="contact_encrypted",
        params={"verbose_name": "Контакт (зашифрован)", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Text,
        old_column_class=Text,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="contact_index",
        db_column_name="contact_index",
        params={"verbose_name": "Индекс контакта", "secret": True},
        old_params={"verbose_name": None, "secret": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="preferred_time_window",
        db_column_name="preferred_time_window",
        params={
            "verbose_name": "Удобное время",
            "choices": Enum(
                "TimeWindowChoice",
                {
                    "MORNING": Choice(
                        value="morning", display_name="Утро (9:00–12:00)"
                    ),
                    "AFTERNOON": Choice(
                        value="afternoon", display_name="День (12:00–17:00)"
                    ),
                    "EVENING": Choice(
                        value="evening", display_name="Вечер (17:00–21:00)"
                    ),
                    "WEEKEND": Choice(value="weekend", display_name="Выходные"),
                    "ANY": Choice(value="any", display_name="Любое время"),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="status",
        db_column_name="status",
        params={
            "verbose_name": "Статус",
            "choices": Enum(
                "WaitlistStatusChoice",
                {
                    "NEW": Choice(value="new", display_name="Новая"),
                    "IN_PROGRESS": Choice(
                        value="in_progress", display_name="В работе"
                    ),
                    "CONTACTED": Choice(
                        value="contacted", display_name="Связались"
                    ),
                    "BOOKED": Choice(value="booked", display_name="Записан"),
                    "DECLINED": Choice(value="declined", display_name="Отказ"),
                    "EXPIRED": Choice(value="expired", display_name="Истекла"),
                    "WITHDRAWN": Choice(
                        value="withdrawn", display_name="Отозвана"
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
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="status_reason",
        db_column_name="status_reason",
        params={
            "verbose_name": "Результат",
            "choices": Enum(
                "StatusOutcomeChoice",
                {
                    "CLIENT_REACHED": Choice(
                        value="client_reached",
                        display_name="Дозвонились / ответил",
                    ),
                    "NO_ANSWER": Choice(
                        value="no_answer", display_name="Не отвечает"
                    ),
                    "SESSION_BOOKED": Choice(
                        value="session_booked", display_name="Записан на приём"
                    ),
                    "CLIENT_DECLINED": Choice(
                        value="client_declined", display_name="Клиент отказался"
                    ),
                    "NO_SUITABLE_TIME": Choice(
                        value="no_suitable_time", display_name="Не подошло время"
                    ),
                    "CLIENT_WITHDREW": Choice(
                        value="client_withdrew",
                        display_name="Клиент отозвал заявку",
                    ),
                    "DUPLICATE": Choice(
                        value="duplicate", display_name="Дубликат"
                    ),
                    "NO_RESPONSE_TOO_LONG": Choice(
                        value="no_response_too_long",
                        display_name="Нет ответа слишком долго",
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
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="assignee",
        db_column_name="assignee",
        params={"verbose_name": "Сотрудник"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="assigned_at",
        db_column_name="assigned_at",
        params={"verbose_name": "Взята в работу"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="created_at",
        db_column_name="created_at",
        params={"verbose_name": "Поступила"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="updated_at",
        db_column_name="updated_at",
        params={"verbose_name": "Изменена"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTimelineEventTable",
        tablename="lead_timeline_events",
        column_name="id",
        db_column_name="id",
        params={"verbose_name": "ID"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTimelineEventTable",
        tablename="lead_timeline_events",
        column_name="lead",
        db_column_name="lead",
        params={"verbose_name": "Лид"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTimelineEventTable",
        tablename="lead_timeline_events",
        column_name="type",
        db_column_name="type",
        params={
            "verbose_name": "Событие",
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
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTimelineEventTable",
        tablename="lead_timeline_events",
        column_name="occurred_at",
        db_column_name="occurred_at",
        params={"verbose_name": "Когда"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTimelineEventTable",
        tablename="lead_timeline_events",
        column_name="waitlist_request",
        db_column_name="waitlist_request",
        params={"verbose_name": "Заявка"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTimelineEventTable",
        tablename="lead_timeline_events",
        column_name="appointment",
        db_column_name="appointment",
        params={"verbose_name": "Запись"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTimelineEventTable",
        tablename="lead_timeline_events",
        column_name="payment_id",
        db_column_name="payment_id",
        params={"verbose_name": "ID платежа"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTimelineEventTable",
        tablename="lead_timeline_events",
        column_name="staff_user",
        db_column_name="staff_user",
        params={"verbose_name": "Сотрудник"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LeadTimelineEventTable",
        tablename="lead_timeline_events",
        column_name="waitlist_status",
        db_column_name="waitlist_status",
        params={
            "verbose_name": "Статус заявки",
            "choices": Enum(
                "WaitlistStatusChoice",
                {
                    "NEW": Choice(value="new", display_name="Новая"),
                    "IN_PROGRESS": Choice(
                        value="in_progress", display_name="В работе"
                    ),
                    "CONTACTED": Choice(
                        value="contacted", display_name="Связались"
                    ),
                    "BOOKED": Choice(value="booked", display_name="Записан"),
                    "DECLINED": Choice(value="declined", display_name="Отказ"),
                    "EXPIRED": Choice(value="expired", display_name="Истекла"),
                    "WITHDRAWN": Choice(
                        value="withdrawn", display_name="Отозвана"
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
        table_class_name="LeadTimelineEventTable",
        tablename="lead_timeline_events",
        column_name="outcome",
        db_column_name="outcome",
        params={
            "verbose_name": "Результат",
            "choices": Enum(
                "StatusOutcomeChoice",
                {
                    "CLIENT_REACHED": Choice(
                        value="client_reached",
                        display_name="Дозвонились / ответил",
                    ),
                    "NO_ANSWER": Choice(
                        value="no_answer", display_name="Не отвечает"
                    ),
                    "SESSION_BOOKED": Choice(
                        value="session_booked", display_name="Записан на приём"
                    ),
                    "CLIENT_DECLINED": Choice(
                        value="client_declined", display_name="Клиент отказался"
                    ),
                    "NO_SUITABLE_TIME": Choice(
                        value="no_suitable_time", display_name="Не подошло время"
                    ),
                    "CLIENT_WITHDREW": Choice(
                        value="client_withdrew",
                        display_name="Клиент отозвал заявку",
                    ),
                    "DUPLICATE": Choice(
                        value="duplicate", display_name="Дубликат"
                    ),
                    "NO_RESPONSE_TOO_LONG": Choice(
                        value="no_response_too_long",
                        display_name="Нет ответа слишком долго",
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
        table_class_name="EmailOutboxTable",
        tablename="email_outbox",
        column_name="recipient_encrypted",
        db_column_name="recipient_encrypted",
        params={"secret": True},
        old_params={"secret": False},
        column_class=Text,
        old_column_class=Text,
        schema=None,
    )

    return manager
