"""FastAPI peer: API keys checked by a hand-written dependency.

The typical hand-rolled setup: keys are random tokens, the database stores
only their SHA-256 hex digest, and a dependency looks the digest up on every
request. SQLite through aiosqlite with a small connection pool opened at startup
(a connection per request would start a thread per request); the auth dependency
and the handler share one connection through FastAPI's per-request dependency cache.

Serve:  PEER_DB=/path/db.sqlite3 uvicorn app:app --host 127.0.0.1 --port 8001 --workers 2
Seed:   PEER_DB=/path/db.sqlite3 python app.py seed --keys 1000 --projects 10
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated

import aiosqlite
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

DB_PATH = os.environ.get("PEER_DB", "db.sqlite3")
POOL_SIZE = 4


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
    for _ in range(POOL_SIZE):
        db = await aiosqlite.connect(DB_PATH)
        db.row_factory = aiosqlite.Row
        pool.put_nowait(db)
    app.state.pool = pool
    yield
    for _ in range(POOL_SIZE):
        await (await pool.get()).close()


app = FastAPI(
    title="FastAPI peer", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
)
bearer = HTTPBearer(auto_error=False)


class Project(BaseModel):
    id: str
    name: str
    region_id: str
    pg_version: int
    created_at: datetime


class ProjectList(BaseModel):
    projects: list[Project]


async def get_db(request: Request) -> AsyncIterator[aiosqlite.Connection]:
    pool = request.app.state.pool
    db = await pool.get()
    try:
        yield db
    finally:
        pool.put_nowait(db)


Db = Annotated[aiosqlite.Connection, Depends(get_db)]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def require_api_key(
    db: Db,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> int:
    """The caller's key id, or 401."""
    if credentials is not None:
        async with db.execute(
            "SELECT id FROM api_keys WHERE token_hash = ?",
            (hash_token(credentials.credentials),),
        ) as cursor:
            row = await cursor.fetchone()
        if row is not None:
            return row["id"]
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Invalid or missing API key",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def list_projects(db: Db) -> ProjectList:
    async with db.execute(
        "SELECT id, name, region_id, pg_version, created_at FROM projects ORDER BY created_at DESC"
    ) as cursor:
        rows = await cursor.fetchall()
    return ProjectList(projects=[Project(**dict(row)) for row in rows])


app.get("/api/v2/projects", dependencies=[Depends(require_api_key)])(list_projects)
app.get("/unauth/projects")(list_projects)


# --- seeding (stdlib only) ---------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region_id TEXT NOT NULL,
    pg_version INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS projects_created_at ON projects (created_at);
"""
REGIONS = ["aws-us-east-2", "aws-us-west-2", "aws-eu-central-1"]


def seed(keys: int, projects: int) -> str:
    import secrets
    import sqlite3
    from datetime import timedelta

    start = datetime(2024, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC).isoformat()
    plain = [secrets.token_urlsafe(32) for _ in range(keys)]
    with sqlite3.connect(DB_PATH) as db:
        db.executescript(SCHEMA)
        db.execute("DELETE FROM api_keys")
        db.execute("DELETE FROM projects")
        db.executemany(
            "INSERT INTO api_keys (name, token_hash, created_at) VALUES (?, ?, ?)",
            [(f"bench key {i}", hash_token(token), now) for i, token in enumerate(plain)],
        )
        db.executemany(
            "INSERT INTO projects (id, name, region_id, pg_version, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (
                    f"bench-project-{i:06d}",
                    f"project {i}",
                    REGIONS[i % len(REGIONS)],
                    17,
                    (start + timedelta(minutes=i)).isoformat(),
                )
                for i in range(projects)
            ],
        )
    db.close()
    # A key from the middle, so lookups are not favoured by row order.
    return plain[len(plain) // 2]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seed_parser = sub.add_parser("seed", help="create tables and data; print one plain key")
    seed_parser.add_argument("--keys", type=int, default=1000)
    seed_parser.add_argument("--projects", type=int, default=10)
    args = parser.parse_args()
    print(seed(args.keys, args.projects))
