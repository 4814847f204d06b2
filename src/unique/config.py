"""Settings from the environment (``UNIQUE_*``), read and validated once into one object.

A bad value stops the process with one line naming the variable: operators should learn about a
typo at start-up, not from the first request that happens to need the setting.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

DEFAULT_REGIONS = ("aws-us-east-2", "aws-us-west-2", "aws-eu-central-1")
DEFAULT_SQLITE_PATH = Path("var") / "unique.db"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SignupMode(StrEnum):
    """Who may create an account from the Console's sign-up page."""

    OPEN = "open"
    # Only an address with an invitation (``unique admin invite``).
    INVITE = "invite"
    # Nobody: operators create accounts with ``unique admin create-user``.
    CLOSED = "closed"


class SettingsError(ValueError):
    """A setting has a value the service cannot run with; the message names the variable."""


@dataclass(frozen=True)
class PasswordHashCost:
    """What one Argon2id password hash costs: memory in KiB (m), passes over it (t), lanes (p).

    The default is RFC 9106's profile for machines with less memory (argon2-cffi's
    ``RFC_9106_LOW_MEMORY``): 64 MiB, 3 passes, 4 lanes, a few hundred milliseconds of CPU per
    sign-up and sign-in. A hash records the cost it was made with and is always verified at that
    cost, so changing the setting locks nobody out. Anything cheaper than the default makes stolen
    hashes cheaper to guess: the test suite sets Argon2's minimum, no production server should.
    """

    memory_kib: int = 65536
    time_cost: int = 3
    parallelism: int = 4

    def __str__(self) -> str:
        """The form ``UNIQUE_PASSWORD_HASH_COST`` takes, as in the hash: ``m=65536,t=3,p=4``."""
        return f"m={self.memory_kib},t={self.time_cost},p={self.parallelism}"


# Argon2's own lower limits (RFC 9106 3.1: at least 8 KiB per lane, one pass, one lane), and upper
# ones past which a single sign-in would take the machine's memory or many seconds of CPU.
_MAX_PASSWORD_HASH_MEMORY_KIB = 4 * 1024 * 1024
_MAX_PASSWORD_HASH_TIME_COST = 64
_MAX_PASSWORD_HASH_PARALLELISM = 64


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    trusted_proxies: tuple[IPNetwork, ...] = ()
    redis_url: str | None = None
    secret_key: str | None = None
    regions: tuple[str, ...] = DEFAULT_REGIONS
    proxy_domain: str = "unique.localhost"
    rate_limits: bool = True
    rate_limit_per_minute: int = 700
    rate_limit_burst: int = 40
    auth_failures_per_minute: int = 30
    projects_limit: int = 10_000
    last_use_flush_seconds: float = 1.0
    signup: SignupMode = SignupMode.OPEN
    signups_per_hour: int = 10
    password_hash_cost: PasswordHashCost = PasswordHashCost()
    # The longest a key may live, in days; None: keys may never expire.
    key_max_lifetime_days: int | None = None

    @property
    def async_database_url(self) -> str:
        """The URL with the async driver SQLAlchemy needs, chosen from the driver-free form."""
        return to_async_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def to_async_url(url: str) -> str:
    if url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://"):
        return url
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    raise SettingsError(
        "UNIQUE_DATABASE_URL must start with sqlite:/// or postgresql:// "
        f"(got a value starting with {url.split(':', 1)[0]!r})"
    )


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL, or None for other databases and in-memory SQLite.

    Read by SQLAlchemy's own parser, so that the engine and the hot-path reader agree on the file
    whatever the URL's query string or escapes. (Imported here, not above: the client CLI imports
    this module and must start without the database stack.)
    """
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a whole number (got {raw!r})") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name} must be between {minimum} and {maximum} (got {value})")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a number (got {raw!r})") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum} (got {value})")
    return value


def _networks(env: Mapping[str, str], name: str) -> tuple[IPNetwork, ...]:
    raw = env.get(name, "")
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(
                f"{name} must list IP addresses or CIDR ranges (bad entry {item!r})"
            ) from None
    return tuple(networks)


def _regions(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return DEFAULT_REGIONS
    regions = tuple(part.strip() for part in raw.split(",") if part.strip())
    for region in regions:
        if not re.fullmatch(r"[a-z0-9]+-[a-z0-9-]+", region):
            raise SettingsError(
                f"{name} entries look like aws-us-east-2: platform, dash, region (bad {region!r})"
            )
    return regions


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"on", "true", "1", "yes"}:
        return True
    if value in {"off", "false", "0", "no"}:
        return False
    raise SettingsError(f"{name} must be on or off (got {raw!r})")


def _signup_mode(env: Mapping[str, str], name: str) -> SignupMode:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return Settings.signup
    try:
        return SignupMode(raw.strip().lower())
    except ValueError:
        choices = ", ".join(mode.value for mode in SignupMode)
        raise SettingsError(f"{name} must be one of {choices} (got {raw!r})") from None


def password_hash_cost_from(env: Mapping[str, str] | None = None) -> PasswordHashCost:
    """``UNIQUE_PASSWORD_HASH_COST`` (``m=KiB,t=passes,p=lanes``, in any order), or the default.

    Also read on its own by unique.accounts, whose hasher serves every caller in the process.
    """
    env = os.environ if env is None else env
    name = "UNIQUE_PASSWORD_HASH_COST"
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return PasswordHashCost()
    shape = f"{name} must look like {PasswordHashCost()} (memory in KiB, passes, lanes)"
    values: dict[str, int] = {}
    for part in raw.split(","):
        key, equals, number = part.strip().partition("=")
        if key not in ("m", "t", "p") or not equals or key in values:
            raise SettingsError(f"{shape} (got {raw!r})")
        try:
            values[key] = int(number.strip())
        except ValueError:
            raise SettingsError(f"{shape} (got {raw!r})") from None
    if set(values) != {"m", "t", "p"}:
        raise SettingsError(f"{shape} (got {raw!r})")
    cost = PasswordHashCost(memory_kib=values["m"], time_cost=values["t"], parallelism=values["p"])
    if not 1 <= cost.parallelism <= _MAX_PASSWORD_HASH_PARALLELISM:
        raise SettingsError(
            f"{name}: p (lanes) must be between 1 and {_MAX_PASSWORD_HASH_PARALLELISM} "
            f"(got {cost.parallelism})"
        )
    if not 1 <= cost.time_cost <= _MAX_PASSWORD_HASH_TIME_COST:
        raise SettingsError(
            f"{name}: t (passes) must be between 1 and {_MAX_PASSWORD_HASH_TIME_COST} "
            f"(got {cost.time_cost})"
        )
    least_memory = 8 * cost.parallelism
    if not least_memory <= cost.memory_kib <= _MAX_PASSWORD_HASH_MEMORY_KIB:
        raise SettingsError(
            f"{name}: m (KiB) must be between {least_memory} (8 per lane) and "
            f"{_MAX_PASSWORD_HASH_MEMORY_KIB} (got {cost.memory_kib})"
        )
    return cost


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read every ``UNIQUE_*`` variable; raise SettingsError naming the first bad one."""
    env = os.environ if env is None else env
    database_url = env.get("UNIQUE_DATABASE_URL", "").strip() or Settings.database_url
    to_async_url(database_url)
    proxy_domain = env.get("UNIQUE_PROXY_DOMAIN", "").strip() or Settings.proxy_domain
    if not re.fullmatch(r"[a-z0-9.-]+", proxy_domain):
        raise SettingsError(f"UNIQUE_PROXY_DOMAIN must be a host name (got {proxy_domain!r})")
    return Settings(
        database_url=database_url,
        host=env.get("UNIQUE_HOST", "").strip() or Settings.host,
        port=_int(env, "UNIQUE_PORT", Settings.port, 0, 65535),
        workers=_int(env, "UNIQUE_WORKERS", Settings.workers, 1, 64),
        trusted_proxies=_networks(env, "UNIQUE_TRUSTED_PROXIES"),
        redis_url=env.get("UNIQUE_REDIS_URL", "").strip() or None,
        secret_key=env.get("UNIQUE_SECRET_KEY", "").strip() or None,
        regions=_regions(env, "UNIQUE_REGIONS"),
        proxy_domain=proxy_domain,
        rate_limits=_switch(env, "UNIQUE_RATE_LIMITS", Settings.rate_limits),
        rate_limit_per_minute=_int(
            env, "UNIQUE_RATE_LIMIT_PER_MINUTE", Settings.rate_limit_per_minute, 1, 10**9
        ),
        rate_limit_burst=_int(env, "UNIQUE_RATE_LIMIT_BURST", Settings.rate_limit_burst, 1, 10**9),
        auth_failures_per_minute=_int(
            env, "UNIQUE_AUTH_FAILURES_PER_MINUTE", Settings.auth_failures_per_minute, 1, 10**9
        ),
        projects_limit=_int(env, "UNIQUE_PROJECTS_LIMIT", Settings.projects_limit, 1, 10**9),
        last_use_flush_seconds=_float(
            env, "UNIQUE_LAST_USE_FLUSH_SECONDS", Settings.last_use_flush_seconds, 0.05
        ),
        signup=_signup_mode(env, "UNIQUE_SIGNUP"),
        signups_per_hour=_int(env, "UNIQUE_SIGNUPS_PER_HOUR", Settings.signups_per_hour, 1, 10**9),
        password_hash_cost=password_hash_cost_from(env),
        key_max_lifetime_days=_int(env, "UNIQUE_KEY_MAX_LIFETIME_DAYS", 0, 1, 36_500) or None,
    )
