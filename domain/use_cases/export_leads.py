"""Export leads as CSV (the admin form ``Выгрузить лиды`` and ``main.py export-leads``)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from domain.errors import ExportTooLarge, InvalidExportRange, RoleRequired
from domain.ports import Clock, Encryptor, UnitOfWorkFactory
from domain.privacy import ERASED_CONTACT_LABEL, is_erased
from domain.staff import (
    AccessReason,
    ContactAccessEntry,
    ContactAccessKind,
    LeadExportFilter,
    LeadExportRow,
)
from domain.staff_ports import LeadExportSource, StaffDirectory
from domain.use_cases.staff_access import require_staff

MOSCOW = ZoneInfo("Europe/Moscow")
UTF8_BOM = "\ufeff"
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER = (
    "lead_id",
    "status",
    "source",
    "contact_method",
    "first_activity_at",
    "last_activity_at",
)
CONTACT_HEADER = "contact"


def safe_cell(value: object) -> str:
    """The cell as text that no spreadsheet evaluates: a leading trigger gets a ``'``."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def moscow_text(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(MOSCOW).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class ExportLeadsCommand:
    # ``None``: the server's own console (``main.py export-leads`` without ``--by``), which
    # may export only without contacts.
    staff_user_id: int | None
    include_contacts: bool = False
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None
    reason: AccessReason = AccessReason.REPORTING
    page_size: int = 2000
    max_rows: int | None = None  # an export built in memory (the admin form) is capped


@dataclass(frozen=True, slots=True)
class LeadExport:
    """A counted, audited export; :meth:`chunks` streams the CSV (UTF-8 with BOM)."""

    export_id: UUID
    row_count: int
    include_contacts: bool
    filters: LeadExportFilter
    _source: LeadExportSource = field(repr=False)
    _encryptor: Encryptor = field(repr=False)
    _page_size: int = 2000

    def header(self) -> tuple[str, ...]:
        return (*HEADER, CONTACT_HEADER) if self.include_contacts else HEADER

    def _cells(self, row: LeadExportRow) -> list[object]:
        cells: list[object] = [
            row.lead_id,
            row.status,
            row.source,
            row.contact_method,
            moscow_text(row.first_activity_at),
            moscow_text(row.last_activity_at),
        ]
        if self.include_contacts:
            token = row.contact_ciphertext
            if token is None:
                cells.append("")
            elif is_erased(token):
                cells.append(ERASED_CONTACT_LABEL)
            else:
                cells.append(self._encryptor.decrypt(token))
        return cells

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file page by page: memory stays bounded by one page whatever the lead count."""
        async for chunk, _ in self.chunks_with_counts():
            yield chunk

    async def chunks_with_counts(self) -> AsyncIterator[tuple[bytes, int]]:
        """Like :meth:`chunks`, with the number of leads in each chunk (for progress bars)."""
        yield (UTF8_BOM + csv_text([self.header()])).encode("utf-8"), 0
        after: tuple[datetime, UUID] | None = None
        while True:
            page = await self._source.page(
                self.filters,
                after=after,
                limit=self._page_size,
                with_contacts=self.include_contacts,
            )
            if not page:
                return
            yield csv_text(self._cells(row) for row in page).encode("utf-8"), len(page)
            last = page[-1]
            after = (last.first_activity_at, last.lead_id)
            if len(page) < self._page_size:
                return


class ExportLeadsUseCase:
    """Prepares a lead export for a manager or an admin.

    - Managers and admins only (``role_required``); operators and accounts without a role
      export nothing. The server console (no staff member) exports only without contacts.
    - Filters: first activity between ``date_from`` and ``date_to`` (Moscow calendar days,
      both inclusive; ``invalid_export_range`` when reversed) and the lead status. Leads that
      appear after the export starts are not in it, so the counted rows are the rows written.
    - With contacts, one ``contact_access_log`` row (who, export id, row count, typed reason)
      is committed before the first contact is decrypted; without it nothing is exported.
    - Cells are formula-safe (a leading ``= + - @``, tab or CR gets a ``'``); the file is
      UTF-8 with a BOM, so spreadsheet programs read the Cyrillic right.
    - ``max_rows`` refuses a larger export before anything is audited (``export_too_large``).
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        staff: StaffDirectory,
        encryptor: Encryptor,
        source: LeadExportSource,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._staff = staff
        self._encryptor = encryptor
        self._source = source

    async def execute(self, command: ExportLeadsCommand) -> LeadExport:
        if command.staff_user_id is None:
            if command.include_contacts:
                raise RoleRequired()  # contacts leave only with a named, audited staff member
            member = None
        else:
            member = await require_staff(self._staff, command.staff_user_id)
            if not member.may_export_leads():
                raise RoleRequired()
        if command.date_from and command.date_to and command.date_from > command.date_to:
            raise InvalidExportRange()
        now = self._clock.now()
        filters = LeadExportFilter(
            snapshot_at=now,
            created_from=_moscow_midnight(command.date_from),
            created_before=_moscow_midnight(
                None if command.date_to is None else command.date_to + timedelta(days=1)
            ),
            status=command.status,
        )
        count = await self._source.count(filters)
        if command.max_rows is not None and count > command.max_rows:
            raise ExportTooLarge()
        export_id = uuid4()
        if command.include_contacts and member is not None:
            async with self._uow() as uow:
                await uow.contact_access_log.add(
                    ContactAccessEntry(
                        id=uuid4(),
                        staff_user_id=member.user_id,
                        kind=ContactAccessKind.EXPORT_WITH_CONTACTS,
                        reason=command.reason,
                        occurred_at=now,
                        export_id=export_id,
                        row_count=count,
                    )
                )
                await uow.commit()
        return LeadExport(
            export_id=export_id,
            row_count=count,
            include_contacts=command.include_contacts,
            filters=filters,
            _source=self._source,
            _encryptor=self._encryptor,
            _page_size=max(1, command.page_size),
        )


def _moscow_midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), MOSCOW)
