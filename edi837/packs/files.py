"""Pack files: TOML read with their text (so errors name a line), layered key by key, checked by kind.

Every check here names the file, the line and the key a person wrote, and for a key that is not known,
the nearest one that is (as ruff does for its own settings): a typo such as `distinct_modifer` would
otherwise be ignored, and a rule would fall back to its default without anyone knowing.
"""

from __future__ import annotations

import difflib
import pickle
import re
import tomllib
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from edi837.errors import RulePackError

CODE = re.compile(r"[A-Z0-9]{5}")
MODIFIER = re.compile(r"[A-Z0-9]{2}")


class PackFile:
    """One TOML file: its parsed data, its text (to name lines in errors) and its path."""

    def __init__(self, path: Path, folder: Path) -> None:
        self.path = path
        self.name = path.relative_to(folder).as_posix()
        try:
            self.text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RulePackError(f"{path}: cannot be read ({error})") from None
        try:
            self.data: dict[str, Any] = _parse(self.text)
        except tomllib.TOMLDecodeError as error:
            raise RulePackError(f"{path}: not valid TOML: {error}") from None
        except RecursionError:
            raise RulePackError(f"{path}: not valid TOML: values nested too deeply") from None

    def line_of(self, *keys: str | int) -> int:
        """The line where a key is written: the best guess a person can act on.

        String keys are looked for in order, each after the previous one; an integer key after an
        array-of-tables name means its n-th [[name]] header.
        """
        lines = self.text.splitlines()
        start = 0
        previous = ""
        for key in keys:
            if isinstance(key, int):
                header = re.compile(rf"^\s*\[\[\s*{re.escape(previous)}\s*\]\]")
                found = [n for n, text in enumerate(lines) if header.search(text)]
                if key < len(found):
                    start = found[key]
                continue
            previous = key
            pattern = re.compile(rf'^\s*(\[+\s*)?("?{re.escape(key)}"?)\s*[=\].]')
            for number in range(start, len(lines)):
                if pattern.search(lines[number]) or f'."{key}"' in lines[number] or f".{key}]" in lines[number]:
                    start = number
                    break
        return start + 1

    def error(self, message: str, *keys: str | int) -> RulePackError:
        return RulePackError(f"{self.path} line {self.line_of(*keys)}: {message}")


_PARSED: dict[str, bytes] = {}  # a pack file's text -> its parsed data, pickled
_PARSED_MAX = 256


def _parse(text: str) -> dict[str, Any]:
    """The TOML of `text`, parsed once per process for the same text.

    Why: every run loads the packs, and parsing their TOML was most of a run's start (about 20 ms of 26),
    paid again for each file of a batch or a watched folder. Keyed by the text itself, read afresh every
    time, so an edited pack is seen at once; kept pickled, so each run gets its own copy to change.
    """
    cached = _PARSED.get(text)
    if cached is None:
        data = tomllib.loads(text)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[text] = pickle.dumps(data, pickle.HIGHEST_PROTOCOL)
        return data
    loaded: dict[str, Any] = pickle.loads(cached)
    return loaded


def load_folder(folder: Path) -> dict[str, PackFile]:
    return {f.relative_to(folder).as_posix(): PackFile(f, folder) for f in sorted(folder.rglob("*.toml"))}


ORIGIN = "\x00origin"  # a key no TOML file can contain: where an array entry was written


def tag_origins(file: PackFile) -> dict[str, Any]:
    """A copy of a file's data whose [[pair]] entries remember their file and position, so that after
    merging an error still names the line the person wrote."""
    data = dict(file.data)
    if isinstance(data.get("pair"), list):
        data["pair"] = [{**e, ORIGIN: (file, i)} if isinstance(e, dict) else e for i, e in enumerate(data["pair"])]
    return data


def merge(base: Any, over: Any) -> Any:
    """Key-by-key override: tables merge recursively, other values are replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            if key == "pair" and isinstance(value, list) and isinstance(base.get(key), list):
                merged[key] = merge_pairs(base[key], value)
            else:
                merged[key] = merge(base.get(key), value) if key in base else value
        return merged
    return over


def merge_pairs(base: list[Any], over: list[Any]) -> list[Any]:
    """NCCI pairs are identified by column 1, column 2 and effective date: a user entry with the same
    identity overrides that pair's fields; any other user entry is added."""

    def identity(entry: Any) -> tuple[Any, ...]:
        return (entry.get("column1"), entry.get("column2"), entry.get("effective")) if isinstance(entry, dict) else ()

    merged = [dict(e) if isinstance(e, dict) else e for e in base]
    index = {identity(e): i for i, e in enumerate(merged)}
    for entry in over:
        key = identity(entry)
        if key in index and isinstance(entry, dict):
            merged[index[key]] = {**merged[index[key]], **entry}  # the override's origin replaces the base's
        else:
            merged.append(entry)
    return merged


def need(value: Any, kind: type | tuple[type, ...], file: PackFile | None, *keys: str | int, what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        where = ".".join(str(k) for k in keys)
        if file is None:
            raise RulePackError(f"{where}: {what}")
        raise file.error(f"{where}: {what}", *keys)
    return value


def text_value(value: Any, file: PackFile | None, *keys: str | int) -> str:
    return str(need(value, str, file, *keys, what="must be text in quotes"))


def bool_value(value: Any, file: PackFile | None, *keys: str | int) -> bool:
    return bool(need(value, bool, file, *keys, what="must be true or false"))


def int_value(value: Any, file: PackFile | None, *keys: str | int) -> int:
    return int(need(value, int, file, *keys, what="must be a whole number"))


def date_value(value: Any, file: PackFile | None, *keys: str | int) -> date:
    return need(value, date, file, *keys, what="must be a date written as YYYY-MM-DD (no quotes)")  # type: ignore[no-any-return]


def codes_list(value: Any, file: PackFile | None, key: str) -> tuple[str, ...]:
    items = need(value, list, file, key, what="must be a list of codes in quotes")
    return tuple(text_value(item, file, key) for item in items)


def code_value(value: Any, file: PackFile | None, *keys: str | int) -> str:
    text = text_value(value, file, *keys)
    if not CODE.fullmatch(text):
        raise blame(file, f"{'.'.join(map(str, keys))}: {text!r} is not a 5-character CPT/HCPCS code", *keys)
    return text


def blame(file: PackFile | None, message: str, *keys: str | int) -> RulePackError:
    return file.error(message, *keys) if file is not None else RulePackError(message)




def check_keys(table: dict[str, Any], allowed: Iterable[str], file: PackFile | None, *where: str | int) -> None:
    """Refuse a key the table does not have, naming the nearest one it does (a typo must not pass)."""
    known = sorted(allowed)
    for key in table:
        if key == ORIGIN or key in known:
            continue
        near = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}?" if near else f"valid keys: {', '.join(known) or 'none'}"
        place = ".".join(str(k) for k in where if not isinstance(k, int))
        raise blame(file, f"unknown key {str(key)!r}{f' in [{place}]' if place else ''} ({hint})", *where, str(key))
