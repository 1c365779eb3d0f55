"""Withdrawing consent, by the email's link and by staff, on fakes with a fixed clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.crm import LeadTimelineEventType, WaitlistStatus
from domain.emails import WITHDRAW_URL_PARAM, EmailStatus, EmailTemplate, render, withdrawal_footer
from domain.errors import RoleRequired, WaitlistRequestNotFound, WithdrawalTokenNotFound
from domain.privacy import (
    ERASED_INDEX_PREFIX,
    hash_withdrawal_token,
    issue_withdrawal_token,
    withdrawal_url,
)
from domain.staff import AccessReason, ContactAccessKind
from domain.use_cases.erase_expired_contacts import EraseExpiredContactsUseCase
from domain.use_cases.record_consent_withdrawal import (
    RecordConsentWithdrawalCommand,
)
from domain.use_cases.withdraw_consent import WithdrawConsentCommand
from tests.support.fakes import (
    FixedClock,
    InMemoryStore,
)
from tests.support.privacy_world import ADDRESS, OPERATOR, SITE, World

pytestmark = pytest.mark.anyio


def stored_text(store: InMemoryStore) -> str:
    """Everything the fake database holds, as text: what a dump would show."""
    return repr(
        [
            [(r.contact.ciphertext, r.contact.blind_index) for r in store.waitlist.values()],
            [(ld.contact.ciphertext, ld.contact.blind_index) for ld in store.leads.values()],
            [(e.recipient_ciphertext, e.recipient_index, e.params) for e in store.emails.values()],
            [(t.token_hash, t.contact_index) for t in store.withdrawal_tokens.values()],
        ]
    )


async def test_the_email_carries_a_fresh_link_and_the_outbox_never_holds_the_token() -> None:
    world = World()
    await world.submit()
    assert await world.send.execute() == 1

    [message] = world.mailer.sent
    assert f"{SITE}/privacy/withdraw/?token=" in message.text
    token = world.token_in(message.text)
    assert f'href="{SITE}/privacy/withdraw/?token={token}"' in message.html
    assert "просто ответьте" not in message.text
    [record] = world.store.withdrawal_tokens.values()
    assert record.token_hash == hash_withdrawal_token(token)
    assert record.contact_index == world.encryptor.blind_index("email", ADDRESS)
    assert token not in stored_text(world.store)


async def test_a_withdrawal_erases_the_contact_everywhere_in_one_go() -> None:
    world = World()
    await world.submit()
    await world.send.execute()
    await world.submit(slug="couples-session")
    token = world.token_in(world.mailer.sent[0].text)
    before = {r.contact.ciphertext for r in world.store.waitlist.values()}
    index = world.encryptor.blind_index("email", ADDRESS)
    world.clock.advance(timedelta(minutes=5))

    result = await world.withdraw.execute(WithdrawConsentCommand(token))

    assert result.withdrew
    store = world.store
    assert {r.status for r in store.waitlist.values()} == {WaitlistStatus.WITHDRAWN}
    assert all(c.withdrawn_at == world.clock.now() for c in store.consents)
    dump = stored_text(store)
    assert index not in dump and ADDRESS not in dump
    assert not any(ciphertext in dump for ciphertext in before)
    assert all(
        r.contact.blind_index.startswith(ERASED_INDEX_PREFIX) for r in store.waitlist.values()
    )
    [lead] = store.leads.values()
    assert lead.contact.ciphertext == "" and lead.contact.blind_index == f"erased:{lead.id}"
    events = [e for e in store.lead_timeline if e.type is LeadTimelineEventType.CONSENT_WITHDRAWN]
    assert [(e.lead_id, e.waitlist_request_id) for e in events] == [(lead.id, None)]
    # The second request's confirmation was still queued: cancelled, never to be sent.
    statuses = sorted(e.status.value for e in store.emails.values())
    assert statuses == [EmailStatus.CANCELLED.value, EmailStatus.SENT.value]
    assert all(t.contact_index is None for t in store.withdrawal_tokens.values())


async def test_a_repeat_succeeds_and_changes_nothing() -> None:
    world = World()
    await world.submit()
    await world.send.execute()
    token = world.token_in(world.mailer.sent[0].text)
    await world.withdraw.execute(WithdrawConsentCommand(token))
    snapshot = stored_text(world.store), len(world.store.lead_timeline)
    world.clock.advance(timedelta(days=1))

    again = await world.withdraw.execute(WithdrawConsentCommand(token))

    assert not again.withdrew
    assert (stored_text(world.store), len(world.store.lead_timeline)) == snapshot
    assert all(
        c.withdrawn_at == world.clock.now() - timedelta(days=1) for c in world.store.consents
    )


async def test_an_old_token_does_not_withdraw_a_later_request_of_the_same_person() -> None:
    world = World()
    await world.submit()
    await world.send.execute()
    old = world.token_in(world.mailer.sent[0].text)
    await world.withdraw.execute(WithdrawConsentCommand(old))
    world.clock.advance(timedelta(days=30))
    await world.submit()  # they came back

    assert not (await world.withdraw.execute(WithdrawConsentCommand(old))).withdrew
    active = [r for r in world.store.waitlist.values() if r.status is WaitlistStatus.NEW]
    assert len(active) == 1 and active[0].contact.ciphertext


async def test_every_token_of_a_contact_withdraws_it_until_one_is_used() -> None:
    world = World()
    await world.submit()
    await world.send.execute()
    await world.submit(slug="couples-session")
    await world.send.execute()
    first, second = (world.token_in(m.text) for m in world.mailer.sent)
    assert first != second

    assert (await world.withdraw.execute(WithdrawConsentCommand(second))).withdrew
    assert not (await world.withdraw.execute(WithdrawConsentCommand(first))).withdrew


@pytest.mark.parametrize(
    "token",
    ["", "short", "x" * 43 + "!", "a" * 200, "../../etc/passwd", "a" * 42 + "\n"],
)
async def test_a_malformed_token_is_not_found(token: str) -> None:
    world = World()
    with pytest.raises(WithdrawalTokenNotFound) as caught:
        await world.withdraw.execute(WithdrawConsentCommand(token))
    assert caught.value.code == "not_found"
    assert caught.value.message == "Not found."


async def test_an_unknown_well_formed_token_is_not_found_and_writes_nothing() -> None:
    world = World()
    await world.submit()
    token, _ = issue_withdrawal_token("someone-else", world.clock.now())
    before = stored_text(world.store)
    with pytest.raises(WithdrawalTokenNotFound):
        await world.withdraw.execute(WithdrawConsentCommand(token))
    assert stored_text(world.store) == before


async def test_an_email_cancelled_while_leased_is_never_sent() -> None:
    world = World()
    await world.submit()
    index = world.encryptor.blind_index("email", ADDRESS)
    token, record = issue_withdrawal_token(index, world.clock.now())
    world.store.withdrawal_tokens[record.token_hash] = record

    # A worker leases the email; the withdrawal commits before it gets to send.
    async with world.uow() as uow:
        [claim] = await uow.email_outbox.claim_due(
            world.clock.now(), world.clock.now() + timedelta(minutes=5), 10
        )
        await uow.commit()
    await world.withdraw.execute(WithdrawConsentCommand(token))

    assert await world.send._deliver(claim) == 0
    assert world.mailer.sent == []
    [email] = world.store.emails.values()
    assert email.status is EmailStatus.CANCELLED and email.recipient_ciphertext == ""


async def test_staff_record_a_withdrawal_and_it_is_audited() -> None:
    world = World()
    await world.submit("+79161234567")
    [request] = world.store.waitlist.values()

    result = await world.record.execute(
        RecordConsentWithdrawalCommand(
            staff_user_id=OPERATOR.user_id, waitlist_request_id=request.id
        )
    )

    assert result.withdrew
    assert world.store.waitlist[request.id].status is WaitlistStatus.WITHDRAWN
    assert world.store.waitlist[request.id].contact.ciphertext == ""
    [entry] = world.store.contact_access
    assert entry.kind is ContactAccessKind.CONSENT_WITHDRAWAL
    assert entry.reason is AccessReason.DATA_SUBJECT_REQUEST
    assert (entry.staff_user_id, entry.waitlist_request_id) == (OPERATOR.user_id, request.id)
    assert entry.lead_id == request.lead_id

    again = await world.record.execute(
        RecordConsentWithdrawalCommand(
            staff_user_id=OPERATOR.user_id, waitlist_request_id=request.id
        )
    )
    assert not again.withdrew and len(world.store.contact_access) == 2


async def test_only_staff_record_withdrawals_of_requests_that_exist() -> None:
    world = World()
    await world.submit()
    [request] = world.store.waitlist.values()
    with pytest.raises(RoleRequired):
        await world.record.execute(RecordConsentWithdrawalCommand(99, request.id))
    with pytest.raises(WaitlistRequestNotFound):
        await world.record.execute(
            RecordConsentWithdrawalCommand(OPERATOR.user_id, request.lead_id)
        )
    assert world.store.waitlist[request.id].contact.ciphertext
    assert world.store.contact_access == []


def test_the_footer_links_to_the_withdrawal_page_in_text_and_html() -> None:
    url = withdrawal_url(SITE, "tok_EN-123")
    text, html = withdrawal_footer({WITHDRAW_URL_PARAM: url})
    assert url in text and "отозвать согласие" in text
    assert f'href="{url}"' in html
    plain_text, plain_html = withdrawal_footer({})
    assert "администратору" in plain_text and "href" not in plain_html


def test_the_confirmation_ends_with_the_footer_and_no_longer_says_reply() -> None:
    url = withdrawal_url(SITE, "abc")
    rendered = render(EmailTemplate.WAITLIST_CONFIRMATION, {WITHDRAW_URL_PARAM: url})
    assert rendered.text.rstrip().endswith("больше не будем вам писать.")
    assert url in rendered.html and "ответьте" not in rendered.text


class RecordingRetention:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    async def erase_closed_requests(self, closed_before: object, limit: int) -> int:
        self.calls.append(("requests", closed_before))
        return 2

    async def erase_idle_leads(self, idle_before: object, limit: int, now: object) -> int:
        self.calls.append(("leads", idle_before))
        return 1


@pytest.mark.parametrize("days", [0, 0.5, 180])
async def test_retention_erases_what_closed_longer_ago_than_the_period(days: float) -> None:
    store, clock = RecordingRetention(), FixedClock()
    job = EraseExpiredContactsUseCase(
        store=store, clock=clock, retention=timedelta(days=days), batch_size=10
    )
    assert await job.execute() == 3
    cutoff = clock.now() - timedelta(days=days)
    assert store.calls == [("requests", cutoff), ("leads", cutoff)]
