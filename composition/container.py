"""Every long-lived object of one process, built once from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from piccolo.engine.base import Engine

from adapters.clock import SystemClock
from adapters.email_addresses import EmailValidatorParser
from adapters.fernet_encryptor import FernetEncryptor
from adapters.phone_numbers import LibPhoneNumberParser
from adapters.settings import Settings
from adapters.smtp_mailer import ConsoleMailer, SmtpMailer
from adapters.telegram_links import TelegramConciergeLinks
from adapters.tracking_sinks import HttpTrackingSink, LogTrackingSink
from adapters.yookassa.gateway import YooKassaPaymentGateway
from adapters.yookassa.sandbox import YooKassaSandbox
from admin.forms import StaffForms
from admin.slots_form import AddSlotsUseCases
from admin.staff_access_form import StaffAccessUseCases
from admin.subject_access_form import SubjectAccess
from composition.database import database_engine
from domain.contacts import ContactNormaliser
from domain.crm_ports import Mailer
from domain.models import DEFAULT_HOLD
from domain.payment_ports import PaymentEventHook, PaymentEventHooks
from domain.payments import ConfirmationType
from domain.ports import Clock, UnitOfWorkFactory
from domain.staff_ports import StaffDirectory
from domain.use_cases.accept_waitlist_offer import AcceptWaitlistOfferUseCase
from domain.use_cases.add_slots import AddSlotsUseCase
from domain.use_cases.change_staff_access import ChangeStaffAccessUseCase
from domain.use_cases.change_waitlist_status import ChangeWaitlistStatusUseCase
from domain.use_cases.claim_waitlist_request import ClaimWaitlistRequestUseCase
from domain.use_cases.create_or_update_lead import CreateOrUpdateLeadUseCase
from domain.use_cases.create_payment_intent import CreatePaymentIntentUseCase
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestUseCase
from domain.use_cases.deliver_tracking_events import DeliverTrackingEventsUseCase
from domain.use_cases.erase_expired_contacts import EraseExpiredContactsUseCase
from domain.use_cases.expire_holds import ExpireHoldsUseCase
from domain.use_cases.export_leads import ExportLeadsUseCase
from domain.use_cases.get_availability import GetAvailabilityUseCase
from domain.use_cases.get_no_slots_page import GetNoSlotsPageUseCase
from domain.use_cases.get_offer_page import GetOfferPageUseCase
from domain.use_cases.get_payment import GetPaymentUseCase
from domain.use_cases.handle_payment_notification import HandlePaymentNotificationUseCase
from domain.use_cases.hold_slot import HoldSlotUseCase
from domain.use_cases.list_pickable_requests import ListPickableRequestsUseCase
from domain.use_cases.list_schedulable_services import ListSchedulableServicesUseCase
from domain.use_cases.list_services import ListServicesUseCase
from domain.use_cases.list_staff_accounts import ListStaffAccountsUseCase
from domain.use_cases.notify_client_of_payment import NotifyClientOfPaymentUseCase
from domain.use_cases.offer_freed_slots import OfferFreedSlotsUseCase
from domain.use_cases.payment_status import PaymentSettings
from domain.use_cases.purge_idempotency_keys import PurgeIdempotencyKeysUseCase
from domain.use_cases.purge_staff_sessions import PurgeStaffSessionsUseCase
from domain.use_cases.purge_waitlist_confirmations import PurgeWaitlistConfirmationsUseCase
from domain.use_cases.reconcile_payments import ReconcilePaymentsUseCase
from domain.use_cases.record_consent_withdrawal import RecordConsentWithdrawalUseCase
from domain.use_cases.record_frontend_event import RecordFrontendEventUseCase
from domain.use_cases.record_lead_payment_event import RecordLeadPaymentEventUseCase
from domain.use_cases.record_offer_outcome import RecordOfferOutcomeUseCase
from domain.use_cases.refund_payments import RefundPaymentsUseCase
from domain.use_cases.report_subject_data import ReportSubjectDataUseCase
from domain.use_cases.reveal_contact import RevealContactUseCase
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from domain.use_cases.withdraw_consent import WithdrawConsentUseCase
from tables.core.tracking_delivery import PiccoloTrackingDeliveryQueue
from tables.crm.privacy import PiccoloContactRetention
from tables.crm.repositories import PiccoloWaitlistConfirmations
from tables.crm.waitlist_submissions import waitlist_submissions_for
from tables.staff.repositories import (
    PiccoloLeadExportSource,
    PiccoloPickableRequests,
    PiccoloStaffDirectory,
)
from tables.staff.schedule import PiccoloServiceCatalogue
from tables.staff.sessions import PiccoloStaffSessionStore
from tables.staff.subject_data import PiccoloSubjectDataSource
from tables.uow import PiccoloUnitOfWork, unit_of_work_factory

# The practice's time zone, for what staff and clients read (the subject access file).


@dataclass(frozen=True, slots=True)
class PaymentServices:
    """YooKassa payments: the gateway, the use cases, tracking delivery, the dev sandbox."""

    gateway: YooKassaPaymentGateway  # the worker's; ``request_gateway`` shares its threads
    request_gateway: YooKassaPaymentGateway
    create_payment_intent: CreatePaymentIntentUseCase
    get_payment: GetPaymentUseCase
    handle_notification: HandlePaymentNotificationUseCase
    reconcile: ReconcilePaymentsUseCase
    deliver_tracking: DeliverTrackingEventsUseCase
    purge_idempotency_keys: PurgeIdempotencyKeysUseCase
    sandbox: YooKassaSandbox | None


@dataclass(frozen=True, slots=True)
class OfferServices:
    """Waitlist offers: the worker job, the offer page and its button."""

    offer_freed_slots: OfferFreedSlotsUseCase
    get_offer_page: GetOfferPageUseCase
    accept_offer: AcceptWaitlistOfferUseCase


@dataclass(frozen=True, slots=True)
class Container:
    """Every long-lived object of one process, built once."""

    settings: Settings
    engine: Engine  # type: ignore[type-arg]
    clock: Clock
    encryptor: FernetEncryptor
    contacts: ContactNormaliser
    uow: UnitOfWorkFactory
    list_services: ListServicesUseCase
    get_availability: GetAvailabilityUseCase
    hold_slot: HoldSlotUseCase
    expire_holds: ExpireHoldsUseCase
    mailer: Mailer
    create_or_update_lead: CreateOrUpdateLeadUseCase
    create_waitlist_request: CreateWaitlistRequestUseCase
    get_no_slots_page: GetNoSlotsPageUseCase
    record_frontend_event: RecordFrontendEventUseCase
    send_pending_emails: SendPendingEmailsUseCase
    staff: StaffForms
    staff_access: StaffAccessUseCases
    add_slots: AddSlotsUseCases
    subject_access: SubjectAccess
    staff_directory: StaffDirectory
    payments: PaymentServices
    purge_staff_sessions: PurgeStaffSessionsUseCase
    purge_waitlist_confirmations: PurgeWaitlistConfirmationsUseCase
    withdraw_consent: WithdrawConsentUseCase
    erase_expired_contacts: EraseExpiredContactsUseCase
    offers: OfferServices


def build_container(settings: Settings, *, clock: Clock | None = None) -> Container:
    engine = database_engine()
    clock = clock or SystemClock()
    encryptor = FernetEncryptor(
        settings.contact_encryption_keys.get_secret_value(),
        settings.blind_index_key.get_secret_value(),
    )
    contacts = ContactNormaliser(
        phone_parser=LibPhoneNumberParser(), email_parser=EmailValidatorParser()
    )
    uow: UnitOfWorkFactory = unit_of_work_factory(engine)
    staff_directory = PiccoloStaffDirectory()
    mailer = build_mailer(settings)
    leads = CreateOrUpdateLeadUseCase(uow=uow, clock=clock, encryptor=encryptor)

    def piccolo_uow() -> PiccoloUnitOfWork:  # typed: it satisfies every narrow unit of work
        return PiccoloUnitOfWork(engine)

    return Container(
        settings=settings,
        engine=engine,
        clock=clock,
        encryptor=encryptor,
        contacts=contacts,
        uow=uow,
        list_services=ListServicesUseCase(uow=uow),
        get_availability=GetAvailabilityUseCase(uow=uow, clock=clock),
        hold_slot=HoldSlotUseCase(
            uow=uow,
            clock=clock,
            encryptor=encryptor,
            contacts=contacts,
            hold_for=timedelta(minutes=settings.hold_minutes),
            max_active_holds=settings.max_active_holds_per_contact,
        ),
        expire_holds=ExpireHoldsUseCase(
            uow=uow, clock=clock, payment_grace=timedelta(minutes=settings.payment_grace_minutes)
        ),
        mailer=mailer,
        create_or_update_lead=leads,
        create_waitlist_request=CreateWaitlistRequestUseCase(
            clock=clock,
            encryptor=encryptor,
            contacts=contacts,
            submissions=waitlist_submissions_for(engine),
        ),
        get_no_slots_page=GetNoSlotsPageUseCase(
            uow=uow,
            links=TelegramConciergeLinks(settings.telegram_bot_username),
            clock=clock,
            timezone=settings.practice_time,
        ),
        record_frontend_event=RecordFrontendEventUseCase(uow=uow, clock=clock),
        send_pending_emails=SendPendingEmailsUseCase(
            uow=piccolo_uow,
            clock=clock,
            encryptor=encryptor,
            mailer=mailer,
            public_site_url=settings.public_site_url,
        ),
        staff=build_staff_forms(
            uow,
            clock,
            encryptor,
            staff_directory,
            piccolo_uow,
            hold_for=timedelta(minutes=settings.hold_minutes),
        ),
        staff_access=build_staff_access(engine, clock, staff_directory),
        add_slots=AddSlotsUseCases(
            add=AddSlotsUseCase(
                uow=piccolo_uow,
                clock=clock,
                staff=staff_directory,
                timezone=settings.practice_time,
            ),
            services=ListSchedulableServicesUseCase(
                services=PiccoloServiceCatalogue(), staff=staff_directory
            ),
            timezone=settings.practice_time,
        ),
        subject_access=SubjectAccess(
            report=ReportSubjectDataUseCase(
                uow=uow,
                clock=clock,
                staff=staff_directory,
                encryptor=encryptor,
                contacts=contacts,
                source=PiccoloSubjectDataSource(),
            ),
            timezone=settings.practice_time.zone,
        ),
        staff_directory=staff_directory,
        payments=build_payments(settings, uow, clock, encryptor),
        purge_staff_sessions=PurgeStaffSessionsUseCase(
            sessions=PiccoloStaffSessionStore(), clock=clock
        ),
        purge_waitlist_confirmations=PurgeWaitlistConfirmationsUseCase(
            confirmations=PiccoloWaitlistConfirmations(), clock=clock
        ),
        withdraw_consent=WithdrawConsentUseCase(uow=piccolo_uow, clock=clock),
        erase_expired_contacts=EraseExpiredContactsUseCase(
            store=PiccoloContactRetention(),
            clock=clock,
            retention=timedelta(days=settings.contact_retention_days),
        ),
        offers=OfferServices(
            offer_freed_slots=OfferFreedSlotsUseCase(
                uow=piccolo_uow,
                clock=clock,
                timezone=settings.practice_time,
                offer_for=timedelta(minutes=settings.offer_minutes),
            ),
            get_offer_page=GetOfferPageUseCase(
                uow=piccolo_uow, clock=clock, timezone=settings.practice_time
            ),
            accept_offer=AcceptWaitlistOfferUseCase(
                uow=piccolo_uow,
                clock=clock,
                encryptor=encryptor,
                hold_for=timedelta(minutes=settings.hold_minutes),
            ),
        ),
    )


def build_staff_forms(
    uow: UnitOfWorkFactory,
    clock: Clock,
    encryptor: FernetEncryptor,
    staff: StaffDirectory,
    piccolo_uow: Callable[[], PiccoloUnitOfWork],
    *,
    hold_for: timedelta = DEFAULT_HOLD,
) -> StaffForms:
    return StaffForms(
        claim=ClaimWaitlistRequestUseCase(uow=uow, clock=clock, staff=staff),
        change_status=ChangeWaitlistStatusUseCase(uow=uow, clock=clock, staff=staff),
        reveal_contact=RevealContactUseCase(uow=uow, clock=clock, staff=staff, encryptor=encryptor),
        record_withdrawal=RecordConsentWithdrawalUseCase(uow=piccolo_uow, clock=clock, staff=staff),
        export_leads=ExportLeadsUseCase(
            uow=uow,
            clock=clock,
            staff=staff,
            encryptor=encryptor,
            source=PiccoloLeadExportSource(),
        ),
        pickable=ListPickableRequestsUseCase(
            requests=PiccoloPickableRequests(), staff=staff, clock=clock
        ),
        record_offer_outcome=RecordOfferOutcomeUseCase(
            uow=piccolo_uow, clock=clock, staff=staff, encryptor=encryptor, hold_for=hold_for
        ),
    )


def build_staff_access(
    engine: Engine,  # type: ignore[type-arg]
    clock: Clock,
    staff: StaffDirectory,
) -> StaffAccessUseCases:
    def uow() -> PiccoloUnitOfWork:
        return PiccoloUnitOfWork(engine)

    return StaffAccessUseCases(
        change=ChangeStaffAccessUseCase(uow=uow, clock=clock),
        accounts=ListStaffAccountsUseCase(uow=uow, staff=staff),
    )


def build_mailer(settings: Settings) -> Mailer:
    """SMTP when ``SMTP_URL`` is set, else the development console sink."""
    if settings.smtp_url is not None:
        return SmtpMailer(
            settings.smtp_url.get_secret_value(),
            settings.email_from,
            # In production an ``smtp://`` server must offer STARTTLS: never clear text.
            require_starttls=settings.is_production,
        )
    return ConsoleMailer(settings.email_from)


def build_payment_event_hook(settings: Settings) -> PaymentEventHook:
    """THE hook point for reacting to payment events (succeeded, canceled, waiting for
    capture, refunded) inside the transaction that records them: the CRM's lead timeline,
    then the client's emails (confirmation, refund)."""
    return PaymentEventHooks(
        RecordLeadPaymentEventUseCase(),
        NotifyClientOfPaymentUseCase(timezone=settings.practice_time),
    )


def build_payments(
    settings: Settings, uow: UnitOfWorkFactory, clock: Clock, encryptor: FernetEncryptor
) -> PaymentServices:
    secret_key = settings.yookassa_secret_key.get_secret_value()
    # The worker's gateway keeps the long budget; a visitor's request (and YooKassa's
    # notification, which YooKassa redelivers) waits at most YOOKASSA_REQUEST_BUDGET_SECONDS.
    gateway = YooKassaPaymentGateway(
        shop_id=settings.yookassa_shop_id, secret_key=secret_key, api_url=settings.yookassa_api_url
    )
    request_gateway = gateway.with_budget(settings.yookassa_request_budget_seconds)
    sandbox = None
    if settings.uses_yookassa_sandbox and not settings.is_production:
        # Our own app serves the sandbox; it notifies our own webhook.
        base = settings.yookassa_api_url.split("/sandbox/", 1)[0]
        sandbox = YooKassaSandbox(
            shop_id=settings.yookassa_shop_id,
            secret_key=secret_key,
            webhook_url=f"{base}/api/webhooks/yookassa",
        )
    payment_settings = PaymentSettings(
        public_site_url=settings.public_site_url,
        confirmation_type=ConfirmationType(settings.yookassa_confirmation_type),
        receipts_enabled=settings.yookassa_receipts,
        vat_code=settings.yookassa_vat_code,
    )
    hook = build_payment_event_hook(settings)
    sink = (
        HttpTrackingSink(settings.tracking_sink_url)
        if settings.tracking_sink_url
        else LogTrackingSink()
    )
    return PaymentServices(
        gateway=gateway,
        request_gateway=request_gateway,
        create_payment_intent=CreatePaymentIntentUseCase(
            uow=uow,
            clock=clock,
            gateway=request_gateway,
            encryptor=encryptor,
            settings=payment_settings,
            hook=hook,
        ),
        get_payment=GetPaymentUseCase(uow=uow, timezone=settings.practice_time),
        handle_notification=HandlePaymentNotificationUseCase(
            test_shop=settings.yookassa_test_shop,
            uow=uow,
            clock=clock,
            gateway=request_gateway,
            # Right after the notification: bounded like the visitor's wait.
            refunds=RefundPaymentsUseCase(uow=uow, clock=clock, gateway=request_gateway, hook=hook),
            hook=hook,
        ),
        reconcile=ReconcilePaymentsUseCase(
            uow=uow,
            clock=clock,
            gateway=gateway,
            encryptor=encryptor,
            settings=payment_settings,
            test_shop=settings.yookassa_test_shop,
            refunds=RefundPaymentsUseCase(uow=uow, clock=clock, gateway=gateway, hook=hook),
            hook=hook,
        ),
        deliver_tracking=DeliverTrackingEventsUseCase(
            queue=PiccoloTrackingDeliveryQueue(), sink=sink, clock=clock
        ),
        purge_idempotency_keys=PurgeIdempotencyKeysUseCase(uow=uow, clock=clock),
        sandbox=sandbox,
    )
