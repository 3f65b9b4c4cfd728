"""The HTML report: items that need a person come first; each change shows the segment before and after."""

from __future__ import annotations

import pytest
from lxml import html

from edi837.pipeline import FixOptions, Sinks, fix
from edi837.report.html import render_report
from edi837.rules import all_factories
from edi837.testing.generator import ClaimSpec, LineSpec, build_837


def test_report_lists_review_items_first_and_escapes_values() -> None:
    claims = [
        ClaimSpec("R<1&", ("M9903", "M25511"), (LineSpec("98940", "45", pointers=(1,)),
                                                LineSpec("97140", "40", pointers=(2,)))),
        ClaimSpec("R2", ("M9901",), (LineSpec("98940", "45"), LineSpec("97140", "40"))),
    ]
    result = fix(build_837(claims), FixOptions(validate=False))
    page = html.fromstring(render_report(result, input_name="in.837", output_name="out.837"))
    headings = [h.text_content() for h in page.iter("h2")]
    assert headings[0] == "Needs a person (1)" and headings[1].startswith("Changes by claim")
    review_rows = page.xpath("//h2[1]/following-sibling::table[1]//tr[td]")
    assert [row.xpath("td")[0].text_content() for row in review_rows] == ["R2"]
    assert "included in the manipulation" in review_rows[0].text_content()
    claim_titles = [h.text_content() for h in page.iter("h3")]
    assert claim_titles == ["Claim R2", "Claim R<1&"]  # parsed back: the raw text was escaped
    fixed = page.xpath("//h3[.='Claim R<1&']/following-sibling::table[1]//tr[td]")[0]
    cells = [td.text_content() for td in fixed.xpath("td")]
    assert cells[:4] == ["2", "97140", "NC001", "append_modifier"]
    assert cells[4:6] == ["SV1*HC:97140*40*UN*1***2", "SV1*HC:97140:59*40*UN*1***2"]
    assert "NCCI 98940/97140" in cells[7]
    raw = render_report(result).decode()
    assert "R&lt;1&amp;" in raw and "R<1&" not in raw


def test_readme_rule_table_is_generated_from_the_rules() -> None:
    """The README's rule table is the rules' own documentation; editing a rule without regenerating it fails."""
    from pathlib import Path

    from edi837.docs import END, START, readme_table, with_table
    from edi837.engine.registry import rule_schemas

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert with_table(readme, readme_table()) == readme, "run: python -m edi837.docs --write README.md"
    table = readme.split(START, 1)[1].split(END, 1)[0]
    for code in rule_schemas(all_factories()):
        assert code.startswith("EDI") or f"| {code} |" in table, code


def test_streamed_records_are_not_kept_and_the_summary_still_counts_them() -> None:
    """With a record sink (the CLI, hook and watcher), memory holds counts and a bounded review sample,
    not every record; the summary's numbers come from the counts."""
    from edi837.pipeline import REVIEW_SAMPLE
    from edi837.report.summary import summary_dict

    claims = [ClaimSpec(f"S{i}", ("M9901",), (LineSpec("98940", "45"), LineSpec("97140", "40")))
              for i in range(REVIEW_SAMPLE + 30)]  # same region every time: one review item each
    streamed: list[object] = []
    result = fix(build_837(claims), FixOptions(validate=False), Sinks(record_sink=streamed.append, keep_records=False))
    assert result.records == []
    assert len(streamed) == result.review_count == REVIEW_SAMPLE + 30
    assert len(result.review_sample) == REVIEW_SAMPLE
    summary = summary_dict(result, output=None, changelog=None)
    assert (summary["review_items"], summary["review_listed"]) == (REVIEW_SAMPLE + 30, REVIEW_SAMPLE)
    assert result.exit_code == 1


def test_rules_and_rule_commands_document_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    """`edi-fix rules` lists every rule; `edi-fix rule CODE` prints its sections and settings (like ruff)."""
    from edi837.delivery.cli import main
    from edi837.engine.rule import SECTIONS
    from edi837.rules import BUILTIN

    assert main(["rules"]) == 0
    listed = capsys.readouterr().out
    for rule in BUILTIN:
        assert f"{rule.code}  {rule.name}" in listed
    assert main(["rule", "nc002"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("NC002 therapy-time-blocks")
    assert all(f"## {section}" in page for section in SECTIONS)
    assert "action (one of fix, review; default fix)" in page and "ncci (rules/ncci.toml)" in page
    assert main(["rule", "NC0O1"]) == 2
    assert "no rule has the code 'NC0O1'" in capsys.readouterr().err
