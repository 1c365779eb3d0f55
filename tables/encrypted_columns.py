"""Every encrypted column, for key rotation. A table with ciphertext registers here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from piccolo.columns import Column
from piccolo.table import Table

from tables.core.tables import AppointmentTable, ConsentRecordTable
from tables.crm.tables import EmailOutboxTable, LeadTable, WaitlistRequestTable


@dataclass(frozen=True)
class EncryptedColumns:
    table: type[Table]
    columns: tuple[Column, ...]


ENCRYPTED_COLUMNS: list[EncryptedColumns] = [
    EncryptedColumns(
        AppointmentTable,
        (
            AppointmentTable.client_name_encrypted,
            AppointmentTable.client_email_encrypted,
            AppointmentTable.client_phone_encrypted,
        ),
    ),
    EncryptedColumns(ConsentRecordTable, (ConsentRecordTable.evidence_encrypted,)),
    EncryptedColumns(WaitlistRequestTable, (WaitlistRequestTable.contact_encrypted,)),
    EncryptedColumns(LeadTable, (LeadTable.contact_encrypted,)),
    EncryptedColumns(EmailOutboxTable, (EmailOutboxTable.recipient_encrypted,)),
]


def register(table: type[Table], columns: Sequence[Column]) -> None:
    ENCRYPTED_COLUMNS.append(EncryptedColumns(table, tuple(columns)))
