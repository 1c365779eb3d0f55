"""Waitlist submissions in one unit of work each (``WaitlistSubmissions`` port).

The plain store: a transaction per submission, step by step through the repositories. It runs
on SQLite (where writers queue on ``BEGIN IMMEDIATE`` anyway, so batching gains nothing) and
on PostgreSQL alike; ``tables/crm/waitlist_submissions.py`` holds the faster group commit.
"""

from __future__ import annotations

from piccolo.engine.base import Engine

from domain.crm import WaitlistDraft
from domain.crm_ports import WaitlistOutcome
from domain.errors import ServiceNotFound
from tables.crm.repositories import PiccoloWaitlistConfirmations
from tables.uow import PiccoloUnitOfWork

_CONFIRMATIONS = PiccoloWaitlistConfirmations()


class UnitOfWorkWaitlistSubmissions:
    """Implements ``WaitlistSubmissions`` with a ``PiccoloUnitOfWork`` per submission."""

    def __init__(self, engine: Engine) -> None:  # type: ignore[type-arg]
        self._engine = engine

    async def submit(self, draft: WaitlistDraft) -> WaitlistOutcome:
        async with PiccoloUnitOfWork(self._engine) as uow:
            service = await uow.services.get_active_by_slug(draft.service_slug)
            if service is None:
                raise ServiceNotFound()
            lead = await uow.leads.touch_or_add(draft.lead, draft.submitted_at)
            # A concurrent submission of this contact waits here until we commit (PostgreSQL:
            # the upsert locks the lead's row; SQLite: one writer at a time), and its lookup
            # then sees our request. A lead this call just created (the draft's id came back)
            # has no request yet.
            existing = (
                None
                if lead.id == draft.lead.id
                else await uow.waitlist.find_active(draft.contact.blind_index, service.id)
            )
            if existing is not None:
                await uow.commit()
                return WaitlistOutcome(created=False)
            request = draft.request(service_id=service.id, lead_id=lead.id)
            await uow.waitlist.add(request)
            for consent in draft.consents:
                await uow.consents.add(consent)
            await uow.lead_timeline.add(draft.timeline_event(lead.id))
            await uow.tracking.add(draft.tracking_event)
            # After the lead's lock: a concurrent submission of this contact has committed (and
            # its confirmation is visible) or waits for us; the upsert is safe on its own too.
            if draft.email is not None and await _CONFIRMATIONS.claim(
                draft.contact.blind_index,
                service.id,
                draft.submitted_at,
                draft.confirmation_quiet_since,
            ):
                await uow.email_outbox.add(draft.email)
            await uow.commit()
        return WaitlistOutcome(created=True)
