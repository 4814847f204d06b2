"""Structured logs: one JSON object per line on stderr, for the app's and the HTTP server's logs.

Request lines carry the request id, the key id and account id (never the key), the route
template, the status and the duration.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import orjson

# Attributes every LogRecord has; anything else was passed as ``extra`` and belongs in the line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        # A line per request: orjson writes it in a tenth of the standard library's time. Lines
        # it refuses (integers past 64 bits, lone surrogates) or would write with non-ASCII text
        # as it is (a client's path may hold a line separator or a right-to-left override) are
        # written by json, which escapes them.
        try:
            written = orjson.dumps(line, default=str)
        except orjson.JSONEncodeError:
            pass
        else:
            if written.isascii():
                return written.decode("ascii")
        return json.dumps(line, default=str, separators=(",", ":"))


LOGGING_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    # By name, so that the configuration is plain data (the server hands it to its workers).
    "formatters": {"json": {"()": "unique.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {
        "unique": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        # The HTTP server's (Granian's) own lines: start, stop, workers.
        "_granian": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def skip_unused_record_details() -> None:
    """Stop the logging module from gathering, for every line, what these lines never show: the
    calling file and line (a walk up the stack), the thread and the process. These are the
    switches of the Logging HOWTO's "Optimization" section; together they were about a third of
    what a request line cost. For a server process only: they apply to every logger in it."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
