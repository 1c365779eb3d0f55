"""The staff use cases on fakes: roles, transitions, audit rows, the CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.crm import EncryptedContact
from domain.errors import (
    ContactErased,
    InvalidExportRange,
    InvalidStatusTransition,
    NotAssignedToYou,
    NoWaitlistRequestToClaim,
    OutcomeNotAllowed,
    RoleRequired,
    WaitlistRequestAlreadyClaimed,
    WaitlistRequestNotFound,
)
from domain.models import ContactMethod, StaffRole
from domain.privacy import ERASED_CONTACT_LABEL
from domain.staff import (
    AccessReason,
    ContactAccessKind,
    LeadExportRow,
    QueueItem,
    QueueStatus,
    StaffMember,
    StatusOutcome,
)
from domain.use_cases.change_waitlist_status import (
    ChangeWaitlistStatusCommand,
    ChangeWaitlistStatusUseCase,
)
from domain.use_cases.claim_waitlist_request import (
    ClaimWaitlistRequestCommand,
    ClaimWaitlistRequestUseCase,
)
from domain.use_cases.export_leads import (
    ExportLeadsCommand,
    ExportLeadsUseCase,
    LeadExport,
    safe_cell,
)
from domain.use_cases.reveal_contact import RevealContactCommand, RevealContactUseCase
from tests.support.fakes import FakeEncryptor, FixedClock, InMemoryUnitOfWorkFactory
from tests.support.staff_fakes import FakeStaffDirectory, InMemoryLeadExportSource

pytestmark = pytest.mark.anyio

OPERATOR = StaffMember(1, "olga", StaffRole.OPERATOR)
OTHER_OPERATOR = StaffMember(2, "oleg", StaffRole.OPERATOR)
MANAGER = StaffMember(3, "maria", StaffRole.MANAGER)
ADMIN = StaffMember(4, "anna", StaffRole.ADMIN)
NOBODY = 99
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.uow = InMemoryUnitOfWorkFactory()
        self.staff = FakeStaffDirectory(OPERATOR, OTHER_OPERATOR, MANAGER, ADMIN)
        self.encryptor = FakeEncryptor()
        self.claim = ClaimWaitlistRequestUseCase(uow=self.uow, clock=self.clock, staff=self.staff)
        self.change = ChangeWaitlistStatusUseCase(uow=self.uow, clock=self.clock, staff=self.staff)
        self.reveal = RevealContactUseCase(
            uow=self.uow, clock=self.clock, staff=self.staff, encryptor=self.encryptor
        )

    def request(
        self,
        *,
        minutes: int = 0,
        status: QueueStatus = QueueStatus.NEW,
        assignee: int | None = None,
        contact: str = "+79991234567",
    ) -> UUID:
        item = QueueItem(
            id=uuid4(),
            status=status,
            assignee_id=assignee,
            lead_id=uuid4(),
            service_id=uuid4(),
            created_at=T0 + timedelta(minutes=minutes),
        )
        self.uow.store.queue[item.id] = item
        self.uow.store.queue_contacts[item.id] = EncryptedContact(
            ContactMethod.PHONE, self.encryptor.encrypt(contact), "index"
        )
        return item.id


async def test_claim_without_an_id_takes_the_oldest_new_request() -> None:
    world = World()
    world.request(minutes=5)
    oldest = world.request(minutes=1)
    world.request(minutes=0, status=QueueStatus.CONTACTED)

    result = await world.claim.execute(ClaimWaitlistRequestCommand(staff_user_id=OPERATOR.user_id))

    assert result.item.id == oldest
    stored = world.uow.store.queue[oldest]
    assert (stored.status, stored.assignee_id) == (QueueStatus.IN_PROGRESS, OPERATOR.user_id)
    assert [c.target for c in world.uow.store.queue_changes] == [QueueStatus.IN_PROGRESS]


async def test_two_claims_never_get_the_same_request() -> None:
    world = World()
    world.request()
    first = await world.claim.execute(ClaimWaitlistRequestCommand(OPERATOR.user_id))
    with pytest.raises(NoWaitlistRequestToClaim):
        await world.claim.execute(ClaimWaitlistRequestCommand(OTHER_OPERATOR.user_id))
    with pytest.raises(WaitlistRequestAlreadyClaimed):
        await world.claim.execute(
            ClaimWaitlistRequestCommand(OTHER_OPERATOR.user_id, first.item.id)
        )
    with pytest.raises(WaitlistRequestNotFound):
        await world.claim.execute(ClaimWaitlistRequestCommand(OPERATOR.user_id, uuid4()))


async def test_an_account_without_a_role_can_do_nothing() -> None:
    world = World()
    request_id = world.request(status=QueueStatus.IN_PROGRESS, assignee=NOBODY)
    with pytest.raises(RoleRequired):
        await world.claim.execute(ClaimWaitlistRequestCommand(NOBODY))
    with pytest.raises(RoleRequired):
        await world.reveal.execute(
            RevealContactCommand(NOBODY, request_id, AccessReason.CALL_BACK_CLIENT)
        )
    with pytest.raises(RoleRequired):
        await world.change.execute(
            ChangeWaitlistStatusCommand(
                NOBODY, request_id, QueueStatus.CONTACTED, StatusOutcome.CLIENT_REACHED
            )
        )
    assert world.uow.store.contact_access == []


async def test_operator_reveals_only_contacts_of_requests_assigned_to_them() -> None:
    world = World()
    mine = world.request(status=QueueStatus.IN_PROGRESS, assignee=OPERATOR.user_id)
    theirs = world.request(status=QueueStatus.IN_PROGRESS, assignee=OTHER_OPERATOR.user_id)

    revealed = await world.reveal.execute(
        RevealContactCommand(OPERATOR.user_id, mine, AccessReason.CALL_BACK_CLIENT)
    )
    with pytest.raises(NotAssignedToYou):
        await world.reveal.execute(
            RevealContactCommand(OPERATOR.user_id, theirs, AccessReason.CALL_BACK_CLIENT)
        )

    assert revealed.value == "+79991234567"
    assert "+7999" not in repr(revealed)
    [entry] = world.uow.store.contact_access
    assert (entry.staff_user_id, entry.kind, entry.reason, entry.waitlist_request_id) == (
        OPERATOR.user_id,
        ContactAccessKind.CONTACT_REVEAL,
        AccessReason.CALL_BACK_CLIENT,
        mine,
    )


async def test_managers_and_admins_reveal_any_contact_and_each_reveal_is_audited() -> None:
    world = World()
    request_id = world.request(status=QueueStatus.IN_PROGRESS, assignee=OPERATOR.user_id)
    for member in (MANAGER, ADMIN):
        await world.reveal.execute(
            RevealContactCommand(member.user_id, request_id, AccessReason.DATA_SUBJECT_REQUEST)
        )
    assert [e.staff_user_id for e in world.uow.store.contact_access] == [
        MANAGER.user_id,
        ADMIN.user_id,
    ]


async def test_status_change_follows_the_lifecycle_with_a_fitting_outcome() -> None:
    world = World()
    request_id = world.request(status=QueueStatus.IN_PROGRESS, assignee=OPERATOR.user_id)

    with pytest.raises(OutcomeNotAllowed):
        await world.change.execute(
            ChangeWaitlistStatusCommand(
                OPERATOR.user_id, request_id, QueueStatus.BOOKED, StatusOutcome.NO_ANSWER
            )
        )
    with pytest.raises(NotAssignedToYou):
        await world.change.execute(
            ChangeWaitlistStatusCommand(
                OTHER_OPERATOR.user_id,
                request_id,
                QueueStatus.CONTACTED,
                StatusOutcome.CLIENT_REACHED,
            )
        )
    result = await world.change.execute(
        ChangeWaitlistStatusCommand(
            OPERATOR.user_id, request_id, QueueStatus.CONTACTED, StatusOutcome.CLIENT_REACHED
        )
    )
    await world.change.execute(
        ChangeWaitlistStatusCommand(
            MANAGER.user_id, request_id, QueueStatus.BOOKED, StatusOutcome.SESSION_BOOKED
        )
    )
    with pytest.raises(InvalidStatusTransition):
        await world.change.execute(
            ChangeWaitlistStatusCommand(
                MANAGER.user_id, request_id, QueueStatus.DECLINED, StatusOutcome.CLIENT_DECLINED
            )
        )

    assert result.previous_status is QueueStatus.IN_PROGRESS
    assert world.uow.store.queue[request_id].status is QueueStatus.BOOKED
    assert [(c.target, c.outcome) for c in world.uow.store.queue_changes] == [
        (QueueStatus.CONTACTED, StatusOutcome.CLIENT_REACHED),
        (QueueStatus.BOOKED, StatusOutcome.SESSION_BOOKED),
    ]


def lead_row(n: int, *, contact: str, status: str = "new") -> LeadExportRow:
    return LeadExportRow(
        lead_id=UUID(int=n + 1),
        status=status,
        source="waitlist",
        contact_method="phone",
        first_activity_at=T0 + timedelta(hours=n),
        last_activity_at=T0 + timedelta(hours=n, minutes=5),
        contact_ciphertext=FakeEncryptor().encrypt(contact),
    )


async def read_csv(export: LeadExport) -> tuple[bytes, list[list[str]]]:
    data = b"".join([chunk async for chunk in export.chunks()])
    return data, list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def exporter(world: World, source: InMemoryLeadExportSource) -> ExportLeadsUseCase:
    return ExportLeadsUseCase(
        uow=world.uow,
        clock=world.clock,
        staff=world.staff,
        encryptor=world.encryptor,
        source=source,
    )


async def test_only_managers_and_admins_export_leads() -> None:
    world = World()
    use_case = exporter(world, InMemoryLeadExportSource())
    for user_id in (OPERATOR.user_id, NOBODY):
        with pytest.raises(RoleRequired):
            await use_case.execute(ExportLeadsCommand(staff_user_id=user_id))
    for member in (MANAGER, ADMIN):
        export = await use_case.execute(ExportLeadsCommand(staff_user_id=member.user_id))
        assert export.row_count == 0


async def test_export_with_contacts_is_audited_with_its_row_count_and_pages_in_order() -> None:
    world = World()
    source = InMemoryLeadExportSource([lead_row(n, contact=f"+7999000{n:04d}") for n in range(7)])
    export = await exporter(world, source).execute(
        ExportLeadsCommand(
            staff_user_id=MANAGER.user_id,
            include_contacts=True,
            reason=AccessReason.MARKETING_CAMPAIGN,
            page_size=3,
        )
    )
    data, rows = await read_csv(export)

    assert data.startswith(b"\xef\xbb\xbf")
    assert rows[0][-1] == "contact"
    assert [r[-1] for r in rows[1:]] == [f"'+7999000{n:04d}" for n in range(7)]
    assert source.pages_served == 3
    [entry] = world.uow.store.contact_access
    assert (entry.kind, entry.row_count, entry.export_id, entry.reason) == (
        ContactAccessKind.EXPORT_WITH_CONTACTS,
        7,
        export.export_id,
        AccessReason.MARKETING_CAMPAIGN,
    )


async def test_export_without_contacts_has_no_contact_column_and_no_audit_row() -> None:
    world = World()
    source = InMemoryLeadExportSource([lead_row(0, contact="a@example.com")])
    export = await exporter(world, source).execute(ExportLeadsCommand(MANAGER.user_id))
    data, rows = await read_csv(export)
    assert "contact" not in rows[0]
    assert b"a@example.com" not in data
    assert world.uow.store.contact_access == []


async def test_export_filters_by_moscow_dates_and_status() -> None:
    world = World()
    source = InMemoryLeadExportSource(
        [
            lead_row(0, contact="x", status="new"),  # 2026-11-01 12:00 MSK
            lead_row(24, contact="y", status="new"),  # 2026-11-02 12:00 MSK
            lead_row(25, contact="z", status="lost"),
            lead_row(48, contact="w", status="new"),  # 2026-11-03
        ]
    )
    use_case = exporter(world, source)
    export = await use_case.execute(
        ExportLeadsCommand(
            MANAGER.user_id, date_from=date(2026, 11, 2), date_to=date(2026, 11, 2), status="new"
        )
    )
    _, rows = await read_csv(export)
    assert [r[0] for r in rows[1:]] == [str(UUID(int=25))]
    with pytest.raises(InvalidExportRange):
        await use_case.execute(
            ExportLeadsCommand(
                MANAGER.user_id, date_from=date(2026, 11, 3), date_to=date(2026, 11, 2)
            )
        )


@pytest.mark.parametrize(
    ("raw", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+79991234567", "'+79991234567"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("anna@example.com", "anna@example.com"),
        ('Анна; "кавычки"', 'Анна; "кавычки"'),
        (None, ""),
    ],
)
def test_cells_are_formula_safe(raw: str | None, cell: str) -> None:
    assert safe_cell(raw) == cell


async def test_csv_quotes_commas_quotes_and_newlines_of_contacts() -> None:
    world = World()
    tricky = 'ivan,"=1+1"\nnext'
    source = InMemoryLeadExportSource([lead_row(0, contact=tricky)])
    export = await exporter(world, source).execute(
        ExportLeadsCommand(ADMIN.user_id, include_contacts=True)
    )
    _, rows = await read_csv(export)
    assert len(rows) == 2
    assert rows[1][-1] == tricky


async def test_an_erased_contact_exports_as_erased_instead_of_failing() -> None:
    world = World()
    erased = replace(lead_row(1, contact="gone"), contact_ciphertext="")
    source = InMemoryLeadExportSource([lead_row(0, contact="+79990000000"), erased])
    export = await exporter(world, source).execute(
        ExportLeadsCommand(ADMIN.user_id, include_contacts=True)
    )
    _, rows = await read_csv(export)
    assert [r[-1] for r in rows[1:]] == ["'+79990000000", ERASED_CONTACT_LABEL]


async def test_an_erased_contact_cannot_be_revealed_and_nothing_is_logged() -> None:
    world = World()
    request_id = world.request(status=QueueStatus.IN_PROGRESS, assignee=OPERATOR.user_id)
    world.uow.store.queue_contacts[request_id] = EncryptedContact(
        ContactMethod.PHONE, "", f"erased:{request_id}"
    )
    with pytest.raises(ContactErased):
        await world.reveal.execute(
            RevealContactCommand(OPERATOR.user_id, request_id, AccessReason.CALL_BACK_CLIENT)
        )
    assert world.uow.store.contact_access == []
