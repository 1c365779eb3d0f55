"""The admin's tables as declared: Russian choices that mirror the domain, a Russian name for
every column, secret columns, list views without ids, and migrations that match the tables."""

from __future__ import annotations

import re
from enum import Enum, StrEnum
from typing import Any

import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.columns import ForeignKey
from piccolo.columns.choices import Choice
from piccolo.conf.apps import Finder

from admin.app import TABLE_RULES, table_configs
from admin.table_schemas import TABLE_TITLES, column_titles
from tables.core.tables import AppointmentTable, ConsentRecordTable, SlotTable
from tables.crm.tables import (
    EmailOutboxTable,
    LeadTable,
    WaitlistRequestTable,
    WithdrawalTokenTable,
)
from tables.labels import CHOICES, labelled
from tables.payments.tables import IdempotencyKeyTable, PaymentTable

CYRILLIC = re.compile(r"[А-Яа-яЁё№]")


@pytest.mark.parametrize(
    ("choices", "codes"), CHOICES, ids=[choices.__name__ for choices, _ in CHOICES]
)
def test_each_choice_enum_holds_exactly_the_domain_codes_with_russian_labels(
    choices: type[Enum], codes: type[StrEnum]
) -> None:
    members = {member.name: member.value for member in choices}
    assert all(isinstance(choice, Choice) for choice in members.values())
    assert {name: choice.value for name, choice in members.items()} == {
        code.name: code.value for code in codes
    }
    for choice in members.values():
        assert choice.display_name.strip()
        assert CYRILLIC.search(choice.display_name) or choice.display_name == "Telegram"


def test_a_domain_code_without_a_label_cannot_become_a_choice() -> None:
    class Colour(StrEnum):
        RED = "red"
        GREEN = "green"

    with pytest.raises(LookupError, match="green"):
        labelled("ColourChoice", Colour, {Colour.RED: "Красный"})


def test_every_column_of_every_admin_table_has_a_russian_title() -> None:
    for config in table_configs():
        table = config.table_class
        titles = column_titles(table)
        assert set(titles) == {column._meta.name for column in table._meta.columns}, table
        for name, title in titles.items():
            assert CYRILLIC.search(title) or title == "ID", (table, name, title)


def test_every_admin_table_has_a_russian_title_for_the_sidebar_and_headings() -> None:
    names = {config.table_class._meta.tablename for config in table_configs()}
    assert names == set(TABLE_TITLES) == {rule.tablename for rule in TABLE_RULES}
    for name in names:
        assert CYRILLIC.search(TABLE_TITLES[name]), name
    assert TABLE_TITLES["payments"] == "Оплаты"


def test_the_mandatory_columns_of_the_tables_admins_edit_are_required() -> None:
    """Piccolo API then refuses a row without them (422), not the database (500)."""
    for rule in TABLE_RULES:
        if not rule.write:
            continue
        (config,) = [c for c in table_configs() if c.table_class._meta.tablename == rule.tablename]
        for column in config.table_class._meta.columns:
            meta = column._meta
            if not meta.primary_key and not meta.null:
                assert meta.required, (rule.tablename, meta.name)
    # Nullable in the database (Piccolo's default for a foreign key), but a slot has a service.
    assert SlotTable.service._meta.required


def test_ciphertext_blind_indexes_and_payment_secrets_are_secret_columns() -> None:
    secret = {
        table: {column._meta.name for column in table._meta.secret_columns}
        for table in (
            WaitlistRequestTable,
            LeadTable,
            AppointmentTable,
            ConsentRecordTable,
            EmailOutboxTable,
            WithdrawalTokenTable,
            PaymentTable,
            IdempotencyKeyTable,
        )
    }
    assert secret == {
        WaitlistRequestTable: {"contact_encrypted", "contact_index"},
        LeadTable: {"contact_encrypted", "contact_index"},
        AppointmentTable: {
            "client_name_encrypted",
            "client_email_encrypted",
            "client_phone_encrypted",
            "client_email_index",
            "client_phone_index",
        },
        ConsentRecordTable: {"evidence_encrypted"},
        EmailOutboxTable: {"recipient_encrypted", "recipient_index"},
        WithdrawalTokenTable: {"token_hash", "contact_index"},
        PaymentTable: {"idempotence_key", "confirmation_url", "confirmation_token"},
        IdempotencyKeyTable: {"key", "response_body"},
    }
    for config in table_configs():
        for column in config.table_class._meta.columns:
            if column._meta.name.endswith(("_encrypted", "_index")):
                assert column._meta.secret, column


def _names(columns: Any) -> list[str]:
    return [column._meta.name for column in columns or ()]


def test_lists_show_no_primary_key_and_open_a_row_from_a_plain_column() -> None:
    rules = {rule.tablename: rule for rule in TABLE_RULES}
    for config in table_configs():
        table = config.table_class
        listed = _names(config.visible_columns)
        link = config.get_link_column()
        assert not isinstance(link, ForeignKey)
        assert link._meta.name == listed[0], table
        filters = _names(config.visible_filters)
        secrets = {column._meta.name for column in table._meta.secret_columns}
        assert not secrets & {*listed, *filters}, table
        if table._meta.primary_key.value_type is not int:  # a UUID is no use to a person
            assert table._meta.primary_key._meta.name not in listed, table
        rule = rules[table._meta.tablename]
        if rule.api_fields is not None:  # the gate would blank anything else
            assert set(listed) | set(filters) <= set(rule.api_fields), table


def test_the_queue_lists_the_oldest_request_first_without_the_lead() -> None:
    (queue,) = [c for c in table_configs() if c.table_class is WaitlistRequestTable]
    assert [(o.column._meta.name, o.ascending) for o in queue.get_order_by()] == [
        ("created_at", True)
    ]
    assert "lead" not in _names(queue.visible_columns)


@pytest.mark.anyio
@pytest.mark.parametrize("app", ["core", "crm", "payments", "staff"])
async def test_the_migrations_record_the_tables_as_declared(app: str) -> None:
    """``piccolo migrations new <app> --auto`` would find nothing to write."""
    config = Finder().get_app_config(app)
    statements = await AutoMigrationManager(auto_input="y").get_alter_statements(config)
    assert [s for statement in statements for s in statement.statements] == []
