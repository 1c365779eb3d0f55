"""Deliver the email outbox: lease, send outside any transaction, record the outcome."""

from __future__ import annotations

import logging
from datetime import timedelta

from domain.crm_ports import Mailer
from domain.emails import (
    MAX_EMAIL_ATTEMPTS,
    WITHDRAW_URL_PARAM,
    ClaimedEmail,
    EmailMessage,
    render,
    retry_delay,
)
from domain.errors import MailRejected
from domain.models import ContactMethod
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
            url = await self._still_ours_with_link(claim, to)
            if url is None:
                logger.info("email %s not sent: cancelled or no longer leased", email.id)
                return 0
            message = EmailMessage.of(
                render(email.template, {**email.params, WITHDRAW_URL_PARAM: url}),
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
                permanent = isinstance(error, MailRejected)
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

    async def _still_ours_with_link(self, claim: ClaimedEmail, to: str) -> str | None:
        """The withdrawal link for this message, or ``None`` when it must not be sent."""
        now = self._clock.now()
        async with self._uow() as uow:
            if not await uow.email_outbox.still_held(claim):
                return None
            index = self._encryptor.blind_index(ContactMethod.EMAIL.value, to)
            token, record = issue_withdrawal_token(index, now)
            await uow.withdrawal_tokens.add(record)
            await uow.commit()
        return withdrawal_url(self._public_site_url, token)
