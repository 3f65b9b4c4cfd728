"""Logging: one structlog chain, readable on a terminal, JSON lines otherwise, never patient data.

Why an allowlist: the rule "no names, birth dates, member ids or addresses in a log line" must hold
for code written next year too. Every event passes through `_only_allowed_keys`, which drops any key
not on the list below (claim ids, line numbers, codes, rule codes, counts, file names, outcomes) and
says which key it dropped, so a leak shows up as a redaction in review rather than as PHI in a log.
Values of allowed keys are ids and codes the code itself puts there, never raw segment text.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

ALLOWED_KEYS = frozenset(
    {
        "event", "level", "timestamp", "logger",
        "claim_id", "line", "procedure", "rule", "action", "applied", "severity",
        "claims", "changed_claims", "lines", "segments", "applied_count", "review", "warnings", "errors",
        "validated", "seconds", "duration", "bytes", "outcome", "exit_code", "reason_kind", "redacted",
        "file", "folder", "count", "transaction", "segment", "code", "payer_id", "profile", "pid",
        "version",
    }
)


def _only_allowed_keys(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    dropped = sorted(k for k in event if k not in ALLOWED_KEYS)
    for key in dropped:
        del event[key]
    if dropped:
        event["redacted"] = ",".join(dropped)
    return event


def configure(stream: TextIO | None = None, *, json: bool | None = None, level: int = logging.INFO) -> None:
    """Configure structlog for a CLI run: console renderer on a terminal, JSON lines otherwise."""
    out = stream or sys.stderr
    as_json = (not out.isatty()) if json is None else json
    renderer: Any = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _only_allowed_keys,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
