"""Composition root and command line of the Emotional Balance backend.

Only this module knows every concrete class: it reads the settings, builds the adapters,
repositories and use cases, and hands them to the API, the admin and the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import secrets
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from adapters.clock import SystemClock
from adapters.fernet_encryptor import FernetEncryptor, generate_blind_index_key, generate_fernet_key
from adapters.phone_numbers import LibPhoneNumberParser
from adapters.settings import ConfigurationError, Settings, load_settings
from adapters.telegram_links import TelegramConciergeLinks
from domain.contacts import ContactNormaliser
from domain.crm_ports import Mailer
from domain.models import StaffRole
from domain.payment_ports import PaymentEventHook
from domain.ports import Clock, UnitOfWorkFactory
from domain.staff_ports import StaffDirectory
from domain.use_cases.change_waitlist_status import ChangeWaitlistStatusUseCase
from domain.use_cases.claim_waitlist_request import ClaimWaitlistRequestUseCase
from domain.use_cases.create_or_update_lead import CreateOrUpdateLeadUseCase
from domain.use_cases.create_payment_intent import CreatePaymentIntentUseCase
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestUseCase
from domain.use_cases.deliver_tracking_events import DeliverTrackingEventsUseCase
from domain.use_cases.expire_holds import ExpireHoldsUseCase
from domain.use_cases.export_leads import ExportLeadsUseCase
from domain.use_cases.get_availability import GetAvailabilityUseCase
from domain.use_cases.get_no_slots_page import GetNoSlotsPageUseCase
from domain.use_cases.get_payment import GetPaymentUseCase
from domain.use_cases.handle_payment_notification import HandlePaymentNotificationUseCase
from domain.use_cases.hold_slot import HoldSlotUseCase
from domain.use_cases.list_services import ListServicesUseCase
from domain.use_cases.purge_idempotency_keys import PurgeIdempotencyKeysUseCase
from domain.use_cases.purge_staff_sessions import PurgeStaffSessionsUseCase
from domain.use_cases.reconcile_payments import ReconcilePaymentsUseCase
from domain.use_cases.record_frontend_event import RecordFrontendEventUseCase
from domain.use_cases.reveal_contact import RevealContactUseCase
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase

if TYPE_CHECKING:
    from admin.forms import StaffForms
    from admin.staff_access_form import StaffAccessUseCases

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)
logger = logging.getLogger("main")


# Wiring -------------------------------------------------------------------------------------


@dataclass
class Container:
    """Every long-lived object of one process, built once."""

    settings: Settings
    engine: Any
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
    staff_directory: StaffDirectory
    payments: PaymentServices
    purge_staff_sessions: PurgeStaffSessionsUseCase


def database_engine() -> Any:
    """The one engine Piccolo's tables and migrations use (from ``piccolo_conf``)."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    if engine is None:
        raise ConfigurationError("piccolo_conf.py defines no database engine")
    return engine


def build_container(settings: Settings, *, clock: Clock | None = None) -> Container:
    from tables.staff.repositories import PiccoloStaffDirectory
    from tables.staff.sessions import PiccoloStaffSessionStore
    from tables.uow import unit_of_work_factory

    engine = database_engine()
    clock = clock or SystemClock()
    encryptor = FernetEncryptor(
        settings.contact_encryption_keys.get_secret_value(),
        settings.blind_index_key.get_secret_value(),
    )
    contacts = ContactNormaliser(phone_parser=LibPhoneNumberParser())
    uow = unit_of_work_factory(engine)
    staff_directory = PiccoloStaffDirectory()
    mailer = build_mailer(settings)
    leads = CreateOrUpdateLeadUseCase(uow=uow, clock=clock, encryptor=encryptor)
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
        ),
        expire_holds=ExpireHoldsUseCase(uow=uow, clock=clock),
        mailer=mailer,
        create_or_update_lead=leads,
        create_waitlist_request=CreateWaitlistRequestUseCase(
            uow=uow,
            clock=clock,
            encryptor=encryptor,
            contacts=contacts,
            leads=leads,
            submissions=waitlist_submissions(engine),
        ),
        get_no_slots_page=GetNoSlotsPageUseCase(
            uow=uow, links=TelegramConciergeLinks(settings.telegram_bot_username)
        ),
        record_frontend_event=RecordFrontendEventUseCase(uow=uow, clock=clock),
        send_pending_emails=SendPendingEmailsUseCase(
            uow=uow, clock=clock, encryptor=encryptor, mailer=mailer
        ),
        staff=build_staff_forms(uow, clock, encryptor, staff_directory),
        staff_directory=staff_directory,
        payments=build_payments(settings, uow, clock, encryptor),
        purge_staff_sessions=PurgeStaffSessionsUseCase(
            sessions=PiccoloStaffSessionStore(), clock=clock
        ),
    )


def build_staff_forms(
    uow: UnitOfWorkFactory, clock: Clock, encryptor: FernetEncryptor, staff: StaffDirectory
) -> StaffForms:
    from admin.forms import StaffForms
    from domain.use_cases.list_pickable_requests import ListPickableRequestsUseCase
    from tables.staff.repositories import PiccoloLeadExportSource, PiccoloPickableRequests

    return StaffForms(
        claim=ClaimWaitlistRequestUseCase(uow=uow, clock=clock, staff=staff),
        change_status=ChangeWaitlistStatusUseCase(uow=uow, clock=clock, staff=staff),
        reveal_contact=RevealContactUseCase(uow=uow, clock=clock, staff=staff, encryptor=encryptor),
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
    )


def build_admin_app(container: Container) -> Any:
    """The staff admin (Piccolo Admin behind the role gate), built once per process."""
    from admin.app import AdminConfig, build_admin
    from admin.dashboard import Dashboard
    from domain.use_cases.get_dashboard import GetDashboardUseCase
    from tables.staff.dashboard_queries import PiccoloDashboardQueries

    settings = container.settings
    config = AdminConfig(
        allowed_hosts=settings.admin_allowed_hosts,
        production=settings.is_production,
    )
    dashboard = Dashboard(
        GetDashboardUseCase(
            queries=PiccoloDashboardQueries(container.engine),
            staff=container.staff_directory,
            clock=container.clock,
        )
    )
    return build_admin(
        config,
        forms=container.staff,
        staff=container.staff_directory,
        dashboard=dashboard,
        staff_access=build_staff_access(container),
    )


def build_staff_access(container: Container) -> StaffAccessUseCases:
    from admin.staff_access_form import StaffAccessUseCases
    from domain.use_cases.change_staff_access import ChangeStaffAccessUseCase
    from domain.use_cases.list_staff_accounts import ListStaffAccountsUseCase
    from tables.uow import PiccoloUnitOfWork

    def uow() -> PiccoloUnitOfWork:
        return PiccoloUnitOfWork(container.engine)

    return StaffAccessUseCases(
        change=ChangeStaffAccessUseCase(uow=uow, clock=container.clock),
        accounts=ListStaffAccountsUseCase(uow=uow, staff=container.staff_directory),
    )


def build_mailer(settings: Settings) -> Mailer:
    """SMTP when ``SMTP_URL`` is set, else the development console sink."""
    from adapters.smtp_mailer import ConsoleMailer, SmtpMailer

    if settings.smtp_url is not None:
        return SmtpMailer(settings.smtp_url.get_secret_value(), settings.email_from)
    return ConsoleMailer(settings.email_from)


@dataclass
class PaymentServices:
    """YooKassa payments: the gateway, the use cases, tracking delivery, the dev sandbox."""

    gateway: Any
    create_payment_intent: CreatePaymentIntentUseCase
    get_payment: GetPaymentUseCase
    handle_notification: HandlePaymentNotificationUseCase
    reconcile: ReconcilePaymentsUseCase
    deliver_tracking: DeliverTrackingEventsUseCase
    purge_idempotency_keys: PurgeIdempotencyKeysUseCase
    sandbox: Any | None


def build_payment_event_hook(uow: UnitOfWorkFactory, clock: Clock) -> PaymentEventHook:
    """THE hook point for reacting to payment events (succeeded, canceled, waiting for
    capture, refunded) inside the transaction that records them: the CRM's lead timeline
    plugs in here by returning its own ``PaymentEventHook``."""
    from domain.use_cases.record_lead_payment_event import RecordLeadPaymentEventUseCase

    return RecordLeadPaymentEventUseCase()


def build_payments(
    settings: Settings, uow: UnitOfWorkFactory, clock: Clock, encryptor: FernetEncryptor
) -> PaymentServices:
    from adapters.tracking_sinks import HttpTrackingSink, LogTrackingSink
    from adapters.yookassa.gateway import YooKassaPaymentGateway
    from adapters.yookassa.sandbox import YooKassaSandbox
    from domain.payments import ConfirmationType
    from domain.use_cases.payment_status import PaymentSettings
    from tables.core.tracking_delivery import PiccoloTrackingDeliveryQueue

    secret_key = settings.yookassa_secret_key.get_secret_value()
    gateway = YooKassaPaymentGateway(
        shop_id=settings.yookassa_shop_id, secret_key=secret_key, api_url=settings.yookassa_api_url
    )
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
    hook = build_payment_event_hook(uow, clock)
    sink = (
        HttpTrackingSink(settings.tracking_sink_url)
        if settings.tracking_sink_url
        else LogTrackingSink()
    )
    return PaymentServices(
        gateway=gateway,
        create_payment_intent=CreatePaymentIntentUseCase(
            uow=uow,
            clock=clock,
            gateway=gateway,
            encryptor=encryptor,
            settings=payment_settings,
            hook=hook,
        ),
        get_payment=GetPaymentUseCase(uow=uow),
        handle_notification=HandlePaymentNotificationUseCase(
            uow=uow, clock=clock, gateway=gateway, hook=hook
        ),
        reconcile=ReconcilePaymentsUseCase(
            uow=uow,
            clock=clock,
            gateway=gateway,
            encryptor=encryptor,
            settings=payment_settings,
            hook=hook,
        ),
        deliver_tracking=DeliverTrackingEventsUseCase(
            queue=PiccoloTrackingDeliveryQueue(), sink=sink, clock=clock
        ),
        purge_idempotency_keys=PurgeIdempotencyKeysUseCase(uow=uow, clock=clock),
        sandbox=sandbox,
    )


def waitlist_submissions(engine: Any) -> Any:
    """PostgreSQL: the waitlist submission as one statement; SQLite: ``None`` (one UoW)."""
    from tables.crm.waitlist_submissions import PostgresWaitlistSubmissions
    from tables.database import is_sqlite

    return None if is_sqlite(engine) else PostgresWaitlistSubmissions(engine)


def build_rate_limiter(settings: Settings) -> Any:
    """``None`` when ``RATE_LIMIT_PER_MINUTE=0``; shared through Redis when ``REDIS_URL`` is set."""
    import hashlib

    from adapters.rate_limiters import InMemoryRateLimiter, RedisRateLimiter

    limit = settings.rate_limit_per_minute
    if limit <= 0:
        return None
    if settings.redis_url is not None:
        key_secret = hashlib.sha256(b"rate-limit\x1f" + settings.blind_index_key.get_secret_value())
        return RedisRateLimiter(
            settings.redis_url.get_secret_value(), limit, key_secret=key_secret.digest()
        )
    return InMemoryRateLimiter(limit)


def build_app(container: Container) -> Any:
    from api.app import create_app
    from api.config import ApiConfig
    from api.dependencies import ApiPorts, NoSlotsPorts, PaymentPorts
    from tables.database import PiccoloReadinessProbe

    settings = container.settings
    rate_limiter = build_rate_limiter(settings)
    ports = ApiPorts(
        list_services=container.list_services,
        get_availability=container.get_availability,
        hold_slot=container.hold_slot,
        readiness=PiccoloReadinessProbe(container.engine),
        no_slots=NoSlotsPorts(
            get_no_slots_page=container.get_no_slots_page,
            create_waitlist_request=container.create_waitlist_request,
            record_frontend_event=container.record_frontend_event,
        ),
        payments=PaymentPorts(
            create_payment_intent=container.payments.create_payment_intent,
            get_payment=container.payments.get_payment,
            handle_payment_notification=container.payments.handle_notification,
        ),
    )
    config = ApiConfig(
        cors_allowed_origins=settings.cors_allowed_origins,
        trusted_proxies=settings.trusted_proxies,
        yookassa_webhook_allowed_ips=settings.yookassa_webhook_allowed_ips,
        production=settings.is_production,
    )
    return create_app(
        ports,
        config,
        on_startup=[partial(open_database, container.engine), freeze_startup_heap],
        on_shutdown=[
            partial(close_database, container.engine),
            *([rate_limiter.close] if hasattr(rate_limiter, "close") else []),
        ],
        rate_limiter=rate_limiter,
        mounted_apps={
            "/admin": build_admin_app(container),
            # Development only: build_payments never makes a sandbox in production.
            **({"/sandbox": container.payments.sandbox.app} if container.payments.sandbox else {}),
        },
    )


def freeze_startup_heap() -> None:
    """Moves everything built at start-up (modules, the app, the admin) out of the garbage
    collector's reach: it lives as long as the process, and scanning it on every full
    collection cost request latency."""
    import gc

    gc.collect()
    gc.freeze()


async def open_database(engine: Any) -> None:
    from tables.database import is_sqlite

    if not is_sqlite(engine) and getattr(engine, "pool", None) is None:
        await engine.start_connection_pool(min_size=1, max_size=20)


async def close_database(engine: Any) -> None:
    if getattr(engine, "pool", None) is not None:
        await engine.close_connection_pool()


async def migrate(*, quiet: bool = False) -> None:
    """Apply every pending Piccolo migration of every app."""
    import contextlib
    import io

    from piccolo.apps.migrations.commands.forwards import run_forwards

    from tables.database import enable_sqlite_wal

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")
    await enable_sqlite_wal(database_engine())


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # Libraries that may log request bodies or headers stay quiet.
    # aiosqlite logs every statement with its parameters at DEBUG.
    for noisy in ("yookassa", "urllib3", "httpx", "httpcore", "aiosmtplib", "aiosqlite", "asyncpg"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# Commands -----------------------------------------------------------------------------------


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        # One line whatever the terminal width, and no markup read from the message.
        err_console.print(f"[bold red]Configuration error:[/] {escape(str(exc))}", soft_wrap=True)
        raise SystemExit(2) from None


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    # The development defaults (sandbox URL, public site URL) follow the port we bind.
    os.environ["PORT"] = str(args.port)

    from api.access_log import AccessLog

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    try:
        asyncio.run(_prepare_database(settings))
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        err_console.print(
            f"[bold red]Cannot prepare the database[/] ({type(exc).__name__}): check "
            "DATABASE_URL and that the database is up.",
            soft_wrap=True,
        )
        return 1
    app = build_app(build_container(settings))
    database = "PostgreSQL" if settings.database_is_postgres else "SQLite"
    console.print(
        f"[green]Serving[/] on http://{args.host}:{args.port} ({settings.app_env}, {database})"
    )
    uvicorn.run(
        AccessLog(app),
        host=args.host,
        port=args.port,
        proxy_headers=False,  # X-Forwarded-For is judged by our own trusted-proxy rule
        server_header=False,
        access_log=False,  # it prints the client's IP address: api.access logs instead
        log_level=settings.log_level.lower(),
    )
    return 0


async def _prepare_database(settings: Settings) -> None:
    from tables.demo import database_is_empty, seed_demo

    await migrate(quiet=True)
    if not settings.is_production and await database_is_empty():
        report = await seed_demo()
        console.print(
            f"Demo data: {report.services_created} services, {report.slots_created} slots"
        )


def cmd_migrate(_: argparse.Namespace) -> int:
    settings_or_exit()
    asyncio.run(migrate())
    console.print("[green]Migrations applied.[/]")
    return 0


def cmd_seed_demo(_: argparse.Namespace) -> int:
    from tables.demo import seed_demo

    settings_or_exit()

    async def run() -> None:
        await migrate(quiet=True)
        report = await seed_demo()
        console.print(
            f"[green]Demo data ready:[/] {report.services_created} new services, "
            f"{report.slots_created} new slots."
        )

    asyncio.run(run())
    return 0


def cmd_create_staff(args: argparse.Namespace) -> int:
    from tables.staff.accounts import StaffAccountError, create_staff_user

    settings_or_exit()
    generated = False
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            err_console.print("[red]The passwords differ.[/]")
            return 1
    else:
        password = secrets.token_urlsafe(18)
        generated = True

    async def run() -> int:
        await migrate(quiet=True)
        return await create_staff_user(
            args.username, password, StaffRole(args.role), email=args.email
        )

    try:
        user_id = asyncio.run(run())
    except StaffAccountError as exc:
        # One line, however narrow the terminal: scripts read it.
        err_console.print(
            f"[red]Cannot create the staff user:[/] {escape(str(exc))}", soft_wrap=True
        )
        return 1
    console.print(f"[green]Created[/] {args.username} (id {user_id}) with role {args.role}.")
    if generated:
        console.print(f"Generated password (shown once): [bold]{password}[/]")
    return 0


def cmd_generate_keys(_: argparse.Namespace) -> int:
    console.print("New keys (keep them in your secret store, never in the repository):")
    console.print(f"CONTACT_ENCRYPTION_KEYS={generate_fernet_key()}", soft_wrap=True)
    console.print(f"BLIND_INDEX_KEY={generate_blind_index_key()}", soft_wrap=True)
    console.print(
        "To rotate: put the new Fernet key first in CONTACT_ENCRYPTION_KEYS (keep the old ones "
        "after it), run `python main.py rotate-keys`, then remove the old keys. The blind "
        "index key is not rotated: changing it breaks deduplication of existing contacts."
    )
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    from tables.key_rotation import count_rows, rotate_all

    settings = settings_or_exit()
    container = build_container(settings)

    async def run() -> Any:
        await open_database(container.engine)
        try:
            await migrate(quiet=True)
            totals = await count_rows()
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                tasks = {
                    name: progress.add_task(name, total=total) for name, total in totals.items()
                }
                return await rotate_all(
                    container.encryptor,
                    batch_size=args.batch_size,
                    on_batch=lambda name, n: progress.advance(tasks[name], n),
                )
        finally:
            await close_database(container.engine)

    report = asyncio.run(run())
    console.print(
        f"Rotated {report.values_rotated} values; {report.values_already_current} already "
        f"under the newest key; {report.rows_seen} rows read."
    )
    if report.conflicts:
        console.print(f"[yellow]{report.conflicts} rows changed meanwhile: run again.[/]")
    if report.undecryptable:
        for column, count in report.undecryptable.items():
            err_console.print(f"[red]{count} values in {column} match no configured key.[/]")
        return 1
    return 0 if not report.conflicts else 3


def cmd_export_leads(args: argparse.Namespace) -> int:
    """Stream the lead CSV to a file page by page (bounded memory), audited like the form."""
    import os
    from pathlib import Path

    from domain.errors import DomainError
    from domain.staff import AccessReason
    from domain.use_cases.export_leads import ExportLeadsCommand

    if args.include_contacts and not args.by:
        err_console.print("[red]--include-contacts needs --by USERNAME (a manager or an admin).[/]")
        return 2
    settings = settings_or_exit()
    container = build_container(settings)
    output = Path(args.output)
    partial_file = output.with_name(output.name + ".partial")

    async def run() -> int:
        await open_database(container.engine)
        try:
            await migrate(quiet=True)
            staff_user_id = None
            if args.by:
                member = await container.staff_directory.get_by_username(args.by)
                if member is None:
                    err_console.print(f"[red]{args.by} is not an active staff member.[/]")
                    return 2
                staff_user_id = member.user_id
            export = await container.staff.export_leads.execute(
                ExportLeadsCommand(
                    staff_user_id=staff_user_id,
                    include_contacts=args.include_contacts,
                    date_from=args.date_from,
                    date_to=args.date_to,
                    status=args.status,
                    reason=AccessReason(args.reason),
                    page_size=args.page_size,
                )
            )
            fd = os.open(partial_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with (
                os.fdopen(fd, "wb") as handle,
                Progress(
                    TextColumn("[bold]leads"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=err_console,
                ) as progress,
            ):
                task = progress.add_task("leads", total=export.row_count)
                async for chunk, rows in export.chunks_with_counts():
                    handle.write(chunk)
                    progress.advance(task, rows)
            os.replace(partial_file, output)
            audited = " (contacts: audited)" if args.include_contacts else ""
            console.print(f"[green]Exported[/] {export.row_count} leads to {output}{audited}.")
            return 0
        except DomainError as exc:
            err_console.print(f"[red]Export refused:[/] {exc.code}")
            return 1
        finally:
            partial_file.unlink(missing_ok=True)
            await close_database(container.engine)

    return int(asyncio.run(run()))


def cmd_check(_: argparse.Namespace) -> int:
    from tables.database import PiccoloReadinessProbe

    settings = settings_or_exit()
    table = RichTable(title=f"Configuration ({settings.app_env})")
    table.add_column("setting")
    table.add_column("value")
    for name, value in settings.summary().items():
        table.add_row(name, value)

    async def ready() -> bool:
        engine = database_engine()
        return await PiccoloReadinessProbe(engine).is_ready()

    reachable = asyncio.run(ready())
    table.add_row("database reachable", "yes" if reachable else "[red]no[/]")
    console.print(table)
    return 0 if reachable else 1


WorkerJob = Callable[[Container], Awaitable[int]]


async def _expire_holds_job(container: Container) -> int:
    return await container.expire_holds.execute()


async def _send_emails_job(container: Container) -> int:
    return await container.send_pending_emails.execute()


async def _reconcile_payments_job(container: Container) -> int:
    return await container.payments.reconcile.execute()


async def _deliver_tracking_job(container: Container) -> int:
    return await container.payments.deliver_tracking.execute()


async def _purge_idempotency_keys_job(container: Container) -> int:
    return await container.payments.purge_idempotency_keys.execute()


async def _purge_admin_sessions_job(container: Container) -> int:
    return await container.purge_staff_sessions.execute()


def worker_jobs() -> list[tuple[str, WorkerJob]]:
    """Every periodic job of the worker, by name. Each returns how much work it did."""
    return [
        ("expire-holds", _expire_holds_job),
        ("send-emails", _send_emails_job),
        ("reconcile-payments", _reconcile_payments_job),
        ("deliver-tracking", _deliver_tracking_job),
        ("purge-idempotency-keys", _purge_idempotency_keys_job),
        ("purge-admin-sessions", _purge_admin_sessions_job),
    ]


async def run_worker_pass(container: Container) -> dict[str, int]:
    """One pass over every job; a failing job is logged by class and does not stop the rest."""
    done: dict[str, int] = {}
    for name, job in worker_jobs():
        try:
            done[name] = await job(container)
        except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
            logger.error("worker job %s failed: %s", name, type(exc).__name__)
            done[name] = -1
    return done


def cmd_worker(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    container = build_container(settings)

    async def run() -> int:
        await open_database(container.engine)
        try:
            await migrate(quiet=True)
            while True:
                done = await run_worker_pass(container)
                if args.once:
                    table = RichTable(title="Worker pass")
                    table.add_column("job")
                    table.add_column("items")
                    for name, count in done.items():
                        table.add_row(name, "[red]failed[/]" if count < 0 else str(count))
                    console.print(table)
                    return 1 if any(count < 0 for count in done.values()) else 0
                idle = all(count == 0 for count in done.values())
                await asyncio.sleep(args.interval if idle else 0.2)
        finally:
            await close_database(container.engine)

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        return 0


# Entry point --------------------------------------------------------------------------------

Command = Callable[[argparse.Namespace], int]


def _default_port() -> int:
    import os

    raw = os.environ.get("PORT", "")
    return int(raw) if raw.isdigit() else 8000


def _iso_date(value: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a date as YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py", description="Emotional Balance backend: service and tools."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the HTTP service (applies migrations first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=_default_port())
    serve.set_defaults(handler=cmd_serve)

    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(
        handler=cmd_migrate
    )
    sub.add_parser("seed-demo", help="add demo services and slots (idempotent)").set_defaults(
        handler=cmd_seed_demo
    )

    staff = sub.add_parser("create-staff", help="create a staff user with a role")
    staff.add_argument("username")
    staff.add_argument("--role", required=True, choices=[r.value for r in StaffRole])
    staff.add_argument("--email", default=None)
    staff.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    staff.set_defaults(handler=cmd_create_staff)

    sub.add_parser("generate-keys", help="print new encryption keys").set_defaults(
        handler=cmd_generate_keys
    )
    rotate = sub.add_parser(
        "rotate-keys", help="re-encrypt every contact under the newest key (resumable)"
    )
    rotate.add_argument("--batch-size", type=int, default=500)
    rotate.set_defaults(handler=cmd_rotate_keys)
    export = sub.add_parser(
        "export-leads", help="stream leads to a CSV file (UTF-8 with BOM, formula-safe)"
    )
    export.add_argument("--output", required=True, metavar="FILE")
    export.add_argument(
        "--include-contacts",
        action="store_true",
        help="decrypt contacts into the file (needs --by; writes a contact_access_log row)",
    )
    export.add_argument("--by", metavar="USERNAME", help="the manager or admin responsible")
    export.add_argument("--date-from", type=_iso_date, default=None, metavar="YYYY-MM-DD")
    export.add_argument("--date-to", type=_iso_date, default=None, metavar="YYYY-MM-DD")
    export.add_argument("--status", choices=["new", "in_progress", "converted", "lost"])
    export.add_argument(
        "--reason",
        default="reporting",
        choices=[
            "call_back_client",
            "offer_slot",
            "confirm_booking",
            "data_subject_request",
            "marketing_campaign",
            "reporting",
        ],
    )
    export.add_argument("--page-size", type=int, default=2000)
    export.set_defaults(handler=cmd_export_leads)
    sub.add_parser("check", help="show the configuration (secrets masked)").set_defaults(
        handler=cmd_check
    )
    worker = sub.add_parser(
        "worker", help="deliver outboxes, reconcile payments, expire holds (--once: one pass)"
    )
    worker.add_argument("--once", action="store_true", help="do one pass and exit")
    worker.add_argument("--interval", type=float, default=5.0, help="seconds between idle passes")
    worker.set_defaults(handler=cmd_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Command = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
