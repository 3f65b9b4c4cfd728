"""The ledger's key: what makes a patient's digest in the ledger unreadable to anyone who has the ledger alone.

Where a claim must be matched to a patient (the same person's claims across runs; an 835's claim to the claim
sent), the ledger keeps an HMAC-SHA256 of the member id (and, for a dependant, name, birth date and gender)
under a secret key, never the values. A member id is a short string: an unkeyed digest of it could be
reversed by trying every member id, so the key is what protects it.

Why the key is a file of its own beside the ledger (`ledger.sqlite3.key`), and not a row inside it: a ledger
travels - it is backed up, copied to a laptop to answer an auditor, attached to a support ticket, opened in a
spreadsheet tool - and whoever has a copy that holds its own key can recompute every digest from a list of
member ids. Kept apart, a copy of the ledger is codes, dates, amounts and digests nobody can link to a person;
the key can be kept out of backups, or deleted to forget which claims were whose, without touching the
ledger. The ledger keeps only a fingerprint of its key (an HMAC of a fixed text), so a missing or other key
file is refused in one line instead of quietly starting digests that match nothing before them.

The key file is created on first use, whole or not at all: written to a temporary file, then linked into
place (link(2) fails if another process made one meanwhile, and that one is read instead), with the mode of
the ledger's other patient-data files (0600; 0640 for a shared folder).
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import tempfile
from hashlib import sha256
from pathlib import Path

from edi837.files.atomic import fsync_directory

KEY_BYTES = 32
_HEADER = b"edi837 ledger key 1\n"


class KeyProblem(Exception):
    """The key file cannot be read, made or trusted; the message says which and what to do."""


def key_path(ledger: Path) -> Path:
    return ledger.with_name(f"{ledger.name}.key")


def fingerprint(key: bytes) -> str:
    """What the ledger remembers of its key: enough to tell it from another, nothing to compute with."""
    return hmac.new(key, b"edi837 ledger key fingerprint", sha256).hexdigest()[:32]


def read_key(path: Path) -> bytes | None:
    """The key in `path`, None when there is no file; KeyProblem when it is not a key file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise KeyProblem(f"{path}: the ledger's key file cannot be read ({error.strerror or error})") from None
    body = data[len(_HEADER):].strip()
    if not data.startswith(_HEADER) or len(body) != 2 * KEY_BYTES:
        raise KeyProblem(f"{path}: not an edi837 ledger key file")
    try:
        return bytes.fromhex(body.decode("ascii"))
    except ValueError:
        raise KeyProblem(f"{path}: not an edi837 ledger key file") from None


def create_key(path: Path, mode: int) -> bytes:
    """Make the key file (whole, with `mode`), or read the one another process made first."""
    key = secrets.token_bytes(KEY_BYTES)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_HEADER + key.hex().encode("ascii") + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        try:
            os.link(temp, path)
        except FileExistsError:
            theirs = read_key(path)
            if theirs is None:
                raise KeyProblem(f"{path}: the ledger's key file went away while it was being made") from None
            return theirs
        fsync_directory(path.parent)
        return key
    except OSError as error:
        raise KeyProblem(f"{path}: the ledger's key file cannot be made ({error.strerror or error})") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def key_for(ledger: Path, known: str | None, mode: int) -> bytes:
    """The key of the ledger at `ledger`, whose fingerprint is `known` (None: a ledger that has none yet, so a
    key file is made if there is none)."""
    path = key_path(ledger)
    key = read_key(path)
    if key is None:
        if known is not None:
            raise KeyProblem(f"{path}: the ledger's key file is missing, so patient digests could not be matched "
                             "to those already in the ledger; put it back from where it is kept, or move the "
                             "ledger away to start a new one")
        return create_key(path, mode)
    if known is not None and not hmac.compare_digest(fingerprint(key), known):
        raise KeyProblem(f"{path}: not the key this ledger was written with; put the right one back, or move the "
                         "ledger away to start a new one")
    return key
