"""Logging: one structlog chain, readable on a terminal, JSON lines otherwise, never patient data.

Why an allowlist: the rule "no names, birth dates, member ids or addresses in a log line" must hold
for code written next year too. Every event passes through `_only_allowed_keys`, which drops any key
not on the list below (claim ids, line numbers, codes, rule codes, counts, file names, outcomes) and
says which key it dropped, so a leak shows up as a redaction in review rather than as PHI in a log.
Values of allowed keys are ids and codes the code itself puts there, never raw segment text; string
values are still passed through `one_line`, since file names come from outside.

Why through the standard library's `logging`: edi837 is also a library (`edi837.fix`). A library must
not print to stdout or configure logging; that is the application's call. So edi837's loggers are
structlog loggers of their own (they never read structlog's global configuration) that hand finished
events to the stdlib logger `edi837`. Without `configure()` nothing is printed (the stdlib default
drops INFO); an application that configures `logging` sees them like any other library's. The CLI,
the watcher and the hook call `configure()`, which attaches one handler rendering the events for a
person (terminal) or a machine (JSON lines).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from edi837.errors import one_line

ALLOWED_KEYS = frozenset(
    {
        "event", "level", "timestamp", "logger",
        "claim_id", "line", "procedure", "rule", "action", "applied", "severity",
        "claims", "changed_claims", "lines", "segments", "applied_count", "review", "warnings", "errors",
        "validated", "jobs", "seconds", "duration", "bytes", "outcome", "exit_code", "reason_kind", "redacted",
        "file", "folder", "count", "transaction", "segment", "code", "payer_id", "profile", "pid", "held",
        "delivered", "version",
    }
)
ROOT = "edi837"


def _only_allowed_keys(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    dropped = sorted(k for k in event if k not in ALLOWED_KEYS)
    for key in dropped:
        del event[key]
    if dropped:
        event["redacted"] = ",".join(dropped)
    return event


def _one_line_values(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = one_line(value)
    return event


_CHAIN: list[Any] = [
    structlog.stdlib.filter_by_level,
    structlog.contextvars.merge_contextvars,
    _only_allowed_keys,
    _one_line_values,
    structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
]


def get_logger(name: str = ROOT) -> Any:
    """A structlog logger for edi837's own modules, independent of the global structlog configuration."""
    return structlog.wrap_logger(logging.getLogger(name), processors=_CHAIN,
                                 wrapper_class=structlog.stdlib.BoundLogger, cache_logger_on_first_use=True)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the stream given, or to whatever sys.stderr is at the moment of writing (so a test that
    swaps sys.stderr, or a later run in the same process, never writes to a stale stream). A stream
    that is gone (stderr closed, `2>&-`, a reader that went away) drops the line silently: a log line
    must never turn a run into an error."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__(stream or sys.stderr)
        self._fixed = stream

    def emit(self, record: logging.LogRecord) -> None:
        target = self._fixed or sys.stderr
        if target is None:
            return
        self.stream = target
        try:
            self.stream.write(self.format(record) + self.terminator)
            self.stream.flush()
        except (OSError, ValueError):
            pass

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def configure(stream: TextIO | None = None, *, json: bool | None = None, level: int = logging.INFO,
              quiet_on_terminal: bool = False) -> None:
    """Configure logging for a CLI run: console renderer on a terminal, JSON lines otherwise.

    `quiet_on_terminal`: on a terminal show warnings only (a person reads the summary there; the
    per-run info events are for machines).
    """
    out = stream or sys.stderr
    tty = out is not None and out.isatty()
    as_json = (not tty) if json is None else json
    if quiet_on_terminal and tty:
        level = max(level, logging.WARNING)
    renderer: Any = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    handler = _Handler(stream)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
    ))
    root = logging.getLogger(ROOT)
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    # The application (this CLI) may also route structlog's global loggers into the same handler.
    structlog.configure(
        processors=_CHAIN,
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )


def reset() -> None:
    """Undo `configure()` (tests that run the CLI in-process and then the API)."""
    root = logging.getLogger(ROOT)
    for old in list(root.handlers):
        root.removeHandler(old)
    root.setLevel(logging.NOTSET)
    root.propagate = True
