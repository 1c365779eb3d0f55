"""Forget Idempotency-Keys past their retention (at least 24 hours)."""

from __future__ import annotations

from domain.ports import Clock, UnitOfWorkFactory


class PurgeIdempotencyKeysUseCase:
    """Deletes expired keys in bounded batches; returns how many were deleted."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, batch_size: int = 500) -> None:
        self._uow = uow
        self._clock = clock
        self._batch_size = batch_size

    async def execute(self) -> int:
        async with self._uow() as uow:
            deleted = await uow.idempotency_keys.purge_expired(self._clock.now(), self._batch_size)
            await uow.commit()
        return deleted
