"""The README's CLI and SDK examples run verbatim against a real server and do what they say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO, UNIQUE_BIN, ServerProcess, bootstrap_user

pytestmark = pytest.mark.slow

FENCE = re.compile(r"```(bash|python)\n(.*?)```", re.DOTALL)


@pytest.fixture
def database_kind() -> str:
    return "sqlite"


def section(title: str) -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index(f"## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else None]


def examples(title: str) -> list[tuple[str, str]]:
    found = FENCE.findall(section(title))
    assert found, f"the README section {title!r} has no examples"
    return found


@pytest.fixture
def example_env(database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    _, key = bootstrap_user(database_url)
    server = ServerProcess(database_url, tmp_path / "server.log")
    yield {
        **os.environ,
        "PATH": f"{Path(UNIQUE_BIN).parent}{os.pathsep}{os.environ['PATH']}",
        "UNIQUE_API_KEY": key,
        "UNIQUE_API_HOST": f"{server.base_url}/api/v2",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    server.stop()


def run_example(language: str, code: str, env: dict[str, str], cwd: Path) -> str:
    command = (
        ["bash", "-euo", "pipefail", "-c", code]
        if language == "bash"
        else [sys.executable, "-c", code]
    )
    result = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, (
        f"{language} example failed:\n{code}\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout + result.stderr


def test_the_cli_examples_run_verbatim(example_env: dict[str, str], tmp_path: Path) -> None:
    output = "".join(
        run_example(lang, code, example_env, tmp_path) for lang, code in examples("Using the CLI")
    )
    assert "Signed in as Sam Smith" in output
    assert "analytics" in output
    assert "Revoked API key nightly-job" in output
    assert "Rotated API key dashboards" in output
    assert "keeps working for 24h" in output
    assert (tmp_path / "all-projects.json").read_text().count('"analytics"') == 1
    assert (tmp_path / "config" / "unique" / "config.json").stat().st_mode & 0o777 == 0o600


def test_the_sdk_examples_run_verbatim(example_env: dict[str, str], tmp_path: Path) -> None:
    blocks = examples("Using the SDK")
    first = run_example(*blocks[0], example_env, tmp_path)
    assert "Signed in as Sam Smith" in first
    assert re.search(r"Store this key now, it is shown once: unq_[0-9a-z]{60}", first)
    assert re.search(r"[a-z]+-[a-z]+-\d{8} analytics \d{4}-", first)
    assert "404 NOT_FOUND, request id " in first
    assert re.search(r"Key \d+ replaced by \d+; the old one works 24 h more", first)
    second = run_example(*blocks[1], example_env, tmp_path)
    # Left: the bootstrap key and the two dashboards keys, the old one in its 24 hours of grace
    # (the first example revoked nightly-job).
    assert "3 active keys" in second
