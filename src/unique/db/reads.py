"""Reads that need no transaction, sent straight to the database driver.

Every API request reads its key, and the busiest routes read one more thing. Through
SQLAlchemy's async session each of those reads pays for a session, a transaction, greenlet
switches and, on SQLite, several hops to aiosqlite's worker thread: together many times what the
query itself costs. These reads skip all of that:

- SQLite: one connection per process, used synchronously on the event loop. In WAL mode a reader
  never waits for a writer, and an indexed read takes microseconds, less than one thread hop.
- PostgreSQL: a few asyncpg connections of its own, never left in a transaction, so handing one
  back needs no reset query.

Each statement runs on its own in autocommit mode, so it sees everything committed on any node
before it began: a revoked key is refused by the very next read.

Looking a row up by a unique column (a key by its hash) is a :class:`Lookup`. On PostgreSQL the
lookups asked for while no statement has yet been sent for them travel together, as one statement
for all their keys: under load one round trip serves several requests. A lookup never joins a
statement already on its way, so its answer is never older than the request that asked for it.

Each read is described once, as a SQLAlchemy Core ``select`` (a :class:`Query`), and compiled once
per dialect; only the execution is the driver's. The tables store UTC timestamps without a zone
and, on SQLite, UUIDs as 32 hex digits; each backend translates the parameters, and decodes each
column as its SQLAlchemy type says, so that callers give and get aware UTC datetimes and UUIDs,
in rows read by column name.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from abc import ABC, abstractmethod
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum, auto
from functools import lru_cache
from typing import Any

import asyncpg
from sqlalchemy import Boolean, DateTime, Select, TypeDecorator, Uuid, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeEngine

from unique.config import Settings, sqlite_path
from unique.db.engine import configure_sqlite_reader

# A reader waits for a lock only in rare moments (a WAL file being recovered); it blocks the event
# loop meanwhile, so it gives up early and the request answers 503.
SQLITE_READ_BUSY_TIMEOUT_MS = 1_000
# SQLite keeps 2 MiB of pages per connection by default: the index pages of a few thousand busy
# keys among a million do not fit, and each miss is a system call. The cache grows only as pages
# are read.
SQLITE_READ_CACHE_KIB = 64 * 1024
# Index entries read into that cache when a process starts: about what it holds of a key index.
SQLITE_WARM_ENTRIES = 1_000_000
POSTGRES_POOL_SIZE = 10
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5
POSTGRES_QUERY_TIMEOUT_SECONDS = 10
# Keys looked up by one statement at most; more wait for the next one.
POSTGRES_LOOKUP_BATCH = 100
# How long a lookup statement waits for the previous one to answer before it is sent anyway.
POSTGRES_LOOKUP_OVERTAKE_SECONDS = 0.05


AnySelect = Select[*tuple[Any, ...]]


class Column(Enum):
    """How a selected column is stored, where the two databases differ."""

    VALUE = auto()  # numbers, text and bytes: the same on both
    UUID = auto()
    TIMESTAMP = auto()
    BOOLEAN = auto()


def column_kind(column_type: TypeEngine[Any]) -> Column:
    """What a column's SQLAlchemy type says about how the driver hands it over."""
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, Uuid):
        return Column.UUID
    if isinstance(column_type, DateTime):
        return Column.TIMESTAMP
    if isinstance(column_type, Boolean):
        return Column.BOOLEAN
    return Column.VALUE


class Query:
    """A read described once, as a SQLAlchemy Core ``select`` with named bind parameters.

    Each backend compiles it once for its dialect, and decodes each column as the column's type
    says; rows come back as named tuples whose fields are the selected columns' names (or
    labels).
    """

    def __init__(self, statement: AnySelect) -> None:
        self.statement = statement
        columns = statement.selected_columns
        self.row: Any = namedtuple("Row", list(columns.keys()))  # type: ignore[misc]
        self.kinds = tuple(column_kind(column.type) for column in columns)


class Lookup:
    """At most one row, by a column whose values are unique: ``statement`` (a select without a
    WHERE) for the row whose ``key`` column equals a value."""

    def __init__(self, statement: AnySelect, key: InstrumentedAttribute[Any]) -> None:
        self.one = Query(statement.where(key == bindparam("key")))
        keys = bindparam("keys", type_=postgresql.ARRAY(key.type))
        #: The rows of every key in an array, each with its key (PostgreSQL only).
        self.many = Query(statement.add_columns(key.label("lookup_key")).where(key == any_(keys)))
        #: The first keys in index order: reading them brings the index's pages into memory.
        self.every_key = Query(
            select(func.count()).select_from(
                select(key).order_by(key).limit(bindparam("entries")).subquery()
            )
        )


# A named tuple of a query's selected columns (its fields are known only at run time).
Row = Any
Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class Compiled:
    """A query as one backend sends it: the SQL, each placeholder's parameter name (or its fixed
    value), and the columns to convert."""

    sql: str
    parameters: tuple[tuple[str, Any], ...]
    converting: tuple[tuple[int, Converter], ...]
    row: Callable[..., Row]


_NO_DEFAULT = object()


class Reads(ABC):
    """Runs read-only statements outside any transaction."""

    def __init__(self, dialect: Dialect, converters: dict[Column, Converter]) -> None:
        self._dialect = dialect
        self._converters = converters
        self._compiled: dict[Query, Compiled] = {}

    @abstractmethod
    async def all(self, query: Query, **params: object) -> list[Row]:
        """Every row, decoded; the driver's errors are raised as OperationalError (503)."""

    async def first(self, query: Query, **params: object) -> Row | None:
        rows = await self.all(query, **params)
        return rows[0] if rows else None

    async def look_up(self, lookup: Lookup, key: Hashable) -> Row | None:
        """The row whose key column equals ``key``, if any."""
        return await self.first(lookup.one, key=key)

    @abstractmethod
    def warm(self, lookup: Lookup) -> None:
        """Before the first request: bring the index ``lookup`` uses into memory, so that the
        first lookups after a start do not each wait for a page of it."""

    @abstractmethod
    async def close(self) -> None: ...

    def compiled(self, query: Query) -> Compiled:
        compiled = self._compiled.get(query)
        if compiled is None:
            compiled = self._compiled[query] = self._compile(query)
        return compiled

    def _compile(self, query: Query) -> Compiled:
        sql = query.statement.compile(dialect=self._dialect)
        fixed = sql.params
        names = sql.positiontup or ()
        return Compiled(
            sql=sql.string,
            parameters=tuple((name, fixed.get(name, _NO_DEFAULT)) for name in names),
            converting=tuple(
                (index, self._converters[kind])
                for index, kind in enumerate(query.kinds)
                if kind in self._converters
            ),
            row=query.row._make,
        )

    @staticmethod
    def _parameters(compiled: Compiled, params: dict[str, object]) -> list[object]:
        values = []
        for name, fixed in compiled.parameters:
            value = params.get(name, fixed)
            if value is _NO_DEFAULT:
                raise TypeError(f"missing query parameter {name!r}")
            values.append(value)
        return values

    @staticmethod
    def _decode(compiled: Compiled, rows: Sequence[Sequence[Any]]) -> list[Row]:
        converting, make = compiled.converting, compiled.row
        if not converting:
            return [make(row) for row in rows]
        decoded = []
        for row in rows:
            values = list(row)
            for index, convert in converting:
                if values[index] is not None:
                    values[index] = convert(values[index])
            decoded.append(make(values))
        return decoded


def _naive_utc(value: datetime) -> datetime:
    """Naive values are UTC already, as everywhere in this code (``astimezone`` would take them
    for local time)."""
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def _aware_utc(value: datetime) -> datetime:
    """Naive values are UTC, as everywhere in this code; asyncpg would take them for local time."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@lru_cache(maxsize=4096)
def _uuid_from_hex(value: str) -> uuid.UUID:
    """Cached: the same few account ids recur in every listing, and UUID() is slow to build."""
    return uuid.UUID(hex=value)


@lru_cache(maxsize=4096)
def _plain_uuid(value: uuid.UUID) -> uuid.UUID:
    """asyncpg's own UUID subclass, as the uuid.UUID the rest of the code (and orjson) expects."""
    return uuid.UUID(bytes=value.bytes)


def _timestamp_from_text(value: str) -> datetime:
    # Parsing the offset with the rest is several times faster than replace(tzinfo=...).
    return datetime.fromisoformat(value + "+00:00")


class SQLiteReads(Reads):
    def __init__(self, path: str) -> None:
        super().__init__(
            sqlite.dialect(),
            {
                Column.UUID: _uuid_from_hex,
                Column.TIMESTAMP: _timestamp_from_text,
                Column.BOOLEAN: bool,
            },
        )
        self._connection = sqlite3.connect(
            path,
            timeout=SQLITE_READ_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        configure_sqlite_reader(self._connection, SQLITE_READ_BUSY_TIMEOUT_MS)
        self._connection.execute(f"PRAGMA cache_size=-{SQLITE_READ_CACHE_KIB}")

    async def all(self, query: Query, **params: object) -> list[Row]:
        compiled = self.compiled(query)
        values = [self._encode(value) for value in self._parameters(compiled, params)]
        try:
            rows = self._connection.execute(compiled.sql, values).fetchall()
        except sqlite3.Error as error:
            raise OperationalError(compiled.sql, None, error) from error
        return self._decode(compiled, rows)

    def warm(self, lookup: Lookup) -> None:
        # Not migrated yet, for one: nothing to bring in, and the lookups will say what is wrong.
        with suppress(sqlite3.Error):
            compiled = self.compiled(lookup.every_key)
            values = self._parameters(compiled, {"entries": SQLITE_WARM_ENTRIES})
            self._connection.execute(compiled.sql, values).fetchone()

    @staticmethod
    def _encode(param: object) -> object:
        if isinstance(param, uuid.UUID):
            return param.hex
        if isinstance(param, datetime):
            # SQLAlchemy's SQLite DateTime format: "2022-12-23 20:52:29.000000", comparable as text.
            return _naive_utc(param).isoformat(" ", "microseconds")
        return param

    async def close(self) -> None:
        self._connection.close()


class PostgresReads(Reads):
    """Its own small pool of asyncpg connections.

    Not asyncpg's Pool: that one spends more per query than a query costs (a task per release,
    a reset round trip; measured 170 µs against 60 µs of CPU for ``SELECT 1``). These connections
    never open a transaction or change a setting, so handing them back needs nothing but a list.
    """

    def __init__(self, connect_arguments: dict[str, Any]) -> None:
        # Timestamps need no converter: see _idle_or_new_connection.
        dialect = postgresql_asyncpg.dialect()  # type: ignore[no-untyped-call]
        super().__init__(dialect, {Column.UUID: _plain_uuid})
        self._connect_arguments = connect_arguments
        self._idle: list[asyncpg.Connection] = []
        self._slots = asyncio.Semaphore(POSTGRES_POOL_SIZE)
        self._pending: dict[Lookup, _Batch] = {}
        self._last_sent: dict[Lookup, asyncio.Future[dict[Hashable, Row]]] = {}

    @classmethod
    def for_url(cls, database_url: str) -> PostgresReads:
        """Connection arguments read from the URL exactly as the engine reads them, so that its
        options (``?ssl=require`` and the like) apply here too."""
        url = make_url(database_url)
        _, arguments = url.get_dialect()().create_connect_args(url)
        for sqlalchemy_only in _SQLALCHEMY_CONNECT_OPTIONS:
            arguments.pop(sqlalchemy_only, None)
        return cls(dict(arguments))

    def warm(self, lookup: Lookup) -> None:
        """Nothing to do: PostgreSQL keeps its own cache, shared by every connection."""

    async def all(self, query: Query, **params: object) -> list[Row]:
        compiled = self.compiled(query)
        values = [
            _aware_utc(value) if isinstance(value, datetime) else value
            for value in self._parameters(compiled, params)
        ]
        try:
            async with self._connection() as connection:
                rows = await connection.fetch(compiled.sql, *values)
        except _DRIVER_ERRORS as error:
            raise OperationalError(compiled.sql, None, error) from error
        return self._decode(compiled, rows)

    async def look_up(self, lookup: Lookup, key: Hashable) -> Row | None:
        batch = self._pending.get(lookup)
        if batch is None or len(batch.keys) >= POSTGRES_LOOKUP_BATCH:
            batch = self._pending[lookup] = _Batch()
            batch.rows = asyncio.ensure_future(self._send(lookup, batch))
        batch.keys.add(key)
        # Shielded: a request that gives up must not cancel the statement the others wait for.
        return (await asyncio.shield(batch.rows)).get(key)

    async def _send(self, lookup: Lookup, batch: _Batch) -> dict[Hashable, Row]:
        # While the previous statement is on its way, the keys asked for gather in this one: the
        # busier the process, the more requests a round trip serves. A statement that is slow to
        # answer (a stalled connection) holds the next one back only briefly.
        previous = self._last_sent.get(lookup)
        compiled = self.compiled(lookup.many)
        try:
            if previous is not None and not previous.done():
                await asyncio.wait((previous,), timeout=POSTGRES_LOOKUP_OVERTAKE_SECONDS)
            async with self._connection() as connection:
                # Closed to newcomers only now, with nothing awaited before the statement leaves:
                # every key in it was asked for before it was sent.
                self._close_to_newcomers(lookup, batch)
                self._last_sent[lookup] = batch.rows
                rows = await connection.fetch(compiled.sql, list(batch.keys))
        except _DRIVER_ERRORS as error:
            raise OperationalError(compiled.sql, None, error) from error
        finally:
            # Also when no connection could be had, or the process is stopping: a batch that
            # failed answers only the keys already in it.
            self._close_to_newcomers(lookup, batch)
        return {row.lookup_key: row for row in self._decode(compiled, rows)}

    def _close_to_newcomers(self, lookup: Lookup, batch: _Batch) -> None:
        if self._pending.get(lookup) is batch:
            del self._pending[lookup]

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        await self._take_slot()
        try:
            connection = await self._idle_or_new_connection()
            try:
                yield connection
            except BaseException:
                # Broken, or cancelled halfway through the protocol: never hand it out again.
                connection.terminate()
                raise
            self._idle.append(connection)
        finally:
            self._slots.release()

    async def _take_slot(self) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # returns at once
            return
        async with asyncio.timeout(POSTGRES_CONNECT_TIMEOUT_SECONDS):
            await self._slots.acquire()

    async def _idle_or_new_connection(self) -> asyncpg.Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.is_closed():  # e.g. closed by a database restart while idle
                return connection
        connection = await asyncpg.connect(
            **self._connect_arguments,
            timeout=POSTGRES_CONNECT_TIMEOUT_SECONDS,
            command_timeout=POSTGRES_QUERY_TIMEOUT_SECONDS,
        )
        # The tables store UTC in `timestamp` columns. Their wire format is timestamptz's, whose
        # decoder gives aware UTC datetimes: converting each one in Python cost a third of the
        # time of listing 10,000 keys. (Its encoder reads naive datetimes as local time, hence
        # _aware_utc; ±infinity decode as naive datetime.max/min.)
        try:
            await connection.set_builtin_type_codec(
                "timestamp", schema="pg_catalog", codec_name="timestamptz"
            )
        except BaseException:
            connection.terminate()
            raise
        return connection

    async def close(self) -> None:
        in_flight = [batch.rows for batch in self._pending.values()]
        in_flight += [rows for rows in self._last_sent.values() if not rows.done()]
        if in_flight:
            await asyncio.wait(in_flight, timeout=POSTGRES_CONNECT_TIMEOUT_SECONDS)
        idle, self._idle = self._idle, []
        await asyncio.gather(*(connection.close(timeout=2) for connection in idle))


class _Batch:
    """Keys waiting for one lookup statement, and its rows by key once it has run (``rows`` is
    set by the lookup that opens the batch, to the task that sends it)."""

    def __init__(self) -> None:
        self.keys: set[Hashable] = set()
        self.rows: asyncio.Future[dict[Hashable, Row]]


# InternalClientError: a connection whose protocol state a dying server left inconsistent.
_DRIVER_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)

# Options of SQLAlchemy's asyncpg dialect that asyncpg.connect itself does not take.
_SQLALCHEMY_CONNECT_OPTIONS = (
    "prepared_statement_cache_size",
    "prepared_statement_name_func",
    "async_creator_fn",
)


def open_reads(settings: Settings) -> Reads:
    if not settings.is_sqlite:
        return PostgresReads.for_url(settings.async_database_url)
    path = sqlite_path(settings.async_database_url)
    if path is None:
        raise ValueError("SQLite needs a database file that every process can open")
    return SQLiteReads(str(path))
