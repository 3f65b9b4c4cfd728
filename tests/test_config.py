"""Configuration discovery (edi837/packs/config.py), with real folders and real `edi-fix` processes.

The model is ruff's documented behaviour: the closest configuration file from the input's folder upwards
wins, a pyproject.toml without the tool's table is passed over, the user's config folder comes last,
`--config` names a file, `--isolated` reads none, relative paths resolve against the file's folder.

The observable effect of most tests is NC002 (97140 with 97530 the same day, NCCI indicator 1): under the
shipped packs its 59 is only reported (the 837 cannot show separate time blocks: exit 1, nothing changed),
and it is applied under a pack whose config.toml attests them (`[rules.NC002] attest_separate_time_blocks =
true`): exit 0, 97530 gets 59. So which configuration a run read shows in the output.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

import edi837
from edi837.errors import InputRefused
from edi837.exits import ExitCode
from edi837.packs.config import Config, discover
from edi837.testing.generator import ClaimSpec, LineSpec, build_837
from tests.cli_helpers import edi_fix, one_refusal

ACME = {"payer_id": "ACME1", "payer_name": "ACME COMMERCIAL HEALTH", "claim_filing": "CI"}
PAIR = build_837([ClaimSpec("CONF-1", ("M25561", "M6281"), (
    LineSpec("97530", "45", pointers=(2,)), LineSpec("97140", "40", pointers=(1,))), **ACME)])


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of the `edi-fix` processes: a user config folder of the test's own (empty)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return dict(os.environ)


def attest_pack(folder: Path) -> Path:
    """A rule-pack folder that attests separate time blocks, so NC002's fix is applied instead of reported."""
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text("[rules.NC002]\nattest_separate_time_blocks = true\n")
    return folder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def fixed(out: Path) -> bool:
    """Whether NC002's modifier went on: 97530 gets 59 under a pack that attests separate time blocks."""
    return b"SV1*HC:97530:59*" in out.read_bytes()


def config_json(*args: str, env: dict[str, str], cwd: Path | None = None) -> dict[str, Any]:
    done = edi_fix("config", *args, "--format", "json", env=env, cwd=cwd)
    assert done.returncode == ExitCode.OK, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


# --- discovery -------------------------------------------------------------------------------------------


def test_the_closest_file_upwards_wins(tmp_path: Path, env: dict[str, str]) -> None:
    top = write(tmp_path / "a" / "edi837.toml", "jobs = 2\n")
    middle = write(tmp_path / "a" / "b" / "pyproject.toml", "[tool.edi837]\njobs = 3\n")
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir()
    assert discover(deep / "in.837") == Config(middle, {"jobs": 3})  # a file: from its folder up
    assert discover(tmp_path / "a") == Config(top, {"jobs": 2})  # a folder: itself first
    # in one folder edi837.toml comes before pyproject.toml; the first file found is all of the configuration
    own = write(tmp_path / "a" / "b" / "edi837.toml", "group-readable = true\n")
    assert discover(deep) == Config(own, {"group_readable": True})


def test_a_pyproject_without_the_table_is_passed_over(tmp_path: Path, env: dict[str, str]) -> None:
    top = write(tmp_path / "edi837.toml", 'hold = ["review"]\n')
    write(tmp_path / "proj" / "pyproject.toml", '[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n')
    assert discover(tmp_path / "proj") == Config(top, {"hold": ["review"]})


def test_the_user_config_folder_comes_last(tmp_path: Path, env: dict[str, str]) -> None:
    user = write(tmp_path / "xdg" / "edi837" / "edi837.toml", 'ledger = "claims.sqlite3"\n')
    (tmp_path / "work").mkdir()
    assert discover(tmp_path / "work") == Config(user, {"ledger": user.parent / "claims.sqlite3"})
    near = write(tmp_path / "work" / "edi837.toml", "jobs = 1\n")
    assert discover(tmp_path / "work") == Config(near, {"jobs": 1})  # not merged with the user's
    assert discover(tmp_path / "work", isolated=True) == Config()
    assert discover(tmp_path / "work", explicit=user).file == user


def test_relative_paths_resolve_against_the_file_not_the_working_folder(tmp_path: Path,
                                                                         env: dict[str, str]) -> None:
    project = tmp_path / "practice"
    attest_pack(project / "mypacks")
    write(project / "claims" / "edi837.toml", 'packs = "../mypacks"\nncci-db = "~/ncci.sqlite3"\n'
                                             'ledger = "../ledger/claims.sqlite3"\n')
    (project / "claims" / "in.837").write_bytes(PAIR)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    del env["EDI837_LEDGER"]  # set by the test suite (each test its own ledger): here the file must say it
    shown = config_json(str(project / "claims" / "in.837"), env={**env, "HOME": str(tmp_path / "home")},
                        cwd=elsewhere)
    settings = shown["settings"]
    assert settings["packs"]["value"] == str(project / "mypacks")
    assert settings["ledger"]["value"] == str(project / "ledger" / "claims.sqlite3")
    # EDI837_NCCI_DB is set (empty) by the test suite: the variable outranks the file
    assert settings["ncci-db"] == {"value": None, "from": "env EDI837_NCCI_DB"}
    del env["EDI837_NCCI_DB"]
    home = config_json(str(project / "claims"), env={**env, "HOME": str(tmp_path / "home")}, cwd=elsewhere)
    assert home["settings"]["ncci-db"]["value"] == str(tmp_path / "home" / "ncci.sqlite3")  # ~ is the user's home
    # and a run from elsewhere reads the pack the file names: NC002 applied
    done = edi_fix("claims/in.837", str(elsewhere / "out.837"), "--no-validate", env={**env, "EDI837_NCCI_DB": ""},
                   cwd=project)
    assert done.returncode == ExitCode.OK, done.stderr
    assert fixed(elsewhere / "out.837")


# --- the command line: flags over the file, --isolated, --config -----------------------------------------


def test_flags_override_the_file_and_env_outranks_it(tmp_path: Path, env: dict[str, str]) -> None:
    config = write(tmp_path / "edi837.toml", 'jobs = 2\nhold = ["review", "invalid"]\nicd10-db = "icd.db"\n')
    del env["EDI837_LEDGER"]  # set by the test suite; unset, the ledger's default is said
    shown = config_json(str(tmp_path), "--jobs", "3", env={**env, "EDI837_ICD10_DB": "/srv/icd10.db"})
    assert shown["config_file"] == str(config)
    settings = shown["settings"]
    assert settings["jobs"] == {"value": 3, "from": "flag --jobs"}
    assert settings["hold"] == {"value": "review, invalid", "from": str(config)}
    assert settings["icd10-db"] == {"value": "/srv/icd10.db", "from": "env EDI837_ICD10_DB"}
    assert settings["group-readable"] == {"value": False, "from": "default"}
    assert settings["ledger"] == {"value": None, "from": "default"}
    flagged = config_json(str(tmp_path), "--icd10-db", "mine.db", env={**env, "EDI837_ICD10_DB": "/srv/icd10.db"})
    assert flagged["settings"]["icd10-db"] == {"value": "mine.db", "from": "flag --icd10-db"}
    # the text form says the same, one line per setting with its source
    text = edi_fix("config", str(tmp_path), env=env).stdout.decode()
    assert f"config file: {config}" in text
    assert f"jobs            2  [{config}]" in text.splitlines()


def test_a_flag_wins_over_the_file_in_a_run(tmp_path: Path, env: dict[str, str]) -> None:
    attest_pack(tmp_path / "pack")
    write(tmp_path / "edi837.toml", 'packs = "pack"\n')
    (tmp_path / "in.837").write_bytes(PAIR)
    attested = edi_fix(str(tmp_path / "in.837"), str(tmp_path / "a.837"), "--no-validate", env=env)
    assert attested.returncode == ExitCode.OK and fixed(tmp_path / "a.837")
    # --packs given: the file's packs are not read; an empty pack folder leaves the shipped behaviour
    (tmp_path / "plain").mkdir()
    flagged = edi_fix(str(tmp_path / "in.837"), str(tmp_path / "b.837"), "--no-validate", "--packs",
                      str(tmp_path / "plain"), env=env)
    assert flagged.returncode == ExitCode.NEEDS_PERSON and not fixed(tmp_path / "b.837")


def test_isolated_reads_no_file_and_config_names_one(tmp_path: Path, env: dict[str, str]) -> None:
    attest_pack(tmp_path / "pack")
    write(tmp_path / "in" / "edi837.toml", 'packs = "../pack"\n')
    named = write(tmp_path / "other" / "settings.toml", 'packs = "../pack"\n')
    (tmp_path / "in" / "x").mkdir(parents=True)
    (tmp_path / "in" / "x" / "in.837").write_bytes(PAIR)
    src = str(tmp_path / "in" / "x" / "in.837")
    found_above = edi_fix(src, str(tmp_path / "above.837"), "--no-validate", env=env)
    assert found_above.returncode == ExitCode.OK and fixed(tmp_path / "above.837")
    isolated = edi_fix(src, str(tmp_path / "iso.837"), "--no-validate", "--isolated", env=env)
    assert isolated.returncode == ExitCode.NEEDS_PERSON and not fixed(tmp_path / "iso.837")
    # --config FILE, any name, instead of discovery: from a folder where discovery finds nothing
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "in.837").write_bytes(PAIR)
    found = edi_fix(str(alone / "in.837"), str(tmp_path / "plain.837"), "--no-validate", env=env)
    assert found.returncode == ExitCode.NEEDS_PERSON and not fixed(tmp_path / "plain.837")
    named_run = edi_fix(str(alone / "in.837"), str(tmp_path / "named.837"), "--no-validate", "--config", str(named),
                        env=env)
    assert named_run.returncode == ExitCode.OK and fixed(tmp_path / "named.837")
    both = edi_fix(str(alone / "in.837"), str(tmp_path / "both.837"), "--config", str(named), "--isolated", env=env)
    assert both.returncode == ExitCode.REFUSED and "--isolated" in one_refusal(both.stderr.decode())
    missing = edi_fix(str(alone / "in.837"), str(tmp_path / "m.837"), "--config", str(tmp_path / "nope.toml"), env=env)
    assert missing.returncode == ExitCode.REFUSED and "nope.toml" in one_refusal(missing.stderr.decode())
    assert not (tmp_path / "both.837").exists() and not (tmp_path / "m.837").exists()


@pytest.mark.parametrize(("text", "words"), [
    ("ncci_db = \"x.db\"\n", "line 1: unknown key 'ncci_db' (did you mean 'ncci-db'?)"),
    ("\n\njobs = \"2\"\n", "line 3: jobs: must be a whole number"),
    ("jobs = 0\n", "line 1: jobs: must be 1 or more"),
    ('hold = ["reviews"]\n', "line 1: hold: 'reviews' is not one of review, invalid"),
    ("group-readable = 1\n", "line 1: group-readable: must be true or false"),
    ("packs = 3\n", "line 1: packs: must be a path in quotes"),
    ("jobs = \n", "not valid TOML"),
], ids=["unknown-key", "jobs-text", "jobs-zero", "hold-word", "bool", "path", "toml"])
def test_a_bad_file_is_refused_naming_file_and_key(tmp_path: Path, env: dict[str, str], text: str,
                                                   words: str) -> None:
    config = write(tmp_path / "claims" / "edi837.toml", text)
    (tmp_path / "claims" / "in.837").write_bytes(PAIR)
    done = edi_fix(str(tmp_path / "claims" / "in.837"), str(tmp_path / "out.837"), env=env)
    assert done.returncode == ExitCode.REFUSED
    line = one_refusal(done.stderr.decode())
    assert line.startswith(f"edi-fix: refused: {config}") and words in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims", "xdg"] or not (tmp_path / "out.837").exists()
    assert not (tmp_path / "out.837").exists() and not (tmp_path / "out.837.changes.jsonl").exists()


@pytest.mark.parametrize(("command", "args", "file"), [
    ("config", ("--packs", "{tmp}/nope"), ""),
    ("config", ("--hold", "bogus"), ""),
    ("config", (), 'packs = "nope"\n'),
    ("config", ("--packs", "{tmp}/badpack"), ""),
    ("rules", ("--packs", "{tmp}/nope"), ""),
    ("rules", ("--select", "ZZ999"), ""),
    ("rules", ("--ignore", "NC01"), ""),
    ("rules", ("--packs", "{tmp}/badpack"), ""),
], ids=["config-packs", "config-hold", "config-file-packs", "config-pack-file", "rules-packs",
        "rules-select", "rules-ignore", "rules-pack-file"])
def test_config_and_rules_refuse_what_a_run_refuses(tmp_path: Path, env: dict[str, str], command: str,
                                                     args: tuple[str, ...], file: str) -> None:
    """`edi-fix config` and `edi-fix rules` show what a run would do, so a setting the run refuses (a packs
    folder that is not there or does not load, an unknown rule code, a hold word) they refuse too: the same
    line, exit 2, nothing printed on stdout. (A store path they show as it is, there or not: where a run looks.)"""
    folder = tmp_path / "claims"
    (folder / "in.837").parent.mkdir()
    (folder / "in.837").write_bytes(PAIR)
    write(tmp_path / "badpack" / "modifer_rank.toml", "x = 1\n")  # not a pack file name
    if file:
        write(folder / "edi837.toml", file)
    given = [a.replace("{tmp}", str(tmp_path)) for a in args]
    ran = edi_fix(str(folder / "in.837"), str(tmp_path / "out.837"), *given, env=env)
    shown = edi_fix(command, str(folder / "in.837"), *given, env=env)
    assert (ran.returncode, shown.returncode) == (ExitCode.REFUSED, ExitCode.REFUSED), shown.stdout
    assert shown.stdout == b""
    said = one_refusal(shown.stderr.decode()).removeprefix("edi-fix: refused: ")
    assert one_refusal(ran.stderr.decode()).endswith(said), (ran.stderr, said)  # the run may name its input first
    assert not (tmp_path / "out.837").exists()


def test_a_bad_table_in_pyproject_names_its_key(tmp_path: Path, env: dict[str, str]) -> None:
    config = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.edi837]\njobs = 2\nlegder = "l"\n')
    with pytest.raises(InputRefused, match=rf"{config} line 6: unknown key 'legder' in \[tool.edi837\] "
                                           r"\(did you mean 'ledger'\?\)"):
        discover(tmp_path)


# --- each entry point reads the configuration of its own folder ------------------------------------------


def test_edi_fix_reads_the_inputs_folder_not_the_working_one(tmp_path: Path, env: dict[str, str]) -> None:
    attest_pack(tmp_path / "pack")
    write(tmp_path / "inputs" / "edi837.toml", 'packs = "../pack"\n')
    write(tmp_path / "cwd" / "edi837.toml", "bad-key = 1\n")  # would be refused if it were read
    (tmp_path / "inputs" / "in.837").write_bytes(PAIR)
    done = edi_fix(str(tmp_path / "inputs" / "in.837"), str(tmp_path / "out.837"), "--no-validate", env=env,
                   cwd=tmp_path / "cwd")
    assert done.returncode == ExitCode.OK, done.stderr
    assert fixed(tmp_path / "out.837")
    # stdin has no folder: the working one is where it starts
    piped = edi_fix("-", "-", "--no-validate", stdin=PAIR, env=env, cwd=tmp_path / "cwd")
    assert piped.returncode == ExitCode.REFUSED and "bad-key" in one_refusal(piped.stderr.decode())


def test_group_readable_from_the_file(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path / "edi837.toml", "group-readable = true\n")
    src = tmp_path / "in.837"
    src.write_bytes(PAIR)
    src.chmod(0o644)
    # NC002 reported either way (exit 1): the outputs are written all the same
    assert edi_fix(str(src), str(tmp_path / "g.837"), "--no-validate", env=env).returncode == ExitCode.NEEDS_PERSON
    assert edi_fix(str(src), str(tmp_path / "p.837"), "--no-validate", "--isolated",
                   env=env).returncode == ExitCode.NEEDS_PERSON
    mode = {n: stat.S_IMODE((tmp_path / n).stat().st_mode) for n in ("g.837", "g.837.changes.jsonl", "p.837")}
    assert mode == {"g.837": 0o640, "g.837.changes.jsonl": 0o640, "p.837": 0o600}


def test_the_hook_reads_the_files_folder(tmp_path: Path, env: dict[str, str]) -> None:
    attest_pack(tmp_path / "pack")
    write(tmp_path / "outgoing" / "edi837.toml", 'packs = "../pack"\n')
    target = tmp_path / "outgoing" / "claims.837"
    target.write_bytes(PAIR)
    alone = edi_fix("hook", str(target), "--no-validate", "--isolated", env=env)
    assert alone.returncode == ExitCode.NEEDS_PERSON, alone.stderr
    assert target.read_bytes() == PAIR  # the shipped packs: reported, not fixed
    done = edi_fix("hook", str(target), "--no-validate", env=env, cwd=tmp_path)
    assert done.returncode == ExitCode.OK, done.stderr
    assert fixed(target)  # the folder's pack attests time blocks


def test_the_watcher_reads_the_outbound_folder_and_leaves_its_configuration(tmp_path: Path,
                                                                             env: dict[str, str]) -> None:
    attest_pack(tmp_path / "pack")
    outbound, ready = tmp_path / "outbound", tmp_path / "ready"
    config = write(outbound / "edi837.toml", 'packs = "../pack"\nhold = []\n')
    ready.mkdir()
    (outbound / "a.837").write_bytes(PAIR)
    done = edi_fix("watch", str(outbound), "--to", str(ready), "--once", "--no-validate", env=env, cwd=tmp_path)
    assert done.returncode in (ExitCode.OK, ExitCode.NEEDS_PERSON), done.stderr
    assert fixed(ready / "a.837")  # the folder's pack attests time blocks: NC002 applied, delivered
    assert config.read_text() == 'packs = "../pack"\nhold = []\n'  # never taken for an 837
    assert not (outbound / "rejected").exists() or not any((outbound / "rejected").iterdir())
    write(outbound / "edi837.toml", "jobs = -1\n")
    (outbound / "b.837").write_bytes(PAIR)
    bad = edi_fix("watch", str(outbound), "--to", str(ready), "--once", env=env)
    assert bad.returncode == ExitCode.REFUSED and "jobs" in one_refusal(bad.stderr.decode())
    assert (outbound / "b.837").read_bytes() == PAIR and not (ready / "b.837").exists()


def test_the_batch_reads_in_dir_and_passes_over_its_configuration(tmp_path: Path, env: dict[str, str]) -> None:
    in_dir, out_dir = tmp_path / "in", tmp_path / "out"
    write(in_dir / "edi837.toml", "bad-key = 1\n")
    (in_dir / "a.837").write_bytes(PAIR)
    bad = edi_fix("batch", str(in_dir), "--to", str(out_dir), env=env, cwd=tmp_path)
    assert bad.returncode == ExitCode.REFUSED and "bad-key" in one_refusal(bad.stderr.decode())
    assert not out_dir.exists()
    from edi837.batch.plan import find_inputs

    assert find_inputs(in_dir, out_dir, recursive=False) == ["a.837"]


def test_the_api_reads_a_file_only_when_asked(tmp_path: Path, env: dict[str, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    attest_pack(tmp_path / "pack")
    write(tmp_path / "edi837.toml", 'packs = "pack"\njobs = 2\nhold = ["review"]\nncci-db = "n.db"\n')
    monkeypatch.chdir(tmp_path)
    assert edi837.fix(PAIR, validate=False).output == PAIR  # pure: the attesting pack beside it is not read
    options = edi837.options_for(tmp_path / "in.837", validate=False)
    assert (options.packs_dir, options.jobs, options.hold, options.validate) == (
        tmp_path / "pack", 2, frozenset({"review"}), False)
    assert options.ncci_db is None  # EDI837_NCCI_DB (empty) outranks the file
    done = edi837.fix(PAIR, options)  # the pack attests: applied, nothing to hold
    assert done.held_claims == 0 and b"SV1*HC:97530:59*" in (done.output or b"")
    assert edi837.options_for(tmp_path, isolated=True).packs_dir is None


# --- edi-fix rules: each rule's fix under the packs in force ---------------------------------------------


def _line(listing: str, code: str) -> tuple[str, str, str]:
    """A rule's fix in force and on/off in `edi-fix rules`, and the line under it (why), if any."""
    lines = listing.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{code}  "))
    found = re.search(r"  (safe fix, applied|review fix, applied|review fix, reported|no fix \(reports only\))"
                      r" +(on|off) ", lines[at])
    assert found is not None, lines[at]
    following = lines[at + 1] if at + 1 < len(lines) and lines[at + 1].startswith(" ") else ""
    return found[1], found[2], following.strip()


def test_rules_shows_the_fix_the_packs_in_force_make(tmp_path: Path, env: dict[str, str]) -> None:
    """NC002 is declared a review fix, approved only when the practice attests separate time blocks
    (attest_separate_time_blocks = true, off by default: the shipped pack attests for nobody) and its action
    stays "fix", so under the shipped packs it is reported. A pack saying action = "review" keeps it reported,
    naming that pack; --apply-review applies every review fix; a rule ignored by a pack is off, naming that pack."""
    (tmp_path / "plain").mkdir()
    shipped = edi_fix("rules", str(tmp_path / "plain"), env=env).stdout.decode()
    assert _line(shipped, "NC002") == ("review fix, reported", "on",
                                      "reported: attest_separate_time_blocks = false (NC002 default)")
    assert _line(shipped, "NC003") == ("review fix, reported", "on",  # no setting approves it: a person decides
                                       "reported: a person decides (--apply-review applies it)")
    assert _line(shipped, "NC001") == ("safe fix, applied", "on", "")
    assert _line(shipped, "NC004") == ("no fix (reports only)", "on", "")
    # a pack, found through the configuration file of PATH's folder
    pack = attest_pack(tmp_path / "practice" / "pack")
    (pack / "config.toml").write_text('ignore = ["TU003"]\n[rules.NC002]\naction = "review"\n')
    write(tmp_path / "practice" / "edi837.toml", 'packs = "pack"\n')
    practice = edi_fix("rules", str(tmp_path / "practice"), env=env).stdout.decode()
    assert practice.splitlines()[0] == f"packs: the shipped packs + {pack}"
    assert _line(practice, "NC002") == ("review fix, reported", "on",
                                        f'reported: action = "review" (in {pack / "config.toml"})')
    assert _line(practice, "TU003") == ("no fix (reports only)", "off", f"off: ignore in {pack / 'config.toml'}")
    flagged = edi_fix("rules", str(tmp_path / "practice"), "--apply-review", "--ignore", "NC001", env=env)
    listing = flagged.stdout.decode()
    assert _line(listing, "NC002") == ("review fix, applied", "on", "applied: --apply-review")
    assert _line(listing, "NC003") == ("review fix, applied", "on", "applied: --apply-review")
    assert _line(listing, "NC001") == ("safe fix, applied", "off", "off: --ignore")
    # --isolated: the shipped packs alone again
    isolated = edi_fix("rules", str(tmp_path / "practice"), "--isolated", env=env).stdout.decode()
    assert _line(isolated, "NC002")[2] == "reported: attest_separate_time_blocks = false (NC002 default)"


def test_rules_names_payer_profiles_that_change_an_approval(tmp_path: Path, env: dict[str, str]) -> None:
    pack = tmp_path / "pack"
    write(pack / "payers" / "acme.toml", '[payer]\nname = "ACME"\npayer_ids = ["ACME1"]\nsource = "test"\n'
                                         '[rules.NC002]\naction = "review"\n')
    write(pack / "config.toml", "[rules.NC002]\nattest_separate_time_blocks = true\n")  # the practice attests
    done = edi_fix("rules", "--packs", str(pack), env=env, cwd=tmp_path)
    assert done.returncode == ExitCode.OK, done.stderr
    assert _line(done.stdout.decode(), "NC002")[2] == (
        f'applied: action = "fix" (NC002 default), attest_separate_time_blocks = true (in {pack / "config.toml"}); '
        'payer profiles set it: payers/acme.toml')


def test_an_approval_must_name_one_of_the_rules_settings() -> None:
    from edi837.engine.rule import Rule

    with pytest.raises(TypeError, match="approval names 'actoin', not one of its settings"):
        class Typo(Rule):  # declaring the class is the test
            """ZZ998 typo-approval: nothing.

            What it does: nothing. Why: a test. Example: none. Fix safety: review. Source: none.
            """

            code, name, fix_safety, approval = "ZZ998", "typo-approval", "review", (("actoin", "fix"),)
