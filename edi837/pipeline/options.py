"""What a run is asked to do (FixOptions) and where its by-products go (Sinks): the pipeline's inputs.

Every entry point builds these: the command line from its flags (cli/flags.py), the watcher, the hook and
the batch from the same flags, the Python API from keywords. They are plain values, so a run made again
(to hold invalid claims) or in another process (a Dask worker) reads the same settings.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import InitVar, dataclass
from pathlib import Path
from typing import IO, Literal, Protocol

from edi837.engine import farm as farming
from edi837.engine.records import ChangeRecord
from edi837.engine.registry import RuleLike
from edi837.engine.runner import RuleEngine
from edi837.model.claim import Claim
from edi837.x12.envelope import Delimiters


@dataclass
class FixOptions:
    """What a run does (the run settings): the same for every entry point, the CLI flags map onto them."""

    validate: bool = True
    validator: str = "fast"  # "fast": compiled tables, pyx12 as referee; "pyx12": pyx12 over the whole file
    apply_review: bool = False
    packs_dir: Path | None = None  # a user rule-pack folder layered over the shipped packs (--packs DIR)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    minutes_file: Path | None = None
    extra_rules: tuple[RuleLike, ...] = ()  # rules of the caller's own, run beside the selected ones
    hold: frozenset[str] = frozenset()  # "review", "invalid": claims that go to the held file (Sinks.held)
    # The CMS NCCI database (edi837.ncci): None finds it as every entry point does (EDI837_NCCI_DB, then
    # the per-user file); False runs on the shipped pairs alone. `ncci_version` pins versions ("v322r0",
    # "2025-q4") instead of the newest.
    ncci_db: Path | Literal[False] | None = None
    ncci_version: tuple[str, ...] | str = ()
    # The ICD-10-CM store (edi837.icd10): None finds it as for NCCI (EDI837_ICD10_DB, then the per-user
    # file); False reads the releases shipped with edi837 alone.
    icd10_db: Path | Literal[False] | None = None
    # Processes for the rules (engine/farm.py): 1, this one alone; None, as many as the cores (the
    # command line's default). Only used for a large file in a process that may fork; the output is the
    # same bytes either way. One by default here: a library's caller (a web server, a task queue) decides
    # whether its process forks.
    jobs: int | None = 1
    # The older name of packs_dir, still accepted when FixOptions is made (with a DeprecationWarning) so that
    # callers written before the rename keep working; not a field (not in replace(), fields() or a digest).
    rules_dir: InitVar[Path | None] = None

    def __post_init__(self, rules_dir: Path | None) -> None:
        if rules_dir is not None:
            if self.packs_dir is not None and self.packs_dir != rules_dir:
                raise TypeError("FixOptions: rules_dir is the older name of packs_dir; give one of them")
            warnings.warn("FixOptions(rules_dir=...) is now packs_dir=...", DeprecationWarning, stacklevel=3)
            self.packs_dir = rules_dir


class Acknowledgement(Protocol):
    """A person's word that a review item is right as billed (the claims ledger's Ack)."""

    @property
    def record_text(self) -> str:
        """What the change record's `acknowledged` says: "NAME on DATE: NOTE"."""


class Acknowledgements(Protocol):
    """The run's acknowledgements, asked once per review item (the ledger's AckBook, loaded once a run)."""

    def match(self, claim: Claim, rule: str, line_number: int | None) -> Acknowledgement | None:
        """The acknowledgement of `rule`'s item on line `line_number` of `claim` as read, or None."""


ClaimSeen = Callable[[int, Claim, Sequence[ChangeRecord], bool], None]
FarmStarter = Callable[[RuleEngine, Delimiters, int | None], farming.ClaimFarm | None]


@dataclass
class Sinks:
    """Where a run's by-products go, which is the caller's business, not the run's.

    Change records stream to `record_sink` as they are made (the CLI, hook and watcher write them into the
    change log's temporary file) and the result keeps them all only with `keep_records` (the API and the
    HTML report need them): streaming keeps memory flat however many findings a file has. `collect_diff`
    keeps the segment diff for --diff; `on_progress` is told the bytes read so far.
    """

    record_sink: Callable[[ChangeRecord], None] | None = None
    keep_records: bool = True
    collect_diff: bool = False
    on_progress: Callable[[int], None] | None = None
    held: IO[bytes] | None = None  # where held claims go with a hold policy (readable and seekable to be gated)
    held_name: str = ""  # the held file's path, for the hold records (EDI003) to name; "" when there is none
    restart: Callable[[], None] | None = None  # the record sink starts over (a run made again to hold invalid claims)
    # Where the claims' rule work goes (engine/farm.py): None, this machine's worker processes per
    # FixOptions.jobs; a batch on Dask gives the cluster's (batch/chunks.py). Told the run's engine, the
    # input's delimiters and its size; None back: the claims run in process.
    farm: FarmStarter | None = None
    # The claims ledger's seams (the ledger sits above the pipeline, so it is handed in): `acks` marks the
    # review items a person acknowledged (neither held nor counted); `on_claim` is told each claim with its
    # final records and whether it is held; `on_passthrough` the bytes between claims (whom they are for).
    acks: Acknowledgements | None = None
    on_claim: ClaimSeen | None = None
    on_passthrough: Callable[[bytes, Delimiters], None] | None = None
    # A claim the caller keeps back in the held output whatever its records, and why (None: not kept back):
    # `edi-fix release` keeps back every claim of a held file it was not asked to release.
    keep_back: Callable[[Claim], str | None] | None = None
    inherited: tuple[int, ...] = ()  # descriptors the --jobs workers must close (the ledger's child's pipe)
