"""Last-use recording, coalesced: a hot key costs about one database write per flush interval.

Authenticated requests only note ``(key, time, address)`` in memory; a background task writes the
latest use of each key once per interval, and the remaining notes are written on shutdown. A write
never moves ``last_used_at`` backwards, so nodes flushing in any order agree on the latest use.

Two kinds of failure are told apart. While the database is unavailable, every noted use is kept
and written when it is back. When the database refuses the batch itself (a value that does not
fit, a constraint), the uses are written one by one: the others are written, the refused one is
logged once and dropped. Retrying it would fail the whole batch every interval, for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, and_, bindparam, or_, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
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
        # The batch being written: until it commits, a reader of the row cannot see it yet.
        self._in_flight: dict[int, LastUse] = {}
        # One flush at a time, so that there is only ever one batch in flight.
        self._flushing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.writes = 0
        metrics.last_use_pending.set_function(lambda: len(self._pending))

    def note(self, key_id: int, use: LastUse) -> None:
        current = self._pending.get(key_id)
        if current is None or current.at <= use.at:
            self._pending[key_id] = use

    def take(self, key_id: int) -> LastUse | None:
        """Remove and return a key's latest use not yet committed, for a caller about to write it
        itself; that includes a use the flusher is writing at this moment (written twice, it
        changes the row once)."""
        pending = self._pending.pop(key_id, None)
        in_flight = self._in_flight.get(key_id)
        if in_flight is None or (pending is not None and pending.at >= in_flight.at):
            return pending
        return in_flight

    async def flush(self) -> None:
        """Write every use noted so far; a flush already under way finishes first."""
        async with self._flushing:
            if not self._pending:
                return
            batch, self._pending = self._pending, {}
            self._in_flight = batch
            try:
                await self._write(batch)
            except Exception as error:
                if not _refused(error):
                    self._retry_later(batch)
                    return
                await self._write_one_by_one(batch)
            finally:
                self._in_flight = {}

    async def _write(self, uses: dict[int, LastUse]) -> None:
        params = [
            {"key_id": key_id, "used_at": use.at, "address": use.address}
            for key_id, use in uses.items()
        ]
        async with self._sessions.begin() as session:
            await session.execute(_WRITE_LATEST_USE, params)
        self.writes += len(params)
        metrics.last_use_writes.inc(len(params))
        oldest = min(use.at for use in uses.values())
        metrics.last_use_flush_lag.set(max(0.0, time.time() - oldest.timestamp()))

    async def _write_one_by_one(self, batch: dict[int, LastUse]) -> None:
        """Write what the database accepts of a batch it refused; drop what it refuses."""
        uses = list(batch.items())
        for position, (key_id, use) in enumerate(uses):
            try:
                await self._write({key_id: use})
            except Exception as error:
                if not _refused(error):
                    self._retry_later(dict(uses[position:]))
                    return
                log.warning(
                    "dropped the last use of key %d: the database refused it (%s)",
                    key_id,
                    type(error.orig if isinstance(error, DBAPIError) else error).__name__,
                    extra={"key_id": key_id},
                )
                metrics.last_use_dropped.inc()

    def _retry_later(self, uses: dict[int, LastUse]) -> None:
        """Put uses the database could not take now back, for the next flush; later notes of the
        same key win. Called while handling the error, which the log line carries."""
        log.exception("could not write last use of %d keys; will retry", len(uses))
        for key_id, use in uses.items():
            self.note(key_id, use)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            # Stopping cancels this task; a batch it is writing is finished, not abandoned.
            await asyncio.shield(self.flush())

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="last-use-flusher")

    async def stop(self) -> None:
        """Stop the periodic writer and write what is still pending, after any batch it was
        writing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()


# SQLSTATE classes of errors in the values themselves: data exceptions and constraint violations.
_REFUSED_SQLSTATE_CLASSES = ("22", "23")


def _refused(error: Exception) -> bool:
    """Whether the database refused the values themselves: one too long for its column, one
    breaking a constraint. That fails the same way every time; anything else (a connection lost,
    a timeout, a locked SQLite file) is worth retrying as it is.

    SQLite's driver says so by the error's class; asyncpg's adapter raises its generic error and
    tells by the SQLSTATE it carries."""
    if not isinstance(error, DBAPIError) or error.connection_invalidated:
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    return isinstance(error, DataError | IntegrityError) or (
        isinstance(sqlstate, str) and sqlstate.startswith(_REFUSED_SQLSTATE_CLASSES)
    )
