"""What staff read when a form refuses: Russian text per stable error code."""

from __future__ import annotations

from domain.errors import DomainError

MESSAGES: dict[str, str] = {
    "role_required": "Ваша роль не позволяет это действие.",
    "not_assigned_to_you": "Заявка назначена другому сотруднику.",
    "no_waitlist_request_to_claim": "Новых заявок в очереди нет.",
    "waitlist_request_already_claimed": "Заявку уже взял в работу другой сотрудник.",
    "waitlist_request_not_found": "Заявка не найдена.",
    "contact_erased": "Контакт удалён по запросу клиента (отзыв согласия) или по сроку хранения.",
    "invalid_status_transition": "Такой переход статуса невозможен.",
    "outcome_not_allowed": "Этот результат не подходит к выбранному статусу.",
    "invalid_export_range": "Дата начала позже даты окончания.",
    "last_admin": "Это последний активный администратор: его нельзя понизить или отключить.",
    "staff_account_not_found": "Такого сотрудника нет.",
    "invalid_contact": "Контакт не подходит к выбранному способу связи: проверьте телефон, "
    "адрес почты или имя в Telegram.",
    "service_not_found": "Такой услуги нет: выберите услугу из списка.",
    "slot_range_reversed": "Последний день раньше первого: проверьте даты.",
    "slot_range_too_long": "Слишком длинный период: не больше 366 дней за раз.",
    "slot_range_in_past": "Первый день уже прошёл: окна добавляются начиная с сегодняшнего дня.",
    "weekdays_required": "Выберите хотя бы один день недели («да»).",
    "start_times_required": "Укажите время начала, например 10:00, 11:30, 14:00.",
    "too_many_start_times": "Слишком много времён начала: не больше 48 за раз.",
    "no_days_in_range": "В выбранном периоде нет ни одного из выбранных дней недели.",
    "slots_all_in_past": "Всё указанное время уже прошло: окна не добавлены.",
    "service_duration_invalid": "У услуги не указана длительность: сначала исправьте услугу.",
    "no_open_offer": "У этой заявки нет предложения, которое ждёт ответа: возможно, срок "
    "уже истёк и время предложено следующему.",
    "offer_expired": "Срок предложения истёк: время уже предложено следующему человеку.",
    "offer_taken": "Это время уже занято: записать на него нельзя.",
    "export_too_large": "Слишком много строк для выгрузки из админки: используйте "
    "команду `python main.py export-leads`.",
}


def staff_message(error: DomainError) -> str:
    return MESSAGES.get(error.code, "Не удалось выполнить действие.")
