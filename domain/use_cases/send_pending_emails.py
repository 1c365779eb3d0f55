"""Deliver the email outbox: lease, send outside any transaction, record the outcome."""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID

from domain.crm_ports import Mailer
from domain.emails import (
    MAX_EMAIL_ATTEMPTS,
    WITHDRAW_URL_PARAM,
    ClaimedEmail,
    EmailMessage,
    EmailTemplate,
    render,
    retry_delay,
)
from domain.errors import MailRejected
from domain.models import ContactMethod
from domain.offers import OFFER_URL_PARAM, issue_offer_token, offer_url
from domain.ports import Clock, Encryptor
from domain.privacy import issue_withdrawal_token, withdrawal_url
from domain.privacy_ports import EmailDeliveryUnitOfWorkFactory

logger = logging.getLogger("domain.emails")

DEFAULT_LEASE = timedelta(minutes=5)


class SendPendingEmailsUseCase:
    """Sends due emails from the outbox; returns how many were sent.

    - A worker first leases a batch in one short transaction (a conditional UPDATE per row),
      so of several workers exactly one holds a message; the send happens outside any
      transaction; the result is written only if the lease is still ours.
    - A sent message is never sent again. The mailer's timeout is shorter than the lease, so
      a lease only runs out when a worker died: only then can a message go out twice.
    - A temporary failure (server down, 4xx) is retried with exponential backoff (30 s,
      1 min, 2 min ... at most 2 h); a permanent rejection (5xx) or the last attempt marks the
      message ``failed``.
    - Logs carry the outbox id and the error class only, never the address or the body.
    - Right before sending, a short transaction checks that the lease still holds a pending
      email: one cancelled meanwhile (its recipient withdrew consent) is never sent. The
      same transaction stores a fresh withdrawal token (its hash, bound to the recipient's
      blind index); the link with the token goes into this message only, never into the
      outbox. (A withdrawal that commits during the SMTP conversation itself cannot stop
      that one message: no transaction spans a network call.)
    - An offer email gets its link the same way: a fresh token, stored only as its hash, in
      that transaction. An offer that ended meanwhile (expired, accepted, its request closed)
      is never sent: the email is marked ``failed`` (``OfferClosed``) and not retried.
    """

    def __init__(
        self,
        *,
        uow: EmailDeliveryUnitOfWorkFactory,
        clock: Clock,
        encryptor: Encryptor,
        mailer: Mailer,
        public_site_url: str = "http://127.0.0.1:8000",
        batch_size: int = 20,
        lease: timedelta = DEFAULT_LEASE,
        max_attempts: int = MAX_EMAIL_ATTEMPTS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._encryptor = encryptor
        self._mailer = mailer
        self._batch_size = batch_size
        self._lease = lease
        self._max_attempts = max_attempts
        self._public_site_url = public_site_url

    async def execute(self) -> int:
        now = self._clock.now()
        async with self._uow() as uow:
            claims = await uow.email_outbox.claim_due(now, now + self._lease, self._batch_size)
            await uow.commit()
        sent = 0
        for claim in claims:
            sent += await self._deliver(claim)
        return sent

    async def _deliver(self, claim: ClaimedEmail) -> int:
        email = claim.email
        error: Exception | None = None
        try:
            to = self._encryptor.decrypt(email.recipient_ciphertext)
            links = await self._still_ours_with_links(claim, to)
            if links is None:
                logger.info("email %s not sent: cancelled or no longer leased", email.id)
                return 0
            if not links:
                raise OfferClosed()
            message = EmailMessage.of(
                render(email.template, {**email.params, **links}),
                to=to,
                message_id=email.id,
            )
            await self._mailer.send(message)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the message
            error = exc
        now = self._clock.now()
        async with self._uow() as uow:
            if error is None:
                recorded = await uow.email_outbox.mark_sent(claim, now)
            else:
                permanent = isinstance(error, MailRejected | OfferClosed)
                retry_at = (
                    None
                    if permanent or email.attempts >= self._max_attempts
                    else now + retry_delay(email.attempts)
                )
                recorded = await uow.email_outbox.mark_failed(
                    claim, error=type(error).__name__, retry_at=retry_at, now=now
                )
            await uow.commit()
        if error is None:
            logger.info("email %s sent (attempt %d)", email.id, email.attempts)
            return 1 if recorded else 0
        logger.warning(
            "email %s not sent (attempt %d): %s", email.id, email.attempts, type(error).__name__
        )
        return 0

    async def _still_ours_with_links(self, claim: ClaimedEmail, to: str) -> dict[str, str] | None:
        """The links of this message (the withdrawal link, an offer's link), ``None`` when it
        must not be sent, empty when it is an offer that ended."""
        now = self._clock.now()
        email = claim.email
        async with self._uow() as uow:
            if not await uow.email_outbox.still_held(claim):
                return None
            links: dict[str, str] = {}
            if email.template is EmailTemplate.WAITLIST_OFFER:
                offer_id = UUID(email.params["offer_id"])
                offer = await uow.offers.get(offer_id)
                if offer is None or not offer.is_open(now):
                    return {}
                offer_token, token_hash = issue_offer_token()
                await uow.offers.add_token(offer_id, token_hash, now)
                links[OFFER_URL_PARAM] = offer_url(self._public_site_url, offer_token)
            index = self._encryptor.blind_index(ContactMethod.EMAIL.value, to)
            token, record = issue_withdrawal_token(index, now)
            await uow.withdrawal_tokens.add(record)
            await uow.commit()
        links[WITHDRAW_URL_PARAM] = withdrawal_url(self._public_site_url, token)
        return links


class OfferClosed(Exception):
    """The offer of an offer email ended before the email went out: it is not sent."""
