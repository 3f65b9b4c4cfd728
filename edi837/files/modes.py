"""Who may read the files edi837 writes: files that carry patient data are for their owner.

The fixed 837, the held file, the change log, the report and the ledger carry patient data, so they are
written 0600 (0640 for an outbound folder a group shares), never wider than the input's own mode and
narrowed by the umask; folders made for them match (0700 or 0750).
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

_umask_lock = threading.Lock()


def current_umask() -> int:
    with _umask_lock:
        mask = os.umask(0)
        os.umask(mask)
    return mask


# Files that carry patient data (the fixed 837, the held file, change log, report, ledger) are for their
# owner: 0600, or 0640 for an outbound folder a group shares (--group-readable). Folders made for them
# match: 0700 or 0750. The umask narrows both further; nothing is ever wider than that.
PRIVATE_FILE, GROUP_FILE = 0o600, 0o640
PRIVATE_DIR, GROUP_DIR = 0o700, 0o750


def data_file_mode(*, group_readable: bool = False, like: int | None = None) -> int:
    """The mode of a new file that carries patient data: 0600 (0640 with `group_readable`), never wider for
    group and others than `like` (the input file's st_mode, when there is one), narrowed by the umask.
    The owner always keeps read-write: the owner is whoever runs edi837 and must be able to replace it."""
    mode = GROUP_FILE if group_readable else PRIVATE_FILE
    if like is not None:
        mode &= stat.S_IMODE(like) | PRIVATE_FILE
    return mode & ~current_umask()


def data_dir_mode(*, group_readable: bool = False) -> int:
    """The mode of a folder edi837 makes for such files (held/, logs/, rejected/, OUT_DIR): 0700 or 0750."""
    return (GROUP_DIR if group_readable else PRIVATE_DIR) & ~current_umask()


def make_data_dirs(folder: Path, *, group_readable: bool = False) -> None:
    """Create `folder` and any missing parent with `data_dir_mode` (Path.mkdir gives the parents the usual
    0777 minus umask); folders that exist are left as they are."""
    missing = []
    for path in (folder, *folder.parents):
        if os.path.isdir(path):
            break
        missing.append(path)
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another worker made it meanwhile
            os.mkdir(path, data_dir_mode(group_readable=group_readable))
