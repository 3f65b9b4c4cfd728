"""The run flags: every option that says how a run fixes, shared by `edi-fix`, watch, hook and batch.

Declared once, here, with their typer annotations: each command takes them with `@run_flags()` (which adds
them to its signature) and receives one RunFlags object, which `to_options()` turns into the pipeline's
FixOptions. A command leaves out the flags it has no use for (`without`) or words one for itself
(`overrides`: the watcher's --hold, whose default is to hold).

RunFlags knows which flags the command line gave (`given`), so settings from elsewhere (a configuration
file) are layered under the command line in one place: `flags.under(settings)` keeps every flag given on
the command line and takes the rest from `settings`; `flags.configured(start)` does it with the
configuration file discovered from the input's folder (edi837.packs.config), as every command does.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer

from edi837.delivery.ledgering import LedgerChoice
from edi837.errors import InputRefused
from edi837.packs.config import Config
from edi837.packs.config import discover as discover_config
from edi837.pipeline import FixOptions
from edi837.pipeline import hold as holding


class Validator(StrEnum):
    fast = "fast"
    pyx12 = "pyx12"


@dataclass(frozen=True)
class RunFlags:
    packs: Annotated[Path | None, typer.Option(
        "--packs", metavar="DIR", help="A rule-pack folder layered over the shipped packs.")] = None
    select: Annotated[list[str] | None, typer.Option(
        "--select", metavar="CODE", help="Run only these rules (codes or prefixes).")] = None
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", metavar="CODE", help="Do not run these rules (codes or prefixes).")] = None
    apply_review: Annotated[bool, typer.Option(
        "--apply-review", help="Also apply fixes whose applicability is 'review'.")] = False
    minutes: Annotated[Path | None, typer.Option(
        "--minutes", metavar="FILE", help="CSV of treatment minutes: claim id, line number, minutes.")] = None
    no_validate: Annotated[bool, typer.Option(
        "--no-validate", help="Skip the pyx12 gate (structural checks still run).")] = False
    validator: Annotated[Validator, typer.Option(
        "--validator", metavar="fast|pyx12", help="The gate: tables compiled from pyx12's maps with pyx12 as "
                                                  "referee (default), or pyx12 over the whole file.")] = Validator.fast
    hold: Annotated[list[str] | None, typer.Option(
        "--hold", metavar="review|invalid", help="Hold claims a person must see in a second 837P: 'review' "
                                                 "(unapplied review items), 'invalid' (validation errors); "
                                                 "repeatable.")] = None
    ncci_db: Annotated[Path | None, typer.Option(
        "--ncci-db", metavar="PATH", help="The CMS NCCI database (default: $EDI837_NCCI_DB, then the per-user "
                                          "one; see edi-fix ncci status).")] = None
    ncci_version: Annotated[list[str] | None, typer.Option(
        "--ncci-version", metavar="VERSION", help="Pin an NCCI version, e.g. v322r0 or 2025-q4.")] = None
    icd10_db: Annotated[Path | None, typer.Option(
        "--icd10-db", metavar="PATH", help="The ICD-10-CM store (default: $EDI837_ICD10_DB, then the per-user "
                                           "one, over the shipped releases; see edi-fix icd10 status).")] = None
    jobs: Annotated[int | None, typer.Option(
        "--jobs", metavar="N", min=1, help="Processes for the rules on a file of 2 MB or more (default: the cores "
                                           "available; 1: this one alone). The output is the same bytes whatever "
                                           "N.")] = None
    group_readable: Annotated[bool, typer.Option(
        "--group-readable", help="Write the files that carry patient data 0640 (the group may read them) instead "
                                 "of 0600, for an outbound folder shared with an uploader's group; never wider "
                                 "than the input's own mode.")] = False
    config: Annotated[Path | None, typer.Option(
        "--config", metavar="FILE", help="Read this configuration file (edi837.toml, or a pyproject.toml's "
                                         "[tool.edi837]) instead of the one found from the input's folder "
                                         "upwards.")] = None
    isolated: Annotated[bool, typer.Option(
        "--isolated", help="Read no configuration file: flags, environment and defaults only.")] = False
    ledger: Annotated[str | None, typer.Option(
        "--ledger", metavar="PATH|off", help="The claims ledger this run writes (default: $EDI837_LEDGER, then the "
                                             "per-user one; off: none). See edi-fix claims.")] = None
    ledger_best_effort: Annotated[bool, typer.Option(
        "--ledger-best-effort", help="Go on without the claims ledger when it cannot be written (a warning) "
                                     "instead of refusing the run (exit 2).")] = False
    # The flags the command line gave (not their defaults): what settings from elsewhere may not replace.
    given: frozenset[str] = field(default=frozenset(), compare=False)

    def to_options(self, *, default_hold: frozenset[str] = frozenset()) -> FixOptions:
        """The FixOptions of these flags. `default_hold`: the command's hold policy when --hold is not given
        (the watcher holds by default). Raises InputRefused for a hold policy that cannot be kept (--hold
        invalid without the gate)."""
        policy = holding.parse_policy(self.hold) if self.hold else default_hold
        if holding.INVALID in policy and self.no_validate:
            if self.hold:  # asked for: say why it cannot be done; the watcher's default just has nothing to find
                raise InputRefused("--hold invalid needs the validation gate; drop --no-validate")
            policy = policy - {holding.INVALID}
        return FixOptions(validate=not self.no_validate, validator=self.validator.value,
                          apply_review=self.apply_review, packs_dir=self.packs, select=tuple(self.select or ()),
                          ignore=tuple(self.ignore or ()), minutes_file=self.minutes, ncci_db=self.ncci_db,
                          ncci_version=tuple(self.ncci_version or ()), hold=policy, jobs=self.jobs,
                          icd10_db=self.icd10_db)

    def checked_options(self) -> FixOptions:
        """`to_options()`, with every rule setting a run refuses before it reads its input refused now, by the
        run's own code: the hold policy (to_options), then the rule engine a run builds (pipeline.run's
        build_engine: the packs folder loaded and checked, --select and --ignore checked against the rules), built
        and released. For the commands that show what a run would do (`config`, `rules`): they refuse what the
        run refuses, the same line, exit 2. The NCCI and ICD-10-CM stores are left out (False: none): these
        commands show where a run looks for them, there or not; `edi-fix ncci status` / `icd10 status` check one."""
        from edi837.pipeline.run import build_engine
        from edi837.x12.envelope import Delimiters

        options = self.to_options()
        engine = build_engine(Delimiters(b"*", b":", b"^", b"~"),  # any delimiters: no claim is read
                              replace(options, ncci_db=False, icd10_db=False))
        if engine.packs is not None:
            engine.packs.close()
        return options

    def ledger_choice(self) -> LedgerChoice:
        """The claims ledger the run keeps (--ledger, $EDI837_LEDGER, the per-user one) and how firmly."""
        return LedgerChoice.of(self.ledger, best_effort=self.ledger_best_effort)

    def under(self, settings: Mapping[str, Any]) -> RunFlags:
        """These flags over `settings` (flag name -> value, already of the flag's type): a flag the command line
        gave keeps its value, any other takes the setting's. An unknown name is refused, naming it."""
        unknown = sorted(set(settings) - set(SETTING_NAMES))
        if unknown:
            raise InputRefused(f"{unknown[0]}: not a run setting (run settings: {', '.join(SETTING_NAMES)})")
        return replace(self, **{name: value for name, value in settings.items() if name not in self.given})

    def discover(self, start: Path) -> Config:
        """The configuration file in force for a run whose input is `start` (its folder upwards, then the
        per-user one; --config names it, --isolated reads none): the one way every command finds it."""
        return discover_config(start, explicit=self.config, isolated=self.isolated)

    def configured(self, start: Path) -> tuple[RunFlags, Config]:
        """These flags over the configuration discovered from `start` (flags first, then the stores'
        environment variables, then the file, then the defaults), and that configuration."""
        config = self.discover(start)
        return self.under(config.run_settings()), config


FLAG_NAMES = tuple(f.name for f in fields(RunFlags) if f.name != "given")
# The flags a configuration file may set (--config and --isolated say which file, they are not settings).
SETTING_NAMES = tuple(n for n in FLAG_NAMES if n not in ("config", "isolated"))
_HINTS = get_type_hints(RunFlags, include_extras=True)
# `--rules DIR`, the older name of --packs: still accepted, never shown.
_RULES_ALIAS = Annotated[Path | None, typer.Option("--rules", metavar="DIR", hidden=True)]


def run_flags(*, without: Collection[str] = (), overrides: Mapping[str, Any] | None = None
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the run flags: its keyword-only parameter `flags: RunFlags` is replaced, in the signature
    typer reads, by one parameter per flag (before --version, in RunFlags' order), and the command is called
    with them gathered into `flags`. `without`: flags the command does not take; `overrides`: a flag's own
    annotation for this command."""
    names = [n for n in FLAG_NAMES if n not in without]
    annotations = {n: (overrides or {}).get(n, _HINTS[n]) for n in names}
    defaults = {f.name: f.default for f in fields(RunFlags)}

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "flags"]
        last = [p for p in own if p.name == "version"]
        extra = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=defaults[n], annotation=annotations[n])
                 for n in names]
        if "packs" in names:
            extra.append(inspect.Parameter("rules", inspect.Parameter.KEYWORD_ONLY, default=None,
                                           annotation=_RULES_ALIAS))
        context = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
        parameters = [*(p for p in own if p.name != "version"), *extra, *last, context]

        @functools.wraps(command)
        def with_flags(**kwargs: Any) -> Any:
            ctx: typer.Context = kwargs.pop("ctx")
            values = {n: kwargs.pop(n) for n in names}
            given = {n for n in names if _from_command_line(ctx, n)}
            alias = kwargs.pop("rules", None) if "packs" in names else None
            if alias is not None:
                if "packs" in given and values["packs"] != alias:
                    raise typer.BadParameter("the older name of --packs; give one of them", param_hint="--rules")
                values["packs"] = alias
                given.add("packs")
            return command(flags=RunFlags(**values, given=frozenset(given)), **kwargs)

        with_flags.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        with_flags.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_flags

    return decorate


def _from_command_line(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")
