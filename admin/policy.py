"""Who may see and change what in the admin: one table of rules, enforced by the gate.

Piccolo Admin's table views are generic, so the rules live here rather than in the UI: a
table a role may not read is absent from its menu *and* answers 403; a read-only table
answers only GET; the API never returns columns outside ``api_fields`` (no ciphertext, no
blind index, no provider secrets), whatever the query asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.models import StaffRole

ALL_ROLES = frozenset(StaffRole)
MANAGERS = frozenset({StaffRole.MANAGER, StaffRole.ADMIN})
ADMINS = frozenset({StaffRole.ADMIN})
NOBODY: frozenset[StaffRole] = frozenset()


@dataclass(frozen=True, slots=True)
class TableRule:
    tablename: str
    read: frozenset[StaffRole]
    write: frozenset[StaffRole]
    api_fields: tuple[str, ...] | None = None  # None: every column (none of them sensitive)
    # Narrower columns for some roles (operators see no other staff member's email or flags).
    fields_by_role: Mapping[StaffRole, tuple[str, ...]] = field(default_factory=dict)

    def api_fields_for(self, role: StaffRole) -> tuple[str, ...] | None:
        return self.fields_by_role.get(role, self.api_fields)

    def may_read(self, role: StaffRole | None) -> bool:
        return role is not None and (role in self.read or role in self.write)

    def may_write(self, role: StaffRole | None) -> bool:
        return role is not None and role in self.write


@dataclass(frozen=True, slots=True)
class FormRule:
    name: str
    roles: frozenset[StaffRole]
    description: str | None = None


@dataclass(frozen=True, slots=True)
class LinkRule:
    """A link in the admin's sidebar, shown only to the roles that may open it."""

    label: str
    url: str
    roles: frozenset[StaffRole]


class AdminPolicy:
    def __init__(
        self,
        tables: Mapping[str, TableRule],
        forms: Mapping[str, FormRule],
        groups: Mapping[str, str] | None = None,
        links: tuple[LinkRule, ...] = (),
    ) -> None:
        self.tables = dict(tables)
        self.forms = dict(forms)  # by slug
        self.groups = dict(groups or {})  # menu group by table name or form slug
        self.links = links

    def table(self, tablename: str) -> TableRule | None:
        return self.tables.get(tablename)

    def readable_tables(self, role: StaffRole | None) -> list[str]:
        """In the order the rules are declared: the menu lists the queue first."""
        return [name for name, rule in self.tables.items() if rule.may_read(role)]

    def may_use_form(self, role: StaffRole | None, slug: str) -> bool:
        rule = self.forms.get(slug)
        return rule is not None and role is not None and role in rule.roles

    def links_for(self, role: StaffRole | None) -> dict[str, str]:
        """Piccolo Admin's sidebar links (label -> URL) this role may open."""
        return {link.label: link.url for link in self.links if role in link.roles}

    def grouped(self, items: list[tuple[str, object]]) -> dict[str, object]:
        """Piccolo Admin's grouped menu shape: ``{"grouped": {...}, "ungrouped": [...]}``.

        Groups come in the order of their first item, so the menu reads as declared.
        """
        grouped: dict[str, list[object]] = {}
        ungrouped: list[object] = []
        for key, item in items:
            group = self.groups.get(key)
            if group is None:
                ungrouped.append(item)
            else:
                grouped.setdefault(group, []).append(item)
        return {"grouped": grouped, "ungrouped": ungrouped}
