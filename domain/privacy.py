"""Consent withdrawal and erasure: withdrawal tokens, erased contacts, what a contact left.

A withdrawal token is the secret in the link every email to a client carries. It is bound to
the contact's blind index and stored only as its SHA-256; the plaintext exists in the sending
worker's memory and in the email. An erased contact keeps its row (the NOT NULL columns hold
an empty ciphertext and a tombstone index ``erased:<row id>`` that matches nobody), so the
history stays and nothing can be decrypted or linked back.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from uuid import UUID, uuid4

from domain.models import require_aware

ERASED_CIPHERTEXT = ""
ERASED_INDEX_PREFIX = "erased:"
# What staff and exports see instead of an erased contact.
ERASED_CONTACT_LABEL = "контакт удалён (отзыв согласия или срок хранения)"
WITHDRAW_PATH = "/privacy/withdraw/"
# ``secrets.token_urlsafe(32)``: 43 characters of the URL-safe base64 alphabet.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def erased_index(row_id: UUID) -> str:
    """The tombstone written over a blind index: unique per row, links to nobody."""
    return f"{ERASED_INDEX_PREFIX}{row_id}"


def is_erased(ciphertext: str | None) -> bool:
    """Whether a stored contact was erased (its ciphertext is gone)."""
    return not ciphertext


def hash_withdrawal_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_well_formed_token(token: str) -> bool:
    return _TOKEN_SHAPE.fullmatch(token) is not None


def withdrawal_url(public_site_url: str, token: str) -> str:
    return f"{public_site_url.rstrip('/')}{WITHDRAW_PATH}?token={quote(token, safe='')}"


@dataclass(frozen=True, slots=True)
class WithdrawalToken:
    """A stored withdrawal token: its hash and the contact it withdraws.

    ``contact_index`` is ``None`` once the contact was withdrawn or erased: the token then
    still answers (a repeat is not an error) but withdraws nothing.
    """

    id: UUID
    token_hash: str
    contact_index: str | None
    created_at: datetime
    withdrawn_at: datetime | None = None

    def __repr__(self) -> str:
        return f"WithdrawalToken(id={self.id}, token_hash=***, contact_index=***)"


def issue_withdrawal_token(contact_index: str, now: datetime) -> tuple[str, WithdrawalToken]:
    """A fresh token for a contact: ``(plaintext for the email, record to store)``.

    Each email gets its own token; every token of a contact stays valid until it is used
    (or the contact is erased), so an old email's link still works.
    """
    token = secrets.token_urlsafe(32)
    record = WithdrawalToken(
        id=uuid4(),
        token_hash=hash_withdrawal_token(token),
        contact_index=contact_index,
        created_at=require_aware(now),
    )
    return token, record


@dataclass(frozen=True, slots=True)
class ContactFootprint:
    """Where one contact (a blind index) is stored: what a withdrawal must reach.

    ``ciphertexts`` are the contact's stored ciphertexts, used to find outbox rows queued
    before emails carried the recipient's blind index.
    """

    request_ids: tuple[UUID, ...]
    active_request_ids: tuple[UUID, ...]
    lead_ids: tuple[UUID, ...]
    appointment_ids: tuple[UUID, ...]
    ciphertexts: tuple[str, ...]

    def __repr__(self) -> str:
        return (
            f"ContactFootprint(requests={len(self.request_ids)}, leads={len(self.lead_ids)}, "
            f"appointments={len(self.appointment_ids)}, ciphertexts=***)"
        )

    @property
    def consent_subjects(self) -> tuple[UUID, ...]:
        return (*self.request_ids, *self.lead_ids, *self.appointment_ids)

    @property
    def is_empty(self) -> bool:
        return not (self.request_ids or self.lead_ids or self.appointment_ids)
