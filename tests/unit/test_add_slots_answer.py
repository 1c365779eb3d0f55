"""What the staff member reads after «Добавить окна»: counts in correct Russian, Moscow times."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from admin.slots_form import answer, service_label, slots_word
from domain.practice_time import MOSCOW
from domain.schedule import ScheduledService
from domain.use_cases.add_slots import AddSlotsResult


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "0 окон"),
        (1, "1 окно"),
        (2, "2 окна"),
        (4, "4 окна"),
        (5, "5 окон"),
        (11, "11 окон"),
        (12, "12 окон"),
        (21, "21 окно"),
        (22, "22 окна"),
        (111, "111 окон"),
        (104, "104 окна"),
    ],
)
def test_slot_counts_agree_with_their_number(n: int, words: str) -> None:
    assert slots_word(n) == words


def result(created: int, existing: int, past: int) -> AddSlotsResult:
    return AddSlotsResult(
        service_title="Семейная консультация",
        created=created,
        existing=existing,
        past=past,
        first_start=datetime(2026, 12, 9, 7, 0, tzinfo=UTC),
        last_start=datetime(2027, 1, 4, 11, 0, tzinfo=UTC),
    )


def test_the_answer_counts_created_existing_and_past_starts_in_moscow_time() -> None:
    assert answer(result(3, 1, 2), MOSCOW) == (
        "«Семейная консультация»: создано 3 окна, уже были в расписании: 1 окно — дубли не "
        "созданы. Пропущено, потому что это время сегодня уже прошло: 2 окна. Период: с "
        "09.12.2026 10:00 по 04.01.2027 14:00 (Москва). Изменение записано в журнал расписания."
    )


def test_without_existing_slots_the_answer_says_there_were_no_repeats() -> None:
    text = answer(result(21, 0, 0), MOSCOW)
    assert text.startswith("«Семейная консультация»: создано 21 окно, повторов нет. Период:")
    assert "Пропущено" not in text


def test_a_service_reads_as_its_title_and_duration_and_an_inactive_one_says_so() -> None:
    assert service_label(ScheduledService(uuid4(), "Группа", 90, active=True)) == "Группа · 90 мин"
    assert service_label(ScheduledService(uuid4(), "Архив", 60, active=False)) == (
        "Архив · 60 мин · не доступна для записи"
    )
