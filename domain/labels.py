"""The Russian names of the domain's codes, in one place for every screen that shows them.

The public pages, the admin's forms and the admin's tables (``tables/choices.py`` turns these
into Piccolo ``choices``) all read them from here. Keys are the domain's enum members and each
mapping names every member: a new code without a label fails the unit tests and the import of
``tables.choices``.
"""

from __future__ import annotations

# The public waitlist form has long read these two from ``domain.crm``; they live on there.
from domain.crm import (
    CONTACT_METHOD_LABELS,
    TIME_WINDOW_LABELS,
    LeadSource,
    LeadStatus,
    LeadTimelineEventType,
    WaitlistStatus,
)
from domain.models import (
    AppointmentStatus,
    ConsentChannel,
    ConsentKind,
    ConsentSubject,
    SlotStatus,
    StaffRole,
)
from domain.offers import OfferChannel, OfferOutcome, OfferStatus
from domain.payments import PaymentKind, PaymentStatus, RefundReason
from domain.schedule import ScheduleChangeKind, Weekday
from domain.staff import AccessReason, ContactAccessKind, StatusOutcome

__all__ = [
    "ACCESS_REASON_LABELS",
    "APPOINTMENT_STATUS_LABELS",
    "CONSENT_CHANNEL_LABELS",
    "CONSENT_KIND_LABELS",
    "CONSENT_SUBJECT_LABELS",
    "CONTACT_ACCESS_KIND_LABELS",
    "CONTACT_METHOD_LABELS",
    "LEAD_SOURCE_LABELS",
    "LEAD_STATUS_LABELS",
    "OFFER_CHANNEL_LABELS",
    "OFFER_OUTCOME_LABELS",
    "OFFER_STATUS_LABELS",
    "PAYMENT_KIND_LABELS",
    "PAYMENT_STATUS_LABELS",
    "SCHEDULE_CHANGE_KIND_LABELS",
    "SLOT_STATUS_LABELS",
    "STAFF_ROLE_LABELS",
    "STATUS_OUTCOME_LABELS",
    "TIMELINE_EVENT_LABELS",
    "TIME_WINDOW_LABELS",
    "WAITLIST_STATUS_LABELS",
    "WEEKDAY_LABELS",
    "WEEKDAY_SHORT_LABELS",
]

WAITLIST_STATUS_LABELS: dict[WaitlistStatus, str] = {
    WaitlistStatus.NEW: "Новая",
    WaitlistStatus.IN_PROGRESS: "В работе",
    WaitlistStatus.CONTACTED: "Связались",
    WaitlistStatus.BOOKED: "Записан",
    WaitlistStatus.DECLINED: "Отказ",
    WaitlistStatus.EXPIRED: "Истекла",
    WaitlistStatus.WITHDRAWN: "Отозвана",
}

STATUS_OUTCOME_LABELS: dict[StatusOutcome, str] = {
    StatusOutcome.CLIENT_REACHED: "Дозвонились / ответил",
    StatusOutcome.NO_ANSWER: "Не отвечает",
    StatusOutcome.SESSION_BOOKED: "Записан на приём",
    StatusOutcome.CLIENT_DECLINED: "Клиент отказался",
    StatusOutcome.NO_SUITABLE_TIME: "Не подошло время",
    StatusOutcome.CLIENT_WITHDREW: "Клиент отозвал заявку",
    StatusOutcome.DUPLICATE: "Дубликат",
    StatusOutcome.NO_RESPONSE_TOO_LONG: "Нет ответа слишком долго",
}

ACCESS_REASON_LABELS: dict[AccessReason, str] = {
    AccessReason.CALL_BACK_CLIENT: "Перезвонить клиенту",
    AccessReason.OFFER_SLOT: "Предложить время приёма",
    AccessReason.CONFIRM_BOOKING: "Подтвердить запись",
    AccessReason.DATA_SUBJECT_REQUEST: "Запрос субъекта персональных данных",
    AccessReason.MARKETING_CAMPAIGN: "Рассылка по согласию на коммуникации",
    AccessReason.REPORTING: "Отчётность",
}

CONTACT_ACCESS_KIND_LABELS: dict[ContactAccessKind, str] = {
    ContactAccessKind.CONTACT_REVEAL: "Просмотр контакта",
    ContactAccessKind.EXPORT_WITH_CONTACTS: "Выгрузка с контактами",
    ContactAccessKind.SUBJECT_ACCESS: "Данные субъекта",
    ContactAccessKind.CONSENT_WITHDRAWAL: "Отзыв согласия (контакт удалён)",
}

SCHEDULE_CHANGE_KIND_LABELS: dict[ScheduleChangeKind, str] = {
    ScheduleChangeKind.SLOTS_ADDED: "Добавлены окна",
}

WEEKDAY_LABELS: dict[Weekday, str] = {
    Weekday.MONDAY: "Понедельник",
    Weekday.TUESDAY: "Вторник",
    Weekday.WEDNESDAY: "Среда",
    Weekday.THURSDAY: "Четверг",
    Weekday.FRIDAY: "Пятница",
    Weekday.SATURDAY: "Суббота",
    Weekday.SUNDAY: "Воскресенье",
}

WEEKDAY_SHORT_LABELS: dict[Weekday, str] = {
    Weekday.MONDAY: "пн",
    Weekday.TUESDAY: "вт",
    Weekday.WEDNESDAY: "ср",
    Weekday.THURSDAY: "чт",
    Weekday.FRIDAY: "пт",
    Weekday.SATURDAY: "сб",
    Weekday.SUNDAY: "вс",
}

LEAD_STATUS_LABELS: dict[LeadStatus, str] = {
    LeadStatus.NEW: "Новый",
    LeadStatus.IN_PROGRESS: "В работе",
    LeadStatus.CONVERTED: "Стал клиентом",
    LeadStatus.LOST: "Потерян",
}

LEAD_SOURCE_LABELS: dict[LeadSource, str] = {
    LeadSource.WAITLIST: "Лист ожидания",
    LeadSource.BOOKING: "Онлайн-запись",
    LeadSource.TELEGRAM: "Telegram",
}

TIMELINE_EVENT_LABELS: dict[LeadTimelineEventType, str] = {
    LeadTimelineEventType.WAITLIST_SUBMITTED: "Заявка в лист ожидания",
    LeadTimelineEventType.WAITLIST_CLAIMED: "Заявка взята в работу",
    LeadTimelineEventType.WAITLIST_STATUS_CHANGED: "Статус заявки изменён",
    LeadTimelineEventType.PAYMENT_SUCCEEDED: "Оплата прошла",
    LeadTimelineEventType.PAYMENT_CANCELED: "Оплата отменена",
    LeadTimelineEventType.PAYMENT_REFUNDED: "Оплата возвращена",
    LeadTimelineEventType.CONSENT_WITHDRAWN: "Согласие отозвано, контакт удалён",
    LeadTimelineEventType.OFFER_SENT: "Предложено освободившееся время",
    LeadTimelineEventType.OFFER_ACCEPTED: "Предложение принято",
    LeadTimelineEventType.OFFER_EXPIRED: "Предложение истекло",
    LeadTimelineEventType.OFFER_DECLINED: "От предложения отказались",
}

REFUND_REASON_LABELS: dict[RefundReason, str] = {
    RefundReason.HOLD_EXPIRED: "Бронь истекла до оплаты",
    RefundReason.APPOINTMENT_CANCELLED: "Запись отменена до оплаты",
    RefundReason.ALREADY_PAID: "Запись уже оплачена другим платежом",
    RefundReason.BY_STAFF: "Возврат сделан в ЮKassa вручную",
}

PAYMENT_STATUS_LABELS: dict[PaymentStatus, str] = {
    PaymentStatus.CREATING: "Создаётся",
    PaymentStatus.PENDING: "Ожидает оплаты",
    PaymentStatus.WAITING_FOR_CAPTURE: "Ожидает подтверждения",
    PaymentStatus.SUCCEEDED: "Оплачен",
    PaymentStatus.CANCELED: "Отменён",
    PaymentStatus.FAILED: "Ошибка",
    PaymentStatus.REFUND_PENDING: "Возвращается клиенту",
    PaymentStatus.REFUNDED: "Возвращён клиенту",
    PaymentStatus.REFUND_FAILED: "Возврат не прошёл: нужен сотрудник",
}

PAYMENT_KIND_LABELS: dict[PaymentKind, str] = {
    PaymentKind.DEPOSIT: "Предоплата",
    PaymentKind.FULL: "Полная оплата",
}

APPOINTMENT_STATUS_LABELS: dict[AppointmentStatus, str] = {
    AppointmentStatus.PENDING_PAYMENT: "Ждёт оплаты",
    AppointmentStatus.CONFIRMED: "Подтверждена",
    AppointmentStatus.EXPIRED: "Бронь истекла",
    AppointmentStatus.CANCELLED: "Отменена",
}

SLOT_STATUS_LABELS: dict[SlotStatus, str] = {
    SlotStatus.FREE: "Свободен",
    SlotStatus.HELD: "Забронирован",
    SlotStatus.BOOKED: "Занят",
    SlotStatus.RESERVED: "Предложен из листа ожидания",
}

CONSENT_KIND_LABELS: dict[ConsentKind, str] = {
    ConsentKind.PERSONAL_DATA: "Обработка персональных данных",
    ConsentKind.COMMUNICATIONS: "Информационные сообщения",
}

CONSENT_SUBJECT_LABELS: dict[ConsentSubject, str] = {
    ConsentSubject.APPOINTMENT: "Запись на приём",
    ConsentSubject.LEAD: "Лид",
    ConsentSubject.WAITLIST_REQUEST: "Заявка в лист ожидания",
}

CONSENT_CHANNEL_LABELS: dict[ConsentChannel, str] = {
    ConsentChannel.BOOKING_API: "Онлайн-запись",
    ConsentChannel.WAITLIST_FORM: "Форма листа ожидания",
}

STAFF_ROLE_LABELS: dict[StaffRole, str] = {
    StaffRole.OPERATOR: "Оператор",
    StaffRole.MANAGER: "Менеджер",
    StaffRole.ADMIN: "Администратор",
}

OFFER_STATUS_LABELS: dict[OfferStatus, str] = {
    OfferStatus.OFFERED: "Предложено, ждём ответа",
    OfferStatus.ACCEPTED: "Принято",
    OfferStatus.EXPIRED: "Истекло",
    OfferStatus.DECLINED: "Отказ",
}

OFFER_CHANNEL_LABELS: dict[OfferChannel, str] = {
    OfferChannel.EMAIL: "Письмо со ссылкой",
    OfferChannel.STAFF: "Через сотрудника",
}

OFFER_OUTCOME_LABELS: dict[OfferOutcome, str] = {
    OfferOutcome.ACCEPTED: "Согласен: записать на это время",
    OfferOutcome.DECLINED: "Отказался: предложить следующему",
}
