"""What operators rely on: liveness, readiness, Prometheus metrics and structured request logs."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.helpers import Account, Service, running_service
from unique.config import Settings
from unique.logs import JsonFormatter


def operator_client(service: Service) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=service.app, client=("127.0.0.1", 9000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_liveness_and_readiness(service: Service) -> None:
    async with operator_client(service) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"


async def test_not_ready_while_the_schema_is_not_migrated(
    settings: Settings, tmp_path: Path
) -> None:
    unmigrated = replace(
        settings, database_url=f"sqlite:///{tmp_path / 'empty.db'}", secret_key="s"
    )
    async with running_service(unmigrated) as service, operator_client(service) as client:
        assert (await client.get("/healthz")).status_code == 200
        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["code"] == "SERVICE_UNAVAILABLE"
        assert "unique db upgrade" in not_ready.json()["message"]


def _sample(metrics_text: str, series: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


async def test_metrics_count_requests_and_auth_outcomes_by_template(
    service: Service, account: Account
) -> None:
    valid = 'unique_auth_outcomes_total{outcome="valid"}'
    async with operator_client(service) as client:
        valid_before = _sample((await client.get("/metrics")).text, valid)
    await service.client.get("/projects", headers=account.headers)
    await service.client.delete("/api_keys/424242", headers=account.headers)
    await service.client.get("/projects", headers={"Authorization": "Bearer unq_typo"})
    await service.client.get("/projects")
    async with operator_client(service) as client:
        text = (await client.get("/metrics")).text
    assert 'unique_http_requests_total{method="GET",route="/api/v2/projects",status="200"}' in text
    assert 'route="/api/v2/api_keys/{key_id}",status="404"' in text
    assert _sample(text, valid) == valid_before + 2
    for outcome in ("malformed", "missing"):
        assert f'unique_auth_outcomes_total{{outcome="{outcome}"}}' in text
    assert "unique_http_request_duration_seconds_bucket" in text
    assert "unique_last_use_flush_lag_seconds" in text
    assert "424242" not in text and account.key not in text


async def test_request_logs_are_json_with_ids_but_never_the_key(
    service: Service, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="unique")
    response = await service.client.get(
        "/projects", headers={**account.headers, "X-Request-ID": "trace-123"}
    )
    assert response.status_code == 200
    record = next(r for r in caplog.records if getattr(r, "request_id", None) == "trace-123")
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "request"
    assert line["route"] == "/api/v2/projects"
    assert line["status"] == 200
    assert line["key_id"] == account.key_id
    assert line["account_id"] == str(account.user_id)
    assert line["duration_ms"] >= 0
    assert account.key not in caplog.text


def test_a_log_line_is_one_ascii_json_line_whatever_the_values_it_carries() -> None:
    record = logging.LogRecord("unique.test", logging.INFO, __file__, 1, "odd values", (), None)
    record.huge = 2**80
    record.undecodable = "caf\udce9"
    record.raw_path = "/api/v2/projects?q=<script>\n"
    record.spoofing = "caf\u00e9\u2028\u202e"
    line = JsonFormatter().format(record)
    assert line.isascii() and "\n" not in line
    fields = json.loads(line)
    assert fields["msg"] == "odd values"
    assert fields["huge"] == 2**80
    assert fields["undecodable"] == "caf\udce9"
    assert fields["raw_path"] == "/api/v2/projects?q=<script>\n"
    assert fields["spoofing"] == "caf\u00e9\u2028\u202e"


def test_readiness_across_a_rolling_upgrade() -> None:
    from unique.db.migrate import head_revision, schema_serves_this_code

    assert schema_serves_this_code(head_revision())
    assert schema_serves_this_code("f00dcafe9999"), "a newer release's revision: still ready"
    assert not schema_serves_this_code(None), "an empty database is not ready"
