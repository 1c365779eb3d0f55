"""Changing a staff member's access: only admins, never the last admin, every change audited."""

from __future__ import annotations

import pytest

from domain.errors import LastAdmin, RoleRequired, StaffAccountNotFound
from domain.models import StaffRole
from domain.staff_access import StaffAccessField
from domain.use_cases.change_staff_access import ChangeStaffAccessCommand, ChangeStaffAccessUseCase
from tests.support.fakes import FixedClock
from tests.support.staff_access_fakes import InMemoryStaffAccessUnitOfWork, StaffAccessStore

pytestmark = pytest.mark.anyio

ADMIN, OTHER_ADMIN, MANAGER, OPERATOR, NO_ROLE = 1, 2, 3, 4, 5


@pytest.fixture
def store() -> StaffAccessStore:
    store = StaffAccessStore()
    store.add(ADMIN, "anna", StaffRole.ADMIN)
    store.add(MANAGER, "maria", StaffRole.MANAGER)
    store.add(OPERATOR, "oleg", StaffRole.OPERATOR)
    store.add(NO_ROLE, "newbie", None)
    return store


def use_case(store: StaffAccessStore) -> ChangeStaffAccessUseCase:
    return ChangeStaffAccessUseCase(
        uow=lambda: InMemoryStaffAccessUnitOfWork(store), clock=FixedClock()
    )


async def test_an_admin_promotes_an_operator_and_the_change_is_audited(
    store: StaffAccessStore,
) -> None:
    result = await use_case(store).execute(
        ChangeStaffAccessCommand(
            actor_user_id=ADMIN, target_user_id=OPERATOR, role=StaffRole.MANAGER
        )
    )
    assert store.accounts[OPERATOR].role is StaffRole.MANAGER
    assert result.account.role is StaffRole.MANAGER
    [change] = store.changes
    assert (change.actor_user_id, change.target_user_id, change.field) == (
        ADMIN,
        OPERATOR,
        StaffAccessField.ROLE,
    )
    assert (change.old_value, change.new_value) == ("operator", "manager")
    assert change.occurred_at == FixedClock().now()


async def test_a_role_and_the_active_flag_changed_at_once_write_one_row_each(
    store: StaffAccessStore,
) -> None:
    await use_case(store).execute(
        ChangeStaffAccessCommand(
            actor_user_id=ADMIN, target_user_id=NO_ROLE, role=StaffRole.OPERATOR, active=False
        )
    )
    assert [(c.field, c.old_value, c.new_value) for c in store.changes] == [
        (StaffAccessField.ROLE, None, "operator"),
        (StaffAccessField.ACTIVE, "true", "false"),
    ]


async def test_a_change_to_the_same_value_writes_nothing(store: StaffAccessStore) -> None:
    await use_case(store).execute(
        ChangeStaffAccessCommand(
            actor_user_id=ADMIN, target_user_id=MANAGER, role=StaffRole.MANAGER, active=True
        )
    )
    assert store.changes == []


@pytest.mark.parametrize("actor", [MANAGER, OPERATOR, NO_ROLE, 99])
async def test_nobody_but_an_admin_changes_access(store: StaffAccessStore, actor: int) -> None:
    with pytest.raises(RoleRequired):
        await use_case(store).execute(
            ChangeStaffAccessCommand(
                actor_user_id=actor, target_user_id=actor, role=StaffRole.ADMIN
            )
        )
    assert store.changes == []
    assert (
        store.accounts.get(actor, None) is None or store.accounts[actor].role is not StaffRole.ADMIN
    )


async def test_a_deactivated_admin_changes_nothing(store: StaffAccessStore) -> None:
    store.add(OTHER_ADMIN, "boris", StaffRole.ADMIN, active=False)
    with pytest.raises(RoleRequired):
        await use_case(store).execute(
            ChangeStaffAccessCommand(
                actor_user_id=OTHER_ADMIN, target_user_id=OPERATOR, active=False
            )
        )


@pytest.mark.parametrize(
    ("role", "active"), [(StaffRole.MANAGER, None), (StaffRole.OPERATOR, None), (None, False)]
)
async def test_the_last_active_admin_is_neither_demoted_nor_deactivated(
    store: StaffAccessStore, role: StaffRole | None, active: bool | None
) -> None:
    with pytest.raises(LastAdmin):
        await use_case(store).execute(
            ChangeStaffAccessCommand(
                actor_user_id=ADMIN, target_user_id=ADMIN, role=role, active=active
            )
        )
    assert store.accounts[ADMIN].is_active_admin
    assert store.changes == []


async def test_with_a_second_active_admin_one_may_step_down(store: StaffAccessStore) -> None:
    store.add(OTHER_ADMIN, "boris", StaffRole.ADMIN)
    await use_case(store).execute(
        ChangeStaffAccessCommand(actor_user_id=ADMIN, target_user_id=ADMIN, role=StaffRole.MANAGER)
    )
    assert store.accounts[ADMIN].role is StaffRole.MANAGER
    with pytest.raises(RoleRequired):  # no longer an admin
        await use_case(store).execute(
            ChangeStaffAccessCommand(
                actor_user_id=ADMIN, target_user_id=ADMIN, role=StaffRole.ADMIN
            )
        )
    with pytest.raises(LastAdmin):
        await use_case(store).execute(
            ChangeStaffAccessCommand(
                actor_user_id=OTHER_ADMIN, target_user_id=OTHER_ADMIN, active=False
            )
        )


async def test_an_unknown_account_is_not_found(store: StaffAccessStore) -> None:
    with pytest.raises(StaffAccountNotFound):
        await use_case(store).execute(
            ChangeStaffAccessCommand(
                actor_user_id=ADMIN, target_user_id=404, role=StaffRole.OPERATOR
            )
        )
