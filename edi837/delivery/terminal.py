"""The standard streams, handled so that exit codes tell the truth, and the plain-text help.

Why this exists: a CLI that is part of a billing pipeline is run with odd streams. `edi-fix IN OUT | head`
closes stdout after OUT is committed: that is not an internal error, and the file *was* written.
`edi-fix - - | head -c 100` truncates the 837 on stdout: that is a failure, never "wrote -". A cron job
may start it with stdin or stdout closed (`<&-`, `>&-`): the next file opened would then get fd 0 or 1,
and anything printed would land in it, so the three standard descriptors are reopened on /dev/null
first and the run remembers that they were closed. And Python flushes stdout once more at exit: after a
broken pipe that flush fails and prints "Exception ignored ..." with exit code 120, unless stdout is
pointed at /dev/null first.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from edi837.errors import OutputFailed, one_line

_closed_at_start: set[int] = set()


def reopen_closed_std_fds() -> frozenset[int]:
    """Open /dev/null on any of fds 0, 1, 2 that is closed, so no file we open later takes its number.
    Returns (and remembers) which were closed."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            _closed_at_start.add(fd)
    return frozenset(_closed_at_start)


def stdout_usable() -> bool:
    return sys.stdout is not None and 1 not in _closed_at_start


def silence_stdout() -> None:
    """After stdout broke: point fd 1 and sys.stdout at /dev/null so the interpreter's last flush succeeds."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    except OSError:
        pass
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends


def emit(text: str, stream: IO[str] | None, what: str) -> None:
    """Write `text` and a newline to `stream` and flush; a stream that is closed or broken raises
    OutputFailed naming `what` (stdout or stderr)."""
    if stream is None or (stream is sys.stdout and not stdout_usable()):
        raise OutputFailed(f"{what} is closed")
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError) as error:
        if stream is sys.stdout:
            silence_stdout()
        reason = getattr(error, "strerror", None) or "closed"
        raise OutputFailed(f"{what}: cannot be written ({reason})") from None


def write_bytes_to_stdout(chunks: Iterable[bytes]) -> None:
    """Copy bytes to stdout, flushed; a reader that goes away or a full device raises OutputFailed, so a
    truncated 837 is never reported as written."""
    if not stdout_usable():
        raise OutputFailed("stdout is closed; the fixed 837 was not written")
    out = sys.stdout.buffer
    try:
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    except (OSError, ValueError) as error:
        silence_stdout()
        reason = getattr(error, "strerror", None) or "closed"
        raise OutputFailed(f"stdout: cannot be written ({reason}); the 837 on stdout is incomplete") from None


def say(message: str) -> None:
    """One line on stderr, made safe (no control characters); silently dropped if stderr is gone."""
    stream = sys.stderr
    if stream is None or 2 in _closed_at_start:
        return
    try:
        stream.write(one_line(message) + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


REDRAW = 0.1  # seconds between two redraws of the progress bar


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[int], None]]:
    """A transient progress bar on stderr for big files (the CLI shows it on a terminal only).

    Redrawn by the reads themselves, at most every REDRAW seconds, never by rich's refresh thread: a
    process running a second thread may not fork, and the scan ahead and the claim workers fork
    (edi837/forking.py), so a bar drawn by a thread would cost a big file both cores.
    """
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    with Progress(TextColumn("reading"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), transient=True,
                  auto_refresh=False) as bar:
        task = bar.add_task("read", total=total)
        drawn = 0.0

        def update(done: int) -> None:
            nonlocal drawn
            bar.update(task, completed=done)
            now = time.monotonic()
            if now - drawn >= REDRAW or done >= total:
                bar.refresh()
                drawn = now

        yield update



# --- help --------------------------------------------------------------------------------------------

def _wrap(text: str, width: int, indent: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=max(40, width - indent)) or [""]


def render_help(command: Any, prog: str, *, usage: str, about: str, commands: dict[str, str] | None = None,
                footer: str = "") -> str:
    """Plain help text for a click/typer command: usage, about, arguments, options with their metavars
    (never a type placeholder such as <bool>), the sub-commands, and a footer. One renderer for every
    command, independent of the installed typer's rich formatting."""
    width = 100
    lines = [f"Usage: {usage}", "", *_wrap(about, width, 0), ""]
    arguments = [p for p in command.params if getattr(p, "param_type_name", "") == "argument"]
    options = [p for p in command.params
               if getattr(p, "param_type_name", "") == "option" and not getattr(p, "hidden", False)]
    rows: list[tuple[str, str]] = []
    if arguments:
        lines.append("Arguments:")
        rows = [(p.metavar or (p.name or "").upper(), getattr(p, "help", "") or "") for p in arguments]
        lines += _table(rows, width)
        lines.append("")
    lines.append("Options:")
    rows = []
    for param in options:
        names = ", ".join([*param.opts, *param.secondary_opts])
        if not param.is_flag:
            names += f" {param.metavar or 'VALUE'}"
        help_text = param.help or ""
        if getattr(param, "multiple", False):
            help_text += " (repeatable)"
        rows.append((names, help_text))
    lines += _table(rows, width)
    if commands:
        lines += ["", "Commands:"]
        lines += _table([(name, text) for name, text in commands.items()], width)
    if footer:
        lines += ["", *_wrap(footer, width, 0)]
    return "\n".join(lines)


def _table(rows: list[tuple[str, str]], width: int) -> list[str]:
    left = min(max((len(name) for name, _ in rows), default=0) + 2, 32)
    out = []
    for name, text in rows:
        wrapped = _wrap(text, width, left + 2)
        if len(name) + 2 > left:
            out.append(f"  {name}")
            out += [f"  {'':<{left}}{line}" for line in wrapped]
        else:
            out.append(f"  {name:<{left}}{wrapped[0]}")
            out += [f"  {'':<{left}}{line}" for line in wrapped[1:]]
    return out
