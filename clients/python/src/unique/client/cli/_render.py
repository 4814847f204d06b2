"""How results are printed: a Rich table for people, or exactly the API's JSON (or YAML)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import typer
import yaml
from rich.console import Console
from rich.table import Table
from unique.client.cli._connection import Output


def emit(output: Output | None, raw: Any, table: Callable[[], Table | str]) -> None:
    if output is Output.json:
        typer.echo(json.dumps(raw, indent=2, ensure_ascii=False))
    elif output is Output.yaml:
        typer.echo(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), nl=False)
    else:
        # A console per call: it reads the terminal's width (or COLUMNS) as it is now.
        Console().print(table())


def when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    result = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*row)
    return result
