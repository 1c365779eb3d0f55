"""Withdraw consent from the link in an email (``POST /api/public/consents/withdraw``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.crm import LeadTimelineEvent, LeadTimelineEventType
from domain.errors import WithdrawalTokenNotFound
from domain.ports import Clock
from domain.privacy import ContactFootprint, hash_withdrawal_token, is_well_formed_token
from domain.privacy_ports import WithdrawalUnitOfWork, WithdrawalUnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class WithdrawConsentCommand:
    token: str

    def __repr__(self) -> str:
        return "WithdrawConsentCommand(token=***)"


@dataclass(frozen=True, slots=True)
class ConsentWithdrawalResult:
    # False when there was nothing left to withdraw (a repeat, or already erased).
    withdrew: bool


async def withdraw_contact(
    uow: WithdrawalUnitOfWork, contact_index: str, now: datetime
) -> ContactFootprint:
    """Every effect of a withdrawal, in the caller's transaction (the link and the staff form).

    Consent records get ``withdrawn_at``; active requests become ``withdrawn``; unsent emails
    are cancelled; the contact's ciphertexts and blind indexes are erased in requests, leads,
    appointments and the outbox; its withdrawal tokens are released; each lead's timeline
    gets ``consent_withdrawn``.
    """
    footprint = await uow.erasure.footprint(contact_index)
    if footprint.is_empty:  # erased meanwhile (a concurrent withdrawal, retention)
        await uow.withdrawal_tokens.release(contact_index, now)
        return footprint
    for subject_id in footprint.consent_subjects:
        for record in await uow.consents.list_for_subject(subject_id):
            withdrawn = record.withdraw(now)
            if withdrawn is not record:
                await uow.consents.mark_withdrawn(withdrawn)
    await uow.erasure.withdraw_requests(footprint.active_request_ids, now)
    await uow.erasure.cancel_emails(contact_index, footprint.ciphertexts, now)
    await uow.erasure.erase(contact_index, now)
    await uow.withdrawal_tokens.release(contact_index, now)
    for lead_id in footprint.lead_ids:
        await uow.lead_timeline.add(
            LeadTimelineEvent.of(lead_id, LeadTimelineEventType.CONSENT_WITHDRAWN, now)
        )
    return footprint


class WithdrawConsentUseCase:
    """Withdraws the consent of the contact a withdrawal token is bound to.

    - The token is looked up by its SHA-256 only. A malformed or unknown token is
      ``not_found`` and says nothing else (no hint whether it ever existed).
    - A known token withdraws, in one transaction, everything of its contact (see
      :func:`withdraw_contact`): consents withdrawn, active requests ``withdrawn``, unsent
      emails cancelled, ciphertexts and blind indexes erased, ``consent_withdrawn`` on the
      timeline. Every token of the contact is released.
    - A repeat (the same token, or another token of the same contact) succeeds the same way
      and changes nothing: a released token is bound to nobody.
    """

    def __init__(self, *, uow: WithdrawalUnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: WithdrawConsentCommand) -> ConsentWithdrawalResult:
        if not is_well_formed_token(command.token):
            raise WithdrawalTokenNotFound()
        token_hash = hash_withdrawal_token(command.token)
        now = self._clock.now()
        async with self._uow() as uow:
            token = await uow.withdrawal_tokens.find(token_hash)
            if token is None:
                raise WithdrawalTokenNotFound()
            if token.contact_index is None:
                return ConsentWithdrawalResult(withdrew=False)
            await withdraw_contact(uow, token.contact_index, now)
            await uow.commit()
        return ConsentWithdrawalResult(withdrew=True)
