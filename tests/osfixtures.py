"""Real file-system conditions for the reliability tests: read-only folders, small tmpfs mounts, another
file system. Each helper does the real thing when this machine allows it and says so (pytest.skip with a
reason) when it does not; the in-process tests beside them simulate the same errno, so every scenario is
covered either way.

Read-only as root: permission bits do not stop root, so a folder is made immutable (chattr +i) instead,
which stops everyone. Mounting needs root (CAP_SYS_ADMIN); every mount is undone by the fixture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _run(*args: str) -> bool:
    try:
        return subprocess.run(list(args), capture_output=True, timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` refuses new entries, renames and removals for the block: chmod 555, or chattr +i as root."""
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(mode)
        return
    if not (shutil.which("chattr") and _run("chattr", "+i", str(folder))):
        pytest.skip("cannot make a folder read-only here: running as root without chattr +i")
    try:
        yield
    finally:
        _run("chattr", "-i", str(folder))


class Mounts:
    """Small tmpfs mounts, unmounted at the end of the test."""

    def __init__(self) -> None:
        self.mounted: list[Path] = []

    def tmpfs(self, folder: Path, size: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0 or not _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)):
            pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN); an in-process ENOSPC test covers it")
        self.mounted.append(folder)
        return folder

    def resize(self, folder: Path, size: str) -> None:
        assert _run("mount", "-o", f"remount,size={size}", str(folder)), "remount failed"

    def close(self) -> None:
        for folder in reversed(self.mounted):
            _run("umount", "-l", str(folder))


def other_filesystem(near: Path) -> Path:
    """A fresh folder on another file system than `near` (/dev/shm is tmpfs on Linux), or skip."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == near.stat().st_dev:
        pytest.skip("no second file system (/dev/shm) here; the in-process EXDEV test covers it")
    folder = shm / f"edi837-test-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    return folder


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of `folder` until about `leave` bytes are free."""
    free = shutil.disk_usage(folder).free
    if free > leave:
        (folder / ".filler").write_bytes(b"\0" * (free - leave))


Cleanup = Callable[[], None]
