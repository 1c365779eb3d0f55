"""Staff access over HTTP and in the database: only admins, never the last admin, all audited."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import anyio
import pytest
from piccolo.apps.user.tables import BaseUser
from piccolo.querystring import QueryString

from domain.models import StaffRole
from domain.use_cases.change_staff_access import ChangeStaffAccessCommand
from tables.database import is_sqlite
from tables.staff.tables import ContactAccessLogTable, StaffAccessChangeTable, StaffRoleTable
from tests.support.admin_world import AdminWorld, csrf, logged_in, make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]

FORM = "/admin/api/forms/изменить-доступ-сотрудника/"


@pytest.fixture
async def world(db: object) -> AdminWorld:
    return await make_world()


async def roles() -> dict[int, str]:
    rows = await StaffRoleTable.select(StaffRoleTable.user, StaffRoleTable.role)
    return {row["user"]: row["role"] for row in rows}


async def audit(*, by_admin: bool = True) -> list[dict[str, Any]]:
    """The audit rows of changes made in the admin (or, else, on the command line)."""
    made_by = StaffAccessChangeTable.actor.is_not_null()
    return (
        await StaffAccessChangeTable.select(
            StaffAccessChangeTable.actor,
            StaffAccessChangeTable.target_user,
            StaffAccessChangeTable.field,
            StaffAccessChangeTable.old_value,
            StaffAccessChangeTable.new_value,
        )
        .where(made_by if by_admin else StaffAccessChangeTable.actor.is_null())
        .order_by(StaffAccessChangeTable.field, StaffAccessChangeTable.target_user)
    )


async def test_accounts_created_on_the_command_line_have_their_role_audited(
    world: AdminWorld,
) -> None:
    assert await audit(by_admin=False) == [
        {
            "actor": None,
            "target_user": world.users[role],
            "field": "role",
            "old_value": None,
            "new_value": role,
        }
        for role in ("operator", "manager", "admin")
    ]


async def test_an_admin_picks_a_colleague_from_a_list_and_changes_their_role(
    world: AdminWorld,
) -> None:
    operator = world.users["operator"]
    async with logged_in(world, "admin") as client:
        schema = (await client.get(f"{FORM}schema/")).json()
        picked = await client.post(
            FORM,
            json={"staff_user_id": operator, "role": "manager", "active": True},
            headers=csrf(client),
        )
    choices = schema["properties"]["staff_user_id"]["extra"]["choices"]
    labels = {c["value"]: c["display_name"] for c in choices.values()}
    assert labels[operator] == "operator · оператор"
    assert labels[world.users["none"]] == "none · без роли"
    assert "@" not in str(schema)  # no emails in the pick list
    assert picked.status_code == 200, picked.text
    assert "записан в журнал" in picked.json()["custom_form_success"]
    assert (await roles())[operator] == "manager"
    assert await audit() == [
        {
            "actor": world.users["admin"],
            "target_user": operator,
            "field": "role",
            "old_value": "operator",
            "new_value": "manager",
        }
    ]


@pytest.mark.parametrize("role", ["operator", "manager"])
async def test_other_roles_neither_see_nor_use_the_access_form(
    world: AdminWorld, role: str
) -> None:
    async with logged_in(world, role) as client:
        forms = (await client.get("/admin/api/forms/")).json()
        schema = await client.get(f"{FORM}schema/")
        raised = await client.post(
            FORM,
            json={"staff_user_id": world.users[role], "role": "admin", "active": True},
            headers=csrf(client),
        )
    assert "Изменить доступ сотрудника" not in {f["name"] for f in forms}
    assert schema.status_code == 403
    assert raised.status_code == 403
    assert (await roles())[world.users[role]] == role
    assert await audit() == []


@pytest.mark.parametrize(
    "body", [{"role": "manager", "active": True}, {"role": "admin", "active": False}]
)
async def test_the_last_admin_cannot_demote_or_deactivate_themselves(
    world: AdminWorld, body: dict[str, Any]
) -> None:
    admin = world.users["admin"]
    async with logged_in(world, "admin") as client:
        refused = await client.post(
            FORM, json={"staff_user_id": admin, **body}, headers=csrf(client)
        )
    assert refused.status_code == 422
    assert "последний активный администратор" in refused.json()["custom_form_error"]
    assert (await roles())[admin] == "admin"
    assert (await BaseUser.select(BaseUser.active).where(BaseUser.id == admin))[0]["active"]
    assert await audit() == []


async def test_a_deactivated_colleague_can_no_longer_use_the_admin(world: AdminWorld) -> None:
    async with logged_in(world, "manager") as manager:
        assert (await manager.get("/admin/api/tables/")).status_code == 200
        async with logged_in(world, "admin") as admin:
            done = await admin.post(
                FORM,
                json={"staff_user_id": world.users["manager"], "role": "manager", "active": False},
                headers=csrf(admin),
            )
        assert done.status_code == 200, done.text
        assert (await manager.get("/admin/api/tables/")).status_code == 401
    assert await audit() == [
        {
            "actor": world.users["admin"],
            "target_user": world.users["manager"],
            "field": "active",
            "old_value": "true",
            "new_value": "false",
        }
    ]


async def test_empty_picks_are_refused_in_russian(world: AdminWorld) -> None:
    async with logged_in(world, "admin") as client:
        no_one = await client.post(
            FORM, json={"staff_user_id": "", "role": "manager"}, headers=csrf(client)
        )
        no_role = await client.post(
            FORM, json={"staff_user_id": world.users["operator"], "role": ""}, headers=csrf(client)
        )
    assert no_one.json()["custom_form_error"] == "Выберите сотрудника из списка."
    assert no_role.json()["custom_form_error"] == "Выберите роль."


@pytest.mark.postgres
async def test_postgres_refuses_to_rewrite_or_empty_the_staff_audits(world: AdminWorld) -> None:
    container = world.container
    await container.staff_access.change.execute(
        ChangeStaffAccessCommand(
            actor_user_id=world.users["admin"],
            target_user_id=world.users["operator"],
            role=StaffRole.MANAGER,
        )
    )
    await ContactAccessLogTable.insert(
        ContactAccessLogTable(
            id=uuid4(), staff_user=world.users["admin"], action="contact_reveal", reason="reporting"
        )
    )
    engine = StaffAccessChangeTable._meta.db
    assert not is_sqlite(engine)
    for table in ("staff_access_changes", "contact_access_log"):
        for statement in (
            f"UPDATE {table} SET occurred_at = now()",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
        ):
            with pytest.raises(Exception, match="append-only"):
                await engine.run_querystring(QueryString(statement))
    assert len(await audit()) == 1
    assert await ContactAccessLogTable.count() == 1


@pytest.mark.postgres
async def test_postgres_itself_keeps_an_active_admin(world: AdminWorld) -> None:
    admin = world.users["admin"]
    engine = StaffRoleTable._meta.db
    for statement in (
        f"UPDATE staff_roles SET role = 'manager' WHERE \"user\" = {admin}",
        f'DELETE FROM staff_roles WHERE "user" = {admin}',
        f"UPDATE piccolo_user SET active = false WHERE id = {admin}",
        f"DELETE FROM piccolo_user WHERE id = {admin}",
    ):
        with pytest.raises(Exception, match="last active admin"):
            await engine.run_querystring(QueryString(statement))
    # Not the last one: with a second admin the first may go.
    await StaffRoleTable.update({StaffRoleTable.role: "admin"}).where(
        StaffRoleTable.user == world.users["manager"]
    )
    await engine.run_querystring(
        QueryString(f"UPDATE staff_roles SET role = 'manager' WHERE \"user\" = {admin}")
    )
    assert (await roles())[admin] == "manager"


@pytest.mark.postgres
async def test_two_admins_demoting_each_other_at_once_leave_one_admin(db: object) -> None:
    world = await make_world()
    await StaffRoleTable.update({StaffRoleTable.role: "admin"}).where(
        StaffRoleTable.user == world.users["manager"]
    )
    first, second = world.users["admin"], world.users["manager"]
    change = world.container.staff_access.change
    outcomes: dict[int, str] = {}

    async def demote(actor: int, target: int) -> None:
        try:
            await change.execute(
                ChangeStaffAccessCommand(
                    actor_user_id=actor, target_user_id=target, role=StaffRole.OPERATOR
                )
            )
            outcomes[actor] = "done"
        except Exception as exc:
            outcomes[actor] = type(exc).__name__

    for _ in range(5):
        async with anyio.create_task_group() as group:
            group.start_soon(demote, first, second)
            group.start_soon(demote, second, first)
        current = await roles()
        assert [user for user in (first, second) if current[user] == "admin"] != []
        assert sorted(outcomes.values()) in (
            ["RoleRequired", "done"],
            ["LastAdmin", "done"],
        ), outcomes
        # Both admins again for the next round.
        await StaffRoleTable.update({StaffRoleTable.role: "admin"}).where(
            StaffRoleTable.user.is_in([first, second])
        )
        outcomes.clear()
