"""Re-encrypt every encrypted column under the newest key, in batches, resumably.

Each batch is its own short transaction, and each row is updated only if its ciphertext is
still what was read (compare-and-set), so an interrupted run loses nothing and a run beside
live traffic never overwrites a newer value. Rows already under the newest key are skipped,
so running again continues where the last run stopped.

:func:`sample_undecryptable` is the start-up check (``serve``): a sample of the stored
ciphertexts, the newest and the oldest of every column, must all open with the configured
keys. :func:`count_outdated` tells ``rotate-keys`` whether the old keys are still needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from domain.ports import Encryptor
from tables.database import write_transaction
from tables.encrypted_columns import ENCRYPTED_COLUMNS, EncryptedColumns


@dataclass
class RotationReport:
    rows_seen: int = 0
    values_rotated: int = 0
    values_already_current: int = 0
    undecryptable: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0


ProgressCallback = Callable[[str, int], None]


async def count_rows() -> dict[str, int]:
    return {spec.table._meta.tablename: int(await spec.table.count()) for spec in ENCRYPTED_COLUMNS}


async def rotate_table(
    spec: EncryptedColumns,
    encryptor: Encryptor,
    report: RotationReport,
    *,
    batch_size: int = 500,
    on_batch: ProgressCallback | None = None,
) -> None:
    table = spec.table
    pk = table._meta.primary_key
    name = table._meta.tablename
    last: Any = None
    while True:
        query = table.select(pk, *spec.columns).order_by(pk).limit(batch_size)
        if last is not None:
            query = query.where(pk > last)
        rows = await query
        if not rows:
            return
        async with write_transaction(table._meta.db):
            for row in rows:
                await _rotate_row(spec, row, encryptor, report)
        last = rows[-1][pk._meta.name]
        report.rows_seen += len(rows)
        if on_batch is not None:
            on_batch(name, len(rows))


async def _rotate_row(
    spec: EncryptedColumns, row: dict[str, Any], encryptor: Encryptor, report: RotationReport
) -> None:
    table = spec.table
    pk = table._meta.primary_key
    changes: dict[Any, str] = {}
    condition: Any = pk == row[pk._meta.name]
    for column in spec.columns:
        token = row[column._meta.name]
        if not token:  # nothing stored, or erased (withdrawal, retention): nothing to rotate
            continue
        if encryptor.is_current(token):
            report.values_already_current += 1
            continue
        try:
            changes[column] = encryptor.rotate(token)
        except ValueError:
            key = f"{table._meta.tablename}.{column._meta.name}"
            report.undecryptable[key] = report.undecryptable.get(key, 0) + 1
            continue
        condition = condition & (column == token)
    if not changes:
        return
    updated = await table.update(changes).where(condition).returning(pk)
    if updated:
        report.values_rotated += len(changes)
    else:
        report.conflicts += 1  # changed meanwhile; the next run picks it up


async def rotate_all(
    encryptor: Encryptor, *, batch_size: int = 500, on_batch: ProgressCallback | None = None
) -> RotationReport:
    report = RotationReport()
    for spec in ENCRYPTED_COLUMNS:
        await rotate_table(spec, encryptor, report, batch_size=batch_size, on_batch=on_batch)
    return report


SAMPLE_PER_END = 10  # per column: the ten highest and the ten lowest primary keys


@dataclass(frozen=True)
class KeySample:
    checked: int
    undecryptable: int


async def sample_undecryptable(encryptor: Encryptor, *, per_end: int = SAMPLE_PER_END) -> KeySample:
    """Try to decrypt a sample of every encrypted column; erased (``''``) values are skipped."""
    checked = undecryptable = 0
    for spec in ENCRYPTED_COLUMNS:
        pk = spec.table._meta.primary_key
        for column in spec.columns:
            tokens: set[str] = set()
            for ascending in (False, True):
                rows = (
                    await spec.table.select(column)
                    .where(column.is_not_null() & (column != ""))
                    .order_by(pk, ascending=ascending)
                    .limit(per_end)
                )
                tokens.update(row[column._meta.name] for row in rows)
            for token in tokens:
                checked += 1
                try:
                    encryptor.decrypt(token)
                except ValueError:
                    undecryptable += 1
    return KeySample(checked=checked, undecryptable=undecryptable)


async def count_outdated(encryptor: Encryptor, *, batch_size: int = 500) -> int:
    """How many stored values are not under the newest key (so need another key to open)."""
    outdated = 0
    for spec in ENCRYPTED_COLUMNS:
        table = spec.table
        pk = table._meta.primary_key
        last: Any = None
        while True:
            query = table.select(pk, *spec.columns).order_by(pk).limit(batch_size)
            if last is not None:
                query = query.where(pk > last)
            rows = await query
            if not rows:
                break
            for row in rows:
                for column in spec.columns:
                    token = row[column._meta.name]
                    if token and not encryptor.is_current(token):
                        outdated += 1
            last = rows[-1][pk._meta.name]
    return outdated
