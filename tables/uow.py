"""The Piccolo unit of work: one database transaction with every repository bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from tables.core.repositories import (
    PiccoloAppointmentRepository,
    PiccoloConsentRepository,
    PiccoloServiceRepository,
    PiccoloSlotRepository,
    PiccoloTrackingOutbox,
)
from tables.crm.offers import PiccoloOfferRepository
from tables.crm.privacy import PiccoloContactErasure, PiccoloWithdrawalTokens
from tables.crm.repositories import (
    PiccoloEmailOutbox,
    PiccoloLeadRepository,
    PiccoloLeadTimelineRepository,
    PiccoloWaitlistRepository,
)
from tables.payments.repositories import (
    PiccoloIdempotencyKeyRepository,
    PiccoloPaymentRepository,
)
from tables.staff.access import PiccoloStaffAccounts
from tables.staff.repositories import PiccoloContactAccessLog, PiccoloStaffQueueRepository
from tables.staff.schedule import PiccoloSchedule


class PiccoloUnitOfWork:
    """Implements the ``UnitOfWork`` port.

    Nothing is kept unless :meth:`commit` is called. On SQLite the transaction starts
    ``IMMEDIATE`` so concurrent writers queue on the lock instead of failing on upgrade.
    Piccolo binds queries to the transaction through a context variable, so the repositories
    need no connection of their own.
    """

    def __init__(self, engine: Engine) -> None:  # type: ignore[type-arg]
        self._engine = engine
        self._transaction: Any = None
        self.services = PiccoloServiceRepository()
        self.slots = PiccoloSlotRepository()
        self.appointments = PiccoloAppointmentRepository(engine)
        self.consents = PiccoloConsentRepository()
        self.tracking = PiccoloTrackingOutbox()
        self.waitlist = PiccoloWaitlistRepository()
        self.leads = PiccoloLeadRepository()
        self.lead_timeline = PiccoloLeadTimelineRepository()
        self.email_outbox = PiccoloEmailOutbox()
        self.staff_queue = PiccoloStaffQueueRepository(engine)
        self.contact_access_log = PiccoloContactAccessLog()
        self.payments = PiccoloPaymentRepository()
        self.idempotency_keys = PiccoloIdempotencyKeyRepository()
        self.staff_accounts = PiccoloStaffAccounts(engine)
        self.withdrawal_tokens = PiccoloWithdrawalTokens()
        self.erasure = PiccoloContactErasure()
        self.schedule = PiccoloSchedule()
        self.offers = PiccoloOfferRepository(engine)

    async def __aenter__(self) -> Self:
        if self._engine.current_transaction.get() is not None:
            raise RuntimeError("a unit of work never nests inside another transaction")
        if isinstance(self._engine, SQLiteEngine):
            transaction: Any = self._engine.transaction(
                transaction_type=TransactionType.immediate, allow_nested=False
            )
        else:
            transaction = self._engine.transaction(allow_nested=False)
        self._transaction = await transaction.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is None:
            return
        if not transaction._committed and not transaction._rolled_back:
            await transaction.rollback()
        await transaction.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        await self._transaction.commit()

    async def rollback(self) -> None:
        if not self._transaction._rolled_back:
            await self._transaction.rollback()


def unit_of_work_factory(engine: Engine) -> Any:  # type: ignore[type-arg]
    def make() -> PiccoloUnitOfWork:
        return PiccoloUnitOfWork(engine)

    return make
