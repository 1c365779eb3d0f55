"""Piccolo Admin for the staff, built once at start-up and mounted at ``/admin/``.

``build_admin`` returns one ASGI app: Piccolo Admin (Russian UI, CSRF, session login with an
explicit limiter that blocks for a bounded time, expiring sessions, secure cookies in
production) behind the :class:`admin.gate.RoleGate`, and that behind the
:class:`admin.login_guard.LoginGuard` (the per-username login limit and the failed-login log).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from piccolo.apps.user.tables import BaseUser
from piccolo_admin.endpoints import FormConfig, TableConfig, create_admin
from piccolo_api.crud.endpoints import OrderBy
from piccolo_api.crud.hooks import Hook, HookType
from piccolo_api.rate_limiting.middleware import InMemoryLimitProvider
from piccolo_api.session_auth.tables import SessionsBase
from starlette.exceptions import HTTPException

from admin.form_screen import FormScreenWithChoices
from admin.forms import (
    CHANGE_STATUS_FORM,
    CLAIM_FORM,
    EXPORT_LEADS_FORM,
    REVEAL_CONTACT_FORM,
    StaffForms,
    build_form_schemas,
    build_forms,
)
from admin.gate import DashboardPage, FormSchemaSource, RoleGate
from admin.login_guard import InMemoryLoginFailures, LoginGuard
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
from admin.validators import guard_form, table_validators
from domain.models import StaffRole
from domain.staff_ports import StaffDirectory
from tables.core.tables import (
    AppointmentTable,
    ConsentRecordTable,
    ServiceTable,
    SlotTable,
)
from tables.crm.tables import LeadTable, LeadTimelineEventTable, WaitlistRequestTable
from tables.payments.tables import PaymentTable
from tables.staff.accounts import StaffUser
from tables.staff.tables import ContactAccessLogTable, StaffRoleTable

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


def _columns(table: Any, names: Sequence[str]) -> list[Any]:
    return [table._meta.get_column_by_name(name) for name in names]


W, L, A, C, P = (
    WaitlistRequestTable,
    LeadTable,
    AppointmentTable,
    ConsentRecordTable,
    PaymentTable,
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

TABLE_RULES: tuple[TableRule, ...] = (
    TableRule("waitlist_requests", read=ALL_ROLES, write=NOBODY, api_fields=WAITLIST_FIELDS),
    TableRule("payments", read=ALL_ROLES, write=NOBODY, api_fields=PAYMENT_FIELDS),
    TableRule("appointments", read=ALL_ROLES, write=NOBODY, api_fields=APPOINTMENT_FIELDS),
    TableRule("leads", read=ALL_ROLES, write=NOBODY, api_fields=LEAD_FIELDS),
    TableRule("lead_timeline_events", read=ALL_ROLES, write=NOBODY),
    TableRule("consent_records", read=ALL_ROLES, write=NOBODY, api_fields=CONSENT_FIELDS),
    TableRule("services", read=ALL_ROLES, write=ADMINS),
    TableRule("slots", read=ALL_ROLES, write=ADMINS),
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
    def readonly(table: Any, fields: Sequence[str], **kwargs: Any) -> TableConfig:
        return TableConfig(
            table_class=table,
            visible_columns=_columns(table, fields),
            visible_filters=kwargs.pop("filters", None),
            **kwargs,
        )

    return [
        readonly(
            WaitlistRequestTable,
            WAITLIST_FIELDS,
            filters=[W.status, W.service, W.assignee, W.preferred_contact_method],
            order_by=[OrderBy(W.created_at, ascending=True)],
            menu_group="Очередь заявок",
        ),
        readonly(
            PaymentTable,
            PAYMENT_FIELDS,
            filters=[P.status, P.kind, P.appointment_id],
            order_by=[OrderBy(P.created_at, ascending=False)],
            menu_group="Записи и оплаты",
        ),
        readonly(
            AppointmentTable,
            APPOINTMENT_FIELDS,
            filters=[A.status, A.service],
            order_by=[OrderBy(A.created_at, ascending=False)],
            menu_group="Записи и оплаты",
        ),
        readonly(
            LeadTable,
            LEAD_FIELDS,
            filters=[L.status, L.source, L.contact_method],
            order_by=[OrderBy(L.last_activity_at, ascending=False)],
            menu_group="Лиды",
        ),
        TableConfig(
            LeadTimelineEventTable,
            visible_filters=[LeadTimelineEventTable.lead, LeadTimelineEventTable.type],
            order_by=[OrderBy(LeadTimelineEventTable.occurred_at, ascending=False)],
            menu_group="Лиды",
        ),
        readonly(
            ConsentRecordTable,
            CONSENT_FIELDS,
            filters=[C.subject_id, C.kind],
            order_by=[OrderBy(C.granted_at, ascending=False)],
            menu_group="Лиды",
        ),
        TableConfig(ServiceTable, menu_group="Услуги и расписание"),
        TableConfig(
            SlotTable,
            order_by=[OrderBy(SlotTable.starts_at, ascending=True)],
            menu_group="Услуги и расписание",
        ),
        TableConfig(
            StaffRoleTable,
            hooks=[
                Hook(HookType.pre_save, _check_role_on_save),
                Hook(HookType.pre_patch, _check_role_on_patch),
            ],
            menu_group="Сотрудники",
        ),
        # The auth table itself, so Piccolo keeps its superuser-only writes on it.
        readonly(StaffUser, USER_FIELDS, menu_group="Сотрудники"),
        TableConfig(
            ContactAccessLogTable,
            order_by=[OrderBy(ContactAccessLogTable.occurred_at, ascending=False)],
            menu_group="Сотрудники",
        ),
    ]


# Who may use each form, by its exact name; a form missing here is nobody's (fail closed).
FORM_ROLES: dict[str, frozenset[StaffRole]] = {
    CLAIM_FORM: ALL_ROLES,
    CHANGE_STATUS_FORM: ALL_ROLES,
    REVEAL_CONTACT_FORM: ALL_ROLES,
    EXPORT_LEADS_FORM: MANAGERS,
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


def build_admin(
    config: AdminConfig,
    *,
    forms: StaffForms,
    staff: StaffDirectory,
    schemas: FormSchemaSource | None = None,
    dashboard: DashboardPage | None = None,
) -> LoginGuard:
    """The whole staff admin as one ASGI app (mount it at ``/admin/``)."""
    form_configs = build_forms(forms)
    if schemas is None:  # the queue's forms, with the requests each member may pick
        schemas = build_form_schemas(forms)
    tables = table_configs()
    policy = build_policy(form_configs, tables)
    # The same rules again inside Piccolo, for anything that got past the gate.
    for table in tables:
        table.validators = table_validators(policy, staff, table.table_class._meta.tablename)
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
        auto_include_related=False,
        allowed_hosts=list(config.allowed_hosts),
        # Every link; the gate answers ``/api/links/`` with those the role may open.
        sidebar_links={link.label: link.url for link in LINKS},
    )
    # The form screen draws ``extra.choices`` as drop-downs (``admin.form_screen``).
    admin = FormScreenWithChoices(admin)
    gate = RoleGate(admin, policy=policy, staff=staff, schemas=schemas, dashboard=dashboard)
    failures = InMemoryLoginFailures(
        limit=config.username_login_failures, window=config.username_login_window
    )
    return LoginGuard(gate, failures=failures, client_limiter=limiter)
