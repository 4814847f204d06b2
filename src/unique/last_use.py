"""Last-use recording, coalesced: a hot key costs about one database write per flush interval.

Authenticated requests only note ``(key, time, address)`` in memory; a background task writes the
latest use of each key once per interval, and the remaining notes are written on shutdown. A write
never moves ``last_used_at`` backwards, so nodes flushing in any order agree on the latest use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, and_, bindparam, or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from unique import metrics
from unique.db.tables import ApiKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LastUse:
    at: datetime
    address: str


_table = ApiKey.__table__
assert isinstance(_table, Table)
# Only a later use, or another address within the same second, changes the row: the workers of
# a node (and the nodes) flush on their own clocks, and a hot key would otherwise be rewritten
# with the very same values by each of them.
_WRITE_LATEST_USE = (
    update(_table)
    .where(
        _table.c.id == bindparam("key_id"),
        or_(
            _table.c.last_used_at.is_(None),
            _table.c.last_used_at < bindparam("used_at"),
            and_(
                _table.c.last_used_at == bindparam("used_at"),
                _table.c.last_used_from_addr != bindparam("address"),
            ),
        ),
    )
    .values(last_used_at=bindparam("used_at"), last_used_from_addr=bindparam("address"))
)


class LastUseRecorder:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], flush_seconds: float = 1.0
    ) -> None:
        self._sessions = sessions
        self._flush_seconds = flush_seconds
        self._pending: dict[int, LastUse] = {}
        self._task: asyncio.Task[None] | None = None
        self.writes = 0
        metrics.last_use_pending.set_function(lambda: len(self._pending))

    def note(self, key_id: int, use: LastUse) -> None:
        current = self._pending.get(key_id)
        if current is None or current.at <= use.at:
            self._pending[key_id] = use

    def take(self, key_id: int) -> LastUse | None:
        """Remove and return a key's unwritten use, for a caller about to write it itself."""
        return self._pending.pop(key_id, None)

    async def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        params = [
            {"key_id": key_id, "used_at": use.at, "address": use.address}
            for key_id, use in batch.items()
        ]
        oldest = min(use.at for use in batch.values())
        try:
            async with self._sessions.begin() as session:
                await session.execute(_WRITE_LATEST_USE, params)
            self.writes += len(params)
            metrics.last_use_writes.inc(len(params))
            metrics.last_use_flush_lag.set(max(0.0, time.time() - oldest.timestamp()))
        except Exception:
            log.exception("could not write last use of %d keys; will retry", len(batch))
            for key_id, use in batch.items():
                self.note(key_id, use)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="last-use-flusher")

    async def stop(self) -> None:
        """Stop the periodic writer and write what is still pending."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
