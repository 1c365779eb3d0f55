"""Piccolo Admin for the staff, built once at start-up and mounted at ``/admin/``.

``build_admin`` returns one ASGI app: Piccolo Admin (Russian UI, CSRF, session login with an
explicit limiter that blocks for a bounded time, expiring sessions, secure cookies in
production) with its answers made for Russian-speaking staff (``admin.table_schemas``,
``admin.write_errors``, ``admin.bundle``), behind the :class:`admin.gate.RoleGate`, and that
behind the :class:`admin.login_guard.LoginGuard` (the per-username login limit and the
failed-login log).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Timestamp, Timestamptz
from piccolo.table import Table
from piccolo_admin.endpoints import FormConfig, TableConfig, create_admin
from piccolo_api.crud.endpoints import OrderBy
from piccolo_api.crud.hooks import Hook, HookType
from piccolo_api.rate_limiting.middleware import InMemoryLimitProvider
from piccolo_api.session_auth.tables import SessionsBase
from starlette.exceptions import HTTPException

from admin.bundle import TIMEZONE, PatchedBundle, staff_translations
from admin.forms import (
    CHANGE_STATUS_FORM,
    CLAIM_FORM,
    EXPORT_LEADS_FORM,
    OFFER_OUTCOME_FORM,
    REVEAL_CONTACT_FORM,
    WITHDRAW_CONSENT_FORM,
    StaffForms,
    build_form_schemas,
    build_forms,
)
from admin.gate import DashboardPage, FormSchemaSource, RoleGate
from admin.login_guard import InMemoryLoginFailures, LoginFailures, LoginGuard
from admin.policy import (
    ADMINS,
    ALL_ROLES,
    MANAGERS,
    NOBODY,
    AdminPolicy,
    FormRule,
    LinkRule,
    TableRule,
)
from admin.row_checks import checks_for
from admin.slots_form import (
    ADD_SLOTS_FORM,
    AddSlotsFormSchema,
    AddSlotsUseCases,
    build_add_slots_form,
)
from admin.staff_access_form import (
    STAFF_ACCESS_FORM,
    StaffAccessFormSchema,
    StaffAccessUseCases,
    build_staff_access_form,
)
from admin.subject_access_form import (
    SUBJECT_ACCESS_FORM,
    SubjectAccess,
    build_subject_access_form,
)
from admin.table_schemas import TableSchemas, column_titles, table_title
from admin.validators import guard_form, table_validators
from admin.write_errors import ReadableWriteErrors
from domain.models import StaffRole
from domain.staff_ports import StaffDirectory
from tables.core.tables import (
    AppointmentTable,
    ConsentRecordTable,
    ServiceTable,
    SlotTable,
)
from tables.crm.tables import (
    LeadTable,
    LeadTimelineEventTable,
    WaitlistOfferTable,
    WaitlistRequestTable,
)
from tables.payments.tables import PaymentTable
from tables.staff.accounts import StaffUser
from tables.staff.tables import (
    ContactAccessLogTable,
    ScheduleChangeTable,
    StaffAccessChangeTable,
    StaffRoleTable,
)

SITE_NAME = "Эмоциональный баланс"


@dataclass(frozen=True, slots=True)
class AdminConfig:
    allowed_hosts: tuple[str, ...] = ()
    production: bool = False
    session_expiry: timedelta = timedelta(hours=1)
    max_session_expiry: timedelta = timedelta(hours=10)
    increase_expiry: timedelta = timedelta(minutes=20)
    # Login attempts per client IP within the window, then blocked for ``login_block``.
    login_attempts: int = 10
    login_window: timedelta = timedelta(minutes=5)
    login_block: timedelta = timedelta(minutes=15)
    # Failed logins per username (from any client) within the window; more are refused.
    username_login_failures: int = 10
    username_login_window: timedelta = timedelta(minutes=15)
    page_size: int = 25
    export_max_rows: int = 100_000


def _names(*columns: Any) -> tuple[str, ...]:
    return tuple(column._meta.name for column in columns)


W, L, A, C, P = (
    WaitlistRequestTable,
    LeadTable,
    AppointmentTable,
    ConsentRecordTable,
    PaymentTable,
)
F = WaitlistOfferTable
T, S, R, U, X, Y, Z = (
    LeadTimelineEventTable,
    ServiceTable,
    SlotTable,
    StaffRoleTable,
    ContactAccessLogTable,
    StaffAccessChangeTable,
    ScheduleChangeTable,
)
# The columns the admin API may return; everything else (ciphertext, blind indexes,
# idempotence keys, confirmation tokens) never leaves the server.
WAITLIST_FIELDS = _names(
    W.id,
    W.created_at,
    W.service,
    W.status,
    W.status_reason,
    W.preferred_contact_method,
    W.preferred_time_window,
    W.assignee,
    W.assigned_at,
    W.lead,
    W.updated_at,
)
LEAD_FIELDS = _names(
    L.id,
    L.contact_method,
    L.source,
    L.status,
    L.first_activity_at,
    L.last_activity_at,
)
APPOINTMENT_FIELDS = _names(
    A.id, A.slot, A.service, A.status, A.hold_expires_at, A.created_at, A.updated_at
)
CONSENT_FIELDS = _names(
    C.id,
    C.subject_type,
    C.subject_id,
    C.kind,
    C.text_version,
    C.channel,
    C.granted_at,
    C.withdrawn_at,
)
PAYMENT_FIELDS = _names(
    P.id,
    P.appointment_id,
    P.status,
    P.kind,
    P.amount,
    P.currency,
    P.provider,
    P.provider_payment_id,
    P.cancellation_reason,
    P.refund_reason,
    P.provider_refund_id,
    P.refunded_at,
    P.created_at,
    P.updated_at,
)
USER_FIELDS = _names(
    BaseUser.id,
    BaseUser.username,
    BaseUser.email,
    BaseUser.active,
    BaseUser.admin,
    BaseUser.superuser,
    BaseUser.last_login,
)

# Operators see who their colleagues are, not their emails or account flags.
OPERATOR_USER_FIELDS = _names(BaseUser.id, BaseUser.username)

# In the order of the menu: the queue first.
TABLE_RULES: tuple[TableRule, ...] = (
    TableRule("waitlist_requests", read=ALL_ROLES, write=NOBODY, api_fields=WAITLIST_FIELDS),
    # Written by the worker, the offer link and the offer outcome form only.
    TableRule("waitlist_offers", read=ALL_ROLES, write=NOBODY),
    TableRule("appointments", read=ALL_ROLES, write=NOBODY, api_fields=APPOINTMENT_FIELDS),
    TableRule("payments", read=ALL_ROLES, write=NOBODY, api_fields=PAYMENT_FIELDS),
    TableRule("leads", read=ALL_ROLES, write=NOBODY, api_fields=LEAD_FIELDS),
    TableRule("lead_timeline_events", read=ALL_ROLES, write=NOBODY),
    TableRule("consent_records", read=ALL_ROLES, write=NOBODY, api_fields=CONSENT_FIELDS),
    TableRule("services", read=ALL_ROLES, write=ADMINS),
    TableRule("slots", read=ALL_ROLES, write=ADMINS),
    # Append-only: written by the form ``Добавить окна``, never edited.
    TableRule("schedule_changes", read=ADMINS, write=NOBODY),
    # Roles change only through the staff access form: admins only, audited, never the last admin.
    TableRule("staff_roles", read=ADMINS, write=NOBODY),
    TableRule(
        "piccolo_user",
        read=ALL_ROLES,
        write=NOBODY,
        api_fields=USER_FIELDS,
        fields_by_role={StaffRole.OPERATOR: OPERATOR_USER_FIELDS},
    ),
    TableRule("contact_access_log", read=ADMINS, write=NOBODY),
    # Append-only: written by the staff access form and ``create-staff``, never edited.
    TableRule("staff_access_changes", read=ADMINS, write=NOBODY),
)


def _valid_role(value: Any) -> None:
    if value not in {role.value for role in StaffRole}:
        raise HTTPException(status_code=422, detail="Роль: operator, manager или admin.")


async def _check_role_on_save(row: StaffRoleTable) -> StaffRoleTable:
    _valid_role(row.role)
    return row


async def _check_role_on_patch(row_id: Any, values: dict[str, Any]) -> dict[str, Any]:
    if "role" in values:
        _valid_role(values["role"])
    return values


def table_configs() -> list[TableConfig]:
    """Every table as staff work with it.

    Lists show what a person reads (dates, the service's title, Russian labels, usernames),
    not ids: the primary key is not listed, so a row opens from its first column
    (``link_column``, never a foreign key). The queue lists the oldest request first. Every
    listed column and filter is among the table's ``api_fields`` (else the gate blanks it).
    Column titles are the columns' ``verbose_name`` (see ``admin.table_schemas``).
    """

    def view(
        table: Any,
        columns: Sequence[Any],
        *,
        filters: Sequence[Any],
        order: OrderBy,
        group: str,
        **kwargs: Any,
    ) -> TableConfig:
        return TableConfig(
            table_class=table,
            visible_columns=list(columns),
            visible_filters=list(filters),
            link_column=columns[0],
            order_by=[order],
            menu_group=group,
            # Times to the minute in edit screens and filters, as staff think of them.
            time_resolution={
                column: 60
                for column in table._meta.columns
                if isinstance(column, Timestamp | Timestamptz)
            },
            **kwargs,
        )

    return [
        view(
            WaitlistRequestTable,
            [
                W.created_at,
                W.service,
                W.preferred_time_window,
                W.preferred_contact_method,
                W.status,
                W.status_reason,
                W.assignee,
            ],
            filters=[
                W.status,
                W.service,
                W.preferred_time_window,
                W.preferred_contact_method,
                W.assignee,
                W.created_at,
            ],
            order=OrderBy(W.created_at, ascending=True),
            group="Очередь заявок",
        ),
        # Which slot each request was offered (phone and Telegram offers wait for staff).
        view(
            F,
            [
                F.offered_at,
                F.waitlist_request,
                F.slot,
                F.channel,
                F.status,
                F.expires_at,
                F.appointment,
                F.staff_user,
            ],
            filters=[F.status, F.channel, F.waitlist_request, F.offered_at],
            order=OrderBy(F.offered_at, ascending=False),
            group="Очередь заявок",
        ),
        view(
            PaymentTable,
            [
                P.created_at,
                P.appointment_id,
                P.kind,
                P.amount,
                P.status,
                P.cancellation_reason,
                P.refund_reason,
                P.refunded_at,
            ],
            filters=[P.status, P.refund_reason, P.kind, P.appointment_id, P.created_at],
            order=OrderBy(P.created_at, ascending=False),
            group="Записи и оплаты",
        ),
        view(
            AppointmentTable,
            [A.created_at, A.service, A.slot, A.status, A.hold_expires_at],
            filters=[A.status, A.service, A.created_at],
            order=OrderBy(A.created_at, ascending=False),
            group="Записи и оплаты",
        ),
        view(
            LeadTable,
            [L.first_activity_at, L.last_activity_at, L.source, L.contact_method, L.status],
            filters=[L.status, L.source, L.contact_method, L.first_activity_at],
            order=OrderBy(L.last_activity_at, ascending=False),
            group="Лиды",
        ),
        view(
            LeadTimelineEventTable,
            [T.occurred_at, T.type, T.waitlist_request, T.waitlist_status, T.outcome, T.staff_user],
            filters=[T.lead, T.type, T.staff_user, T.occurred_at],
            order=OrderBy(T.occurred_at, ascending=False),
            group="Лиды",
        ),
        view(
            ConsentRecordTable,
            [C.granted_at, C.subject_type, C.kind, C.channel, C.text_version, C.withdrawn_at],
            filters=[C.subject_id, C.subject_type, C.kind, C.channel],
            order=OrderBy(C.granted_at, ascending=False),
            group="Лиды",
        ),
        view(
            ServiceTable,
            [S.title, S.slug, S.duration_minutes, S.price, S.deposit, S.active],
            filters=[S.active],
            order=OrderBy(S.title),
            group="Услуги и расписание",
        ),
        view(
            SlotTable,
            [R.starts_at, R.ends_at, R.service, R.status],
            filters=[R.service, R.status, R.starts_at],
            order=OrderBy(R.starts_at, ascending=True),
            group="Услуги и расписание",
        ),
        view(
            ScheduleChangeTable,
            [
                Z.occurred_at,
                Z.actor,
                Z.kind,
                Z.service,
                Z.date_from,
                Z.date_to,
                Z.weekdays,
                Z.start_times,
                Z.created_count,
                Z.existing_count,
            ],
            filters=[Z.service, Z.actor, Z.kind, Z.occurred_at],
            order=OrderBy(Z.occurred_at, ascending=False),
            group="Услуги и расписание",
        ),
        view(
            StaffRoleTable,
            [U._meta.primary_key, U.user, U.role, U.updated_at],
            filters=[U.role],
            order=OrderBy(U._meta.primary_key),
            group="Сотрудники",
            hooks=[
                Hook(HookType.pre_save, _check_role_on_save),
                Hook(HookType.pre_patch, _check_role_on_patch),
            ],
        ),
        # The auth table itself, so Piccolo keeps its superuser-only writes on it.
        view(
            StaffUser,
            [
                StaffUser.username,
                StaffUser.email,
                StaffUser.active,
                StaffUser.admin,
                StaffUser.superuser,
                StaffUser.last_login,
            ],
            filters=[StaffUser.username, StaffUser.active],
            order=OrderBy(StaffUser.username),
            group="Сотрудники",
        ),
        view(
            ContactAccessLogTable,
            [
                X.occurred_at,
                X.staff_user,
                X.action,
                X.reason,
                X.waitlist_request_id,
                X.lead_id,
                X.row_count,
            ],
            filters=[X.staff_user, X.action, X.reason, X.occurred_at],
            order=OrderBy(X.occurred_at, ascending=False),
            group="Сотрудники",
        ),
        view(
            StaffAccessChangeTable,
            [Y.occurred_at, Y.actor, Y.target_user, Y.field, Y.old_value, Y.new_value],
            filters=[Y.target_user, Y.actor, Y.field, Y.occurred_at],
            order=OrderBy(Y.occurred_at, ascending=False),
            group="Сотрудники",
        ),
    ]


# Who may use each form, by its exact name; a form missing here is nobody's (fail closed).
FORM_ROLES: dict[str, frozenset[StaffRole]] = {
    CLAIM_FORM: ALL_ROLES,
    CHANGE_STATUS_FORM: ALL_ROLES,
    REVEAL_CONTACT_FORM: ALL_ROLES,
    WITHDRAW_CONSENT_FORM: ALL_ROLES,
    OFFER_OUTCOME_FORM: ALL_ROLES,
    EXPORT_LEADS_FORM: MANAGERS,
    STAFF_ACCESS_FORM: ADMINS,
    SUBJECT_ACCESS_FORM: MANAGERS,
    ADD_SLOTS_FORM: ADMINS,
}
DASHBOARD_URL = "/admin/dashboard/"
LINKS = (LinkRule("Панель руководителя", DASHBOARD_URL, MANAGERS),)


def build_policy(forms: Sequence[FormConfig], tables: Sequence[TableConfig]) -> AdminPolicy:
    form_rules = {
        form.slug: FormRule(form.name, FORM_ROLES.get(form.name, NOBODY), form.description)
        for form in forms
    }
    groups = {
        config.table_class._meta.tablename: config.menu_group
        for config in tables
        if config.menu_group
    }
    groups.update({form.slug: form.form_group for form in forms if form.form_group})
    return AdminPolicy(
        {rule.tablename: rule for rule in TABLE_RULES}, form_rules, groups, links=LINKS
    )


def bundle_labels(tables: Sequence[type[Table]]) -> dict[str, object]:
    """What the patched bundle names tables and columns by, and the time zone it shows."""
    return {
        "tables": {table._meta.tablename: table_title(table._meta.tablename) for table in tables},
        "columns": {table._meta.tablename: column_titles(table) for table in tables},
        "timezone": TIMEZONE,
    }


def build_admin(
    config: AdminConfig,
    *,
    forms: StaffForms,
    staff: StaffDirectory,
    schemas: Sequence[FormSchemaSource] = (),
    staff_access: StaffAccessUseCases | None = None,
    subject_access: SubjectAccess | None = None,
    dashboard: DashboardPage | None = None,
    login_failures: LoginFailures | None = None,
    add_slots: AddSlotsUseCases | None = None,
) -> LoginGuard:
    """The whole staff admin as one ASGI app (mount it at ``/admin/``).

    ``login_failures`` counts failed logins per username; by default in this process only
    (several processes share one through Redis: ``composition.web``).
    """
    form_configs = build_forms(forms)
    # The queue's forms with the requests each staff member may pick (``admin.forms``).
    schemas = (build_form_schemas(forms), *schemas)
    if staff_access is not None:
        form_configs.append(build_staff_access_form(staff_access))
        schemas = (*schemas, StaffAccessFormSchema(staff_access))
    if subject_access is not None:
        form_configs.append(build_subject_access_form(subject_access))
    if add_slots is not None:
        form_configs.append(build_add_slots_form(add_slots))
        schemas = (*schemas, AddSlotsFormSchema(add_slots))
    tables = table_configs()
    policy = build_policy(form_configs, tables)
    # The same rules again inside Piccolo, for anything that got past the gate; and for the
    # tables some role may edit, the rows it may leave (``admin.row_checks``).
    for table in tables:
        name = table.table_class._meta.tablename
        rule = policy.table(name)
        checks = checks_for(table.table_class) if rule is not None and rule.write else None
        table.validators = table_validators(policy, staff, name, checks)
    for form in form_configs:
        guard_form(policy, staff, form)
    # Explicit, so a blocked client is let in again after ``login_block`` (Piccolo's default
    # limiter blocks until the process restarts).
    limiter = InMemoryLimitProvider(
        timespan=int(config.login_window.total_seconds()),
        limit=config.login_attempts,
        block_duration=int(config.login_block.total_seconds()),
    )
    admin: Any = create_admin(
        tables=tables,
        forms=form_configs,
        auth_table=StaffUser,  # staff password length; PBKDF2 off the event loop
        session_table=SessionsBase,
        session_expiry=config.session_expiry,
        max_session_expiry=config.max_session_expiry,
        increase_expiry=config.increase_expiry,
        page_size=config.page_size,
        rate_limit_provider=limiter,
        production=config.production,
        site_name=SITE_NAME,
        default_language_code="ru",
        translations=staff_translations(),  # Piccolo's Russian, with the words it lacks
        auto_include_related=False,
        allowed_hosts=list(config.allowed_hosts),
        # Every link; the gate answers ``/api/links/`` with those the role may open.
        sidebar_links={link.label: link.url for link in LINKS},
    )
    table_classes = [table.table_class for table in tables]
    # Piccolo's table schemas with our Russian titles, without secret columns, read-only or not.
    admin = TableSchemas(admin, table_classes)
    # A refused table write: 422, in Russian, by column title.
    admin = ReadableWriteErrors(admin, table_classes)
    # Russian table names, Moscow times, drop-downs in forms, nothing a role may not do.
    admin = PatchedBundle(admin, labels=bundle_labels(table_classes))
    gate = RoleGate(admin, policy=policy, staff=staff, schemas=schemas, dashboard=dashboard)
    failures = login_failures or InMemoryLoginFailures(
        limit=config.username_login_failures, window=config.username_login_window
    )
    return LoginGuard(gate, failures=failures, client_limiter=limiter)
