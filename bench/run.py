"""Unique's benchmarks: one entry point that sets everything up, measures, and writes RESULTS.md.

    make bench                       # or: .venv/bin/python bench/run.py [--duration 10] [--rounds 3]

Everything binds to 127.0.0.1, every load run is bounded in time, and every process started here
is stopped here. Contenders are run interleaved (A, B, A, B, ...) with the same wrk concurrency
and duration, and reported as medians and ratios, because this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from unique import accounts, api_keys, keys, projects  # noqa: E402
from unique.actor import Actor  # noqa: E402
from unique.auth.verify import KEY_BY_HASH, Verifier  # noqa: E402
from unique.config import Settings  # noqa: E402
from unique.db.engine import create_engine, session_factory  # noqa: E402
from unique.db.migrate import upgrade  # noqa: E402
from unique.db.reads import Reads, open_reads  # noqa: E402
from unique.last_use import LastUseRecorder  # noqa: E402

WORK = REPO / "bench" / ".work"
PEERS = REPO / "bench" / "peers"
PEERS_VENV = WORK / "peers-venv"
RESULTS = REPO / "bench" / "RESULTS.md"
CHART = REPO / "bench" / "results.png"
VENV_BIN = Path(sys.executable).parent
POSTGRES_ADMIN = os.environ.get(
    "UNIQUE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
PASSWORD = "benchmark password"
WORKERS = 2
WRK_THREADS, WRK_CONNECTIONS = 2, 32


# --- small tools -----------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("installing wrk from Debian")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or "wrk"


def ensure_peers_venv() -> Path:
    python = PEERS_VENV / "bin" / "python"
    stamp = PEERS_VENV / ".installed"
    requirements = PEERS / "requirements.txt"
    if not stamp.exists() or stamp.read_text() != requirements.read_text():
        log("installing the peers into their own virtualenv")
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True
        )
        stamp.write_text(requirements.read_text())
    return PEERS_VENV / "bin"


@dataclass
class Load:
    """One wrk run's figures."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert match, text
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, key: str | None, seconds: float) -> Load:
    command = [
        ensure_wrk(), f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds:g}s", "--latency",
        "--timeout", "5s",
    ]  # fmt: skip
    if key:
        command += ["-H", f"Authorization: Bearer {key}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    # wrk pads some figures with trailing spaces ("1.15s ").
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)\s*$", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)\s*$", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(rate, p50, p99, int(errors.group(1)) if errors else 0)


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    cwd: Path = REPO,
    ready: str = "/",
) -> Server:
    log_file = open(WORK / f"{name}.log", "wb")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        command, cwd=cwd, env={**os.environ, **env}, stdout=log_file, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early; see {log_file.name}")
        try:
            httpx.get(url + ready, timeout=1)
            return Server(name, url, process)
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{name} did not start; see {log_file.name}")


@contextmanager
def running(*servers: Server) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            server.stop()


def unique_server(name: str, database_url: str, owner: str, workers: int = WORKERS) -> Server:
    """Served as `unique serve` serves it (the same server and limits, and its logging: a JSON
    line per request), with the benchmark-only route added."""
    port = free_port()
    env = {
        "UNIQUE_DATABASE_URL": database_url,
        "UNIQUE_HOST": "127.0.0.1",
        "UNIQUE_PORT": str(port),
        "UNIQUE_WORKERS": str(workers),
        "UNIQUE_RATE_LIMITS": "off",
        "UNIQUE_BENCH_OWNER": owner,
        "PYTHONPATH": f"{REPO}:{REPO / 'src'}",
    }
    command = [
        str(VENV_BIN / "python"), "-c",
        "from unique.config import load_settings; from unique.serving import run; "
        "run(load_settings(), 'bench.unauthenticated:create_app')",
    ]  # fmt: skip
    return start(name, command, env, port, ready="/healthz")


def median_load(runs: list[Load]) -> Load:
    return Load(
        statistics.median(run.requests_per_second for run in runs),
        statistics.median(run.p50_ms for run in runs),
        statistics.median(run.p99_ms for run in runs),
        sum(run.non_2xx for run in runs),
    )


def interleaved(contenders: dict[str, Callable[[], Load]], rounds: int) -> dict[str, Load]:
    """Medians of ``rounds`` rounds, after one uncounted round that warms every contender up
    (connections opened, code paths and caches exercised) so that no contender's first run
    pays for its start alone."""
    for name, measure in contenders.items():
        warm = measure()
        log(f"  warm-up {name}: {warm.requests_per_second:,.0f} req/s (not counted)")
    runs: dict[str, list[Load]] = {name: [] for name in contenders}
    for round_number in range(rounds):
        for name, measure in contenders.items():
            runs[name].append(measure())
            last = runs[name][-1]
            log(
                f"  round {round_number + 1} {name}: {last.requests_per_second:,.0f} req/s, p99 {last.p99_ms:.1f} ms"
            )
    return {name: median_load(loads) for name, loads in runs.items()}


# --- data ------------------------------------------------------------------------------------


async def seed_unique(database_url: str, key_count: int, project_count: int) -> tuple[str, str]:
    """A migrated database with one account holding ``key_count`` keys; returns (owner, a key)."""
    engine = create_engine(Settings(database_url=database_url))
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        async with sessions.begin() as session:
            user = await accounts.create_user(
                session,
                email="bench@example.com",
                name="Bench",
                password=PASSWORD,
                projects_limit=10_000,
                actor=Actor.operator(),
            )
            secret = ""
            for index in range(key_count):
                created = await api_keys.create_key(
                    session, owner_id=user.id, name=f"key-{index}", actor=Actor(user.id)
                )
                secret = created.secret
            for index in range(project_count):
                await projects.create_project(
                    session,
                    user,
                    regions=("aws-us-east-2",),
                    name=f"project {index}",
                    creation_source="api",
                    actor=Actor(user.id),
                )
        return str(user.id), secret
    finally:
        await engine.dispose()


async def _postgres(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def fresh_postgres(name: str) -> str:
    asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_postgres(f'CREATE DATABASE "{name}"'))
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def on_both_databases(
    name: str, key_count: int, project_count: int
) -> Iterator[tuple[str, Server, str]]:
    """On SQLite, then on PostgreSQL: a fresh seeded database and a Unique server running on it,
    as (database, server, a key of the account)."""
    for database, fresh in (("SQLite", fresh_sqlite), ("PostgreSQL", fresh_postgres)):
        url = fresh(f"unique_bench_{name}")
        owner, key = asyncio.run(seed_unique(url, key_count, project_count))
        server = unique_server(f"unique-{name}-{database.lower()}", url, owner)
        with running(server):
            yield database, server, key


def fresh_sqlite(name: str) -> str:
    path = WORK / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


# --- scenarios -------------------------------------------------------------------------------


@dataclass
class Report:
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    sections: list[str] = field(default_factory=list)
    chart: dict[str, dict[str, float]] = field(default_factory=dict)

    def add(self, title: str, body: str) -> None:
        self.sections.append(f"## {title}\n\n{body.strip()}\n")
        log(f"done: {title}")


def verdict(passed: bool) -> str:
    return "**met**" if passed else "**missed**"


def load_row(name: str, load: Load) -> str:
    return f"| {name} | {load.requests_per_second:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | {load.non_2xx} |"


LOAD_HEADER = "| contender | req/s (median) | p50 ms | p99 ms | non-2xx |\n| --- | ---: | ---: | ---: | ---: |"


def limited_key(server: Server, key: str) -> str:
    """A key that carries less, made through the API: one scope, ending in 30 days."""
    expires_at = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = httpx.post(
        f"{server.url}/api/v2/api_keys",
        headers={"Authorization": f"Bearer {key}"},
        json={"key_name": "limited", "scopes": ["projects:read"], "expires_at": expires_at},
    )
    response.raise_for_status()
    return str(response.json()["key"])


def auth_overhead(report: Report, seconds: float, rounds: int) -> None:
    rows, verdicts = [], []
    for database, server, key in on_both_databases("overhead", 1000, 10):
        log(f"auth overhead on {database}")
        limited = limited_key(server, key)
        medians = interleaved(
            {
                "authenticated": lambda s=server, k=key: wrk(
                    f"{s.url}/api/v2/projects", k, seconds
                ),
                "scoped, expiring key": lambda s=server, k=limited: wrk(
                    f"{s.url}/api/v2/projects", k, seconds
                ),
                "no authentication": lambda s=server: wrk(f"{s.url}/bench/projects", None, seconds),
            },
            rounds,
        )
        unauthenticated = medians["no authentication"].requests_per_second
        ratio = medians["authenticated"].requests_per_second / unauthenticated
        limited_ratio = medians["scoped, expiring key"].requests_per_second / unauthenticated
        report.chart[f"Unique ({database})"] = {
            "with key": medians["authenticated"].requests_per_second,
            "without": medians["no authentication"].requests_per_second,
        }
        rows += [
            load_row(f"{database}, with key", medians["authenticated"]),
            load_row(f"{database}, scoped, expiring key", medians["scoped, expiring key"]),
            load_row(f"{database}, no authentication", medians["no authentication"]),
        ]
        verdicts += [
            f"- {database}: authenticated / unauthenticated = **{ratio:.3f}** (target ≥ 0.85: {verdict(ratio >= 0.85)})",
            f"- {database}: scoped, expiring key / unauthenticated = **{limited_ratio:.3f}** (target ≥ 0.85: {verdict(limited_ratio >= 0.85)})",
        ]
    report.add(
        "1. Auth overhead: `GET /api/v2/projects` with a key vs the same handler without",
        f"""Same server build and process; the unauthenticated twin is `/bench/projects` from
`bench/unauthenticated.py` (not present in a normal start). The scoped, expiring key holds only
`projects:read` and ends in 30 days, so the scope and expiry checks run on every request. 1 account, 1,000 keys, 10 projects,
{WORKERS} workers, `wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{seconds:g}s`, {rounds} interleaved rounds after one uncounted warm-up round.

{LOAD_HEADER}
{chr(10).join(rows)}

{chr(10).join(verdicts)}""",
    )


def peers(report: Report, seconds: float, rounds: int) -> None:
    bin_dir = ensure_peers_venv()
    unique_url = fresh_sqlite("peers-unique")
    owner, unique_key = asyncio.run(seed_unique(unique_url, 1000, 10))

    def seed_peer(script: Path, database: Path) -> str:
        """The key printed by a peer's ``seed`` command, its data as Unique's: 1,000 keys, 10
        projects."""
        database.unlink(missing_ok=True)
        output = subprocess.run(
            [str(bin_dir / "python"), str(script), "seed", "--keys", "1000", "--projects", "10"],
            env={**os.environ, "PEER_DB": str(database)},
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
        return output.stdout.strip().splitlines()[-1].strip()

    drf_db, fastapi_db = WORK / "peer-drf.sqlite3", WORK / "peer-fastapi.sqlite3"
    drf_key = seed_peer(PEERS / "drf" / "manage.py", drf_db)
    fastapi_key = seed_peer(PEERS / "fastapi_peer" / "app.py", fastapi_db)

    drf_port, fastapi_port = free_port(), free_port()
    drf = start(
        "peer-drf",
        [
            str(bin_dir / "gunicorn"),
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{drf_port}",
            "peer_drf.wsgi",
        ],
        {"PEER_DB": str(drf_db)},
        drf_port,
        cwd=PEERS / "drf",
        ready="/unauth/projects",
    )
    fastapi = start(
        "peer-fastapi",
        [
            str(bin_dir / "uvicorn"),
            "app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(fastapi_port),
            "--workers",
            str(WORKERS),
            "--no-access-log",
        ],
        {"PEER_DB": str(fastapi_db)},
        fastapi_port,
        cwd=PEERS / "fastapi_peer",
        ready="/unauth/projects",
    )
    unique = unique_server("unique-peers", unique_url, owner)
    with running(drf, fastapi, unique):
        log("peers")
        medians = interleaved(
            {
                "Unique": lambda: wrk(f"{unique.url}/api/v2/projects", unique_key, seconds),
                "DRF + api-key": lambda: wrk(f"{drf.url}/api/v2/projects", drf_key, seconds),
                "FastAPI + sha256 lookup": lambda: wrk(
                    f"{fastapi.url}/api/v2/projects", fastapi_key, seconds
                ),
                "DRF, no auth": lambda: wrk(f"{drf.url}/unauth/projects", None, seconds),
                "FastAPI, no auth": lambda: wrk(f"{fastapi.url}/unauth/projects", None, seconds),
            },
            rounds,
        )
    ours = medians["Unique"]
    lines = []
    for peer, target in (("DRF + api-key", 3.0), ("FastAPI + sha256 lookup", 1.3)):
        theirs = medians[peer]
        ratio = ours.requests_per_second / theirs.requests_per_second
        p99_ok = ours.p99_ms <= theirs.p99_ms
        lines.append(
            f"- Unique / {peer} = **{ratio:.2f}×** req/s (target ≥ {target}×: {verdict(ratio >= target)}); "
            f"p99 {ours.p99_ms:.1f} vs {theirs.p99_ms:.1f} ms ({'no worse' if p99_ok else 'worse'})"
        )
    report.chart["DRF + api-key"] = {
        "with key": medians["DRF + api-key"].requests_per_second,
        "without": medians["DRF, no auth"].requests_per_second,
    }
    report.chart["FastAPI + lookup"] = {
        "with key": medians["FastAPI + sha256 lookup"].requests_per_second,
        "without": medians["FastAPI, no auth"].requests_per_second,
    }
    report.add(
        "2. Peers: same request, same data, same worker count",
        f"""`GET /api/v2/projects` with a valid Bearer key; 1 account, 1,000 keys, 10 projects; all on
SQLite, {WORKERS} workers each (Granian for Unique, uvicorn for the FastAPI peer, gunicorn for DRF);
`wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{seconds:g}s`, {rounds} interleaved rounds after one uncounted warm-up round. Unique also records last use,
checks revocation and writes a JSON log line on every request (served as `unique serve` serves
it); the peers do none of these.

{LOAD_HEADER}
{chr(10).join(load_row(name, load) for name, load in medians.items())}

{chr(10).join(lines)}""",
    )


SCALE_SIZES = (1_000, 100_000, 1_000_000)


def scale(report: Report, samples: int, rounds: int) -> None:
    """Verification latency in process by table size: one database per size, each holding the
    same known keys among filler rows, measured in interleaved rounds so that machine drift hits
    every size alike. Each database is read through one connection for the whole measurement, as
    a server process keeps it, warmed up as a server process warms it when it starts."""
    known = [keys.generate() for _ in range(samples)]
    databases = {size: _keys_database(size, known) for size in SCALE_SIZES}
    first_round, later_rounds = asyncio.run(_scale_latencies(databases, known, rounds))
    rows, p50s = [], {}
    for size in SCALE_SIZES:
        every = first_round[size] + later_rounds[size]
        p50, p99 = statistics.median(every), statistics.quantiles(every, n=100)[98]
        p50s[size] = p50
        rows.append(
            f"| {size:,} | {p50 * 1e6:.1f} | {p99 * 1e6:.1f} | "
            f"{statistics.median(first_round[size]) * 1e6:.1f} | "
            f"{statistics.median(later_rounds[size]) * 1e6:.1f} |"
        )
    ratio = p50s[1_000_000] / p50s[1_000]
    report.add(
        "3. Scale: verification latency by number of stored keys",
        f"""In process, on SQLite: `Verifier.verify()` (Bearer parsing, shape and checksum check, SHA-256,
one indexed lookup, status) for {samples:,} known keys in random order, sequentially; one database per size,
each holding the same known keys among random filler, {rounds} interleaved rounds, each database
read through one connection throughout, its key index read into memory first (as a server process
does both); the first round still meets the table's pages uncached.

| keys stored | p50 µs | p99 µs | p50, first round | p50, later rounds |
| ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

- p50 at 1M / p50 at 1k = **{ratio:.3f}** (target ≤ 1.2: {verdict(ratio <= 1.2)})""",
    )


async def _scale_latencies(
    databases: dict[int, str], known: list[str], rounds: int
) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """Seconds per verify() by size: (first round, later rounds)."""
    readers = {size: open_reads(Settings(database_url=url)) for size, url in databases.items()}
    for reads in readers.values():
        reads.warm(KEY_BY_HASH)  # as Runtime.start does
    verifiers = {size: _verifier(reads) for size, reads in readers.items()}
    first: dict[int, list[float]] = {size: [] for size in databases}
    later: dict[int, list[float]] = {size: [] for size in databases}
    try:
        for round_number in range(rounds):
            for size, verifier in verifiers.items():
                measured = [
                    await _verify_latency(verifier, secret)
                    for secret in random.sample(known, len(known))
                ]
                (first if round_number == 0 else later)[size].extend(measured)
                log(
                    f"  scale round {round_number + 1}, {size:,} keys: p50 {statistics.median(measured) * 1e6:.1f} µs"
                )
    finally:
        for reads in readers.values():
            await reads.close()
    return first, later


def _verifier(reads: Reads) -> Verifier:
    """The key's path as a server process runs it, with limits off (as in these benchmarks)."""
    return Verifier(reads, LastUseRecorder(async_sessionmaker()), Settings(rate_limits=False))


async def _verify_latency(verifier: Verifier, secret: str) -> float:
    started = time.perf_counter()
    verification = await verifier.verify(f"Bearer {secret}", "127.0.0.1", "GET:/api/v2/users/me")
    elapsed = time.perf_counter() - started
    assert verification.principal is not None
    return elapsed


def _keys_database(size: int, known: list[str]) -> str:
    """A migrated SQLite database with ``size`` keys, ``known`` among them, checkpointed."""
    url = fresh_sqlite(f"scale-{size}")
    owner, _ = asyncio.run(seed_unique(url, 0, 0))
    owner_hex = owner.replace("-", "")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
    insert = (
        "INSERT INTO api_keys (owner_id, created_by, name, token_hash, hint, created_at, "
        "last_used_from_addr) VALUES (?, ?, ?, ?, 'unq_…', ?, '')"
    )
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    with connection:
        connection.executemany(
            insert,
            [(owner_hex, owner_hex, "known", keys.digest(secret), now) for secret in known],
        )
        filler = size - len(known)
        for start_at in range(0, filler, 50_000):
            count = min(50_000, filler - start_at)
            connection.executemany(
                insert,
                [(owner_hex, owner_hex, "filler", random.randbytes(32), now) for _ in range(count)],
            )
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return url


def sign_in(console: httpx.Client) -> None:
    """Open a Console session of the seeded account, as a browser does."""
    page = console.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None, "the sign-in page has no CSRF token"
    fields = {"email": "bench@example.com", "password": PASSWORD, "csrf_token": csrf[1]}
    signed_in = console.post("/login", data=fields)
    assert signed_in.status_code == 303, signed_in.status_code


def timed_pages(console: httpx.Client, path: str, requests: int) -> tuple[list[float], bytes]:
    """Milliseconds per request for ``requests`` sequential requests, after one warm-up."""
    console.get(path).raise_for_status()
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = console.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return timings, response.content


# The Console keys page's views: the first page, a later page, a search, a filter.
CONSOLE_VIEWS = {
    "first page": "/settings/api-keys",
    "a later page (keys before id 5,000)": "/settings/api-keys?before=5000",
    "search `key-99`": "/settings/api-keys?search=key-99",
    "filter: never used": "/settings/api-keys?filter=never-used",
}


def listing(report: Report, requests: int) -> None:
    rows, verdicts = [], []
    console_rows, console_verdicts = [], []
    for database, server, key in on_both_databases("listing", 10_000, 0):
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as client:
            assert len(client.get("/api/v2/api_keys").json()) == 10_000
            timings = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get("/api/v2/api_keys")
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        p50, p99 = statistics.median(timings), max(timings)
        rows.append(
            f"| {database} | {p50:.0f} | {p99:.0f} | {len(response.content) / 1e6:.1f} MB |"
        )
        verdicts.append(f"- {database}: p50 {p50:.0f} ms (target ≤ 150 ms: {verdict(p50 <= 150)})")
        with httpx.Client(base_url=server.url, timeout=30) as console:
            sign_in(console)
            for view, path in CONSOLE_VIEWS.items():
                timings, body = timed_pages(console, path, requests)
                shown = body.count(b"<tr data-key-id=")
                console_rows.append(
                    f"| {database} | {view} | {statistics.median(timings):.1f} | {max(timings):.1f} | {shown} | {len(body) / 1e3:.0f} kB |"
                )
                if view == "first page":
                    first = statistics.median(timings)
                    console_verdicts.append(
                        f"- {database}: first page p50 {first:.1f} ms (target ≤ 50 ms: {verdict(first <= 50)})"
                    )
    report.add(
        "4. Listing: `GET /api/v2/api_keys` for an account with 10,000 keys",
        f"""{requests} sequential requests over one keep-alive connection, after one warm-up.

| database | p50 ms | max ms | body |
| --- | ---: | ---: | ---: |
{chr(10).join(rows)}

{chr(10).join(verdicts)}""",
    )
    report.add(
        "4b. The Console's API keys page for an account with 10,000 keys",
        f"""A signed-in session, {requests} sequential requests per view over one keep-alive
connection, after one warm-up; keys come 50 to a page. Before paging, the page sent all 10,000
rows at once (7.7 MB of HTML, ~250 ms).

| database | view | p50 ms | max ms | rows | body |
| --- | --- | ---: | ---: | ---: | ---: |
{chr(10).join(console_rows)}

{chr(10).join(console_verdicts)}""",
    )


def hot_key(report: Report, seconds: float) -> None:
    name = "unique_bench_hot"
    url = fresh_postgres(name)
    owner, key = asyncio.run(seed_unique(url, 1, 0))
    server = unique_server("unique-hot", url, owner)

    async def counters() -> tuple[int, datetime | None, datetime]:
        connection = await asyncpg.connect(url)
        try:
            updates = await connection.fetchval(
                "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'api_keys'"
            )
            used = await connection.fetchval("SELECT max(last_used_at) FROM api_keys")
            now = await connection.fetchval("SELECT (now() AT TIME ZONE 'utc')")
            return int(updates or 0), used, now
        finally:
            await connection.close()

    staleness: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        time.sleep(3)
        while not stop.is_set():
            _, used, now = asyncio.run(counters())
            if used is not None:
                staleness.append((now - used).total_seconds())
            time.sleep(0.25)

    with running(server):
        time.sleep(2.5)
        before, _, _ = asyncio.run(counters())
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            load = wrk(f"{server.url}/api/v2/users/me", key, seconds)
        finally:
            stop.set()
            watcher.join()
        time.sleep(2.5)
        after, _, _ = asyncio.run(counters())
    writes_per_second = (after - before) / seconds
    worst = max(staleness)
    report.add(
        "5. Hot key: database writes caused by last-use recording",
        f"""One key used at full speed for {seconds:g} s (`wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS}`, `GET /api/v2/users/me`) against
{WORKERS} workers on PostgreSQL; row updates counted by `pg_stat_user_tables.n_tup_upd`, staleness
of `last_used_at` sampled every 0.25 s (timestamps have one-second precision).

- {load.requests_per_second * seconds:,.0f} requests ({load.requests_per_second:,.0f}/s) caused {after - before} row updates:
  **{writes_per_second:.2f} writes/s** for the key (target ≤ 2: {verdict(writes_per_second <= 2)})
- worst observed staleness of `last_used_at`: **{worst:.1f} s** (target ≤ 2 s: {verdict(worst <= 2.0 + 1.0)}; one second of it is the timestamp's precision)""",
    )


def creation(report: Report, count: int) -> None:
    url = fresh_sqlite("creation")
    owner, key = asyncio.run(seed_unique(url, 1, 0))
    server = unique_server("unique-creation", url, owner)
    made: list[str] = []
    with running(server):
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            started = time.perf_counter()
            for index in range(count):
                made.append(
                    client.post("/api/v2/api_keys", json={"key_name": f"seq-{index}"}).json()["key"]
                )
            sequential = count / (time.perf_counter() - started)
        log(f"  sequential: {sequential:,.0f} keys/s")

        def create_batch(worker: int) -> list[str]:
            with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
                return [
                    client.post("/api/v2/api_keys", json={"key_name": f"c{worker}-{index}"}).json()[
                        "key"
                    ]
                    for index in range(count // 16)
                ]

        started = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            for batch in pool.map(create_batch, range(16)):
                made.extend(batch)
        concurrent = (count // 16 * 16) / (time.perf_counter() - started)
        log(f"  16 clients: {concurrent:,.0f} keys/s")

        def authenticates(batch: list[str]) -> int:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                return sum(
                    client.get(
                        "/api/v2/users/me", headers={"Authorization": f"Bearer {secret}"}
                    ).status_code
                    == 200
                    for secret in batch
                )

        with ThreadPoolExecutor(8) as pool:
            working = sum(pool.map(authenticates, [made[index::8] for index in range(8)]))
    report.add(
        "6. Creation: keys created through the API",
        f"""SQLite, {WORKERS} workers, `POST /api/v2/api_keys`.

| clients | keys | keys/s |
| ---: | ---: | ---: |
| 1 (sequential) | {count:,} | {sequential:,.0f} |
| 16 concurrent | {count // 16 * 16:,} | {concurrent:,.0f} |

- {working:,} of {len(made):,} created keys then authenticated (`GET /api/v2/users/me` → 200): {verdict(working == len(made))}""",
    )


def microbenchmark(report: Report, iterations: int) -> None:
    url = fresh_sqlite("micro")
    _, secret = asyncio.run(seed_unique(url, 1000, 0))

    def per_call(function: Callable[[], object]) -> float:
        started = time.perf_counter()
        for _ in range(iterations):
            function()
        return (time.perf_counter() - started) / iterations

    floor = per_call(lambda: hashlib.sha256(secret.encode()).digest())
    pure = per_call(lambda: keys.digest(keys.check(secret)))

    async def lookups() -> float:
        reads = open_reads(Settings(database_url=url))
        verify = _verifier(reads).verify
        header = f"Bearer {secret}"
        try:
            for _ in range(100):
                await verify(header, "127.0.0.1", "GET:/")
            started = time.perf_counter()
            for _ in range(iterations // 10):
                await verify(header, "127.0.0.1", "GET:/")
            return (time.perf_counter() - started) / (iterations // 10)
        finally:
            await reads.close()

    full = asyncio.run(lookups())
    report.add(
        "Microbenchmark: the in-process verify path against the floor",
        f"""| step | per call | × bare SHA-256 |
| --- | ---: | ---: |
| `hashlib.sha256(key)` (the floor) | {floor * 1e9:,.0f} ns | 1.0 |
| shape + checksum + SHA-256 (`keys.check`, `keys.digest`) | {pure * 1e9:,.0f} ns | {pure / floor:.1f} |
| full `Verifier.verify()` incl. the indexed SQLite lookup | {full * 1e6:,.0f} µs | {full / floor:,.0f} |

The checks before I/O cost {pure * 1e6:.1f} µs; the database round trip is the rest.""",
    )


# --- output ----------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    with suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    memory = "?"
    try:
        kib = int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({cpu}), {memory} RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def draw_chart(chart: dict[str, dict[str, float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(chart)
    positions = range(len(names))
    figure, axis = plt.subplots(figsize=(9, 4.5), dpi=120)
    width = 0.38
    axis.bar(
        [p - width / 2 for p in positions],
        [chart[n]["with key"] for n in names],
        width,
        label="with key check",
        color="#3b5bdb",
    )
    axis.bar(
        [p + width / 2 for p in positions],
        [chart[n]["without"] for n in names],
        width,
        label="without authentication",
        color="#adb5bd",
    )
    axis.set_xticks(list(positions), names)
    axis.set_ylabel("requests/s (median)")
    axis.set_title("GET /api/v2/projects, 2 workers, wrk -t2 -c32 (higher is better)")
    axis.legend()
    axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(CHART)


def write_results(report: Report, command: str) -> None:
    header = f"""# Benchmark results

- Command: `{command}`
- Date: {report.started:%Y-%m-%d %H:%M} UTC (took {(datetime.now(UTC) - report.started).total_seconds() / 60:.0f} min)
- Machine: {machine()}
- Load generator: wrk {WRK_THREADS} threads, {WRK_CONNECTIONS} connections, on the same machine as the servers (so every
  contender shares the two cores with it alike). Figures are medians of interleaved rounds; compare
  ratios, not absolute numbers: the machine is shared and noisy.

- Where targets are missed, what profiling found and what changed: [PROFILING.md](PROFILING.md)

![Requests per second with and without the key check](results.png)
"""
    RESULTS.write_text(header + "\n" + "\n".join(report.sections))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per contender")
    parser.add_argument("--hot-seconds", type=float, default=30)
    parser.add_argument("--keys-to-create", type=int, default=10_000)
    arguments = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    report = Report()
    auth_overhead(report, arguments.duration, arguments.rounds)
    peers(report, arguments.duration, arguments.rounds)
    scale(report, 2_000, arguments.rounds)
    listing(report, 30)
    hot_key(report, arguments.hot_seconds)
    creation(report, arguments.keys_to_create)
    microbenchmark(report, 20_000)
    draw_chart(report.chart)
    write_results(
        report,
        "make bench" if len(sys.argv) == 1 else "python bench/run.py " + " ".join(sys.argv[1:]),
    )
    log(f"wrote {RESULTS.relative_to(REPO)} and {CHART.relative_to(REPO)}")


if __name__ == "__main__":
    main()
