"""The run flags are declared once (cli/flags.py) and every command reads them into one RunFlags object; the
exit codes are one enum (edi837/exits.py), never a number written in the code.

Expected values come from the CLI contract: `--rules DIR` is the older name of `--packs DIR` (same folder,
same run); a flag given on the command line wins over a setting from elsewhere, a flag left at its default
does not; exit 0 written and nothing for a person, 1 written with something for a person, 2 refused.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command

from edi837.cli.app import COMMANDS, main
from edi837.cli.flags import FLAG_NAMES, RunFlags, Validator, run_flags
from edi837.errors import InputRefused
from edi837.exits import ExitCode
from edi837.testing.generator import ClaimSpec, LineSpec, build_837

REPO = Path(__file__).resolve().parent.parent
ACME = {"payer_id": "ACME1", "payer_name": "ACME COMMERCIAL HEALTH", "claim_filing": "CI"}
# 97140 (column 1) and 97530 (column 2) on one day: NCCI indicator 1, the shipped pack appends 59 to 97530;
# a pack saying [rules.NC002] action = "review" makes it a review item instead (nothing changed, exit 1).
PAIR = build_837([ClaimSpec("FLAGS-1", ("M25561", "M6281"), (
    LineSpec("97530", "45", pointers=(2,)), LineSpec("97140", "40", pointers=(1,))), **ACME)])


def _attest_pack(folder: Path) -> Path:
    """A pack that attests separate time blocks: NC002's 59 on 97530 is applied (the shipped packs report it)."""
    folder.mkdir()
    (folder / "config.toml").write_text("[rules.NC002]\nattest_separate_time_blocks = true\n")
    return folder


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--format", "json", "--no-validate"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def test_rules_is_the_older_name_of_packs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.837").write_bytes(PAIR)
    pack = _attest_pack(tmp_path / "pack")
    plain = _run(capsys, str(tmp_path / "in.837"), str(tmp_path / "plain.837"))
    assert plain[0] == ExitCode.NEEDS_PERSON and plain[1]["by_rule"] == {"NC002": {"applied": 0, "review": 1}}
    for flag in ("--packs", "--rules"):
        code, summary = _run(capsys, str(tmp_path / "in.837"), str(tmp_path / f"{flag[2:]}.837"), flag, str(pack))
        assert code == ExitCode.OK, flag
        assert summary["by_rule"] == {"NC002": {"applied": 1, "review": 0}}, flag
    assert (tmp_path / "packs.837").read_bytes() == (tmp_path / "rules.837").read_bytes() != PAIR
    # both names at once for two folders: which one was meant is not guessed
    other = _attest_pack(tmp_path / "other")
    code = main([str(tmp_path / "in.837"), str(tmp_path / "both.837"), "--packs", str(pack), "--rules", str(other)])
    assert code == ExitCode.REFUSED
    assert "--rules" in capsys.readouterr().err and not (tmp_path / "both.837").exists()


def test_rules_is_not_shown_in_any_help(capsys: pytest.CaptureFixture[str]) -> None:
    for name in (None, "watch", "hook", "batch"):
        assert main(["help", name] if name else ["--help"]) == ExitCode.OK
        shown = capsys.readouterr().out
        assert "--packs DIR" in shown and "--rules" not in shown, name


def test_the_four_commands_take_the_same_run_flags() -> None:
    """fix, hook: every run flag; watch and batch: all but --minutes and --jobs (a folder of files)."""
    expected = {"--" + n.replace("_", "-") for n in FLAG_NAMES}
    for name, left_out in ((None, set()), ("hook", set()), ("watch", {"--minutes", "--jobs"}),
                           ("batch", {"--minutes", "--jobs"})):
        app = COMMANDS[name][0] if name else __import__("edi837.cli.fix", fromlist=["app"]).app
        offered = {opt for p in get_command(app).params for opt in getattr(p, "opts", ())}
        assert expected - left_out <= offered, name
        assert not left_out & offered, name
        assert "--rules" in offered, name  # the hidden older name


def _probe() -> tuple[Any, list[RunFlags]]:
    """A command of its own with the run flags, to see the RunFlags a command receives."""
    seen: list[RunFlags] = []
    app = typer.Typer()

    @app.command()
    @run_flags()
    def probe(*, flags: RunFlags) -> None:
        seen.append(flags)

    return get_command(app), seen


def test_a_command_knows_which_flags_its_command_line_gave() -> None:
    command, seen = _probe()
    command(args=["--jobs", "1", "--validator", "fast", "--select", "NC", "--rules", "somewhere"],
            standalone_mode=False)
    (flags,) = seen
    assert flags.given == {"jobs", "validator", "select", "packs"}  # fast is the default, given all the same
    assert (flags.jobs, flags.validator, flags.select, flags.packs) == (1, Validator.fast, ["NC"], Path("somewhere"))
    assert flags.apply_review is False and flags.hold is None


def test_settings_from_elsewhere_go_under_the_command_line() -> None:
    command, seen = _probe()
    command(args=["--jobs", "1", "--validator", "fast"], standalone_mode=False)
    settings = {"jobs": 4, "validator": Validator.pyx12, "apply_review": True, "hold": ["review"]}
    layered = seen[0].under(settings)
    assert (layered.jobs, layered.validator) == (1, Validator.fast)  # given: the command line wins
    assert (layered.apply_review, layered.hold) == (True, ["review"])  # left at their defaults: the settings
    options = layered.to_options()
    assert (options.jobs, options.validator, options.apply_review, options.hold) == (1, "fast", True,
                                                                                    frozenset({"review"}))
    with pytest.raises(InputRefused, match="holdd: not a run setting"):
        seen[0].under({"holdd": ["review"]})


def test_to_options_keeps_what_the_flags_say() -> None:
    flags = RunFlags(packs=Path("p"), select=["NC"], ignore=["NC002"], minutes=Path("m.csv"), no_validate=True,
                     ncci_version=["v322r0"], hold=["review"], jobs=2, icd10_db=Path("i.db"))
    options = flags.to_options()
    assert (options.packs_dir, options.select, options.ignore, options.minutes_file, options.validate) == (
        Path("p"), ("NC",), ("NC002",), Path("m.csv"), False)
    assert (options.ncci_version, options.hold, options.jobs, options.icd10_db) == (
        ("v322r0",), frozenset({"review"}), 2, Path("i.db"))
    with pytest.raises(InputRefused, match="--hold invalid needs the validation gate"):
        RunFlags(hold=["invalid"], no_validate=True).to_options()
    # the watcher's default hold drops what the gate cannot find without the gate, without a word
    assert RunFlags(no_validate=True).to_options(default_hold=frozenset({"review", "invalid"})).hold == {"review"}


# --- no exit code written as a number -------------------------------------------------------------------

_EXITS = {"Exit", "exit", "_exit", "SystemExit"}


def _literal_codes(tree: ast.AST) -> list[int]:
    """Lines where an exit code is a number: Exit(2), sys.exit(1), SystemExit(0), `exit_code = 2`, and `return 1`
    in a function whose result is an exit code (annotated ExitCode, or named main/exit_code/action)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name in _EXITS and node.args and isinstance(node.args[0], ast.Constant):
                found.append(node.lineno)
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id if isinstance(t, ast.Name) else getattr(t, "attr", "") for t in targets]
            if "exit_code" in names and isinstance(node.value, ast.Constant):
                found.append(node.lineno)
        if isinstance(node, ast.FunctionDef):
            coded = "ExitCode" in ast.unparse(node.returns) if node.returns else False
            if coded or node.name in ("main", "exit_code", "action"):
                found += [r.lineno for r in ast.walk(node) if isinstance(r, ast.Return)
                          and isinstance(r.value, ast.Constant) and isinstance(r.value.value, int)]
    return sorted(found)


def test_no_exit_code_is_written_as_a_number() -> None:
    offenders = []
    for path in sorted((REPO / "edi837").rglob("*.py")):
        offenders += [f"{path.relative_to(REPO)}:{line}" for line in _literal_codes(ast.parse(path.read_text()))]
    assert offenders == []


def test_the_literal_check_sees_a_literal() -> None:
    code = "def main() -> int:\n    return 2\n\ndef f():\n    raise typer.Exit(1)\n\nclass E:\n    exit_code = 2\n"
    assert _literal_codes(ast.parse(code)) == [2, 5, 8]
