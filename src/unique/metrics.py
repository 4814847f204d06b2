"""Prometheus metrics of one server process, served at ``/metrics``.

Each worker process keeps its own; scrape every process (or run one worker per node).
Labels are route templates, never raw paths, ids or keys, so their number stays small.
"""

from __future__ import annotations

from functools import lru_cache

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

registry = CollectorRegistry()

requests = Counter(
    "unique_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
    registry=registry,
)
latency = Histogram(
    "unique_http_request_duration_seconds",
    "Time to answer a request, by route template.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=registry,
)
auth_outcomes = Counter(
    "unique_auth_outcomes",
    "Bearer authentication results, by the key's path's reason: valid, missing, malformed, "
    "unknown, revoked, expired or throttled.",
    ["outcome"],
    registry=registry,
)


@lru_cache(maxsize=1024)
def request_series(route: str, method: str, status: int) -> tuple[Counter, Histogram]:
    """The request counter's and the latency histogram's series for one kind of answer."""
    return requests.labels(route, method, str(status)), latency.labels(route)


rate_limited = Counter(
    "unique_rate_limited",
    "Requests refused by a rate limit, by limit.",
    ["limit"],
    registry=registry,
)
last_use_writes = Counter(
    "unique_last_use_writes",
    "Keys whose last use was written to the database.",
    registry=registry,
)
last_use_dropped = Counter(
    "unique_last_use_dropped",
    "Key uses not written because the database refused them (each is logged).",
    registry=registry,
)
last_use_flush_lag = Gauge(
    "unique_last_use_flush_lag_seconds",
    "At the latest flush, the age of the oldest use it wrote.",
    registry=registry,
)
last_use_pending = Gauge(
    "unique_last_use_pending",
    "Keys with a use noted in memory and not yet written.",
    registry=registry,
)
